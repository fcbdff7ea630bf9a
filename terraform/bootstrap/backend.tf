# Beside the environment's state, in the account's state bucket; the bucket, key and region come
# from environments/<env>/bootstrap.backend.hcl at init (scripts/terraform-env.sh passes it).
terraform {
  backend "s3" {}
}
