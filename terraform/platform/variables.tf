# What an environment chooses; the values live in environments/<env>/terraform.tfvars (the
# provider's own variables are in providers.tf).

variable "environment" {
  description = "Name of the environment: local, dev, ppd or prod."
  type        = string

  validation {
    condition     = contains(["local", "dev", "ppd", "prod"], var.environment)
    error_message = "environment must be one of local, dev, ppd, prod."
  }
}

variable "region" {
  description = "AWS region of the environment."
  type        = string
}

variable "account_id" {
  description = "AWS account of the environment; Terraform refuses to touch any other."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be a 12-digit AWS account id."
  }
}

variable "github_repository" {
  description = "GitHub repository (owner/name) whose workflows plan and deploy this environment."
  type        = string
}

variable "vpc_cidr_block" {
  description = "IPv4 range of the environment's VPC."
  type        = string
}

variable "availability_zone_count" {
  description = "Availability zones the subnets span (at least 2)."
  type        = number
}

variable "single_nat_gateway" {
  description = "One NAT gateway instead of one per availability zone."
  type        = bool
}

variable "client_cidr_blocks" {
  description = "Networks users and API clients reach NiFi and Airflow from."
  type        = list(string)
}

variable "ssh_user_ca_public_keys" {
  description = "OpenSSH public keys of the environment's SSH user CA: hosts accept login certificates it signs (two while a key is rotated). Empty only in local, whose sandbox passes the key of its own CA."
  type        = list(string)

  validation {
    condition     = length(var.ssh_user_ca_public_keys) > 0 || var.environment == "local"
    error_message = "ssh_user_ca_public_keys needs at least one key (see terraform/modules/ssh-user-ca/README.md to make the CA)."
  }
}

variable "ssh_admin_cidr_blocks" {
  description = "Administrators' networks allowed to reach the hosts over SSH, besides the automation security group (AWX); a login still needs a certificate of the user CA."
  type        = list(string)
}

