# One state per environment, in its account's state bucket; the bucket, key and region come from
# environments/<env>/backend.hcl at init (-backend-config), which scripts/terraform-env.sh passes.
terraform {
  backend "s3" {}
}
