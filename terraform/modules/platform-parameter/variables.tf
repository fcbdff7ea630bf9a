variable "environment" {
  description = "Environment the document describes: local, dev, ppd or prod."
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

variable "pca_arn" {
  description = "ARN of the environment's private CA."
  type        = string
}

variable "buckets" {
  description = "Bucket names of the environment."
  type = object({
    bronze     = string
    silver     = string
    gold       = string
    artifacts  = string
    dags       = string
    logs       = string
    truststore = string
  })
}

variable "nifi" {
  description = "The NiFi cluster: its Auto Scaling Group, the DNS name of its load balancer and the URL clients post records to (its ingest flow)."
  type = object({
    asg_name     = string
    nlb_dns_name = string
    ingest_url   = string
  })
}

variable "airflow" {
  description = "Airflow: its Auto Scaling Group, the DNS name of its load balancer and the name users reach it by (its certificate's)."
  type = object({
    asg_name        = string
    alb_dns_name    = string
    api_domain_name = string
  })
}

variable "ssh" {
  description = "SSH login on the hosts: the user, the principal a login certificate must name, the secret holding the user CA's private key and the CA's public keys the hosts trust."
  type = object({
    user                = string
    principal           = string
    user_ca_secret_arn  = string
    user_ca_public_keys = list(string)
  })
}

variable "rds" {
  description = "The Airflow metadata database: endpoint host, port, database name and the ARN of the secret RDS keeps its credentials in."
  type = object({
    endpoint               = string
    port                   = number
    db_name                = string
    credentials_secret_arn = string
  })
}

variable "processing" {
  description = "Spark on EMR Serverless: the application and the role its jobs run as (both null where processing is switched off), the S3 prefixes the Spark package is published under and the jobs log to."
  type = object({
    emr_serverless_application_id = string
    spark_job_role_arn            = string
    spark_artifacts_uri           = string
    spark_logs_uri                = string
  })

  validation {
    condition     = (var.processing.emr_serverless_application_id == null) == (var.processing.spark_job_role_arn == null)
    error_message = "processing.emr_serverless_application_id and processing.spark_job_role_arn are both set or both null."
  }

  validation {
    condition     = alltrue([for uri in [var.processing.spark_artifacts_uri, var.processing.spark_logs_uri] : can(regex("^s3://[a-z0-9][a-z0-9.-]+/([^/]+/)+$", uri))])
    error_message = "processing.spark_artifacts_uri and processing.spark_logs_uri must be S3 prefixes, s3://<bucket>/<prefix>/."
  }
}

variable "glue" {
  description = "Glue databases of the layers the pipeline writes tables in."
  type = object({
    silver_database = string
    gold_database   = string
  })
}

variable "alerts" {
  description = "Where the DAGs send failed and late runs: the pipeline alert topic."
  type = object({
    pipeline_topic_arn = string
  })
}

variable "telemetry" {
  description = "Where the hosts and the DAGs send what they observe: the CloudWatch namespace of the platform's metrics, each metric's name by its key in the metrics contract, and the log group each kind of host ships to (the monitoring module's metrics and log_group_names outputs)."
  type = object({
    metrics_namespace = string
    metric_names      = map(string)
    log_groups = object({
      nifi    = string
      airflow = string
    })
  })
}

variable "secrets" {
  description = "How the platform's secrets are kept: the KMS key every secret under dataplatform/<env>/ is encrypted with, and the cert issuer role, the only other reader of a user's certificate secret."
  type = object({
    kms_key_arn          = string
    cert_issuer_role_arn = string
  })
}

variable "tags" {
  description = "Tags added to every resource that takes tags."
  type        = map(string)
  default     = {}
}
