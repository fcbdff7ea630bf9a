# One provider for every account's bootstrap, applied with an administrator's credentials.
# The sandbox account (local) sends IAM and STS to the AWS emulator at aws_endpoint_url, which may
# only be a loopback URL, with the emulator's fixed dummy administrator key: it can never change
# a real account. allowed_account_ids refuses any account but the environment's.

variable "aws_endpoint_url" {
  description = "URL of the AWS emulator IAM and STS point at, or null for AWS itself. Only a loopback URL (make sandbox starts the emulator on https://127.0.0.1:<port>); local requires it."
  type        = string
  default     = null

  validation {
    condition     = var.aws_endpoint_url == null || can(regex("^https?://(127\\.[0-9.]+|localhost|\\[::1\\])(:[0-9]+)?/?$", var.aws_endpoint_url))
    error_message = "aws_endpoint_url must be a loopback URL: only the emulator is reached this way."
  }

  validation {
    condition     = var.aws_endpoint_url != null || var.environment != "local"
    error_message = "The local bootstrap only ever talks to the emulator: set aws_endpoint_url (environments/local/bootstrap.tfvars, or -var)."
  }
}

locals {
  emulated = var.aws_endpoint_url != null
}

provider "aws" {
  region              = var.region
  allowed_account_ids = [var.account_id]

  # Only against the emulator: its fixed dummy key, no credential or region lookups at AWS.
  access_key                  = local.emulated ? "sandbox" : null
  secret_key                  = local.emulated ? "sandbox" : null
  skip_credentials_validation = local.emulated
  skip_metadata_api_check     = local.emulated
  skip_region_validation      = local.emulated

  dynamic "endpoints" {
    for_each = local.emulated ? [var.aws_endpoint_url] : []
    content {
      iam = endpoints.value
      sts = endpoints.value
    }
  }
}
