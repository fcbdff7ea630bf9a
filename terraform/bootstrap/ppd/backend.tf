# Beside the environment's state, in the account's state bucket (terraform/README.md).
terraform {
  backend "s3" {
    bucket       = "dataplatform-tfstate-222222222222"
    key          = "dataplatform/ppd/bootstrap.tfstate"
    region       = "eu-west-1"
    encrypt      = true
    use_lockfile = true
  }
}
