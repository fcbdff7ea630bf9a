data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id  = data.aws_caller_identity.current.account_id
  name_prefix = "dataplatform-${var.environment}-${local.account_id}"

  # Every bucket that holds platform data: SSE-KMS with the environment's key, versioned,
  # access-logged. The lake layers' lifecycle comes from var.lake_layers; the others expire only
  # old versions (and, for logs, the objects themselves).
  lake_buckets = { for layer, rules in var.lake_layers : layer => {
    purpose                    = "data lake ${layer} layer"
    transitions                = [for transition in [{ days = rules.infrequent_access_after_days, storage_class = "STANDARD_IA" }, { days = rules.glacier_after_days, storage_class = "GLACIER_IR" }] : transition if transition.days != null]
    expiration_days            = rules.expire_after_days
    noncurrent_expiration_days = rules.noncurrent_versions_expire_after_days
  } }
  support_buckets = {
    artifacts  = { purpose = "software artifacts (NiFi distribution, wheels, Spark jobs)", transitions = [], expiration_days = null, noncurrent_expiration_days = var.noncurrent_versions_expire_after_days }
    dags       = { purpose = "Airflow DAGs", transitions = [], expiration_days = null, noncurrent_expiration_days = var.noncurrent_versions_expire_after_days }
    logs       = { purpose = "application and Airflow task logs", transitions = [], expiration_days = var.application_log_expire_after_days, noncurrent_expiration_days = 1 }
    truststore = { purpose = "CA certificates, truststores and the CA's revocation list", transitions = [], expiration_days = null, noncurrent_expiration_days = var.noncurrent_versions_expire_after_days }
  }
  buckets = merge(local.lake_buckets, local.support_buckets)
}

# --- Server access logs of every bucket ---------------------------------------------------

resource "aws_s3_bucket" "access_logs" {
  #checkov:skip=CKV_AWS_18:This is the access log bucket itself; logging it into itself would loop.
  #checkov:skip=CKV_AWS_145:S3 server access logging delivers only to buckets encrypted with SSE-S3, not SSE-KMS.
  #checkov:skip=CKV_AWS_144:Access logs stay in the account's region; cross-region copies are an audit-account decision outside this module.
  #checkov:skip=CKV2_AWS_62:Nothing reacts to new access log objects; event notifications would have no consumer.
  bucket        = "${local.name_prefix}-s3-access-logs"
  force_destroy = var.force_destroy
  tags          = merge(var.tags, { Purpose = "S3 server access logs" })
}

