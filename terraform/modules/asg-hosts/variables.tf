variable "environment" {
  description = "Environment of the hosts: local, dev, ppd or prod (the dataplatform:env tag)."
  type        = string

  validation {
    condition     = contains(["local", "dev", "ppd", "prod"], var.environment)
    error_message = "environment must be one of local, dev, ppd, prod."
  }
}

variable "role" {
  description = "What the hosts run: nifi or airflow (the dataplatform:role tag)."
  type        = string

  validation {
    condition     = contains(["nifi", "airflow"], var.role)
    error_message = "role must be nifi or airflow."
  }
}

variable "cluster_name" {
  description = "Cluster the hosts form, for example nifi-main (the dataplatform:cluster tag; the group is named dataplatform-<env>-<cluster_name>)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.cluster_name))
    error_message = "cluster_name must be 3 to 32 lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "instance_type" {
  description = "EC2 instance type of the hosts."
  type        = string
}

variable "architecture" {
  description = "CPU architecture of the instance type (x86_64 or arm64); selects the Debian image."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "ami_id" {
  description = "AMI of the hosts. Null (the default) finds the newest official Debian 13 image; set it to pin an image, or where no Debian image exists."
  type        = string
  default     = null

  validation {
    condition     = var.ami_id == null || can(regex("^ami-[0-9a-f]{8,17}$", var.ami_id))
    error_message = "ami_id must look like ami-0123456789abcdef0."
  }
}

variable "subnet_ids" {
  description = "Private subnets the group launches instances into (spread over availability zones)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 1
    error_message = "subnet_ids must name at least one subnet."
  }
}

variable "vpc_id" {
  description = "VPC of the hosts' security group."
  type        = string
}

variable "security_group" {
  description = "The hosts' security group (this module's; named dataplatform-<env>-<cluster_name>-<name_suffix>): its description and that of its HTTPS egress rule. Both are kept as AWS has them, since a new description replaces the group."
  type = object({
    name_suffix              = optional(string, "hosts")
    description              = string
    https_egress_description = optional(string, "HTTPS to AWS APIs and package mirrors")
  })
}

variable "security_group_ids" {
  description = "Further security groups of the instances, besides the hosts' own."
  type        = list(string)
  default     = []
}

variable "instance_profile_name" {
  description = "Instance profile of the instances."
  type        = string
}

variable "root_volume_size_gb" {
  description = "Size of the encrypted root volume in GiB."
  type        = number
  default     = 20

  validation {
    condition     = var.root_volume_size_gb >= 8
    error_message = "root_volume_size_gb must be at least 8."
  }
}

variable "data_volume" {
  description = "A second encrypted gp3 volume, formatted and mounted at mount_point on first boot, or null for none."
  type = object({
    size_gb          = number
    mount_point      = string
    iops             = optional(number, 3000)
    throughput_mibps = optional(number, 125)
  })
  default = null

  validation {
    condition     = var.data_volume == null ? true : var.data_volume.size_gb >= 1 && startswith(var.data_volume.mount_point, "/")
    error_message = "data_volume.size_gb must be at least 1 and data_volume.mount_point an absolute path."
  }
}

variable "ebs_kms_key_arn" {
  description = "KMS key of the volumes. Null uses the account's EBS key (aws/ebs); a customer-managed key must let the Auto Scaling service-linked role use it."
  type        = string
  default     = null
}

variable "min_size" {
  description = "Fewest instances in the group."
  type        = number
}

variable "max_size" {
  description = "Most instances in the group."
  type        = number
}

variable "desired_capacity" {
  description = "Instances the group keeps running."
  type        = number

  validation {
    condition     = var.desired_capacity >= var.min_size && var.desired_capacity <= var.max_size
    error_message = "desired_capacity must lie between min_size and max_size."
  }
}

variable "target_group_arns" {
  description = "Load balancer target groups the instances register with (their health then counts for the group)."
  type        = list(string)
  default     = []
}

variable "health_check_type" {
  description = "What replaces an instance: EC2 (its status checks only) or ELB (also its target groups' health checks). Null: ELB when target_group_arns is set, else EC2."
  type        = string
  default     = null

  validation {
    condition     = var.health_check_type == null || contains(["EC2", "ELB"], coalesce(var.health_check_type, "EC2"))
    error_message = "health_check_type must be EC2, ELB or null."
  }
}

variable "health_check_grace_period_seconds" {
  description = "Seconds after launch before health checks count (covers configuration by Ansible)."
  type        = number
  default     = 900
}

variable "launch_hook_timeout_seconds" {
  description = "Seconds a new instance may wait in Pending:Wait to be configured before it is abandoned."
  type        = number
  default     = 1800

  validation {
    condition     = var.launch_hook_timeout_seconds >= 30 && var.launch_hook_timeout_seconds <= 7200
    error_message = "launch_hook_timeout_seconds must be between 30 and 7200."
  }
}

variable "termination_hook_timeout_seconds" {
  description = "Seconds a leaving instance may spend in Terminating:Wait (for example to offload a NiFi node) before it is terminated anyway."
  type        = number
  default     = 900

  validation {
    condition     = var.termination_hook_timeout_seconds >= 30 && var.termination_hook_timeout_seconds <= 7200
    error_message = "termination_hook_timeout_seconds must be between 30 and 7200."
  }
}

variable "awx_callback_url" {
  description = "AWX provisioning callback URL of the job template that configures these hosts, or null. The host config key is read at boot from the secret dataplatform/<env>/<role>/awx-host-config-key."
  type        = string
  default     = null

  validation {
    condition     = var.awx_callback_url == null ? true : can(regex("^https://[^ ]+/api/v2/job_templates/([0-9]+|[A-Za-z0-9._-]+\\+\\+[A-Za-z0-9._-]+)/callback/?$", var.awx_callback_url))
    error_message = "awx_callback_url must be an AWX callback URL: https://<awx>/api/v2/job_templates/<id or name++organization>/callback/."
  }
}

variable "ssh_access" {
  description = "SSH login on the hosts (the ssh-user-ca module's host_access): the user the user data creates, the OpenSSH public keys of the user CA whose certificates it accepts, and the principals a certificate must name; and who may reach port 22, the security groups by name (the automation security group of AWX) and the administrators' networks. No CA key: no SSH login."
  type = object({
    user                   = string
    user_ca_public_keys    = list(string)
    principals             = list(string)
    source_security_groups = optional(map(string), {})
    admin_cidr_blocks      = optional(list(string), [])
  })

  validation {
    condition = (can(regex("^[a-z_][a-z0-9_-]{0,31}$", var.ssh_access.user))
      && alltrue([for key in var.ssh_access.user_ca_public_keys : !strcontains(key, "'") && !strcontains(key, "\n")])
    && alltrue([for principal in var.ssh_access.principals : can(regex("^[A-Za-z0-9._@-]+$", principal))]))
    error_message = "ssh_access needs a Linux user name, public keys on one line each without quotes, and principals of letters, digits and ._@-."
  }
}

variable "detailed_monitoring" {
  description = "One-minute EC2 metrics instead of five-minute ones."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags added to every resource that takes tags, and propagated to the instances."
  type        = map(string)
  default     = {}
}
