resource "aws_glue_catalog_database" "layer" {
  for_each = var.layers

  name         = "dataplatform_${var.environment}_${each.key}"
  description  = "The ${each.key} layer of the ${var.environment} data lake."
  location_uri = each.value.location
  tags         = var.tags
}
