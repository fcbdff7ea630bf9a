output "instance_profile_names" {
  description = "Instance profile of each kind of host (nifi, airflow)."
  value       = { for role, profile in aws_iam_instance_profile.host : role => profile.name }
}

output "host_role_names" {
  description = "IAM role of each kind of host (nifi, airflow), for policies other modules attach."
  value       = { for role, host in aws_iam_role.host : role => host.name }
}

output "host_role_arns" {
  description = "IAM role ARN of each kind of host (nifi, airflow)."
  value       = { for role, host in aws_iam_role.host : role => host.arn }
}

output "automation_role_arn" {
  description = "Role the converge (AWX, an operator running site.yml) assumes: reads the platform, signs its SSH login certificate, verifies host keys, issues node certificates, completes launch actions."
  value       = aws_iam_role.automation.arn
}

output "cert_issuer_role_arn" {
  description = "Role the user-certificate pipeline (user-certs.yml) assumes: issues, renews and revokes user certificates and keeps their secrets under dataplatform/<env>/users/."
  value       = aws_iam_role.cert_issuer.arn
}

output "dags_publisher_role_arn" {
  description = "Role the DAGs' delivery job (airflow-dags.yml) assumes: the only principal the DAGs bucket lets write."
  value       = aws_iam_role.dags_publisher.arn
}
