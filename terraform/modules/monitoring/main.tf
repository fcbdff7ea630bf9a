data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

# The account the load balancer service writes access logs from, in this region.
data "aws_elb_service_account" "current" {}

locals {
  name        = "dataplatform-${var.environment}"
  region      = data.aws_region.current.name
  bucket_name = "${local.name}-${data.aws_caller_identity.current.account_id}-lb-access-logs"
}

# --- Log groups the hosts ship to --------------------------------------------------------------

resource "aws_cloudwatch_log_group" "hosts" {
  #checkov:skip=CKV_AWS_338:Retention is chosen per environment (log_retention_days): a year or more in prod, shorter where logs have no audit value.
  for_each = toset(["nifi", "airflow"])

  name              = "/dataplatform/${var.environment}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

# --- Load balancer access logs -------------------------------------------------------------

resource "aws_s3_bucket" "lb_access_logs" {
  #checkov:skip=CKV_AWS_145:Application Load Balancers deliver access logs only to buckets encrypted with SSE-S3.
  #checkov:skip=CKV_AWS_144:Access logs stay in the account's region; cross-region copies are an audit-account decision outside this module.
  #checkov:skip=CKV2_AWS_62:Nothing reacts to new access log objects; event notifications would have no consumer.
  bucket        = local.bucket_name
  force_destroy = var.force_destroy
  tags          = merge(var.tags, { Purpose = "load balancer access logs" })
}

resource "aws_s3_bucket_ownership_controls" "lb_access_logs" {
  bucket = aws_s3_bucket.lb_access_logs.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "lb_access_logs" {
  bucket                  = aws_s3_bucket.lb_access_logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "lb_access_logs" {
  bucket = aws_s3_bucket.lb_access_logs.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "lb_access_logs" {
  bucket = aws_s3_bucket.lb_access_logs.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_logging" "lb_access_logs" {
  bucket        = aws_s3_bucket.lb_access_logs.id
  target_bucket = var.s3_access_log_bucket
  target_prefix = "lb-access-logs/"
}

resource "aws_s3_bucket_lifecycle_configuration" "lb_access_logs" {
  bucket = aws_s3_bucket.lb_access_logs.id

  rule {
    id     = "expire-access-logs"
    status = "Enabled"
    filter {}
    expiration {
      days = var.lb_access_log_expire_after_days
    }
    noncurrent_version_expiration {
      noncurrent_days = 1
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.lb_access_logs]
}

data "aws_iam_policy_document" "lb_access_logs" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.lb_access_logs.arn, "${aws_s3_bucket.lb_access_logs.arn}/*"]
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

  # Regions older than August 2022 deliver from the ELB account, newer ones from the service.
  statement {
    sid       = "LoadBalancersOfThisAccountDeliverLogs"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.lb_access_logs.arn}/*/AWSLogs/${data.aws_caller_identity.current.account_id}/*"]
    principals {
      type        = "AWS"
      identifiers = [data.aws_elb_service_account.current.arn]
    }
  }

  statement {
    sid       = "LogDeliveryServiceDeliversLogs"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.lb_access_logs.arn}/*/AWSLogs/${data.aws_caller_identity.current.account_id}/*"]
    principals {
      type        = "Service"
      identifiers = ["logdelivery.elasticloadbalancing.amazonaws.com"]
    }
  }
}

resource "aws_s3_bucket_policy" "lb_access_logs" {
  bucket = aws_s3_bucket.lb_access_logs.id
  policy = data.aws_iam_policy_document.lb_access_logs.json

  depends_on = [aws_s3_bucket_public_access_block.lb_access_logs]
}

# --- Alarms ---------------------------------------------------------------------------------

resource "aws_sns_topic" "alarms" {
  name              = "${local.name}-alarms"
  kms_master_key_id = var.kms_key_arn
  tags              = var.tags
}

resource "aws_sns_topic_subscription" "alarm_email" {
  for_each = toset(var.alarm_email_addresses)

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.value
}

locals {
  alarm_actions = [aws_sns_topic.alarms.arn]
}

# --- Pipeline alerts ------------------------------------------------------------------------

# A topic of its own rather than the alarm topic: the DAGs publish here from the Airflow hosts,
# which run the data engineers' code, and a host that could publish to the alarm topic could
# forge (or answer with a false OK) any alarm of the platform. Failed and late DAG runs also
# reach whoever owns the pipelines, who are not necessarily the platform's on-call.
resource "aws_sns_topic" "pipeline_alerts" {
  name              = "${local.name}-pipeline-alerts"
  display_name      = "Data platform ${var.environment}: pipeline alerts"
  kms_master_key_id = var.kms_key_arn
  tags              = var.tags
}

resource "aws_sns_topic_subscription" "pipeline_alert_email" {
  for_each = toset(var.pipeline_alert_email_addresses)

  topic_arn = aws_sns_topic.pipeline_alerts.arn
  protocol  = "email"
  endpoint  = each.value
}

resource "aws_cloudwatch_metric_alarm" "asg_capacity" {
  for_each = var.auto_scaling_groups

  alarm_name          = "${each.value.name}-below-minimum"
  alarm_description   = "Fewer ${each.key} instances in service than the group's minimum of ${each.value.min_size}."
  namespace           = "AWS/AutoScaling"
  metric_name         = "GroupInServiceInstances"
  dimensions          = { AutoScalingGroupName = each.value.name }
  statistic           = "Minimum"
  period              = 300
  evaluation_periods  = 3
  comparison_operator = "LessThanThreshold"
  threshold           = each.value.min_size
  treat_missing_data  = "breaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "asg_cpu" {
  for_each = var.auto_scaling_groups

  alarm_name          = "${each.value.name}-cpu-high"
  alarm_description   = "${each.key} hosts average above ${var.cpu_alarm_threshold_percent}% CPU for 15 minutes."
  namespace           = "AWS/EC2"
  metric_name         = "CPUUtilization"
  dimensions          = { AutoScalingGroupName = each.value.name }
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.cpu_alarm_threshold_percent
  treat_missing_data  = "missing"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

# A node whose listener does not accept connections, per target group of the NiFi load balancer:
# its UI and API, and its ingest flow.
resource "aws_cloudwatch_metric_alarm" "nifi_unhealthy_nodes" {
  for_each = {
    ui     = { name = "nifi-unhealthy-nodes", target_group = var.nifi_load_balancer.target_group_arn_suffix, what = "NiFi's UI and API" }
    ingest = { name = "nifi-ingest-unhealthy-nodes", target_group = var.nifi_load_balancer.ingest_target_group_arn_suffix, what = "the ingest flow's listener" }
  }

  alarm_name          = "${local.name}-${each.value.name}"
  alarm_description   = "The NiFi load balancer sees a node where ${each.value.what} does not accept connections."
  namespace           = "AWS/NetworkELB"
  metric_name         = "UnHealthyHostCount"
  dimensions          = { LoadBalancer = var.nifi_load_balancer.arn_suffix, TargetGroup = each.value.target_group }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 5
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

moved {
  from = aws_cloudwatch_metric_alarm.nifi_unhealthy_nodes
  to   = aws_cloudwatch_metric_alarm.nifi_unhealthy_nodes["ui"]
}

# A NiFi node that could not be decommissioned waits in its termination hook with its queues
# (ansible/playbooks/nifi-decommission.yml records a heartbeat and fails): someone must look
# before the hook's timeout lets it go. A clean decommission takes minutes.
resource "aws_cloudwatch_metric_alarm" "nifi_node_stuck_terminating" {
  alarm_name          = "${local.name}-nifi-node-stuck-terminating"
  alarm_description   = "A NiFi instance has waited in its termination hook for 30 minutes: its decommission failed and it still holds queued FlowFiles. See the nifi-decommission job in AWX, fix the cause and run it again."
  namespace           = "AWS/AutoScaling"
  metric_name         = "GroupTerminatingInstances"
  dimensions          = { AutoScalingGroupName = var.auto_scaling_groups["nifi"].name }
  statistic           = "Minimum"
  period              = 300
  evaluation_periods  = 6
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "airflow_5xx" {
  alarm_name          = "${local.name}-airflow-5xx"
  alarm_description   = "The Airflow api-server answers with server errors."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HTTPCode_Target_5XX_Count"
  dimensions          = { LoadBalancer = var.airflow_load_balancer_arn_suffix }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = 10
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

locals {
  database_alarms = {
    cpu-high = {
      description = "The Airflow database averages above ${var.cpu_alarm_threshold_percent}% CPU for 15 minutes."
      metric      = "CPUUtilization"
      statistic   = "Average"
      operator    = "GreaterThanThreshold"
      threshold   = var.cpu_alarm_threshold_percent
    }
    storage-low = {
      description = "The Airflow database has less than ${var.database_free_storage_alarm_gb} GB of storage left."
      metric      = "FreeStorageSpace"
      statistic   = "Minimum"
      operator    = "LessThanThreshold"
      threshold   = var.database_free_storage_alarm_gb * 1024 * 1024 * 1024
    }
    memory-low = {
      description = "The Airflow database has less than 64 MB of memory free."
      metric      = "FreeableMemory"
      statistic   = "Minimum"
      operator    = "LessThanThreshold"
      threshold   = 64 * 1024 * 1024
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "database" {
  for_each = local.database_alarms

  alarm_name          = "${var.database_identifier}-database-${each.key}"
  alarm_description   = each.value.description
  namespace           = "AWS/RDS"
  metric_name         = each.value.metric
  dimensions          = { DBInstanceIdentifier = var.database_identifier }
  statistic           = each.value.statistic
  period              = 300
  evaluation_periods  = 3
  comparison_operator = each.value.operator
  threshold           = each.value.threshold
  treat_missing_data  = "breaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}