variable "automation_trusted_principal_arns" {
  description = "IAM principals that may assume the automation and cert issuer roles (AWX's execution nodes' role, an operator's role). Required in an account; only the sandbox (local) may leave it empty, which trusts the account."
  type        = list(string)

  validation {
    condition     = var.environment == "local" || length(var.automation_trusted_principal_arns) > 0
    error_message = "automation_trusted_principal_arns must name who may assume the automation and cert issuer roles (AWX's execution nodes' role): empty would trust every principal of the account that may call sts:AssumeRole."
  }

  validation {
    condition     = alltrue([for arn in var.automation_trusted_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$", arn))])
    error_message = "automation_trusted_principal_arns takes IAM role or user ARNs (arn:aws:iam::<account>:role/<name>), not an account or its root."
  }
}

variable "secrets_recovery_window_in_days" {
  description = "Days a deleted secret of the platform (the SSH user CA) can still be restored: 0 (deleted at once) or 7 to 30."
  type        = number
}

variable "log_retention_days" {
  description = "Days logs are kept: CloudWatch log groups, S3 and load balancer access logs, application logs."
  type        = number
}

variable "nifi_disconnected_node_alarm_minutes" {
  description = "Minutes a NiFi instance may be in service without being connected to the cluster before the alarm is raised (the monitoring module's variable)."
  type        = number
  default     = 10
}

variable "kms_deletion_window_in_days" {
  description = "Days a scheduled deletion of the environment's KMS key waits (7 to 30)."
  type        = number
}

variable "lake_layers" {
  description = "Lifecycle of the bronze, silver and gold buckets (see the s3-datalake module)."
  type = map(object({
    infrequent_access_after_days          = optional(number)
    glacier_after_days                    = optional(number)
    expire_after_days                     = optional(number)
    noncurrent_versions_expire_after_days = number
  }))
}

variable "force_destroy_buckets" {
  description = "Let terraform destroy delete buckets that still hold objects (throw-away environments only)."
  type        = bool
}

variable "pca_usage_mode" {
  description = "Usage mode of the private CA: GENERAL_PURPOSE or SHORT_LIVED_CERTIFICATE (see the pki-acm-ca module for cost)."
  type        = string
}

variable "pca_permanent_deletion_time_in_days" {
  description = "Days a deleted private CA can be restored (7 to 30)."
  type        = number
}

variable "pca_grant_acm_renewal_permission" {
  description = "Let ACM renew the private certificates it issued from the CA. Only the local sandbox turns it off (its emulator lacks the API)."
  type        = bool
}

variable "host_ami_id" {
  description = "AMI of every host; null finds the newest official Debian 13 image."
  type        = string
}

variable "nifi_instance_type" {
  description = "EC2 instance type of the NiFi nodes."
  type        = string
}

variable "nifi_min_size" {
  description = "Fewest NiFi nodes."
  type        = number
}

variable "nifi_max_size" {
  description = "Most NiFi nodes."
  type        = number
}

variable "nifi_desired_capacity" {
  description = "NiFi nodes running."
  type        = number
}

variable "nifi_data_volume_size_gb" {
  description = "Size of each NiFi node's data volume (repositories) in GiB."
  type        = number
}

variable "airflow_instance_type" {
  description = "EC2 instance type of the Airflow hosts."
  type        = string
}

variable "airflow_min_size" {
  description = "Fewest Airflow hosts."
  type        = number
}

variable "airflow_max_size" {
  description = "Most Airflow hosts."
  type        = number
}

variable "airflow_desired_capacity" {
  description = "Airflow hosts running."
  type        = number
}

variable "airflow_api_domain_name" {
  description = "Name users reach Airflow by; the private CA issues the load balancer's certificate for it."
  type        = string
}

variable "load_balancer_deletion_protection" {
  description = "Protect the NiFi and Airflow load balancers against deletion."
  type        = bool
}

variable "database_instance_class" {
  description = "RDS instance class of the Airflow metadata database."
  type        = string
}

variable "database_allocated_storage_gb" {
  description = "Initial storage of the database in GiB."
  type        = number
}

variable "database_max_allocated_storage_gb" {
  description = "Storage the database may grow to automatically, in GiB."
  type        = number
}

variable "database_multi_az" {
  description = "Keep a standby of the database in a second availability zone."
  type        = bool
}

variable "database_backup_retention_days" {
  description = "Days automated database backups are kept (1 to 35)."
  type        = number
}

variable "database_deletion_protection" {
  description = "Protect the database against deletion."
  type        = bool
}

variable "database_skip_final_snapshot" {
  description = "Delete the database without a final snapshot (throw-away environments only)."
  type        = bool
}

variable "database_monitoring_interval_seconds" {
  description = "Seconds between RDS enhanced monitoring samples (0 turns it off)."
  type        = number
}

variable "database_custom_parameter_group" {
  description = "Give the database its own parameter group (TLS-only connections, connection and slow-statement logging). Only the local sandbox turns it off."
  type        = bool
}

variable "database_performance_insights" {
  description = "Turn on Performance Insights for the database. Only the local sandbox turns it off."
  type        = bool
}

variable "processing_enabled" {
  description = "Create the EMR Serverless Spark application."
  type        = bool
}

variable "processing_maximum_vcpus" {
  description = "Most vCPUs the Spark application uses at once (a cost ceiling)."
  type        = number
}

variable "processing_maximum_memory_gb" {
  description = "Most memory in GB the Spark application uses at once."
  type        = number
}

variable "alarm_email_addresses" {
  description = "Addresses notified by every alarm."
  type        = list(string)
}

variable "pipeline_alert_email_addresses" {
  description = "Addresses notified of failed and late pipeline runs (the DAGs publish them to their own topic, apart from the platform's alarms)."
  type        = list(string)
}

variable "nifi_awx_callback_url" {
  description = "AWX provisioning callback URL of the job template that configures a new NiFi node, or null: the callback template dataplatform-<env>-callback on awx_url, by its named URL. Its host config key lives in the secret dataplatform/<env>/nifi/awx-host-config-key."
  type        = string
}

variable "airflow_awx_callback_url" {
  description = "AWX provisioning callback URL of the job template that configures a new Airflow host, or null: the callback template dataplatform-<env>-callback on awx_url, by its named URL. Its host config key lives in the secret dataplatform/<env>/airflow/awx-host-config-key."
  type        = string
}

variable "dags_workflow_refs" {
  description = "The refs the DAGs workflow (.github/workflows/dags.yml) publishes to this environment from, as the promotion model admits them (.github/environments.yml): the DAGs publisher role trusts that workflow there only."
  type        = list(string)
}

variable "awx_provisioning_callback" {
  description = "Whether new instances call AWX's provisioning callback at boot (the template dataplatform-<env>-callback on awx_url, or the *_awx_callback_url given). Only the sandbox turns it off: its own converge configures its hosts, and its AWX stand-in launches jobs but takes no callbacks."
  type        = bool

  validation {
    condition     = var.environment == "local" || var.awx_provisioning_callback
    error_message = "awx_provisioning_callback must be true outside the sandbox: an instance nobody configures waits in its launch hook until it is abandoned, and its replacement too."
  }
}

variable "awx_url" {
  description = "AWX's base URL (https://<host>, no trailing slash): new instances call its provisioning callback at boot (the template dataplatform-<env>-callback, by its named URL, unless nifi_awx_callback_url or airflow_awx_callback_url name another), and EventBridge launches the NiFi decommission job on it when a node enters its termination lifecycle hook (terraform/modules/lifecycle-events). Null only in the sandbox (local), whose own converge configures its hosts."
  type        = string

  validation {
    condition     = var.environment == "local" || var.awx_url != null
    error_message = "awx_url must name the environment's AWX: without it no new instance is ever configured (its launch hook abandons it, and its replacement, in a loop) and no NiFi node is decommissioned before it leaves."
  }
}
