variable "environment" {
  description = "Environment of the cluster: local, dev, ppd or prod."
  type        = string

  validation {
    condition     = contains(["local", "dev", "ppd", "prod"], var.environment)
    error_message = "environment must be one of local, dev, ppd, prod."
  }
}

variable "cluster_name" {
  description = "Name of the NiFi cluster (the dataplatform:cluster tag)."
  type        = string
  default     = "nifi-main"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,18}[a-z0-9]$", var.cluster_name))
    error_message = "cluster_name must be 3 to 20 lower-case letters, digits and hyphens (load balancer names are limited to 32 characters)."
  }
}

variable "vpc_id" {
  description = "VPC of the cluster."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the nodes and of the internal load balancer (one per availability zone)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must span at least two availability zones."
  }
}

variable "client_cidr_blocks" {
  description = "Networks browsers and API clients reach NiFi from (through the load balancer)."
  type        = list(string)

  validation {
    condition     = length(var.client_cidr_blocks) > 0 && alltrue([for cidr in var.client_cidr_blocks : can(cidrnetmask(cidr)) && cidr != "0.0.0.0/0"])
    error_message = "client_cidr_blocks must be a non-empty list of IPv4 CIDRs, none of them 0.0.0.0/0."
  }
}

variable "ingest_cidr_blocks" {
  description = "Networks clients post records to the ingest flow from (through the load balancer, on ports.ingest); null (default) means the same as client_cidr_blocks."
  type        = list(string)
  default     = null

  validation {
    condition     = var.ingest_cidr_blocks == null ? true : length(var.ingest_cidr_blocks) > 0 && alltrue([for cidr in var.ingest_cidr_blocks : can(cidrnetmask(cidr)) && cidr != "0.0.0.0/0"])
    error_message = "ingest_cidr_blocks must be null or a non-empty list of IPv4 CIDRs, none of them 0.0.0.0/0."
  }
}

variable "ingest_base_path" {
  description = "Path segment the ingest flow receives records on: clients post to https://<load balancer>:<ports.ingest>/<ingest_base_path>."
  type        = string
  default     = "orders"

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]+$", var.ingest_base_path)) && !contains([".", ".."], var.ingest_base_path)
    error_message = "ingest_base_path must be one path segment of letters, digits, '.', '_' and '-' (not '.' or '..'), without slashes."
  }
}

variable "ssh_access" {
  description = "SSH to the nodes: the login (user, user CA public keys and principals: the ssh-user-ca module's host_access), the security groups allowed to connect on port 22 (names to ids, e.g. the automation group AWX runs in) and the administrators' networks allowed too."
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

variable "ports" {
  description = "Ports NiFi listens on (ingest: the HTTPS listener of the ingest flow); the NiFi role and the flow must configure the same ones."
  type = object({
    https              = optional(number, 8443)
    cluster_protocol   = optional(number, 11443)
    load_balancing     = optional(number, 6342)
    zookeeper_client   = optional(number, 2181)
    zookeeper_quorum   = optional(number, 2888)
    zookeeper_election = optional(number, 3888)
    ingest             = optional(number, 9443)
  })
  default = {}

  validation {
    condition     = length(distinct(values(var.ports))) == length(values(var.ports))
    error_message = "ports must all differ (the ingest listener cannot share NiFi's https port)."
  }
}

variable "instance_type" {
  description = "EC2 instance type of the nodes."
  type        = string
}

variable "architecture" {
  description = "CPU architecture of the instance type (x86_64 or arm64)."
  type        = string
  default     = "x86_64"
}

variable "ami_id" {
  description = "AMI of the nodes; null finds the newest official Debian 13 image."
  type        = string
  default     = null
}

variable "instance_profile_name" {
  description = "Instance profile of the nodes (from the iam module)."
  type        = string
}

variable "root_volume_size_gb" {
  description = "Size of each node's root volume in GiB."
  type        = number
  default     = 30
}

variable "data_volume_size_gb" {
  description = "Size of each node's data volume (flowfile, content and provenance repositories) in GiB."
  type        = number

  validation {
    condition     = var.data_volume_size_gb >= 1
    error_message = "data_volume_size_gb must be at least 1."
  }
}

variable "data_volume_mount_point" {
  description = "Where the data volume is mounted; the NiFi role puts its repositories there."
  type        = string
  default     = "/var/lib/nifi-data"
}

variable "min_size" {
  description = "Fewest nodes."
  type        = number
}

variable "max_size" {
  description = "Most nodes."
  type        = number
}

variable "desired_capacity" {
  description = "Nodes the cluster runs (three or more for a ZooKeeper quorum outside the sandbox)."
  type        = number
}

variable "termination_hook_timeout_seconds" {
  description = "Seconds a leaving node has to be disconnected and offloaded before it is terminated."
  type        = number
  default     = 1800
}

variable "deregistration_delay_seconds" {
  description = "Seconds the load balancer keeps connections to a leaving node open."
  type        = number
  default     = 120
}

variable "deletion_protection" {
  description = "Protect the load balancer against deletion."
  type        = bool
  default     = true
}

variable "awx_callback_url" {
  description = "AWX provisioning callback URL of the job template that configures a new node, or null (see the asg-hosts module)."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource that takes tags, and propagated to the nodes."
  type        = map(string)
  default     = {}
}
