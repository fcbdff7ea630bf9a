# --- NiFi cluster health, from the metrics the nodes publish (metrics.tf) ----------------------

# Compared with the instances in service rather than the group's desired size: an instance becomes
# InService only once its launch hook completes, after the converge that joins it to the cluster,
# and leaves InService when its decommission starts, so neither a scale-out nor a scale-in reads
# as a disconnected node. Every node publishes the cluster's connected count as it sees it; the
# lowest view counts. No report at all counts as no node connected: a cluster that cannot say it
# is healthy is not.
resource "aws_cloudwatch_metric_alarm" "nifi_disconnected_nodes" {
  alarm_name          = "${local.name}-nifi-disconnected-nodes"
  alarm_description   = "An instance of the NiFi group has been in service for ${var.nifi_disconnected_node_alarm_minutes} minutes without being connected to the cluster ${var.nifi_cluster_name}, or no node reports the cluster's state. Look at the disconnected node in NiFi's cluster view and its log stream in /dataplatform/${var.environment}/nifi."
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  evaluation_periods  = var.nifi_disconnected_node_alarm_minutes
  datapoints_to_alarm = var.nifi_disconnected_node_alarm_minutes
  treat_missing_data  = "breaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags

  metric_query {
    id          = "not_connected"
    expression  = "in_service - FILL(connected, 0)"
    label       = "NiFi instances in service and not connected"
    return_data = true
  }

  metric_query {
    id = "in_service"
    metric {
      namespace   = "AWS/AutoScaling"
      metric_name = "GroupInServiceInstances"
      dimensions  = { AutoScalingGroupName = var.auto_scaling_groups["nifi"].name }
      period      = 60
      stat        = "Minimum"
    }
  }

  metric_query {
    id = "connected"
    metric {
      namespace   = local.metric_namespace
      metric_name = local.metrics.nifi_connected_nodes.name
      dimensions  = local.nifi_cluster_dimensions
      period      = 60
      stat        = "Minimum"
    }
  }
}

# Back-pressure for a moment is NiFi working as designed; for most of a quarter of an hour it means
# a destination (S3, a downstream processor) does not keep up and the sources will be refused next.
# Silence is not back-pressure: a cluster that stops reporting raises the disconnected-nodes alarm.
resource "aws_cloudwatch_metric_alarm" "nifi_back_pressure" {
  alarm_name          = "${local.name}-nifi-back-pressure"
  alarm_description   = "A connection of the NiFi cluster ${var.nifi_cluster_name} applied back-pressure in ${var.nifi_back_pressure_alarm.breaching_minutes} of the last ${var.nifi_back_pressure_alarm.window_minutes} minutes: a destination does not keep up and the sources will be refused. Find the full queue in NiFi's summary (connections, sorted by queue size)."
  namespace           = local.metric_namespace
  metric_name         = local.metrics.nifi_back_pressured_connections.name
  dimensions          = local.nifi_cluster_dimensions
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = var.nifi_back_pressure_alarm.window_minutes
  datapoints_to_alarm = var.nifi_back_pressure_alarm.breaching_minutes
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}
