output "platform_parameter_name" {
  description = "SSM parameter holding the platform document the hosts read."
  value       = module.platform_parameter.name
}

output "platform" {
  description = "The platform document (the value of the platform parameter)."
  value       = module.platform_parameter.document
}

output "nifi_asg_name" {
  description = "Auto Scaling Group of the NiFi nodes."
  value       = module.nifi.asg_name
}

output "nifi_ingest_url" {
  description = "URL clients post records to: NiFi's ingest flow through its load balancer (client certificates required)."
  value       = module.nifi.ingest_url
}

output "airflow_asg_name" {
  description = "Auto Scaling Group of the Airflow hosts."
  value       = module.airflow.asg_name
}

output "airflow_url" {
  description = "URL of the Airflow UI and API (once DNS points the name at the load balancer)."
  value       = module.airflow.api_url
}

output "pca_arn" {
  description = "ARN of the environment's private CA."
  value       = module.pki.arn
}

output "pipeline" {
  description = "What the DAGs run and write: the Spark application and its job role (null where processing is off), the Glue tables by name and the pipeline alert topic."
  value = {
    spark_application = module.processing.application
    glue_tables       = module.glue_catalog.tables
    alerts_topic_arn  = module.monitoring.pipeline_alerts_topic_arn
  }
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the environment."
  value       = module.monitoring.dashboard_name
}

output "left_out" {
  description = "Resources a switch left out of this environment, and why (empty outside the local sandbox)."
  value       = local.left_out
}

output "automation_role_arn" {
  description = "Role the converge assumes (AWX's AWS credential, or an operator running site.yml)."
  value       = module.iam.automation_role_arn
}

output "automation_security_group_id" {
  description = "Security group to attach to AWX's execution nodes: the hosts admit SSH from it."
  value       = module.networking.automation_security_group_id
}

output "ssh_user_ca_secret_name" {
  description = "Secret holding the SSH user CA's private key (upload it with ansible/playbooks/ssh-user-ca.yml)."
  value       = module.ssh_user_ca.secret_name
}

output "lifecycle_events" {
  description = "The EventBridge wiring of NiFi's termination lifecycle actions to AWX (the connection whose token awx/configure.yml's user holds, the rule, the dead-letter queue, the launch URL), or null without awx_url."
  value       = one(module.lifecycle_events)
}
