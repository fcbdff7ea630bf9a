data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

resource "aws_glue_catalog_database" "layer" {
  for_each = var.layers

  name         = "dataplatform_${var.environment}_${each.key}"
  description  = "The ${each.key} layer of the ${var.environment} data lake."
  location_uri = each.value.location
  tags         = var.tags
}

# --- The pipeline's tables -----------------------------------------------------------------

# The DAG registers each partition itself once Spark wrote it (no crawler: a crawler would guess
# types from the files and could change a column's type under the readers). The storage
# descriptor is therefore complete here: a partition takes its formats and serde from it.
locals {
  parquet = {
    input_format  = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
    serde         = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
  }

  tables = {
    orders = {
      layer          = "silver"
      description    = "Orders as ingested, cleaned and typed; one partition per ingestion day."
      partition_keys = [{ name = "ingestion_date", type = "string", comment = "Day the orders arrived in bronze (yyyy-MM-dd)." }]
      columns = [
        { name = "order_id", type = "string" },
        { name = "customer_id", type = "string" },
        { name = "amount", type = "decimal(12,2)" },
        { name = "currency", type = "string" },
        { name = "ordered_at", type = "timestamp" },
      ]
    }
    daily_customer_totals = {
      layer          = "gold"
      description    = "Per customer, currency and order day: how many orders and their total amount."
      partition_keys = [{ name = "order_date", type = "string", comment = "Day the orders were placed (yyyy-MM-dd)." }]
      columns = [
        { name = "customer_id", type = "string" },
        { name = "currency", type = "string" },
        { name = "order_count", type = "bigint" },
        { name = "total_amount", type = "decimal(14,2)" },
      ]
    }
  }
}

resource "aws_glue_catalog_table" "pipeline" {
  for_each = local.tables

  database_name = aws_glue_catalog_database.layer[each.value.layer].name
  name          = each.key
  description   = each.value.description
  table_type    = "EXTERNAL_TABLE"
  parameters = {
    EXTERNAL       = "TRUE"
    classification = "parquet"
  }

  dynamic "partition_keys" {
    for_each = each.value.partition_keys
    content {
      name    = partition_keys.value.name
      type    = partition_keys.value.type
      comment = partition_keys.value.comment
    }
  }

  storage_descriptor {
    location      = "${trimsuffix(var.layers[each.value.layer].location, "/")}/${each.key}/"
    input_format  = local.parquet.input_format
    output_format = local.parquet.output_format
    compressed    = false

    ser_de_info {
      name                  = each.key
      serialization_library = local.parquet.serde
      parameters = {
        "serialization.format" = "1"
      }
    }

    dynamic "columns" {
      for_each = each.value.columns
      content {
        name = columns.value.name
        type = columns.value.type
      }
    }
  }
}
