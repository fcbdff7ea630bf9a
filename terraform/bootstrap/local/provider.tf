# The sandbox account: IAM and STS are the AWS emulator's (the moto server `make sandbox`
# starts), with its administrator's key, in the emulator's account only.

variable "aws_endpoint_url" {
  description = "URL of the AWS emulator (make sandbox starts it on https://127.0.0.1:5000)."
  type        = string
  default     = "https://127.0.0.1:5000"

  validation {
    condition     = can(regex("^https?://(127\\.[0-9.]+|localhost|\\[::1\\])(:[0-9]+)?/?$", var.aws_endpoint_url))
    error_message = "aws_endpoint_url must be a loopback URL: the local bootstrap only ever talks to the emulator."
  }
}

provider "aws" {
  region              = var.region
  allowed_account_ids = [var.account_id]
  access_key          = "sandbox"
  secret_key          = "sandbox"

  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_region_validation      = true

  endpoints {
    iam = var.aws_endpoint_url
    sts = var.aws_endpoint_url
  }
}
