# The sandbox account: every API the platform uses goes to the AWS emulator (the moto server
# that `make sandbox` starts). The fixed dummy credentials and the emulator's account id in
# allowed_account_ids make sure this root can never change a real account.

variable "aws_endpoint_url" {
  description = "URL of the AWS emulator every service endpoint points at (make sandbox starts it on https://127.0.0.1:5000; the tests' emulator speaks plain HTTP)."
  type        = string
  default     = "https://127.0.0.1:5000"

  validation {
    condition     = can(regex("^https?://(127\\.[0-9.]+|localhost|\\[::1\\])(:[0-9]+)?/?$", var.aws_endpoint_url))
    error_message = "aws_endpoint_url must be a loopback URL: the local environment only ever talks to the emulator."
  }
}

variable "deploy_role_arn" {
  description = "Role Terraform assumes with the emulator's administrator key, as the terraform workflow applies an account (make sandbox: the bootstrap's deploy role); null: the key's own administrator."
  type        = string
  default     = null
}

provider "aws" {
  region              = var.region
  allowed_account_ids = [var.account_id]
  access_key          = "sandbox"
  secret_key          = "sandbox"

  dynamic "assume_role" {
    for_each = var.deploy_role_arn == null ? [] : [var.deploy_role_arn]
    content {
      role_arn     = assume_role.value
      session_name = "sandbox-terraform"
    }
  }

  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  s3_use_path_style           = true

  endpoints {
    acm            = var.aws_endpoint_url
    acmpca         = var.aws_endpoint_url
    autoscaling    = var.aws_endpoint_url
    cloudwatch     = var.aws_endpoint_url
    cloudwatchlogs = var.aws_endpoint_url
    ec2            = var.aws_endpoint_url
    elbv2          = var.aws_endpoint_url
    emrserverless  = var.aws_endpoint_url
    events         = var.aws_endpoint_url
    glue           = var.aws_endpoint_url
    iam            = var.aws_endpoint_url
    kms            = var.aws_endpoint_url
    rds            = var.aws_endpoint_url
    s3             = var.aws_endpoint_url
    secretsmanager = var.aws_endpoint_url
    sns            = var.aws_endpoint_url
    sqs            = var.aws_endpoint_url
    ssm            = var.aws_endpoint_url
    sts            = var.aws_endpoint_url
  }

  # No default_tags here: the emulator copies a launch template's own tags into the template's
  # instance tag specifications, which would show as a change on every plan. The hosts still
  # carry the tags, through their Auto Scaling Groups.
}
