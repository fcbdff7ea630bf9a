variable "environment" {
  description = "Environment of the CA: local, dev, ppd or prod."
  type        = string

  validation {
    condition     = contains(["local", "dev", "ppd", "prod"], var.environment)
    error_message = "environment must be one of local, dev, ppd, prod."
  }
}

variable "kms_key_arn" {
  description = "ARN of the platform's KMS key, which encrypts the CA's private key."
  type        = string
}

variable "public_keys" {
  description = "OpenSSH public keys of the CA (one line each, e.g. \"ssh-ed25519 AAAA… dataplatform-prod-user-ca\"); more than one while a key is rotated. Empty only for the local sandbox, which passes its own."
  type        = list(string)

  validation {
    condition     = alltrue([for key in var.public_keys : can(regex("^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa) [A-Za-z0-9+/]+=* ?[^\n]*$", key))])
    error_message = "public_keys must be OpenSSH public key lines (ssh-ed25519, ecdsa-sha2-nistp*, ssh-rsa)."
  }
}

variable "user" {
  description = "The login user on every host: the user data creates it with passwordless sudo; certificates name the environment's principal."
  type        = string
  default     = "dataplatform"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_-]{0,31}$", var.user)) && !contains(["root", "admin"], var.user)
    error_message = "user must be a Linux user name other than root and admin (the image's own)."
  }
}

variable "recovery_window_in_days" {
  description = "Days a deleted CA secret can still be restored."
  type        = number
  default     = 30

  validation {
    condition     = var.recovery_window_in_days == 0 || (var.recovery_window_in_days >= 7 && var.recovery_window_in_days <= 30)
    error_message = "recovery_window_in_days must be 0 or between 7 and 30."
  }
}

variable "tags" {
  description = "Tags added to every resource that takes tags."
  type        = map(string)
  default     = {}
}
