output "name" {
  description = "Name of the platform parameter (/dataplatform/<env>/platform)."
  value       = aws_ssm_parameter.platform.name
}

output "arn" {
  description = "ARN of the platform parameter."
  value       = aws_ssm_parameter.platform.arn
}

output "document" {
  description = "The platform document as written to the parameter."
  value       = local.document
}
