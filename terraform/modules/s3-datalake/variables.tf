variable "environment" {
  description = "Environment the buckets belong to: local, dev, ppd or prod."
  type        = string

  validation {
    condition     = contains(["local", "dev", "ppd", "prod"], var.environment)
    error_message = "environment must be one of local, dev, ppd, prod."
  }
}

variable "kms_key_arn" {
  description = "KMS key that encrypts every data bucket (SSE-KMS with S3 bucket keys)."
  type        = string
}

variable "lake_layers" {
  description = <<-EOT
    Lifecycle of each data lake layer: days after which objects move to Standard-IA and to
    Glacier Instant Retrieval (null: never), expire (null: never), and after which replaced or
    deleted versions are removed. Exactly the layers bronze, silver and gold.
  EOT
  type = map(object({
    infrequent_access_after_days          = optional(number)
    glacier_after_days                    = optional(number)
    expire_after_days                     = optional(number)
    noncurrent_versions_expire_after_days = number
  }))

  validation {
    condition     = toset(keys(var.lake_layers)) == toset(["bronze", "silver", "gold"])
    error_message = "lake_layers must define exactly bronze, silver and gold."
  }

  validation {
    # S3 refuses Standard-IA before 30 days, and each later step must come after the one before.
    condition = alltrue([for layer in values(var.lake_layers) : alltrue([
      layer.infrequent_access_after_days == null ? true : layer.infrequent_access_after_days >= 30,
      layer.glacier_after_days == null || layer.infrequent_access_after_days == null ? true : layer.glacier_after_days >= layer.infrequent_access_after_days + 30,
      layer.expire_after_days == null ? true : layer.expire_after_days > max(0, coalesce(layer.glacier_after_days, 0), coalesce(layer.infrequent_access_after_days, 0)),
      layer.noncurrent_versions_expire_after_days >= 1,
    ])])
    error_message = "lake_layers: infrequent_access_after_days must be at least 30, glacier_after_days at least 30 days after it, expire_after_days after both, and noncurrent_versions_expire_after_days at least 1."
  }
}

variable "noncurrent_versions_expire_after_days" {
  description = "Days replaced or deleted object versions are kept in the artifacts, DAGs and truststore buckets."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_versions_expire_after_days >= 1
    error_message = "noncurrent_versions_expire_after_days must be at least 1."
  }
}

variable "application_log_expire_after_days" {
  description = "Days application and Airflow task logs are kept in the logs bucket."
  type        = number
  default     = 365

  validation {
    condition     = var.application_log_expire_after_days >= 1
    error_message = "application_log_expire_after_days must be at least 1."
  }
}

variable "access_log_expire_after_days" {
  description = "Days S3 server access logs are kept."
  type        = number
  default     = 365

  validation {
    condition     = var.access_log_expire_after_days >= 1
    error_message = "access_log_expire_after_days must be at least 1."
  }
}

variable "allow_private_ca_crl" {
  description = "Let ACM Private CA (this account only) publish its certificate revocation list into the truststore bucket."
  type        = bool
  default     = true
}

variable "force_destroy" {
  description = "Let terraform destroy delete buckets that still hold objects. Only for throw-away environments."
  type        = bool
  default     = false
}

variable "dags_writer_arns" {
  description = "The only IAM principals (role or user ARNs) that may write or delete objects in the DAGs bucket: the DAGs' publisher role. Empty: nobody may."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.dags_writer_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$", arn))])
    error_message = "dags_writer_arns must be IAM role or user ARNs (arn:aws:iam::<account>:role/<name>)."
  }
}

variable "bronze_retention_days" {
  description = "Days each version of a bronze object is kept under S3 Object Lock (governance mode) after it is written; 0 turns Object Lock off."
  type        = number
  default     = 30

  validation {
    condition     = var.bronze_retention_days >= 0 && floor(var.bronze_retention_days) == var.bronze_retention_days
    error_message = "bronze_retention_days must be a whole number of days, 0 or more."
  }
}

variable "tags" {
  description = "Tags added to every resource that takes tags."
  type        = map(string)
  default     = {}
}
