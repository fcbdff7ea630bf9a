# The sandbox's state, in the emulator's S3: the state bucket the sandbox creates with the
# administrator's key before the bootstrap, as an account's operator creates theirs by hand
# (terraform/README.md). The emulator's URL differs per sandbox (its port), so it is not here:
# the S3 backend takes it from AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, which the sandbox, the
# tests and scripts/terraform-env.sh set (or -backend-config="endpoints={s3=\"…\"}").
# The fixed dummy key is the emulator administrator's: it opens no real account's bucket, so this
# state can never land outside the emulator. moto honours S3 lock files (a conditional PutObject
# with If-None-Match), so the sandbox locks its state as the accounts do.
bucket         = "dataplatform-tfstate-123456789012"
key            = "dataplatform/local/terraform.tfstate"
region         = "eu-west-1"
encrypt        = true
use_lockfile   = true
use_path_style = true
access_key     = "sandbox"
secret_key     = "sandbox"

skip_credentials_validation = true
skip_requesting_account_id  = true
skip_metadata_api_check     = true
skip_region_validation      = true
