# What an account needs before its environment's first apply, applied by an administrator of the
# account (terraform/bootstrap/README.md): the GitHub OIDC provider, the plan and deploy roles and
# the permissions boundary of every role the deploy role makes. One root for every account;
# accounts differ in environments/<env>/bootstrap.tfvars and bootstrap.backend.hcl.

module "github_access" {
  source = "../modules/github-access"

  environment                 = var.environment
  github_repository           = var.github_repository
  deploy_refs                 = var.deploy_refs
  create_github_oidc_provider = var.create_github_oidc_provider
  terraform_state_bucket      = var.terraform_state_bucket
  operator_principal_arns     = var.operator_principal_arns
  tags = {
    Project     = "dataplatform"
    Environment = var.environment
    ManagedBy   = "terraform"
    Repository  = var.github_repository
  }
}
