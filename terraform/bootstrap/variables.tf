variable "region" {
  description = "AWS region of the account's platform."
  type        = string
}

variable "account_id" {
  description = "The account this root may change (the provider refuses any other)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "environment" {
  description = "Environment of the account: dev, ppd, prod or local."
  type        = string
}

variable "github_repository" {
  description = "GitHub repository (owner/name) whose workflows plan and deploy the environment."
  type        = string
}

variable "deploy_refs" {
  description = "The refs whose terraform workflow runs may apply the environment: those the account's GitHub environment admits (.github/environments.yml)."
  type        = list(string)
}

variable "create_github_oidc_provider" {
  description = "Create the account's GitHub OIDC identity provider; false when another stack of the account owns it."
  type        = bool
  default     = true
}

variable "terraform_state_bucket" {
  description = "Bucket of the account's Terraform state (as in environments/<env>/backend.hcl)."
  type        = string
}

variable "operator_principal_arns" {
  description = "Principals (an administrators' SSO role) that may also assume the deploy role from a workstation; empty: the terraform workflow only."
  type        = list(string)
  default     = []
}