resource "aws_s3_bucket_ownership_controls" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "access_logs" {
  bucket                  = aws_s3_bucket.access_logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  rule {
    id     = "expire-access-logs"
    status = "Enabled"
    filter {}
    expiration {
      days = var.access_log_expire_after_days
    }
    noncurrent_version_expiration {
      noncurrent_days = 1
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.access_logs]
}

data "aws_iam_policy_document" "access_logs" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.access_logs.arn, "${aws_s3_bucket.access_logs.arn}/*"]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  statement {
    sid       = "S3DeliversThisAccountsAccessLogs"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.access_logs.arn}/*"]
    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_s3_bucket_policy" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  policy = data.aws_iam_policy_document.access_logs.json

  depends_on = [aws_s3_bucket_public_access_block.access_logs]
}

# --- Lake layers and support buckets --------------------------------------------------------

resource "aws_s3_bucket" "platform" {
  #checkov:skip=CKV_AWS_144:The platform runs in one region; cross-region replication is a disaster-recovery choice left to each account.
  #checkov:skip=CKV2_AWS_62:Pipelines are scheduled by Airflow and NiFi, not triggered by S3 events; notifications would have no consumer.
  for_each = local.buckets

  bucket        = "${local.name_prefix}-${each.key}"
  force_destroy = var.force_destroy
  tags          = merge(var.tags, { Purpose = each.value.purpose })
}

resource "aws_s3_bucket_ownership_controls" "platform" {
  for_each = aws_s3_bucket.platform

  bucket = each.value.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "platform" {
  for_each = aws_s3_bucket.platform

  bucket                  = each.value.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "platform" {
  for_each = aws_s3_bucket.platform

  bucket = each.value.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "platform" {
  for_each = aws_s3_bucket.platform

  bucket = each.value.id
  rule {
    bucket_key_enabled = true
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
  }
}

resource "aws_s3_bucket_logging" "platform" {
  for_each = aws_s3_bucket.platform

  bucket = each.value.id
  # S3 checks that the target's policy admits log delivery, so the policy must exist first.
  target_bucket = aws_s3_bucket_policy.access_logs.bucket
  target_prefix = "${each.key}/"
}

resource "aws_s3_bucket_lifecycle_configuration" "platform" {
  for_each = aws_s3_bucket.platform

  bucket = each.value.id

  rule {
    id     = "${each.key}-lifecycle"
    status = "Enabled"
    filter {}

    dynamic "transition" {
      for_each = local.buckets[each.key].transitions
      content {
        days          = transition.value.days
        storage_class = transition.value.storage_class
      }
    }

    dynamic "expiration" {
      for_each = local.buckets[each.key].expiration_days == null ? [] : [local.buckets[each.key].expiration_days]
      content {
        days = expiration.value
      }
    }

    noncurrent_version_expiration {
      noncurrent_days = local.buckets[each.key].noncurrent_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.platform]
}

data "aws_iam_policy_document" "platform" {
  for_each = aws_s3_bucket.platform

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [each.value.arn, "${each.value.arn}/*"]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  # The private CA publishes its certificate revocation list into the truststore bucket.
  dynamic "statement" {
    for_each = each.key == "truststore" && var.allow_private_ca_crl ? [1] : []
    content {
      sid       = "PrivateCaPublishesItsCrl"
      actions   = ["s3:PutObject", "s3:PutObjectAcl", "s3:GetBucketAcl", "s3:GetBucketLocation"]
      resources = [each.value.arn, "${each.value.arn}/*"]
      principals {
        type        = "Service"
        identifiers = ["acm-pca.amazonaws.com"]
      }
      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [local.account_id]
      }
    }
  }
  # DAGs are code Airflow runs: only the publisher (the DAGs' delivery job) writes them.
  dynamic "statement" {
    for_each = each.key == "dags" ? [1] : []
    content {
      sid       = "OnlyThePublisherWritesDags"
      effect    = "Deny"
      actions   = ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectAcl", "s3:PutObjectRetention", "s3:RestoreObject"]
      resources = ["${each.value.arn}/*"]
      principals {
        type        = "AWS"
        identifiers = ["*"]
      }
      dynamic "condition" {
        for_each = length(var.dags_writer_arns) > 0 ? [1] : []
        content {
          test     = "ArnNotEquals"
          variable = "aws:PrincipalArn"
          values   = var.dags_writer_arns
        }
      }
    }
  }
}

# Bronze keeps what arrived: for bronze_retention_days no version of an object can be deleted or
# overwritten (governance mode: a principal allowed s3:BypassGovernanceRetention still can). A
# DeleteObject without a version, as the pipeline makes once a day is in silver, only adds a
# delete marker.
resource "aws_s3_bucket_object_lock_configuration" "bronze" {
  count = var.bronze_retention_days > 0 ? 1 : 0

  bucket = aws_s3_bucket.platform["bronze"].id
  rule {
    default_retention {
      mode = "GOVERNANCE"
      days = var.bronze_retention_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.platform]
}

resource "aws_s3_bucket_policy" "platform" {
  for_each = aws_s3_bucket.platform

  bucket = each.value.id
  policy = data.aws_iam_policy_document.platform[each.key].json

  depends_on = [aws_s3_bucket_public_access_block.platform]
}
