variable "environment" {
  description = "Environment the roles deploy and plan: dev, ppd, prod or local."
  type        = string

  validation {
    condition     = contains(["dev", "ppd", "prod", "local"], var.environment)
    error_message = "environment must be one of dev, ppd, prod, local."
  }
}

variable "github_repository" {
  description = "GitHub repository (owner/name) whose workflows may assume the plan and deploy roles."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be owner/name, for example example-org/dataplatform-ops."
  }
}

variable "create_github_oidc_provider" {
  description = "Create the account's GitHub OIDC identity provider (one per account). False when another stack of the account already owns it."
  type        = bool
  default     = true
}

variable "terraform_state_bucket" {
  description = "Bucket holding this account's Terraform state: the plan role reads it and takes its lock."
  type        = string
}

variable "operator_principal_arns" {
  description = "IAM principals (an administrators' SSO role) that may also assume the deploy role, to apply from a workstation; empty: only the terraform workflow in the environment's GitHub environment."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags added to every resource that takes tags."
  type        = map(string)
  default     = {}
}
