output "log_group_names" {
  description = "CloudWatch log group of each kind of host (nifi, airflow)."
  value       = { for role, group in aws_cloudwatch_log_group.hosts : role => group.name }
}

output "lb_access_log_bucket" {
  description = "Bucket load balancers write their access logs to (available once its policy admits them)."
  value       = aws_s3_bucket_policy.lb_access_logs.bucket
}

output "alarm_topic_arn" {
  description = "SNS topic every alarm notifies."
  value       = aws_sns_topic.alarms.arn
}

output "pipeline_alerts_topic_arn" {
  description = "SNS topic the DAGs publish failed and late runs to (the Airflow hosts may publish to it, nothing else of theirs may)."
  value       = aws_sns_topic.pipeline_alerts.arn
}

output "dashboard_name" {
  description = "Name of the environment's CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.platform.dashboard_name
}

output "metrics" {
  description = "The metrics contract: the namespace the hosts and the DAGs publish to, and each metric's name, unit and dimensions by key (README.md)."
  value = {
    namespace = local.metric_namespace
    metrics   = local.metrics
  }
}

output "alarm_names" {
  description = "Names of the alarms on the platform's own metrics, by what they watch."
  value = merge(
    {
      nifi_disconnected_nodes = aws_cloudwatch_metric_alarm.nifi_disconnected_nodes.alarm_name
      nifi_back_pressure      = aws_cloudwatch_metric_alarm.nifi_back_pressure.alarm_name
    },
    { for dataset, alarm in aws_cloudwatch_metric_alarm.bronze_partition_empty : "bronze_partition_empty_${dataset}" => alarm.alarm_name },
    { for key, alarm in local.dag_run_alarms : "dag_run_${alarm.kind}_${alarm.dag_id}" => aws_cloudwatch_metric_alarm.dag_run[key].alarm_name },
  )
}
