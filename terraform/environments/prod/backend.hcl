# The state of PROD's platform (terraform/platform), in the account's state bucket, created once by
# hand (terraform/README.md). S3-native locking: no DynamoDB table.
bucket       = "dataplatform-tfstate-333333333333"
key          = "dataplatform/prod/terraform.tfstate"
region       = "eu-west-1"
encrypt      = true
use_lockfile = true
