# Beside the environment's state, in the account's state bucket (terraform/README.md).
terraform {
  backend "s3" {
    bucket       = "dataplatform-tfstate-111111111111"
    key          = "dataplatform/dev/bootstrap.tfstate"
    region       = "eu-west-1"
    encrypt      = true
    use_lockfile = true
  }
}
