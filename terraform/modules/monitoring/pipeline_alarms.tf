# --- Ingest into bronze and the DAG runs, from the metrics the hosts publish (metrics.tf) -------

# The newest object of a day's partition is younger than the day, so "the newest object is older
# than the time since midnight" is "today's partition is still empty". Metric math has the hour
# and minute of each data point (UTC), which turns the age into that comparison from the deadline
# on; before it the expression is 0. An age nobody reports counts as no data: the alarm cannot tell
# them apart, and both need someone to look. The alarm clears once an object arrives, or at
# midnight when the next day's wait begins.
resource "aws_cloudwatch_metric_alarm" "bronze_partition_empty" {
  for_each = toset(var.bronze_datasets)

  alarm_name          = "${local.name}-bronze-${each.key}-partition-empty"
  alarm_description   = "The bronze partition of today (UTC) of ${each.key} is still empty at ${var.bronze_deadline_hour_utc}:00 UTC or later, or nobody reports the age of its newest object. Check NiFi's ingest flow (its queues and bulletins) and whether the sources send."
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  evaluation_periods  = 3
  datapoints_to_alarm = 3
  treat_missing_data  = "breaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags

  metric_query {
    id          = "partition_empty"
    expression  = "IF(HOUR(age) >= ${var.bronze_deadline_hour_utc} AND age > HOUR(age) * 3600 + MINUTE(age) * 60, 1, 0)"
    label       = "${each.key}: today's bronze partition empty after ${var.bronze_deadline_hour_utc}:00 UTC"
    return_data = true
  }

  metric_query {
    id = "age"
    metric {
      namespace   = local.metric_namespace
      metric_name = local.metrics.bronze_newest_object_age.name
      dimensions  = { Dataset = each.key }
      period      = 300
      stat        = "Minimum"
    }
  }
}

locals {
  dag_run_alarms = {
    for pair in setproduct(var.pipeline_dag_ids, ["failed", "late"]) : "${pair[0]}-${pair[1]}" => {
      dag_id = pair[0]
      kind   = pair[1]
      metric = pair[1] == "failed" ? local.metrics.dag_run_failed.name : local.metrics.dag_run_late.name
      description = (pair[1] == "failed"
        ? "The last finished run of ${pair[0]} failed. The DAG's own message on this topic names the task and its log; the alarm clears when a run succeeds."
      : "A run of ${pair[0]} was still unfinished at its deadline. The alarm clears when a run finishes.")
    }
  }
}

# On the pipeline alert topic: a failed or late run is first the pipelines' owners' business (the
# topic's subscribers), and the metrics come from the Airflow hosts, which may publish there anyway.
# Each finished run reports 0 or 1, so between runs there is nothing to report: missing data keeps
# the state, and the alarm stays raised until a later run says otherwise instead of clearing itself
# five minutes after the failure.
resource "aws_cloudwatch_metric_alarm" "dag_run" {
  for_each = local.dag_run_alarms

  alarm_name          = "${local.name}-dag-${each.value.dag_id}-${each.value.kind}"
  alarm_description   = each.value.description
  namespace           = local.metric_namespace
  metric_name         = each.value.metric
  dimensions          = { DagId = each.value.dag_id }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "ignore"
  alarm_actions       = [aws_sns_topic.pipeline_alerts.arn]
  ok_actions          = [aws_sns_topic.pipeline_alerts.arn]
  tags                = var.tags
}
