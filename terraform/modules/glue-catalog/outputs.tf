output "database_names" {
  description = "Glue database name of each layer, by layer."
  value       = { for layer, database in aws_glue_catalog_database.layer : layer => database.name }
}

output "database_arns" {
  description = "Glue database ARN of each layer, by layer."
  value       = { for layer, database in aws_glue_catalog_database.layer : layer => database.arn }
}
