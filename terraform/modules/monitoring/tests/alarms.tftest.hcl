# Offline: the AWS provider is mocked, so these runs check what the module plans, not what AWS
# accepts (tests/terraform/test_monitoring.py also applies it, in the local environment).

mock_provider "aws" {
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{}" }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:eu-west-1:123456789012:topic" }
  }
}

variables {
  environment          = "dev"
  kms_key_arn          = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
  s3_access_log_bucket = "dataplatform-dev-access-logs"
  auto_scaling_groups = {
    nifi    = { name = "dataplatform-dev-nifi-main", min_size = 3 }
    airflow = { name = "dataplatform-dev-airflow-main", min_size = 1 }
  }
  nifi_load_balancer = {
    arn_suffix                     = "net/dataplatform-dev-nifi/0123456789abcdef"
    target_group_arn_suffix        = "targetgroup/dataplatform-dev-nifi/0123456789abcdef"
    ingest_target_group_arn_suffix = "targetgroup/dataplatform-dev-nifi-ingest/0123456789abcdef"
  }
  airflow_load_balancer_arn_suffix = "app/dataplatform-dev-airflow/0123456789abcdef"
  database_identifier              = "dataplatform-dev-airflow"
}

run "metrics_contract" {
  command = plan

  assert {
    condition     = output.metrics.namespace == "DataPlatform/dev"
    error_message = "The namespace is DataPlatform/<environment>."
  }
  assert {
    condition     = length(distinct([for metric in values(output.metrics.metrics) : metric.name])) == length(output.metrics.metrics)
    error_message = "Two keys of the contract name the same metric."
  }
}

run "cluster_alarms_compare_connected_nodes_with_instances_in_service" {
  command = plan

  assert {
    condition     = aws_cloudwatch_metric_alarm.nifi_disconnected_nodes.evaluation_periods == 10 && aws_cloudwatch_metric_alarm.nifi_disconnected_nodes.treat_missing_data == "breaching"
    error_message = "The disconnected-nodes alarm waits 10 minutes by default and counts silence as failure."
  }
  assert {
    condition     = toset([for query in aws_cloudwatch_metric_alarm.nifi_disconnected_nodes.metric_query : query.metric[0].metric_name if length(query.metric) > 0]) == toset(["GroupInServiceInstances", "NiFiConnectedNodes"])
    error_message = "The disconnected-nodes alarm compares NiFiConnectedNodes with the group's GroupInServiceInstances."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.nifi_back_pressure.evaluation_periods == 15 && aws_cloudwatch_metric_alarm.nifi_back_pressure.datapoints_to_alarm == 10
    error_message = "Sustained back-pressure is 10 of 15 minutes by default."
  }
}

run "bronze_and_dag_run_alarms" {
  command = plan

  variables {
    bronze_deadline_hour_utc = 7
  }

  assert {
    condition     = strcontains(one([for query in aws_cloudwatch_metric_alarm.bronze_partition_empty["orders"].metric_query : query.expression if query.id == "partition_empty"]), "HOUR(age) >= 7")
    error_message = "The bronze alarm applies from bronze_deadline_hour_utc on."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.bronze_partition_empty["orders"].treat_missing_data == "breaching"
    error_message = "An age nobody reports must raise the bronze alarm."
  }
  assert {
    condition     = toset(keys(aws_cloudwatch_metric_alarm.dag_run)) == toset(["orders_pipeline-failed", "orders_pipeline-late"])
    error_message = "orders_pipeline has a failed and a late alarm by default."
  }
  assert {
    condition     = alltrue([for alarm in aws_cloudwatch_metric_alarm.dag_run : alarm.treat_missing_data == "ignore"])
    error_message = "Between runs the DAG alarms keep their state."
  }
}

run "deadline_hour_must_be_within_the_day" {
  command = plan

  variables {
    bronze_deadline_hour_utc = 24
  }

  expect_failures = [var.bronze_deadline_hour_utc]
}

run "back_pressure_breaching_minutes_fit_the_window" {
  command = plan

  variables {
    nifi_back_pressure_alarm = { window_minutes = 5, breaching_minutes = 10 }
  }

  expect_failures = [var.nifi_back_pressure_alarm]
}
