# The data platform of one account: the one root every environment is planned and applied with.
# Environments differ only in their values (environments/<env>/terraform.tfvars) and state
# (environments/<env>/backend.hcl); scripts/terraform-env.sh passes both.

data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  platform_parameter_name = "/dataplatform/${var.environment}/platform"
  nifi_cluster            = "nifi-main"
  airflow_cluster         = "airflow-main"
  # Known before the groups exist, so IAM can scope lifecycle actions to them.
  nifi_asg_name    = "dataplatform-${var.environment}-${local.nifi_cluster}"
  airflow_asg_name = "dataplatform-${var.environment}-${local.airflow_cluster}"
  # Made by the account's bootstrap (terraform/bootstrap) with the deploy role, which may create or
  # change a role only with this boundary; every role below carries it.
  permissions_boundary_arn = "arn:${data.aws_partition.current.partition}:iam::${var.account_id}:policy/dataplatform-${var.environment}-permissions-boundary"

  tags = {
    Project     = "dataplatform"
    Environment = var.environment
    ManagedBy   = "terraform"
    Repository  = var.github_repository
  }

  # Resources a switch leaves out (only the local sandbox turns switches off; see its tfvars).
  left_out = compact([
    var.pca_grant_acm_renewal_permission ? "" : "pki-acm-ca: aws_acmpca_permission (ACM renewal of the load balancer certificate), pca_grant_acm_renewal_permission = false",
    var.processing_enabled ? "" : "processing: aws_emrserverless_application and its job role, processing_enabled = false",
    var.database_custom_parameter_group ? "" : "airflow: aws_db_parameter_group (TLS-only connections, connection and slow-statement logging), database_custom_parameter_group = false",
    var.database_performance_insights ? "" : "airflow: Performance Insights of the database, database_performance_insights = false",
  ])
}

module "kms" {
  source = "../modules/kms"

  environment             = var.environment
  deletion_window_in_days = var.kms_deletion_window_in_days
}

module "networking" {
  source = "../modules/networking"

  environment             = var.environment
  cidr_block              = var.vpc_cidr_block
  availability_zone_count = var.availability_zone_count
  single_nat_gateway      = var.single_nat_gateway
  flow_log_retention_days = var.log_retention_days
  kms_key_arn             = module.kms.key_arn

  permissions_boundary_arn = local.permissions_boundary_arn
}

module "ssh_user_ca" {
  source = "../modules/ssh-user-ca"

  environment             = var.environment
  kms_key_arn             = module.kms.key_arn
  public_keys             = var.ssh_user_ca_public_keys
  recovery_window_in_days = var.secrets_recovery_window_in_days
  tags                    = local.tags
}

module "s3_datalake" {
  source = "../modules/s3-datalake"

  environment                       = var.environment
  kms_key_arn                       = module.kms.key_arn
  lake_layers                       = var.lake_layers
  application_log_expire_after_days = var.log_retention_days
  access_log_expire_after_days      = var.log_retention_days
  force_destroy                     = var.force_destroy_buckets
  dags_writer_arns                  = [module.iam.dags_publisher_role_arn]
}

module "glue_catalog" {
  source = "../modules/glue-catalog"

  environment = var.environment
  layers = {
    for layer in ["bronze", "silver", "gold"] : layer => { location = "s3://${module.s3_datalake.bucket_names[layer]}/" }
  }
}

module "pki" {
  source = "../modules/pki-acm-ca"

  environment                     = var.environment
  common_name                     = "Data Platform ${upper(var.environment)} Root CA"
  usage_mode                      = var.pca_usage_mode
  crl_bucket_name                 = module.s3_datalake.crl_bucket_name
  permanent_deletion_time_in_days = var.pca_permanent_deletion_time_in_days
  grant_acm_renewal_permission    = var.pca_grant_acm_renewal_permission
}

module "processing" {
  source = "../modules/processing"

  enabled             = var.processing_enabled
  environment         = var.environment
  vpc_id              = module.networking.vpc_id
  subnet_ids          = module.networking.private_subnet_ids
  bucket_arns         = module.s3_datalake.bucket_arns
  glue_database_names = values(module.glue_catalog.database_names)
  kms_key_arn         = module.kms.key_arn
  maximum_vcpus       = var.processing_maximum_vcpus
  maximum_memory_gb   = var.processing_maximum_memory_gb

  permissions_boundary_arn = local.permissions_boundary_arn
}

module "monitoring" {
  source = "../modules/monitoring"

