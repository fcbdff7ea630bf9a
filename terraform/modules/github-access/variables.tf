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

variable "terraform_workflow" {
  description = "Path of the workflow that plans and deploys, in the repository; the roles trust its jobs only."
  type        = string
  default     = ".github/workflows/terraform.yml"
}

variable "deploy_ref" {
  description = "The only ref the deploy role trusts the workflow on: the protected branch applies merge to."
  type        = string
  default     = "refs/heads/main"

  validation {
    condition     = can(regex("^refs/(heads|tags)/[^*?]+$", var.deploy_ref))
    error_message = "deploy_ref must be one branch or tag ref (refs/heads/<name> or refs/tags/<name>), without wildcards."
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
