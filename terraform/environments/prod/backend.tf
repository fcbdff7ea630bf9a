# One state per account, in that account's state bucket (created once by hand; see
# terraform/README.md). S3-native locking: no DynamoDB table.
terraform {
  backend "s3" {
    bucket       = "dataplatform-tfstate-333333333333"
    key          = "dataplatform/prod/terraform.tfstate"
    region       = "eu-west-1"
    encrypt      = true
    use_lockfile = true
  }
}
