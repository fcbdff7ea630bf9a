output "application" {
  description = "The Spark application Airflow submits jobs to and the role the jobs run as, or null when the module is disabled."
  value = var.enabled ? {
    application_id  = aws_emrserverless_application.spark[0].id
    application_arn = aws_emrserverless_application.spark[0].arn
    job_role_arn    = aws_iam_role.job[0].arn
  } : null
}

# Known whether or not the module is enabled: the package is published to the same place for any
# Spark runtime that takes over (its role needs the same read on it).
output "artifacts_uri" {
  description = "S3 prefix the Spark package and entry scripts are published under (s3://<artifacts bucket>/spark/), which the job role reads."
  value       = "s3://${local.artifacts_bucket}/${var.artifacts_prefix}"
}

output "logs_uri" {
  description = "S3 prefix the jobs write their logs under (s3://<logs bucket>/spark/): the job run's monitoring configuration."
  value       = "s3://${local.logs_bucket}/${var.logs_prefix}"
}
