# The platform document (DESIGN.md, contract 2). Its keys are exactly PLATFORM_KEYS of
# collections/ansible_collections/dataplatform/ops/plugins/module_utils/platform.py; the
# README of this module lists them, and tests/contract/ checks both against the applied state.
locals {
  document = {
    env            = var.environment
    region         = var.region
    secrets_prefix = "dataplatform/${var.environment}/"
    secrets = {
      kms_key_arn          = var.secrets.kms_key_arn
      cert_issuer_role_arn = var.secrets.cert_issuer_role_arn
    }
    pca = {
      arn = var.pca_arn
    }
    buckets = {
      bronze     = var.buckets.bronze
      silver     = var.buckets.silver
      gold       = var.buckets.gold
      artifacts  = var.buckets.artifacts
      dags       = var.buckets.dags
      logs       = var.buckets.logs
      truststore = var.buckets.truststore
    }
    nifi = {
      asg_name     = var.nifi.asg_name
      nlb_dns_name = var.nifi.nlb_dns_name
      ingest_url   = var.nifi.ingest_url
    }
    airflow = {
      asg_name        = var.airflow.asg_name
      alb_dns_name    = var.airflow.alb_dns_name
      api_domain_name = var.airflow.api_domain_name
    }
    ssh = {
      user                = var.ssh.user
      principal           = var.ssh.principal
      user_ca_secret_arn  = var.ssh.user_ca_secret_arn
      user_ca_public_keys = var.ssh.user_ca_public_keys
    }
    rds = {
      endpoint               = var.rds.endpoint
      port                   = var.rds.port
      db_name                = var.rds.db_name
      credentials_secret_arn = var.rds.credentials_secret_arn
    }
    processing = {
      emr_serverless_application_id = var.processing.emr_serverless_application_id
      spark_job_role_arn            = var.processing.spark_job_role_arn
      spark_artifacts_uri           = var.processing.spark_artifacts_uri
      spark_logs_uri                = var.processing.spark_logs_uri
    }
    glue = {
      silver_database = var.glue.silver_database
      gold_database   = var.glue.gold_database
    }
    alerts = {
      pipeline_topic_arn = var.alerts.pipeline_topic_arn
    }
    telemetry = {
      metrics_namespace = var.telemetry.metrics_namespace
      metric_names      = var.telemetry.metric_names
      log_groups = {
        nifi    = var.telemetry.log_groups.nifi
        airflow = var.telemetry.log_groups.airflow
      }
    }
  }
}

resource "aws_ssm_parameter" "platform" {
  #checkov:skip=CKV2_AWS_34:The document holds names, ARNs and endpoints, no secret; a plain String lets every host read it without a KMS grant.
  name        = "/dataplatform/${var.environment}/platform"
  description = "Everything the ${var.environment} hosts need to know about the platform (JSON; keys in terraform/modules/platform-parameter/README.md)."
  type        = "String"
  tier        = "Standard"
  value       = jsonencode(local.document)
  tags        = var.tags
}
