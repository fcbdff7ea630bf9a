output "vpc_id" {
  description = "Id of the VPC."
  value       = aws_vpc.main.id
}

output "vpc_cidr_block" {
  description = "IPv4 range of the VPC."
  value       = aws_vpc.main.cidr_block
}

output "availability_zones" {
  description = "Availability zones the subnets are spread over."
  value       = local.zones
}

output "public_subnet_ids" {
  description = "Public subnet ids, one per availability zone (NAT gateways only)."
  value       = [for zone in local.zones : aws_subnet.public[zone].id]
}

output "private_subnet_ids" {
  description = "Private subnet ids, one per availability zone (hosts, load balancers, database, Spark)."
  value       = [for zone in local.zones : aws_subnet.private[zone].id]
}

output "nat_gateway_public_ips" {
  description = "Public addresses outbound traffic leaves from (for allow lists of outside services)."
  value       = [for gateway in aws_nat_gateway.main : gateway.public_ip]
}

output "flow_log_group_name" {
  description = "CloudWatch log group of the VPC flow logs."
  value       = aws_cloudwatch_log_group.flow_logs.name
}

output "automation_security_group_id" {
  description = "Security group for the automation (AWX) that runs the converge in the VPC: the hosts admit SSH from it."
  value       = aws_security_group.automation.id
}
