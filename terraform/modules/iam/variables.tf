variable "environment" {
  description = "Environment the roles belong to: local, dev, ppd or prod."
  type        = string

  validation {
    condition     = contains(["local", "dev", "ppd", "prod"], var.environment)
    error_message = "environment must be one of local, dev, ppd, prod."
  }
}

variable "bucket_arns" {
  description = "Bucket ARN by purpose, as the s3-datalake module outputs them (bronze, silver, gold, artifacts, dags, logs, truststore)."
  type        = map(string)

  validation {
    condition     = length(setsubtract(["bronze", "silver", "gold", "artifacts", "dags", "logs", "truststore"], keys(var.bucket_arns))) == 0
    error_message = "bucket_arns must have the keys bronze, silver, gold, artifacts, dags, logs and truststore."
  }
}

variable "kms_key_arn" {
  description = "The environment's KMS key (buckets and secrets are encrypted with it)."
  type        = string
}

variable "pca_arn" {
  description = "ARN of the environment's private CA; hosts may issue and fetch certificates from it and nothing else."
  type        = string
}

variable "platform_parameter_name" {
  description = "Name of the platform parameter hosts read (/dataplatform/<env>/platform)."
  type        = string

  validation {
    condition     = can(regex("^/dataplatform/(local|dev|ppd|prod)/platform$", var.platform_parameter_name))
    error_message = "platform_parameter_name must be /dataplatform/<env>/platform."
  }
}

variable "nifi_asg_name" {
  description = "Name of the NiFi Auto Scaling Group; NiFi hosts may complete lifecycle actions of this group only."
  type        = string
}

variable "airflow_asg_name" {
  description = "Name of the Airflow Auto Scaling Group; Airflow hosts may complete lifecycle actions of this group only."
  type        = string
}

variable "log_group_names" {
  description = "CloudWatch log group each kind of host ships its logs to."
  type = object({
    nifi    = string
    airflow = string
  })
}

variable "metrics_namespace" {
  description = "The CloudWatch namespace of the platform's metrics (the monitoring module's metrics.namespace): the only one the host roles may publish to."
  type        = string

  validation {
    condition     = can(regex("^DataPlatform/", var.metrics_namespace))
    error_message = "metrics_namespace must be the platform's namespace, DataPlatform/<env>."
  }
}

variable "processing" {
  description = "The EMR Serverless application Airflow submits Spark jobs to and the job role it passes, or null when processing is off."
  type = object({
    application_arn = string
    job_role_arn    = string
  })
  default = null
}

variable "pipeline" {
  description = "What the DAGs on the Airflow hosts use besides Spark: the Glue catalog, databases and tables they register partitions in, and the SNS topic they publish failed and late runs to."
  type = object({
    glue_catalog_arn   = string
    glue_database_arns = list(string)
    glue_table_arns    = list(string)
    alerts_topic_arn   = string
  })

  validation {
    condition     = length(var.pipeline.glue_database_arns) > 0 && length(var.pipeline.glue_table_arns) > 0 && alltrue([for arn in concat([var.pipeline.glue_catalog_arn, var.pipeline.alerts_topic_arn], var.pipeline.glue_database_arns, var.pipeline.glue_table_arns) : !strcontains(arn, "*")])
    error_message = "pipeline must name its catalog, databases, tables and topic, without wildcards."
  }
}

variable "github_repository" {
  description = "GitHub repository (owner/name) whose certificate workflow may assume the cert issuer role."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be owner/name, for example example-org/dataplatform-ops."
  }
}

variable "cert_workflow" {
  description = "The certificate workflow and the ref its jobs may assume the cert issuer role from (<path>@<ref>)."
  type        = string
  default     = ".github/workflows/cert-issuer.yml@refs/heads/main"

  validation {
    condition     = can(regex("^\\.github/workflows/[^@*?]+@refs/(heads|tags)/[^*?]+$", var.cert_workflow))
    error_message = "cert_workflow must be .github/workflows/<file>@refs/heads/<branch> (or a tag ref), without wildcards."
  }
}

variable "dags_workflow_refs" {
  description = "The refs the DAGs workflow (.github/workflows/dags.yml) may assume the DAGs publisher role from, in the account's GitHub environment: the environment's refs of the promotion model (.github/environments.yml; dev [\"refs/heads/feature/*\"], ppd [\"refs/heads/release/*\"], prod [\"refs/tags/v*.*.*\"]), `*` for the rest of a branch or tag name."
  type        = list(string)

  validation {
    condition     = length(var.dags_workflow_refs) > 0 && alltrue([for ref in var.dags_workflow_refs : can(regex("^refs/(heads|tags)/[A-Za-z0-9][A-Za-z0-9._/*-]*$", ref))])
    error_message = "dags_workflow_refs must name at least one ref, each refs/heads/<branch> or refs/tags/<tag>, a wildcard * only after a name's first character."
  }
}

variable "spark_artifacts_prefix" {
  description = "Key prefix in the artifacts bucket the DAGs publisher writes the Spark jobs under (the processing module's artifacts_prefix)."
  type        = string
  default     = "spark/"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*/$", var.spark_artifacts_prefix))
    error_message = "spark_artifacts_prefix must be a key prefix ending in /, without wildcards."
  }
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of every role this module makes (the bootstrap's, terraform/bootstrap): the deploy role may create or change a role only with it."
  type        = string
}

variable "ssh_user_ca_secret_arn" {
  description = "ARN of the secret holding the SSH user CA's private key (ssh-user-ca module): the automation role signs its login certificates with it."
  type        = string
}

variable "automation_trusted_principal_arns" {
  description = "IAM principals (AWX's execution nodes' role, an operator role) that may assume the automation and cert issuer roles; empty trusts the account, whose IAM policies then decide, which only the sandbox (environment local) may do."
  type        = list(string)
  default     = []

  validation {
    condition     = var.environment == "local" || length(var.automation_trusted_principal_arns) > 0
    error_message = "automation_trusted_principal_arns must name who may assume the automation and cert issuer roles: empty would trust every principal of the account."
  }
}

variable "tags" {
  description = "Tags added to every resource that takes tags."
  type        = map(string)
  default     = {}
}