  environment                          = var.environment
  kms_key_arn                          = module.kms.key_arn
  log_retention_days                   = var.log_retention_days
  nifi_disconnected_node_alarm_minutes = var.nifi_disconnected_node_alarm_minutes
  s3_access_log_bucket                 = module.s3_datalake.access_log_bucket_name
  lb_access_log_expire_after_days      = var.log_retention_days
  force_destroy                        = var.force_destroy_buckets
  alarm_email_addresses                = var.alarm_email_addresses
  pipeline_alert_email_addresses       = var.pipeline_alert_email_addresses
  auto_scaling_groups = {
    nifi    = { name = module.nifi.asg_name, min_size = var.nifi_min_size }
    airflow = { name = module.airflow.asg_name, min_size = var.airflow_min_size }
  }
  nifi_load_balancer = {
    arn_suffix                     = module.nifi.nlb_arn_suffix
    target_group_arn_suffix        = module.nifi.target_group_arn_suffix
    ingest_target_group_arn_suffix = module.nifi.ingest_target_group_arn_suffix
  }
  airflow_load_balancer_arn_suffix = module.airflow.alb_arn_suffix
  database_identifier              = module.airflow.db_instance_identifier
}

module "iam" {
  source = "../modules/iam"

  environment             = var.environment
  bucket_arns             = module.s3_datalake.bucket_arns
  kms_key_arn             = module.kms.key_arn
  pca_arn                 = module.pki.arn
  platform_parameter_name = local.platform_parameter_name
  nifi_asg_name           = local.nifi_asg_name
  airflow_asg_name        = local.airflow_asg_name
  log_group_names         = module.monitoring.log_group_names
  metrics_namespace       = module.monitoring.metrics.namespace
  processing              = module.processing.application
  github_repository       = var.github_repository
  ssh_user_ca_secret_arn  = module.ssh_user_ca.secret_arn
  pipeline = {
    glue_catalog_arn   = module.glue_catalog.catalog_arn
    glue_database_arns = [for layer in ["silver", "gold"] : module.glue_catalog.database_arns[layer]]
    glue_table_arns    = [for table in values(module.glue_catalog.tables) : table.arn]
    alerts_topic_arn   = module.monitoring.pipeline_alerts_topic_arn
  }

  permissions_boundary_arn = local.permissions_boundary_arn

  automation_trusted_principal_arns = var.automation_trusted_principal_arns
  dags_workflow_refs                = var.dags_workflow_refs
}

module "nifi" {
  source = "../modules/nifi"

  environment        = var.environment
  cluster_name       = local.nifi_cluster
  vpc_id             = module.networking.vpc_id
  subnet_ids         = module.networking.private_subnet_ids
  client_cidr_blocks = concat([module.networking.vpc_cidr_block], var.client_cidr_blocks)
  ssh_access = merge(module.ssh_user_ca.host_access, {
    source_security_groups = { automation = module.networking.automation_security_group_id }
    admin_cidr_blocks      = var.ssh_admin_cidr_blocks
  })
  instance_type         = var.nifi_instance_type
  ami_id                = var.host_ami_id
  instance_profile_name = module.iam.instance_profile_names["nifi"]
  data_volume_size_gb   = var.nifi_data_volume_size_gb
  min_size              = var.nifi_min_size
  max_size              = var.nifi_max_size
  desired_capacity      = var.nifi_desired_capacity
  deletion_protection   = var.load_balancer_deletion_protection
  awx_callback_url      = var.awx_provisioning_callback && var.nifi_awx_callback_url != null ? var.nifi_awx_callback_url : local.awx_callback_url
  tags                  = local.tags
}

# A new instance waits in its launch hook until AWX's callback template configured it (awx/README.md,
# "The provisioning callback"); its named URL depends on AWX's address only.
locals {
  awx_callback_url = var.awx_url == null || !var.awx_provisioning_callback ? null : "${var.awx_url}/api/v2/job_templates/dataplatform-${var.environment}-callback++dataplatform/callback/"
}

# A NiFi node's termination lifecycle action launches its decommission job in AWX (EventBridge API
# destination), so scale-in needs nobody; without AWX (awx_url null) the action waits for its
# hook's timeout or for someone to run ansible/playbooks/nifi-decommission.yml.
module "lifecycle_events" {
  source = "../modules/lifecycle-events"
  count  = var.awx_url == null ? 0 : 1

  environment             = var.environment
  awx_url                 = var.awx_url
  autoscaling_group_names = [module.nifi.asg_name]
  kms_key_arn             = module.kms.key_arn
  alarm_topic_arn         = module.monitoring.alarm_topic_arn
  tags                    = local.tags

  permissions_boundary_arn = local.permissions_boundary_arn
}

