data "aws_caller_identity" "current" {}

locals {
  account_id   = data.aws_caller_identity.current.account_id
  name         = "dataplatform-${var.environment}"
  job_template = coalesce(var.decommission_job_template, "${local.name}-nifi-decommission")
  # AWX's named URL of a job template is <template>++<organization>: it stays valid when AWX is
  # rebuilt and the template gets another id.
  launch_url    = "${var.awx_url}/api/v2/job_templates/${local.job_template}++${var.awx_organization}/launch/"
  alarm_actions = var.alarm_topic_arn == null ? [] : [var.alarm_topic_arn]
}

# --- AWX as an EventBridge API destination ----------------------------------------------------

resource "aws_cloudwatch_event_connection" "awx" {
  name               = "${local.name}-awx"
  description        = "AWX of the ${var.environment} data platform, as the ${local.name}-lifecycle-events user."
  authorization_type = "API_KEY"

  auth_parameters {
    api_key {
      key   = "Authorization"
      value = "Bearer unset"
    }
  }

  dynamic "invocation_connectivity_parameters" {
    for_each = var.awx_resource_configuration_arn == null ? [] : [var.awx_resource_configuration_arn]
    content {
      resource_parameters {
        resource_configuration_arn = invocation_connectivity_parameters.value
      }
    }
  }

  # The real token belongs to the AWX user dataplatform-<env>-lifecycle-events, which
  # awx/configure.yml makes with nothing but the execute role on the decommission template; it is
  # written here with events:UpdateConnection (README). EventBridge keeps it in a Secrets Manager
  # secret of its own (secret_arn), so the token is in no Terraform configuration or state, and an
  # apply must not put the placeholder back.
  lifecycle {
    ignore_changes = [auth_parameters]
  }
}

resource "aws_cloudwatch_event_api_destination" "decommission" {
  name                             = "${local.name}-awx-nifi-decommission"
  description                      = "Launches the AWX job template ${local.job_template} (ansible/playbooks/nifi-decommission.yml)."
  invocation_endpoint              = local.launch_url
  http_method                      = "POST"
  invocation_rate_limit_per_second = var.invocation_rate_limit_per_second
  connection_arn                   = aws_cloudwatch_event_connection.awx.arn
}

# --- Termination lifecycle actions to the decommission job ------------------------------------

resource "aws_cloudwatch_event_rule" "terminate" {
  name        = "${local.name}-nifi-decommission"
  description = "A NiFi instance waits in its termination lifecycle hook: launch its decommission in AWX."
  state       = "ENABLED"
  tags        = var.tags

  event_pattern = jsonencode({
    source        = ["aws.autoscaling"]
    "detail-type" = ["EC2 Instance-terminate Lifecycle Action"]
    detail = {
      AutoScalingGroupName = var.autoscaling_group_names
      LifecycleHookName    = [var.lifecycle_hook_name]
    }
  })
}

resource "aws_cloudwatch_event_target" "decommission" {
  rule      = aws_cloudwatch_event_rule.terminate.name
  target_id = "awx-nifi-decommission"
  arn       = aws_cloudwatch_event_api_destination.decommission.arn
  role_arn  = aws_iam_role.events.arn

  # AWX names hosts by instance id, so the limit is the one leaving node. Written out rather than
  # jsonencode()d: jsonencode escapes < and >, and EventBridge would no longer see the placeholder.
  input_transformer {
    input_paths = {
      instance = "$.detail.EC2InstanceId"
    }
    input_template = "{\"limit\": \"<instance>\"}"
  }

  # Retries cover AWX being down or busy (5xx, 429); a launch AWX refuses outright (4xx) goes to the
  # queue at once. The window, not the number of attempts, bounds the retries.
  retry_policy {
    maximum_event_age_in_seconds = var.retry_window_seconds
    maximum_retry_attempts       = 185
  }

  dead_letter_config {
    arn = aws_sqs_queue.dlq.arn
  }
}

# --- The role EventBridge invokes AWX with ----------------------------------------------------

data "aws_iam_policy_document" "events_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.terminate.arn]
    }
  }
}

resource "aws_iam_role" "events" {
  name                 = "${local.name}-lifecycle-events"
  description          = "EventBridge launching the ${var.environment} data platform's NiFi decommission in AWX."
  assume_role_policy   = data.aws_iam_policy_document.events_assume.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

data "aws_iam_policy_document" "events" {
  statement {
    sid       = "LaunchTheDecommissionJob"
    actions   = ["events:InvokeApiDestination"]
    resources = [aws_cloudwatch_event_api_destination.decommission.arn]
  }
}

resource "aws_iam_role_policy" "events" {
  name   = "invoke-awx-nifi-decommission"
  role   = aws_iam_role.events.id
  policy = data.aws_iam_policy_document.events.json
}

# --- Events AWX never accepted ----------------------------------------------------------------

resource "aws_sqs_queue" "dlq" {
  name                      = "${local.name}-lifecycle-events-dlq"
  kms_master_key_id         = var.kms_key_arn
  message_retention_seconds = var.dlq_message_retention_seconds
  tags                      = var.tags
}

data "aws_iam_policy_document" "dlq" {
  statement {
    sid       = "TheDecommissionRuleDeadLetters"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq.arn]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.terminate.arn]
    }
  }
}

resource "aws_sqs_queue_policy" "dlq" {
  queue_url = aws_sqs_queue.dlq.id
  policy    = data.aws_iam_policy_document.dlq.json
}

# Always made, so that the first plan of an environment does not depend on the topic's ARN, which
# is unknown until the monitoring module made the topic.
resource "aws_cloudwatch_metric_alarm" "dlq_not_empty" {
  alarm_name          = "${aws_sqs_queue.dlq.name}-not-empty"
  alarm_description   = "A NiFi termination lifecycle action did not reach AWX within the retry window: the node left without a decommission. The message in ${aws_sqs_queue.dlq.name} names the instance."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dlq.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

# An event that could reach neither AWX nor the queue (a key policy that does not admit EventBridge)
# is lost without a message; only this metric tells.
resource "aws_cloudwatch_metric_alarm" "dlq_unreachable" {
  alarm_name          = "${aws_sqs_queue.dlq.name}-unreachable"
  alarm_description   = "EventBridge could deliver a NiFi termination lifecycle event neither to AWX nor to ${aws_sqs_queue.dlq.name}."
  namespace           = "AWS/Events"
  metric_name         = "InvocationsFailedToBeSentToDlq"
  dimensions          = { RuleName = aws_cloudwatch_event_rule.terminate.name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}
