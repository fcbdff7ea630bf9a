output "application" {
  description = "The Spark application Airflow submits jobs to and the role the jobs run as, or null when the module is disabled."
  value = var.enabled ? {
    application_id  = aws_emrserverless_application.spark[0].id
    application_arn = aws_emrserverless_application.spark[0].arn
    job_role_arn    = aws_iam_role.job[0].arn
  } : null
}
