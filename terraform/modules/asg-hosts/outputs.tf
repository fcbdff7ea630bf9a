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
