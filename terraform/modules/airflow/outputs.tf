output "asg_name" {
  description = "Name of the Airflow Auto Scaling Group."
  value       = module.hosts.asg_name
}

output "alb_dns_name" {
  description = "DNS name of the internal load balancer in front of the api-server."
  value       = aws_lb.airflow.dns_name
}

output "alb_arn_suffix" {
  description = "ARN suffix of the load balancer, for CloudWatch metrics."
  value       = aws_lb.airflow.arn_suffix
}

output "api_domain_name" {
  description = "Name users reach the UI and API by: the load balancer's certificate is for it, and a DNS record for it points at alb_dns_name."
  value       = var.api_domain_name
}

output "api_url" {
  description = "URL of the Airflow UI and API."
  value       = "https://${var.api_domain_name}/"
}

output "db_instance_identifier" {
  description = "Identifier of the RDS instance, for CloudWatch metrics."
  value       = aws_db_instance.airflow.identifier
}

output "db_endpoint" {
  description = "Host name of the metadata database."
  value       = aws_db_instance.airflow.address
}

output "db_port" {
  description = "Port of the metadata database."
  value       = aws_db_instance.airflow.port
}

output "db_name" {
  description = "Name of the metadata database."
  value       = aws_db_instance.airflow.db_name
}

output "db_credentials_secret_arn" {
  description = "ARN of the Secrets Manager secret RDS keeps the database credentials in."
  value       = aws_db_instance.airflow.master_user_secret[0].secret_arn
}

output "host_security_group_id" {
  description = "Security group of the Airflow hosts."
  value       = module.hosts.security_group_id
}
