output "key_arn" {
  description = "ARN of the environment's customer-managed KMS key."
  value       = aws_kms_key.platform.arn
}

output "key_id" {
  description = "Id of the environment's customer-managed KMS key."
  value       = aws_kms_key.platform.key_id
}

output "alias_name" {
  description = "Alias of the key (alias/dataplatform-<env>)."
  value       = aws_kms_alias.platform.name
}
