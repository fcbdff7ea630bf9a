# The state of DEV's platform (terraform/platform), in the account's state bucket, created once by
# hand (terraform/README.md). S3-native locking: no DynamoDB table.
bucket       = "dataplatform-tfstate-111111111111"
key          = "dataplatform/dev/terraform.tfstate"
region       = "eu-west-1"
encrypt      = true
use_lockfile = true
