# --- Dashboard ------------------------------------------------------------------------------

locals {
  asg_widgets = [for role, group in var.auto_scaling_groups : {
    type   = "metric"
    width  = 12
    height = 6
    properties = {
      title   = "${role}: instances and CPU"
      region  = local.region
      view    = "timeSeries"
      stacked = false
      metrics = [
        ["AWS/AutoScaling", "GroupInServiceInstances", "AutoScalingGroupName", group.name],
        ["AWS/AutoScaling", "GroupPendingInstances", "AutoScalingGroupName", group.name],
        ["AWS/AutoScaling", "GroupTerminatingInstances", "AutoScalingGroupName", group.name],
        ["AWS/EC2", "CPUUtilization", "AutoScalingGroupName", group.name, { yAxis = "right" }],
      ]
    }
  }]
}

locals {
  metric_widget_defaults = { type = "metric", width = 12, height = 6 }

  # The platform's own metrics (metrics.tf), in the statistic each is meant to be read with: a view
  # every node publishes of the whole cluster by its lowest or highest, a per-node amount summed.
  platform_widgets = [
    merge(local.metric_widget_defaults, {
      properties = {
        title  = "NiFi cluster: connected nodes"
        region = local.region
        view   = "timeSeries"
        period = 60
        metrics = [
          [local.metric_namespace, local.metrics.nifi_connected_nodes.name, "Cluster", var.nifi_cluster_name, { stat = "Minimum", label = "connected (lowest view)" }],
          ["AWS/AutoScaling", "GroupInServiceInstances", "AutoScalingGroupName", var.auto_scaling_groups["nifi"].name, { stat = "Minimum", label = "instances in service" }],
          ["AWS/AutoScaling", "GroupDesiredCapacity", "AutoScalingGroupName", var.auto_scaling_groups["nifi"].name, { stat = "Maximum", label = "desired" }],
        ]
      }
    }),
    merge(local.metric_widget_defaults, {
      properties = {
        title  = "NiFi queues"
        region = local.region
        view   = "timeSeries"
        period = 60
        metrics = [
          [local.metric_namespace, local.metrics.nifi_queued_flowfiles.name, "Cluster", var.nifi_cluster_name, { stat = "Sum", label = "queued FlowFiles" }],
          [local.metric_namespace, local.metrics.nifi_queued_bytes.name, "Cluster", var.nifi_cluster_name, { stat = "Sum", label = "queued bytes", yAxis = "right" }],
        ]
      }
    }),
    merge(local.metric_widget_defaults, {
      properties = {
        title  = "NiFi back-pressure and processors"
        region = local.region
        view   = "timeSeries"
        period = 60
        metrics = [
          [local.metric_namespace, local.metrics.nifi_back_pressured_connections.name, "Cluster", var.nifi_cluster_name, { stat = "Maximum", label = "connections applying back-pressure (busiest node)" }],
          [local.metric_namespace, local.metrics.nifi_invalid_or_stopped_processors.name, "Cluster", var.nifi_cluster_name, { stat = "Maximum", label = "invalid or stopped processors" }],
        ]
      }
    }),
    merge(local.metric_widget_defaults, {
      properties = {
        title  = "Ingest into bronze"
        region = local.region
        view   = "timeSeries"
        period = 60
        metrics = concat(
          [for dataset in var.bronze_datasets : [local.metric_namespace, local.metrics.bronze_records_ingested.name, "Dataset", dataset, { stat = "Sum", label = "${dataset}: records per minute" }]],
          [for dataset in var.bronze_datasets : [local.metric_namespace, local.metrics.bronze_newest_object_age.name, "Dataset", dataset, { stat = "Minimum", period = 300, label = "${dataset}: age of the newest object (s)", yAxis = "right" }]],
        )
      }
    }),
    merge(local.metric_widget_defaults, {
      properties = {
        title  = "DAG runs: failed and late"
        region = local.region
        view   = "timeSeries"
        period = 300
        metrics = concat(
          [for dag_id in var.pipeline_dag_ids : [local.metric_namespace, local.metrics.dag_run_failed.name, "DagId", dag_id, { stat = "Maximum", label = "${dag_id}: failed" }]],
          [for dag_id in var.pipeline_dag_ids : [local.metric_namespace, local.metrics.dag_run_late.name, "DagId", dag_id, { stat = "Maximum", label = "${dag_id}: late" }]],
        )
      }
    }),
    {
      type   = "alarm"
      width  = 24
      height = 4
      properties = {
        title = "Cluster health, ingest and pipelines"
        alarms = concat(
          [aws_cloudwatch_metric_alarm.nifi_disconnected_nodes.arn, aws_cloudwatch_metric_alarm.nifi_back_pressure.arn],
          [for alarm in aws_cloudwatch_metric_alarm.bronze_partition_empty : alarm.arn],
          [for alarm in aws_cloudwatch_metric_alarm.dag_run : alarm.arn],
        )
      }
    },
  ]
}

resource "aws_cloudwatch_dashboard" "platform" {
  dashboard_name = local.name
  dashboard_body = jsonencode({
    widgets = concat(local.asg_widgets, [
      {
        type   = "metric"
        width  = 12
        height = 6
        properties = {
          title  = "NiFi load balancer"
          region = local.region
          view   = "timeSeries"
          metrics = [
            ["AWS/NetworkELB", "HealthyHostCount", "LoadBalancer", var.nifi_load_balancer.arn_suffix, "TargetGroup", var.nifi_load_balancer.target_group_arn_suffix],
            ["AWS/NetworkELB", "UnHealthyHostCount", "LoadBalancer", var.nifi_load_balancer.arn_suffix, "TargetGroup", var.nifi_load_balancer.target_group_arn_suffix],
            ["AWS/NetworkELB", "HealthyHostCount", "LoadBalancer", var.nifi_load_balancer.arn_suffix, "TargetGroup", var.nifi_load_balancer.ingest_target_group_arn_suffix, { label = "HealthyHostCount (ingest)" }],
            ["AWS/NetworkELB", "UnHealthyHostCount", "LoadBalancer", var.nifi_load_balancer.arn_suffix, "TargetGroup", var.nifi_load_balancer.ingest_target_group_arn_suffix, { label = "UnHealthyHostCount (ingest)" }],
            ["AWS/NetworkELB", "ActiveFlowCount", "LoadBalancer", var.nifi_load_balancer.arn_suffix, { yAxis = "right" }],
          ]
        }
      },
      {
        type   = "metric"
        width  = 12
        height = 6
        properties = {
          title  = "Airflow api-server"
          region = local.region
          view   = "timeSeries"
          metrics = [
            ["AWS/ApplicationELB", "RequestCount", "LoadBalancer", var.airflow_load_balancer_arn_suffix, { stat = "Sum" }],
            ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "LoadBalancer", var.airflow_load_balancer_arn_suffix, { stat = "Sum" }],
            ["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", var.airflow_load_balancer_arn_suffix, { yAxis = "right" }],
          ]
        }
      },
      {
        type   = "metric"
        width  = 12
        height = 6
        properties = {
          title  = "Airflow database"
          region = local.region
          view   = "timeSeries"
          metrics = [
            ["AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", var.database_identifier],
            ["AWS/RDS", "DatabaseConnections", "DBInstanceIdentifier", var.database_identifier, { yAxis = "right" }],
            ["AWS/RDS", "FreeStorageSpace", "DBInstanceIdentifier", var.database_identifier, { yAxis = "right" }],
          ]
        }
      },
    ], local.platform_widgets)
  })
}
