# Beside the environment's state, in the account's state bucket (terraform/README.md).
terraform {
  backend "s3" {
    bucket       = "dataplatform-tfstate-333333333333"
    key          = "dataplatform/prod/bootstrap.tfstate"
    region       = "eu-west-1"
    encrypt      = true
    use_lockfile = true
  }
}
