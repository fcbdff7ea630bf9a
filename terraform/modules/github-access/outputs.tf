output "deploy_role_arn" {
  description = "Role the terraform workflow applies with, in this account's GitHub environment."
  value       = aws_iam_role.github["deploy"].arn
}

output "plan_role_arn" {
  description = "Role the terraform workflow plans pull requests with: read-only, without the data."
  value       = aws_iam_role.github["plan"].arn
}

output "permissions_boundary_arn" {
  description = "Managed policy every role the deploy role creates or changes must carry as its permissions boundary."
  value       = aws_iam_policy.permissions_boundary.arn
}

output "github_oidc_provider_arn" {
  description = "The account's GitHub OIDC identity provider."
  value       = local.github_oidc_provider_arn
}
