variable "environment" {
  description = "Environment being monitored: local, dev, ppd or prod."
  type        = string

  validation {
    condition     = contains(["local", "dev", "ppd", "prod"], var.environment)
    error_message = "environment must be one of local, dev, ppd, prod."
  }
}

variable "kms_key_arn" {
  description = "KMS key of the log groups and of the alarm topic."
  type        = string
}

variable "log_retention_days" {
  description = "Days host logs are kept in CloudWatch Logs (a value CloudWatch accepts)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the retention periods CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)."
  }
}

variable "s3_access_log_bucket" {
  description = "Bucket that receives the S3 server access logs of the load balancer log bucket."
  type        = string
}

variable "lb_access_log_expire_after_days" {
  description = "Days load balancer access logs are kept."
  type        = number
  default     = 365

  validation {
    condition     = var.lb_access_log_expire_after_days >= 1
    error_message = "lb_access_log_expire_after_days must be at least 1."
  }
}

variable "force_destroy" {
  description = "Let terraform destroy delete the access log bucket while it still holds logs. Only for throw-away environments."
  type        = bool
  default     = false
}

variable "alarm_email_addresses" {
  description = "Addresses subscribed to the alarm topic (each confirms by email)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for address in var.alarm_email_addresses : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", address))])
    error_message = "alarm_email_addresses must be e-mail addresses."
  }
}

variable "pipeline_alert_email_addresses" {
  description = "Addresses subscribed to the pipeline alert topic, which the DAGs publish failed and late runs to (each confirms by email)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for address in var.pipeline_alert_email_addresses : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", address))])
    error_message = "pipeline_alert_email_addresses must be e-mail addresses."
  }
}

variable "auto_scaling_groups" {
  description = "Auto Scaling Groups to watch, by role: their name and minimum size. The nifi entry is required (its terminating instances are watched)."
  type = map(object({
    name     = string
    min_size = number
  }))

  validation {
    condition     = contains(keys(var.auto_scaling_groups), "nifi")
    error_message = "auto_scaling_groups must have a nifi entry."
  }
}

variable "nifi_load_balancer" {
  description = "ARN suffixes of the NiFi load balancer, its target group and its ingest flow's target group."
  type = object({
    arn_suffix                     = string
    target_group_arn_suffix        = string
    ingest_target_group_arn_suffix = string
  })
}

variable "airflow_load_balancer_arn_suffix" {
  description = "ARN suffix of the Airflow load balancer."
  type        = string
}

variable "database_identifier" {
  description = "Identifier of the Airflow RDS instance."
  type        = string
}

variable "cpu_alarm_threshold_percent" {
  description = "Average CPU above which hosts and the database raise an alarm."
  type        = number
  default     = 85

  validation {
    condition     = var.cpu_alarm_threshold_percent > 0 && var.cpu_alarm_threshold_percent <= 100
    error_message = "cpu_alarm_threshold_percent must be between 1 and 100."
  }
}

variable "database_free_storage_alarm_gb" {
  description = "Free database storage in GB below which an alarm is raised."
  type        = number
  default     = 2
}

variable "tags" {
  description = "Tags added to every resource that takes tags."
  type        = map(string)
  default     = {}
}

variable "nifi_cluster_name" {
  description = "The NiFi cluster whose metrics are alarmed on: the Cluster dimension the nodes publish with, the group's dataplatform:cluster tag."
  type        = string
  default     = "nifi-main"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*$", var.nifi_cluster_name))
    error_message = "nifi_cluster_name must be a cluster tag value such as nifi-main."
  }
}

variable "nifi_disconnected_node_alarm_minutes" {
  description = "Minutes an instance of the NiFi group may be in service without being connected to the cluster before the alarm is raised."
  type        = number
  default     = 10

  validation {
    condition     = var.nifi_disconnected_node_alarm_minutes >= 1 && var.nifi_disconnected_node_alarm_minutes <= 1440 && floor(var.nifi_disconnected_node_alarm_minutes) == var.nifi_disconnected_node_alarm_minutes
    error_message = "nifi_disconnected_node_alarm_minutes must be a whole number of minutes from 1 to 1440 (CloudWatch evaluates one-minute periods over a day at most)."
  }
}

variable "nifi_back_pressure_alarm" {
  description = "Sustained back-pressure: the alarm is raised when a NiFi connection applies back-pressure in breaching_minutes of the last window_minutes."
  type = object({
    window_minutes    = number
    breaching_minutes = number
  })
  default = { window_minutes = 15, breaching_minutes = 10 }

  validation {
    condition = (var.nifi_back_pressure_alarm.window_minutes >= 1 && var.nifi_back_pressure_alarm.window_minutes <= 1440
      && floor(var.nifi_back_pressure_alarm.window_minutes) == var.nifi_back_pressure_alarm.window_minutes
      && var.nifi_back_pressure_alarm.breaching_minutes >= 1
      && var.nifi_back_pressure_alarm.breaching_minutes <= var.nifi_back_pressure_alarm.window_minutes
    && floor(var.nifi_back_pressure_alarm.breaching_minutes) == var.nifi_back_pressure_alarm.breaching_minutes)
    error_message = "nifi_back_pressure_alarm needs whole minutes: window_minutes from 1 to 1440, breaching_minutes from 1 to window_minutes."
  }
}

variable "bronze_datasets" {
  description = "Datasets NiFi ingests into bronze whose day partition must hold data by bronze_deadline_hour_utc (the Dataset dimension of the bronze metrics)."
  type        = list(string)
  default     = ["orders"]

  validation {
    condition     = alltrue([for dataset in var.bronze_datasets : can(regex("^[a-z][a-z0-9_]*$", dataset))])
    error_message = "bronze_datasets must be dataset names as they appear in the bronze bucket's prefixes (lower case, digits, underscores)."
  }
}

variable "bronze_deadline_hour_utc" {
  description = "Hour of the day (UTC) by which each dataset's bronze partition of the day must hold an object; from then until midnight an empty partition raises an alarm."
  type        = number
  default     = 6

  validation {
    condition     = var.bronze_deadline_hour_utc >= 1 && var.bronze_deadline_hour_utc <= 23 && floor(var.bronze_deadline_hour_utc) == var.bronze_deadline_hour_utc
    error_message = "bronze_deadline_hour_utc must be a whole hour from 1 to 23."
  }
}

variable "pipeline_dag_ids" {
  description = "DAGs whose failed and late runs raise an alarm on the pipeline alert topic (the DagId dimension of DagRunFailed and DagRunLate)."
  type        = list(string)
  default     = ["orders_pipeline"]

  validation {
    condition     = alltrue([for dag_id in var.pipeline_dag_ids : can(regex("^[A-Za-z0-9_.-]{1,200}$", dag_id))])
    error_message = "pipeline_dag_ids must be Airflow DAG ids (letters, digits, dots, dashes and underscores)."
  }
}
