variable "environment" {
  description = "Environment the CA belongs to: local, dev, ppd or prod."
  type        = string

  validation {
    condition     = contains(["local", "dev", "ppd", "prod"], var.environment)
    error_message = "environment must be one of local, dev, ppd, prod."
  }
}

variable "usage_mode" {
  description = "GENERAL_PURPOSE (any validity, about USD 400 a month) or SHORT_LIVED_CERTIFICATE (at most 7 days, about USD 50 a month). See README."
  type        = string
  default     = "GENERAL_PURPOSE"

  validation {
    condition     = contains(["GENERAL_PURPOSE", "SHORT_LIVED_CERTIFICATE"], var.usage_mode)
    error_message = "usage_mode must be GENERAL_PURPOSE or SHORT_LIVED_CERTIFICATE."
  }
}

variable "common_name" {
  description = "Common name of the root CA, for example \"Data Platform DEV Root CA\"."
  type        = string

  validation {
    condition     = length(var.common_name) > 0 && length(var.common_name) <= 64
    error_message = "common_name must be 1 to 64 characters."
  }
}

variable "organization" {
  description = "Organization (O) of the CA's subject."
  type        = string
  default     = "Platform"
}

variable "country" {
  description = "Two-letter country code (C) of the CA's subject."
  type        = string
  default     = "GB"

  validation {
    condition     = can(regex("^[A-Z]{2}$", var.country))
    error_message = "country must be a two-letter upper-case ISO 3166 code."
  }
}

variable "key_algorithm" {
  description = "Key algorithm of the CA."
  type        = string
  default     = "RSA_4096"

  validation {
    condition     = contains(["RSA_2048", "RSA_4096", "EC_prime256v1", "EC_secp384r1"], var.key_algorithm)
    error_message = "key_algorithm must be RSA_2048, RSA_4096, EC_prime256v1 or EC_secp384r1."
  }
}

variable "signing_algorithm" {
  description = "Algorithm the CA signs with; must match the key algorithm family (RSA or ECDSA)."
  type        = string
  default     = "SHA256WITHRSA"

  validation {
    condition     = contains(["SHA256WITHRSA", "SHA384WITHRSA", "SHA512WITHRSA", "SHA256WITHECDSA", "SHA384WITHECDSA", "SHA512WITHECDSA"], var.signing_algorithm)
    error_message = "signing_algorithm must be one of SHA256WITHRSA, SHA384WITHRSA, SHA512WITHRSA, SHA256WITHECDSA, SHA384WITHECDSA, SHA512WITHECDSA."
  }
}

variable "validity_years" {
  description = "Validity of the root CA certificate in years."
  type        = number
  default     = 10

  validation {
    condition     = var.validity_years >= 1 && var.validity_years <= 30
    error_message = "validity_years must be between 1 and 30."
  }
}

variable "crl_bucket_name" {
  description = "Bucket the CA publishes its certificate revocation list to (its policy must let acm-pca.amazonaws.com write), or null for no CRL."
  type        = string
  default     = null
}

variable "crl_expiration_in_days" {
  description = "Days each published CRL is valid; the CA republishes it well before that."
  type        = number
  default     = 7

  validation {
    condition     = var.crl_expiration_in_days >= 1 && var.crl_expiration_in_days <= 5000
    error_message = "crl_expiration_in_days must be between 1 and 5000."
  }
}

variable "permanent_deletion_time_in_days" {
  description = "Days a deleted CA can still be restored (7 to 30)."
  type        = number
  default     = 30

  validation {
    condition     = var.permanent_deletion_time_in_days >= 7 && var.permanent_deletion_time_in_days <= 30
    error_message = "permanent_deletion_time_in_days must be between 7 and 30."
  }
}

variable "grant_acm_renewal_permission" {
  description = "Grant ACM the CA permission to renew the private certificates it issued (acm-pca CreatePermission). Only the local sandbox turns it off: its AWS emulator does not implement that API."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags added to every resource that takes tags."
  type        = map(string)
  default     = {}
}
