data "aws_caller_identity" "current" {
}
data "aws_region" "current" {
}
data "aws_partition" "current" {
}

locals {
  name      = "dataplatform-${var.environment}-spark"
  count     = var.enabled ? 1 : 0
  glue_base = "arn:${data.aws_partition.current.partition}:glue:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}"

  # The job role's S3 grants and the URIs the platform document hands to Airflow come from these
  # two prefixes alone, so what a DAG is told and what the jobs may touch cannot drift apart.
  artifacts_bucket = element(split(":::", var.bucket_arns.artifacts), 1)
  logs_bucket      = element(split(":::", var.bucket_arns.logs), 1)
}

resource "aws_security_group" "spark" {
  #checkov:skip=CKV2_AWS_5:Attached to the EMR Serverless application's network configuration, which the graph does not follow.
  count = local.count

  name        = local.name
  description = "Spark workers of ${var.environment}: no inbound traffic; HTTPS out to S3, Glue and package repositories."
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = local.name })
}

# Rules are aws_security_group_rule resources: they read back through DescribeSecurityGroups,
# which every endpoint this project runs against (the sandbox's emulator included) answers in
# full, descriptions of group-to-group rules too.
resource "aws_security_group_rule" "spark_https_out" {
  count = local.count

  type              = "egress"
  security_group_id = aws_security_group.spark[0].id
  description       = "HTTPS to S3, Glue and package repositories"
  protocol          = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_blocks       = ["0.0.0.0/0"]
}

# Spark executors talk to each other and to the driver on dynamic ports inside the group.
resource "aws_security_group_rule" "spark_within_group_in" {
  count = local.count

  type                     = "ingress"
  security_group_id        = aws_security_group.spark[0].id
  description              = "Spark driver and executors"
  protocol                 = "tcp"
  from_port                = 1024
  to_port                  = 65535
  source_security_group_id = aws_security_group.spark[0].id
}

resource "aws_security_group_rule" "spark_within_group_out" {
  count = local.count

  type                     = "egress"
  security_group_id        = aws_security_group.spark[0].id
  description              = "Spark driver and executors"
  protocol                 = "tcp"
  from_port                = 1024
  to_port                  = 65535
  source_security_group_id = aws_security_group.spark[0].id
}

resource "aws_emrserverless_application" "spark" {
  count = local.count

  name          = local.name
  release_label = var.release_label
  type          = "SPARK"
  architecture  = var.architecture == "arm64" ? "ARM64" : "X86_64"
  tags          = var.tags

  maximum_capacity {
    cpu    = "${var.maximum_vcpus} vCPU"
    memory = "${var.maximum_memory_gb} GB"
  }

  auto_start_configuration {
    enabled = true
  }

  auto_stop_configuration {
    enabled              = true
    idle_timeout_minutes = var.idle_timeout_minutes
  }

  network_configuration {
    subnet_ids         = var.subnet_ids
    security_group_ids = [aws_security_group.spark[0].id]
  }
}

# --- The role Spark jobs run as: read bronze, write silver and gold, use the catalog ----------

data "aws_iam_policy_document" "job_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["emr-serverless.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "job" {
  count = local.count

  name                 = "${local.name}-job"
  description          = "Spark jobs of ${var.environment}: read bronze, write silver and gold."
  assume_role_policy   = data.aws_iam_policy_document.job_assume.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

data "aws_iam_policy_document" "job" {
  statement {
    sid       = "ListLakeBuckets"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [var.bucket_arns.bronze, var.bucket_arns.silver, var.bucket_arns.gold, var.bucket_arns.artifacts, var.bucket_arns.logs]
  }

  # Job code only: the rest of the artifacts bucket (the NiFi distribution, wheels) is not Spark's.
  statement {
    sid       = "ReadBronzeAndJobCode"
    actions   = ["s3:GetObject"]
    resources = ["${var.bucket_arns.bronze}/*", "${var.bucket_arns.artifacts}/${var.artifacts_prefix}*"]
  }

  statement {
    sid       = "ReadWriteSilverAndGold"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = ["${var.bucket_arns.silver}/*", "${var.bucket_arns.gold}/*"]
  }

  statement {
    sid       = "WriteJobLogs"
    actions   = ["s3:PutObject"]
    resources = ["${var.bucket_arns.logs}/${var.logs_prefix}*"]
  }

  statement {
    sid       = "UseThePlatformKeyForTheLake"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${data.aws_region.current.name}.amazonaws.com"]
    }
  }

  statement {
    sid = "UseTheLakeCatalog"
    actions = [
      "glue:GetDatabase", "glue:GetDatabases", "glue:GetTable", "glue:GetTables", "glue:GetPartition", "glue:GetPartitions",
      "glue:BatchGetPartition", "glue:CreateTable", "glue:UpdateTable", "glue:CreatePartition", "glue:BatchCreatePartition",
      "glue:UpdatePartition",
    ]
    resources = concat(
      ["${local.glue_base}:catalog"],
      [for database in var.glue_database_names : "${local.glue_base}:database/${database}"],
      [for database in var.glue_database_names : "${local.glue_base}:table/${database}/*"],
    )
  }
}

resource "aws_iam_role_policy" "job" {
  count = local.count

  name   = "spark-job"
  role   = aws_iam_role.job[0].id
  policy = data.aws_iam_policy_document.job.json
}
