variable "environment" {
  description = "Environment the events belong to: local, dev, ppd or prod."
  type        = string

  validation {
    condition     = contains(["local", "dev", "ppd", "prod"], var.environment)
    error_message = "environment must be one of local, dev, ppd, prod."
  }
}

variable "awx_url" {
  description = "Base URL of AWX, https://<host>[/<path>] without a trailing slash; the job template is launched at <awx_url>/api/v2/job_templates/<template>++<organization>/launch/."
  type        = string

  validation {
    condition     = can(regex("^https://[^/\\s?#]+(/[^\\s?#]*[^/\\s?#])?$", var.awx_url))
    error_message = "awx_url must start with https://, carry no query or fragment, and end without a slash."
  }
}

variable "awx_resource_configuration_arn" {
  description = "VPC Lattice resource configuration through which EventBridge reaches an AWX inside the VPC, or null (default): AWX has a public name with a publicly trusted certificate."
  type        = string
  default     = null

  validation {
    condition     = var.awx_resource_configuration_arn == null || can(regex("^arn:aws[a-z-]*:vpc-lattice:[a-z0-9-]+:[0-9]{12}:resourceconfiguration/rcfg-[0-9a-z]+$", var.awx_resource_configuration_arn))
    error_message = "awx_resource_configuration_arn must be null or the ARN of a VPC Lattice resource configuration."
  }
}

variable "decommission_job_template" {
  description = "Name of the AWX job template that runs ansible/playbooks/nifi-decommission.yml; null (default) means dataplatform-<env>-nifi-decommission."
  type        = string
  default     = null

  validation {
    # The name goes into AWX's named URL unescaped.
    condition     = var.decommission_job_template == null || can(regex("^[A-Za-z0-9._-]+$", var.decommission_job_template))
    error_message = "decommission_job_template must be null or consist of letters, digits, '.', '_' and '-'."
  }
}

variable "awx_organization" {
  description = "AWX organization of the job template (the second half of its named URL)."
  type        = string
  default     = "dataplatform"

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]+$", var.awx_organization))
    error_message = "awx_organization must consist of letters, digits, '.', '_' and '-'."
  }
}

variable "autoscaling_group_names" {
  description = "Auto Scaling Groups whose termination lifecycle actions launch the decommission job (the NiFi group)."
  type        = list(string)

  validation {
    condition     = length(var.autoscaling_group_names) > 0 && alltrue([for name in var.autoscaling_group_names : length(name) > 0])
    error_message = "autoscaling_group_names must name at least one group, and no name may be empty."
  }
}

variable "lifecycle_hook_name" {
  description = "Name of the groups' termination lifecycle hook (asg-hosts names it terminate)."
  type        = string
  default     = "terminate"
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the dead-letter queue; its key policy must let events.amazonaws.com use it."
  type        = string
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary set on the role EventBridge assumes (every role of the environment carries it)."
  type        = string
}

variable "invocation_rate_limit_per_second" {
  description = "Most launch requests EventBridge sends AWX per second (1 to 300)."
  type        = number
  default     = 1

  validation {
    condition     = var.invocation_rate_limit_per_second >= 1 && var.invocation_rate_limit_per_second <= 300 && floor(var.invocation_rate_limit_per_second) == var.invocation_rate_limit_per_second
    error_message = "invocation_rate_limit_per_second must be a whole number from 1 to 300."
  }
}

variable "retry_window_seconds" {
  description = "How long EventBridge keeps retrying a launch AWX did not accept before the event goes to the dead-letter queue (60 to 86400)."
  type        = number
  default     = 3600

  validation {
    condition     = var.retry_window_seconds >= 60 && var.retry_window_seconds <= 86400
    error_message = "retry_window_seconds must be between 60 and 86400."
  }
}

variable "dlq_message_retention_seconds" {
  description = "How long an event nobody could deliver stays in the dead-letter queue (default 14 days, the most SQS keeps)."
  type        = number
  default     = 1209600

  validation {
    condition     = var.dlq_message_retention_seconds >= 60 && var.dlq_message_retention_seconds <= 1209600
    error_message = "dlq_message_retention_seconds must be between 60 and 1209600."
  }
}

variable "alarm_topic_arn" {
  description = "SNS topic the module's alarms notify (the monitoring module's alarm_topic_arn), or null: the alarms exist but notify nobody."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource that takes tags."
  type        = map(string)
  default     = {}
}
