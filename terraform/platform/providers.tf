# One provider for every environment; what differs between them are values (environments/<env>/
# terraform.tfvars, and -var where a run supplies them).
#
# An account (dev, ppd, prod): real AWS with the credentials the terraform workflow gets from
# GitHub's OIDC token (or an operator's), default tags on every resource. allowed_account_ids
# refuses any account but the environment's.
#
# The sandbox account (local): every API the platform uses goes to the AWS emulator (the moto
# server that `make sandbox` starts) at aws_endpoint_url, which may only be a loopback URL; the
# fixed dummy credentials and the emulator's account id in allowed_account_ids make sure it can
# never change a real account. Given deploy_role_arn, the provider assumes the bootstrap's deploy
# role with that key, as the terraform workflow applies an account.

variable "aws_endpoint_url" {
  description = "URL of the AWS emulator every service endpoint points at, or null for AWS itself. Only a loopback URL (make sandbox starts the emulator on https://127.0.0.1:<port>); local requires it."
  type        = string
  default     = null

  validation {
    condition     = var.aws_endpoint_url == null || can(regex("^https?://(127\\.[0-9.]+|localhost|\\[::1\\])(:[0-9]+)?/?$", var.aws_endpoint_url))
    error_message = "aws_endpoint_url must be a loopback URL: only the emulator is reached this way."
  }

  validation {
    condition     = var.aws_endpoint_url != null || var.environment != "local"
    error_message = "The local environment only ever talks to the emulator: set aws_endpoint_url (environments/local/terraform.tfvars, or -var)."
  }
}

variable "deploy_role_arn" {
  description = "Role the provider assumes with the credentials it is given, as the terraform workflow applies an account (make sandbox: the bootstrap's deploy role, with the emulator's administrator key); null: the credentials' own principal."
  type        = string
  default     = null
}

variable "provider_default_tags" {
  description = "Tag every resource with the platform's tags through the provider's default_tags. Off only in local: the emulator copies a launch template's own tags into the template's instance tag specifications, which would show as a change on every plan (the hosts still carry the tags, through their Auto Scaling Groups)."
  type        = bool
  default     = true
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
  s3_use_path_style           = local.emulated

  # Every service the platform calls, sent to the emulator.
  dynamic "endpoints" {
    for_each = local.emulated ? [var.aws_endpoint_url] : []
    content {
      acm            = endpoints.value
      acmpca         = endpoints.value
      autoscaling    = endpoints.value
      cloudwatch     = endpoints.value
      cloudwatchlogs = endpoints.value
      ec2            = endpoints.value
      elbv2          = endpoints.value
      emrserverless  = endpoints.value
      events         = endpoints.value
      glue           = endpoints.value
      iam            = endpoints.value
      kms            = endpoints.value
      rds            = endpoints.value
      s3             = endpoints.value
      secretsmanager = endpoints.value
      sns            = endpoints.value
      sqs            = endpoints.value
      ssm            = endpoints.value
      sts            = endpoints.value
    }
  }

  dynamic "assume_role" {
    for_each = var.deploy_role_arn == null ? [] : [var.deploy_role_arn]
    content {
      role_arn     = assume_role.value
      session_name = "dataplatform-${var.environment}-terraform"
    }
  }

  dynamic "default_tags" {
    for_each = var.provider_default_tags ? [local.tags] : []
    content {
      tags = default_tags.value
    }
  }
}
