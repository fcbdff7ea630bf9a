output "deploy_role_arn" {
  description = "Role the terraform workflow applies the environment with (DEPLOY_ROLE_ARN)."
  value       = module.github_access.deploy_role_arn
}

output "plan_role_arn" {
  description = "Role the terraform workflow plans pull requests with (PLAN_ROLE_ARN)."
  value       = module.github_access.plan_role_arn
}

output "permissions_boundary_arn" {
  description = "Boundary every role of the environment carries."
  value       = module.github_access.permissions_boundary_arn
}
