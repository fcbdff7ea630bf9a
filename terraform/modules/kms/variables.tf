variable "environment" {
  description = "Environment the key belongs to: local, dev, ppd or prod."
  type        = string

  validation {
    condition     = contains(["local", "dev", "ppd", "prod"], var.environment)
    error_message = "environment must be one of local, dev, ppd, prod."
  }
}

variable "deletion_window_in_days" {
  description = "Days a scheduled key deletion waits before the key and everything encrypted with it is lost (7 to 30)."
  type        = number
  default     = 30

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30
    error_message = "deletion_window_in_days must be between 7 and 30."
  }
}

variable "tags" {
  description = "Tags added to every resource that takes tags."
  type        = map(string)
  default     = {}
}
