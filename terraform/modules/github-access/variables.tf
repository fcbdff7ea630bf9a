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

variable "deploy_refs" {
  description = "The refs the deploy role trusts the terraform workflow on, in the account's GitHub environment: the refs the environment's deployment rules admit (.github/environments.yml), `*` for the rest of a branch or tag name (dev [\"refs/heads/feature/*\"], ppd [\"refs/heads/release/*\"], prod [\"refs/tags/v*.*.*\"])."
  type        = list(string)

  validation {
    condition     = length(var.deploy_refs) > 0 && alltrue([for ref in var.deploy_refs : can(regex("^refs/(heads|tags)/[A-Za-z0-9][A-Za-z0-9._/*-]*$", ref))])
    error_message = "deploy_refs must name at least one ref, each refs/heads/<branch> or refs/tags/<tag>, a wildcard * only after a name's first character (refs/heads/* would trust every branch)."
  }
}

variable "create_github_oidc_provider" {
  description = "Create the account's GitHub OIDC identity provider (one per account). False when another stack of the account already owns it."
  type        = bool
  default     = true
}

variable "terraform_state_bucket" {
  description = "Bucket holding this account's Terraform state: the plan role reads it and never writes it."
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
