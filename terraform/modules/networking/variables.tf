variable "environment" {
  description = "Environment the network belongs to: local, dev, ppd or prod."
  type        = string

  validation {
    condition     = contains(["local", "dev", "ppd", "prod"], var.environment)
    error_message = "environment must be one of local, dev, ppd, prod."
  }
}

variable "cidr_block" {
  description = "IPv4 range of the VPC, for example 10.20.0.0/16."
  type        = string

  validation {
    condition     = can(cidrnetmask(var.cidr_block)) && tonumber(split("/", var.cidr_block)[1]) <= 24
    error_message = "cidr_block must be an IPv4 CIDR of /24 or larger, for example 10.20.0.0/16."
  }
}

variable "subnet_newbits" {
  description = "Bits added to the VPC prefix for each subnet (8 turns a /16 into /24 subnets). Half the resulting blocks are reserved for private subnets."
  type        = number
  default     = 8

  validation {
    condition     = var.subnet_newbits >= 2 && var.subnet_newbits <= 12
    error_message = "subnet_newbits must be between 2 and 12."
  }
}

variable "availability_zone_count" {
  description = "Availability zones to spread the public and private subnets over (at least 2)."
  type        = number
  default     = 2

  validation {
    condition     = var.availability_zone_count >= 2 && var.availability_zone_count <= 6
    error_message = "availability_zone_count must be between 2 and 6."
  }
}

variable "single_nat_gateway" {
  description = "One NAT gateway for all zones (cheaper; outbound traffic depends on one zone) instead of one per zone."
  type        = bool
  default     = false
}

variable "flow_log_retention_days" {
  description = "Days the VPC flow logs are kept in CloudWatch Logs (a value CloudWatch accepts, for example 30, 90, 365)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_log_retention_days)
    error_message = "flow_log_retention_days must be one of the retention periods CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)."
  }
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the flow log group."
  type        = string
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of the role this module makes (the bootstrap's, terraform/bootstrap): the deploy role may create or change a role only with it."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource that takes tags."
  type        = map(string)
  default     = {}
}