module "airflow" {
  source = "../modules/airflow"

  environment        = var.environment
  cluster_name       = local.airflow_cluster
  vpc_id             = module.networking.vpc_id
  vpc_cidr_block     = module.networking.vpc_cidr_block
  subnet_ids         = module.networking.private_subnet_ids
  client_cidr_blocks = var.client_cidr_blocks
  ssh_access = merge(module.ssh_user_ca.host_access, {
    source_security_groups = { automation = module.networking.automation_security_group_id }
    admin_cidr_blocks      = var.ssh_admin_cidr_blocks
  })
  vpc_service_ports     = { nifi-https = module.nifi.ports.https }
  api_domain_name       = var.airflow_api_domain_name
  pca_arn               = module.pki.arn
  access_logs_bucket    = module.monitoring.lb_access_log_bucket
  kms_key_arn           = module.kms.key_arn
  instance_type         = var.airflow_instance_type
  ami_id                = var.host_ami_id
  instance_profile_name = module.iam.instance_profile_names["airflow"]
  instance_role_name    = module.iam.host_role_names["airflow"]
  min_size              = var.airflow_min_size
  max_size              = var.airflow_max_size
  desired_capacity      = var.airflow_desired_capacity
  deletion_protection   = var.load_balancer_deletion_protection
  awx_callback_url      = var.awx_provisioning_callback && var.airflow_awx_callback_url != null ? var.airflow_awx_callback_url : local.awx_callback_url
  tags                  = local.tags
  database = {
    instance_class              = var.database_instance_class
    allocated_storage_gb        = var.database_allocated_storage_gb
    max_allocated_storage_gb    = var.database_max_allocated_storage_gb
    multi_az                    = var.database_multi_az
    backup_retention_days       = var.database_backup_retention_days
    deletion_protection         = var.database_deletion_protection
    skip_final_snapshot         = var.database_skip_final_snapshot
    monitoring_interval_seconds = var.database_monitoring_interval_seconds
    custom_parameter_group      = var.database_custom_parameter_group
    performance_insights        = var.database_performance_insights
  }

  permissions_boundary_arn = local.permissions_boundary_arn
}

module "platform_parameter" {
  source = "../modules/platform-parameter"

  environment = var.environment
  region      = data.aws_region.current.name
  pca_arn     = module.pki.arn
  buckets     = module.s3_datalake.bucket_names
  secrets = {
    kms_key_arn          = module.kms.key_arn
    cert_issuer_role_arn = module.iam.cert_issuer_role_arn
  }
  nifi = {
    asg_name     = module.nifi.asg_name
    nlb_dns_name = module.nifi.nlb_dns_name
    ingest_url   = module.nifi.ingest_url
  }
  airflow = {
    asg_name        = module.airflow.asg_name
    alb_dns_name    = module.airflow.alb_dns_name
    api_domain_name = module.airflow.api_domain_name
  }
  ssh = {
    user                = module.ssh_user_ca.user
    principal           = module.ssh_user_ca.principal
    user_ca_secret_arn  = module.ssh_user_ca.secret_arn
    user_ca_public_keys = var.ssh_user_ca_public_keys
  }
  rds = {
    endpoint               = module.airflow.db_endpoint
    port                   = module.airflow.db_port
    db_name                = module.airflow.db_name
    credentials_secret_arn = module.airflow.db_credentials_secret_arn
  }
  # The application and its role are null where processing_enabled is off (left_out says so).
  processing = {
    emr_serverless_application_id = try(module.processing.application.application_id, null)
    spark_job_role_arn            = try(module.processing.application.job_role_arn, null)
    spark_artifacts_uri           = module.processing.artifacts_uri
    spark_logs_uri                = module.processing.logs_uri
  }
  glue = {
    silver_database = module.glue_catalog.database_names["silver"]
    gold_database   = module.glue_catalog.database_names["gold"]
  }
  alerts = {
    pipeline_topic_arn = module.monitoring.pipeline_alerts_topic_arn
  }
  telemetry = {
    metrics_namespace = module.monitoring.metrics.namespace
    metric_names      = { for key, metric in module.monitoring.metrics.metrics : key => metric.name }
    log_groups        = module.monitoring.log_group_names
  }
}

# IAM scopes lifecycle actions to the group names computed above; they must be the real ones.
check "asg_names_match_iam_scope" {
  assert {
    condition     = module.nifi.asg_name == local.nifi_asg_name && module.airflow.asg_name == local.airflow_asg_name
    error_message = "The Auto Scaling Group names differ from the names the host roles are scoped to."
  }
}
