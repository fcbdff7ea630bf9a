variable "enabled" {
  description = "Create the EMR Serverless Spark application and its job role. Off, the module creates nothing (for example where Spark runs on Databricks)."
  type        = bool
  default     = true
}

variable "environment" {
  description = "Environment of the application: local, dev, ppd or prod."
  type        = string

  validation {
    condition     = contains(["local", "dev", "ppd", "prod"], var.environment)
    error_message = "environment must be one of local, dev, ppd, prod."
  }
}

variable "vpc_id" {
  description = "VPC the Spark workers run in."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the Spark workers."
  type        = list(string)
}

variable "bucket_arns" {
  description = "Bucket ARN by purpose, from the s3-datalake module (bronze, silver, gold, artifacts and logs are used)."
  type        = map(string)

  validation {
    condition     = length(setsubtract(["bronze", "silver", "gold", "artifacts", "logs"], keys(var.bucket_arns))) == 0
    error_message = "bucket_arns must have the keys bronze, silver, gold, artifacts and logs."
  }
}

variable "artifacts_prefix" {
  description = "Prefix of the artifacts bucket the Spark package and entry scripts are published under (the jobs read only this prefix)."
  type        = string
  default     = "spark/"

  validation {
    condition     = can(regex("^([A-Za-z0-9_.-]+/)+$", var.artifacts_prefix))
    error_message = "artifacts_prefix must be a key prefix ending in a slash, for example spark/."
  }
}

variable "logs_prefix" {
  description = "Prefix of the logs bucket the jobs write their driver and executor logs under (the only place they write logs)."
  type        = string
  default     = "spark/"

  validation {
    condition     = can(regex("^([A-Za-z0-9_.-]+/)+$", var.logs_prefix))
    error_message = "logs_prefix must be a key prefix ending in a slash, for example spark/."
  }
}

variable "glue_database_names" {
  description = "Glue databases the jobs read and write tables in."
  type        = list(string)
}

variable "kms_key_arn" {
  description = "KMS key of the lake buckets."
  type        = string
}

variable "release_label" {
  description = "EMR release of the application, for example emr-7.9.0."
  type        = string
  default     = "emr-7.9.0"

  validation {
    condition     = can(regex("^emr-[6-9]\\.[0-9]+\\.[0-9]+$", var.release_label))
    error_message = "release_label must look like emr-7.9.0 (EMR Serverless needs 6.6.0 or newer)."
  }
}

variable "architecture" {
  description = "CPU architecture of the workers (x86_64 or arm64)."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "maximum_vcpus" {
  description = "Most vCPUs all running jobs of the application may use together (a cost ceiling)."
  type        = number
  default     = 32
}

variable "maximum_memory_gb" {
  description = "Most memory in GB all running jobs of the application may use together."
  type        = number
  default     = 128
}

variable "idle_timeout_minutes" {
  description = "Minutes without jobs after which the application stops (and stops costing)."
  type        = number
  default     = 15
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of the role this module makes (the bootstrap's, terraform/bootstrap): the deploy role may create or change a role only with it."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource that takes tags."
  type        = map(string)
  default     = {}
}
