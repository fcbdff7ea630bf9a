output "asg_name" {
  description = "Name of the NiFi Auto Scaling Group."
  value       = module.hosts.asg_name
}

output "nlb_dns_name" {
  description = "DNS name of the NiFi load balancer (nifi.web.proxy.host, and a SAN of every node certificate)."
  value       = aws_lb.nifi.dns_name
}

output "nlb_arn_suffix" {
  description = "ARN suffix of the load balancer, for CloudWatch metrics."
  value       = aws_lb.nifi.arn_suffix
}

output "target_group_arn_suffix" {
  description = "ARN suffix of the HTTPS target group, for CloudWatch metrics."
  value       = aws_lb_target_group.nifi["https"].arn_suffix
}

output "ingest_target_group_arn_suffix" {
  description = "ARN suffix of the ingest target group, for CloudWatch metrics."
  value       = aws_lb_target_group.nifi["ingest"].arn_suffix
}

output "ingest_port" {
  description = "Port of the ingest flow's HTTPS listener, on the load balancer and the nodes."
  value       = var.ports.ingest
}

output "ingest_url" {
  description = "URL clients post records to: the ingest flow through the load balancer (client certificates required)."
  value       = "https://${aws_lb.nifi.dns_name}:${var.ports.ingest}/${var.ingest_base_path}"
}

output "node_security_group_id" {
  description = "Security group of the NiFi nodes."
  value       = module.hosts.security_group_id
}

output "ports" {
  description = "Ports NiFi listens on (https, cluster_protocol, load_balancing, zookeeper_*, ingest)."
  value       = var.ports
}
