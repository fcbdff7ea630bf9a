output "asg_name" {
  description = "Name of the Auto Scaling Group."
  value       = aws_autoscaling_group.hosts.name
}

output "asg_arn" {
  description = "ARN of the Auto Scaling Group."
  value       = aws_autoscaling_group.hosts.arn
}

output "launch_template_id" {
  description = "Id of the launch template."
  value       = aws_launch_template.hosts.id
}

output "ami_id" {
  description = "AMI the instances launch from."
  value       = local.ami_id
}

output "security_group_id" {
  description = "Id of the hosts' security group (SSH in, HTTPS out); the caller adds its service ports to it."
  value       = aws_security_group.hosts.id
}
