# PPD: pre-production, shaped like production at a smaller scale; protected against deletion.
environment       = "ppd"
region            = "eu-west-1"
account_id        = "222222222222"
github_repository = "example-org/dataplatform-ops"

vpc_cidr_block          = "10.30.0.0/16"
availability_zone_count = 2
single_nat_gateway      = true
client_cidr_blocks      = ["10.100.0.0/16"]
ssh_admin_cidr_blocks   = []
# The environment's SSH user CA (terraform/modules/ssh-user-ca/README.md makes one): hosts accept
# login certificates it signs. Replace this example key with your CA's public key.
ssh_user_ca_public_keys = ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMC/CBkb+AXJG//fhbpvQA6XY9wt8YUfbalF0lHJ9xqc dataplatform-ppd-user-ca"]

log_retention_days          = 90
kms_deletion_window_in_days = 30
force_destroy_buckets       = false
lake_layers = {
  bronze = { infrequent_access_after_days = 30, expire_after_days = 90, noncurrent_versions_expire_after_days = 14 }
  silver = { infrequent_access_after_days = 30, expire_after_days = 180, noncurrent_versions_expire_after_days = 14 }
  gold   = { infrequent_access_after_days = 60, expire_after_days = 365, noncurrent_versions_expire_after_days = 30 }
}

pca_usage_mode                      = "GENERAL_PURPOSE"
pca_permanent_deletion_time_in_days = 30
pca_grant_acm_renewal_permission    = true

host_ami_id = null

nifi_instance_type       = "m7i.xlarge"
nifi_min_size            = 3
nifi_max_size            = 5
nifi_desired_capacity    = 3
nifi_data_volume_size_gb = 200

airflow_instance_type    = "m7i.large"
airflow_min_size         = 1
airflow_max_size         = 3
airflow_desired_capacity = 2
airflow_api_domain_name  = "airflow.ppd.dataplatform.internal"

# AWX provisioning callbacks: null calls the template dataplatform-<env>-callback on awx_url.
nifi_awx_callback_url     = null
airflow_awx_callback_url  = null
awx_provisioning_callback = true

# AWX (https://<awx>, no trailing slash): new instances call its provisioning callback, and
# EventBridge launches the NiFi decommission job on it. Required outside the sandbox.
awx_url = "https://awx.ppd.example.org"

load_balancer_deletion_protection = true

database_instance_class              = "db.t4g.medium"
database_allocated_storage_gb        = 50
database_max_allocated_storage_gb    = 200
database_multi_az                    = false
database_backup_retention_days       = 7
database_deletion_protection         = true
database_skip_final_snapshot         = false
database_monitoring_interval_seconds = 60
database_custom_parameter_group      = true
database_performance_insights        = true

processing_enabled           = true
processing_maximum_vcpus     = 32
processing_maximum_memory_gb = 128

alarm_email_addresses          = ["dataplatform-alerts@example.com"]
pipeline_alert_email_addresses = ["dataplatform-pipelines@example.com"]

# Who may assume the automation and cert issuer roles: AWX's execution nodes' role in this account
# (required: an empty list would trust every principal of the account).
automation_trusted_principal_arns = ["arn:aws:iam::222222222222:role/awx-execution-node"]

# The refs the DAGs workflow publishes from here (the promotion model, .github/environments.yml).
dags_workflow_refs              = ["refs/heads/release/*"]
secrets_recovery_window_in_days = 30
