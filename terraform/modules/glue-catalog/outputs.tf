output "database_names" {
  description = "Glue database name of each layer, by layer."
  value       = { for layer, database in aws_glue_catalog_database.layer : layer => database.name }
}

output "database_arns" {
  description = "Glue database ARN of each layer, by layer."
  value       = { for layer, database in aws_glue_catalog_database.layer : layer => database.arn }
}

output "catalog_arn" {
  description = "ARN of the account's Glue Data Catalog (IAM names it beside a database and a table for every table and partition action)."
  value       = "arn:${data.aws_partition.current.partition}:glue:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:catalog"
}

output "tables" {
  description = "The pipeline's tables by name: layer, database, ARN and S3 location."
  value = { for name, table in aws_glue_catalog_table.pipeline : name => {
    layer    = local.tables[name].layer
    database = table.database_name
    arn      = table.arn
    location = table.storage_descriptor[0].location
  } }
}
