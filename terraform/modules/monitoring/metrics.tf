# The metrics contract (README.md, "Metrics contract"): the names the hosts' collector and the DAGs
# publish and the alarms and the dashboard read. Publishers take them from the `metrics` output,
# so a name is changed here and nowhere else.
locals {
  # One namespace per environment rather than an Environment dimension: the namespace is the only
  # thing an IAM policy can hold cloudwatch:PutMetricData to (the cloudwatch:namespace key), so a
  # host role can be kept to its own environment's metrics.
  metric_namespace = "DataPlatform/${var.environment}"

  metrics = {
    nifi_connected_nodes               = { name = "NiFiConnectedNodes", unit = "Count", dimensions = ["Cluster"] }
    nifi_queued_flowfiles              = { name = "NiFiQueuedFlowFiles", unit = "Count", dimensions = ["Cluster"] }
    nifi_queued_bytes                  = { name = "NiFiQueuedBytes", unit = "Bytes", dimensions = ["Cluster"] }
    nifi_back_pressured_connections    = { name = "NiFiBackPressuredConnections", unit = "Count", dimensions = ["Cluster"] }
    nifi_invalid_or_stopped_processors = { name = "NiFiInvalidOrStoppedProcessors", unit = "Count", dimensions = ["Cluster"] }
    bronze_records_ingested            = { name = "BronzeRecordsIngested", unit = "Count", dimensions = ["Dataset"] }
    bronze_newest_object_age           = { name = "BronzeNewestObjectAgeSeconds", unit = "Seconds", dimensions = ["Dataset"] }
    dag_run_failed                     = { name = "DagRunFailed", unit = "Count", dimensions = ["DagId"] }
    dag_run_late                       = { name = "DagRunLate", unit = "Count", dimensions = ["DagId"] }
  }

  nifi_cluster_dimensions = { Cluster = var.nifi_cluster_name }
}
