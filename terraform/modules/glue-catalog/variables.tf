variable "environment" {
  description = "Environment the catalog belongs to: local, dev, ppd or prod."
  type        = string

  validation {
    condition     = contains(["local", "dev", "ppd", "prod"], var.environment)
    error_message = "environment must be one of local, dev, ppd, prod."
  }
}

variable "layers" {
  description = "Data lake layers, each with the S3 location of its tables (for example s3://bucket/)."
  type = map(object({
    location = string
  }))

  validation {
    condition     = alltrue([for layer in keys(var.layers) : can(regex("^[a-z][a-z0-9_]*$", layer))])
    error_message = "layer names must be lower-case letters, digits and underscores, starting with a letter."
  }

  # The pipeline's tables (main.tf) live in these two.
  validation {
    condition     = contains(keys(var.layers), "silver") && contains(keys(var.layers), "gold")
    error_message = "layers must include silver and gold: the pipeline's tables are created in them."
  }
}

variable "tags" {
  description = "Tags added to every resource that takes tags."
  type        = map(string)
  default     = {}
}
