variable "environment" {
  description = "Environment of the deployment: local, dev, ppd or prod."
  type        = string

  validation {
    condition     = contains(["local", "dev", "ppd", "prod"], var.environment)
    error_message = "environment must be one of local, dev, ppd, prod."
  }
}

variable "cluster_name" {
  description = "Name of the Airflow deployment (the dataplatform:cluster tag)."
  type        = string
  default     = "airflow-main"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,18}[a-z0-9]$", var.cluster_name))
    error_message = "cluster_name must be 3 to 20 lower-case letters, digits and hyphens (load balancer names are limited to 32 characters)."
  }
}

variable "vpc_id" {
  description = "VPC of the deployment."
  type        = string
}

variable "vpc_cidr_block" {
  description = "IPv4 range of the VPC (the hosts reach services such as NiFi inside it)."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the hosts, the internal load balancer and the database (at least two zones)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must span at least two availability zones."
  }
}

variable "client_cidr_blocks" {
  description = "Networks users reach the Airflow UI and API from."
  type        = list(string)

  validation {
    condition     = length(var.client_cidr_blocks) > 0 && alltrue([for cidr in var.client_cidr_blocks : can(cidrnetmask(cidr)) && cidr != "0.0.0.0/0"])
    error_message = "client_cidr_blocks must be a non-empty list of IPv4 CIDRs, none of them 0.0.0.0/0."
  }
}

variable "ssh_access" {
  description = "SSH to the hosts: the login (user, user CA public keys and principals: the ssh-user-ca module's host_access), the security groups allowed to connect on port 22 (names to ids, e.g. the automation group AWX runs in) and the administrators' networks allowed too."
  type = object({
    user                   = string
    user_ca_public_keys    = list(string)
    principals             = list(string)
    source_security_groups = map(string)
    admin_cidr_blocks      = optional(list(string), [])
  })

  validation {
    condition     = alltrue([for cidr in var.ssh_access.admin_cidr_blocks : can(cidrnetmask(cidr)) && cidr != "0.0.0.0/0"])
    error_message = "ssh_access.admin_cidr_blocks must be IPv4 CIDRs, none of them 0.0.0.0/0."
  }
}

variable "vpc_service_ports" {
  description = "Services inside the VPC the hosts call, by name (for example the NiFi REST API on 8443)."
  type        = map(number)
  default     = { nifi-https = 8443 }
}

variable "api_server_port" {
  description = "Port the Airflow api-server serves HTTPS on (the load balancer forwards to it)."
  type        = number
  default     = 8080
}

variable "api_domain_name" {
  description = "Name users reach Airflow by (a DNS record pointing at the load balancer); the private CA issues the load balancer's certificate for it."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$", var.api_domain_name)) && length(var.api_domain_name) <= 64
    error_message = "api_domain_name must be a lower-case DNS name of at most 64 characters."
  }
}

variable "pca_arn" {
  description = "Private CA that issues the load balancer's certificate (through ACM)."
  type        = string
}

variable "access_logs_bucket" {
  description = "Bucket the load balancer writes its access logs to (from the monitoring module)."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key of the database storage, its Performance Insights and its credentials secret."
  type        = string
}

variable "instance_type" {
  description = "EC2 instance type of the hosts."
  type        = string
}

variable "architecture" {
  description = "CPU architecture of the instance type (x86_64 or arm64)."
  type        = string
  default     = "x86_64"
}

variable "ami_id" {
  description = "AMI of the hosts; null finds the newest official Debian 13 image."
  type        = string
  default     = null
}

variable "instance_profile_name" {
  description = "Instance profile of the hosts (from the iam module)."
  type        = string
}

variable "instance_role_name" {
  description = "IAM role of that instance profile; it is granted read access to the database credentials."
  type        = string
}

variable "root_volume_size_gb" {
  description = "Size of each host's root volume in GiB (virtualenv, logs until shipped)."
  type        = number
  default     = 30
}

variable "min_size" {
  description = "Fewest hosts."
  type        = number
}

variable "max_size" {
  description = "Most hosts."
  type        = number
}

variable "desired_capacity" {
  description = "Hosts running Airflow."
  type        = number
}

variable "deletion_protection" {
  description = "Protect the load balancer against deletion."
  type        = bool
  default     = true
}

variable "database" {
  description = <<-EOT
    The RDS PostgreSQL metadata database. custom_parameter_group (default true) creates the
    parameter group that refuses connections without TLS and logs connections and slow
    statements; performance_insights (default true) turns on Performance Insights. Only the
    local sandbox turns either off (its emulator keeps neither setting).
  EOT
  type = object({
    instance_class              = string
    engine_major_version        = optional(string, "17")
    allocated_storage_gb        = optional(number, 20)
    max_allocated_storage_gb    = optional(number, 100)
    multi_az                    = bool
    backup_retention_days       = number
    deletion_protection         = bool
    skip_final_snapshot         = optional(bool, false)
    monitoring_interval_seconds = optional(number, 60)
    db_name                     = optional(string, "airflow")
    username                    = optional(string, "airflow")
    custom_parameter_group      = optional(bool, true)
    performance_insights        = optional(bool, true)
  })

  validation {
    condition     = var.database.backup_retention_days >= 1 && var.database.backup_retention_days <= 35
    error_message = "database.backup_retention_days must be between 1 and 35 (0 would turn backups off)."
  }

  validation {
    condition     = contains([0, 1, 5, 10, 15, 30, 60], var.database.monitoring_interval_seconds)
    error_message = "database.monitoring_interval_seconds must be 0, 1, 5, 10, 15, 30 or 60."
  }

  validation {
    condition     = contains(["13", "14", "15", "16", "17"], var.database.engine_major_version)
    error_message = "database.engine_major_version must be a PostgreSQL major version Airflow 3 supports (13 to 17)."
  }

  validation {
    condition     = var.database.max_allocated_storage_gb >= var.database.allocated_storage_gb
    error_message = "database.max_allocated_storage_gb must be at least allocated_storage_gb."
  }
}

variable "awx_callback_url" {
  description = "AWX provisioning callback URL of the job template that configures a new host, or null (see the asg-hosts module)."
  type        = string
  default     = null
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of the role this module makes (the bootstrap's, terraform/bootstrap): the deploy role may create or change a role only with it."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource that takes tags, and propagated to the hosts."
  type        = map(string)
  default     = {}
}
