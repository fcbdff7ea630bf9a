# LOCAL: the sandbox account, emulated by the moto server (make sandbox). Smallest sizes,
# everything disposable. Switches set to false here leave out what the emulator lacks; the
# left_out output lists them.
environment       = "local"
region            = "eu-west-1"
account_id        = "123456789012"
github_repository = "example-org/dataplatform-ops"

# The AWS emulator every API goes to (a loopback URL only); the sandbox and the tests pass their
# own emulator's URL (-var), since its port differs per sandbox.
aws_endpoint_url = "https://127.0.0.1:5000"
# No default_tags: the emulator copies a launch template's own tags into the template's instance
# tag specifications, which would show as a change on every plan. The hosts still carry the tags,
# through their Auto Scaling Groups.
provider_default_tags = false

vpc_cidr_block          = "10.10.0.0/16"
availability_zone_count = 2
single_nat_gateway      = true
client_cidr_blocks      = ["10.88.0.0/16"]
ssh_admin_cidr_blocks   = []
# make sandbox makes a CA of its own and passes its public key (-var), with its private key in
# the emulator's Secrets Manager.
ssh_user_ca_public_keys = []

log_retention_days = 7
# Two minutes rather than ten: the e2e tier stops NiFi on a node and waits for the alarm.
nifi_disconnected_node_alarm_minutes = 2
kms_deletion_window_in_days          = 7
force_destroy_buckets                = true
lake_layers = {
  bronze = { expire_after_days = 7, noncurrent_versions_expire_after_days = 1 }
  silver = { expire_after_days = 7, noncurrent_versions_expire_after_days = 1 }
  gold   = { expire_after_days = 7, noncurrent_versions_expire_after_days = 1 }
}

# The emulator reports every CA as SHORT_LIVED_CERTIFICATE (and enforces no 7-day limit).
pca_usage_mode                      = "SHORT_LIVED_CERTIFICATE"
pca_permanent_deletion_time_in_days = 7
# The emulator has no acm-pca CreatePermission.
pca_grant_acm_renewal_permission = false

# An image the emulator knows (it has no Debian image to look up); the sandbox runs each
# instance as a Debian 13 container anyway.
host_ami_id = "ami-1e749f67"

nifi_instance_type       = "t3.small"
nifi_min_size            = 1
nifi_max_size            = 5
nifi_desired_capacity    = 3
nifi_data_volume_size_gb = 1

airflow_instance_type    = "t3.small"
airflow_min_size         = 1
airflow_max_size         = 2
airflow_desired_capacity = 1
airflow_api_domain_name  = "airflow.local.dataplatform.internal"

# AWX provisioning callbacks (https://<awx>/api/v2/job_templates/<id>/callback/), null without AWX.
nifi_awx_callback_url    = null
airflow_awx_callback_url = null
# The sandbox's own converge configures its hosts; its AWX stand-in takes no callbacks.
awx_provisioning_callback = false

# AWX, where EventBridge launches the NiFi decommission job (https://<awx>, no trailing slash); null
# without AWX. The sandbox sets its AWX stand-in's address (sandbox/awx_standin.py).
awx_url = null

load_balancer_deletion_protection = false

database_instance_class              = "db.t4g.micro"
database_allocated_storage_gb        = 20
database_max_allocated_storage_gb    = 20
database_multi_az                    = false
database_backup_retention_days       = 1
database_deletion_protection         = false
database_skip_final_snapshot         = true
database_monitoring_interval_seconds = 0
# The emulator returns a parameter group's parameters without their source and keeps no
# Performance Insights setting: either would show as a change on every plan.
database_custom_parameter_group = false
database_performance_insights   = false

# The sandbox's emulator runs the Spark jobs on a local Spark (emulator/emr_serverless_spark.py).
processing_enabled           = true
processing_maximum_vcpus     = 4
processing_maximum_memory_gb = 16

alarm_email_addresses          = []
pipeline_alert_email_addresses = []

# Who may assume the automation and cert issuer roles; empty trusts the account, which only the
# sandbox may do (its converge runs as the account's administrator).
automation_trusted_principal_arns = []

# The refs the DAGs workflow publishes from here (the promotion model, .github/environments.yml).
dags_workflow_refs              = ["refs/heads/main"]
secrets_recovery_window_in_days = 0
