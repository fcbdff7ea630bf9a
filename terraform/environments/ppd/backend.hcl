# The state of PPD's platform (terraform/platform), in the account's state bucket, created once by
# hand (terraform/README.md). S3-native locking: no DynamoDB table.
bucket       = "dataplatform-tfstate-222222222222"
key          = "dataplatform/ppd/terraform.tfstate"
region       = "eu-west-1"
encrypt      = true
use_lockfile = true
