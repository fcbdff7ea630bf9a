# PROD: one NAT gateway per zone over three zones, a standby database, long retention,
# everything protected against deletion.
environment       = "prod"
region            = "eu-west-1"
account_id        = "333333333333"
github_repository = "example-org/dataplatform-ops"

vpc_cidr_block          = "10.40.0.0/16"
availability_zone_count = 3
single_nat_gateway      = false
client_cidr_blocks      = ["10.100.0.0/16"]
ssh_admin_cidr_blocks   = []
# The environment's SSH user CA (terraform/modules/ssh-user-ca/README.md makes one): hosts accept
# login certificates it signs. Replace this example key with your CA's public key.
ssh_user_ca_public_keys = ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH1esIfLRWu3M6AEFWHZNS/WSNsC6mapjDEWu4CJeiC2 dataplatform-prod-user-ca"]

log_retention_days          = 365
kms_deletion_window_in_days = 30
force_destroy_buckets       = false
lake_layers = {
  bronze = { infrequent_access_after_days = 30, glacier_after_days = 90, expire_after_days = 730, noncurrent_versions_expire_after_days = 30 }
  silver = { infrequent_access_after_days = 60, glacier_after_days = 180, noncurrent_versions_expire_after_days = 30 }
  gold   = { infrequent_access_after_days = 90, noncurrent_versions_expire_after_days = 90 }
}

pca_usage_mode                      = "GENERAL_PURPOSE"
pca_permanent_deletion_time_in_days = 30
pca_grant_acm_renewal_permission    = true

host_ami_id = null

nifi_instance_type       = "m7i.2xlarge"
nifi_min_size            = 3
nifi_max_size            = 9
nifi_desired_capacity    = 5
nifi_data_volume_size_gb = 500

airflow_instance_type    = "m7i.xlarge"
airflow_min_size         = 2
airflow_max_size         = 4
airflow_desired_capacity = 2
airflow_api_domain_name  = "airflow.prod.dataplatform.internal"

# AWX provisioning callbacks: null calls the template dataplatform-<env>-callback on awx_url.
nifi_awx_callback_url     = null
airflow_awx_callback_url  = null
awx_provisioning_callback = true

# AWX (https://<awx>, no trailing slash): new instances call its provisioning callback, and
# EventBridge launches the NiFi decommission job on it. Required outside the sandbox.
awx_url = "https://awx.prod.example.org"

load_balancer_deletion_protection = true

database_instance_class              = "db.m7g.large"
database_allocated_storage_gb        = 100
database_max_allocated_storage_gb    = 500
database_multi_az                    = true
database_backup_retention_days       = 30
database_deletion_protection         = true
database_skip_final_snapshot         = false
database_monitoring_interval_seconds = 30
database_custom_parameter_group      = true
database_performance_insights        = true

processing_enabled           = true
processing_maximum_vcpus     = 128
processing_maximum_memory_gb = 512

alarm_email_addresses          = ["dataplatform-alerts@example.com", "dataplatform-oncall@example.com"]
pipeline_alert_email_addresses = ["dataplatform-pipelines@example.com"]

# Who may assume the automation and cert issuer roles: AWX's execution nodes' role in this account
# (required: an empty list would trust every principal of the account).
automation_trusted_principal_arns = ["arn:aws:iam::333333333333:role/awx-execution-node"]

# The refs the DAGs workflow publishes from here (the promotion model, .github/environments.yml).
dags_workflow_refs              = ["refs/tags/v*.*.*"]
secrets_recovery_window_in_days = 30
