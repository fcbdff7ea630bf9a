data "aws_availability_zones" "available" {
  #checkov:skip=CKV_AWS_394:Subnets take the first availability_zone_count zones in name order; a zone AWS adds later sorts after them and changes nothing.
  state = "available"
}

locals {
  name  = "dataplatform-${var.environment}"
  zones = slice(data.aws_availability_zones.available.names, 0, var.availability_zone_count)
  # Public subnets take the first /24-sized blocks, private ones start halfway through the VPC
  # range, so adding a zone never renumbers an existing subnet.
  public_subnets  = { for index, zone in local.zones : zone => cidrsubnet(var.cidr_block, var.subnet_newbits, index) }
  private_subnets = { for index, zone in local.zones : zone => cidrsubnet(var.cidr_block, var.subnet_newbits, index + pow(2, var.subnet_newbits - 1)) }
  nat_zones       = var.single_nat_gateway ? [local.zones[0]] : local.zones
}

resource "aws_vpc" "main" {
  cidr_block           = var.cidr_block
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = merge(var.tags, { Name = local.name })
}

# Nothing may use the default security group: with no rules it neither admits nor sends traffic.
resource "aws_default_security_group" "closed" {
  vpc_id = aws_vpc.main.id
  tags   = merge(var.tags, { Name = "${local.name}-default-closed" })
}

# What runs the converge inside the VPC (AWX's execution nodes) wears this group: the hosts
# admit SSH from it (nifi and airflow modules), and it may open SSH to the VPC only.
resource "aws_security_group" "automation" {
  #checkov:skip=CKV2_AWS_5:Attached outside this repository, to the automation (AWX) that runs the converge in the VPC.
  name        = "${local.name}-automation"
  description = "Automation (AWX) of ${var.environment}: SSH to the platform hosts of the VPC."
  vpc_id      = aws_vpc.main.id
  tags        = merge(var.tags, { Name = "${local.name}-automation" })
}

resource "aws_security_group_rule" "automation_ssh_out" {
  type              = "egress"
  security_group_id = aws_security_group.automation.id
  description       = "SSH to the platform hosts"
  protocol          = "tcp"
  from_port         = 22
  to_port           = 22
  cidr_blocks       = [aws_vpc.main.cidr_block]
}

resource "aws_subnet" "public" {
  for_each = local.public_subnets

  vpc_id            = aws_vpc.main.id
  availability_zone = each.key
  cidr_block        = each.value
  tags              = merge(var.tags, { Name = "${local.name}-public-${each.key}", Tier = "public" })
}

resource "aws_subnet" "private" {
  for_each = local.private_subnets

  vpc_id            = aws_vpc.main.id
  availability_zone = each.key
  cidr_block        = each.value
  tags              = merge(var.tags, { Name = "${local.name}-private-${each.key}", Tier = "private" })
}

resource "aws_internet_gateway" "main" {
  vpc_id = aws_vpc.main.id
  tags   = merge(var.tags, { Name = local.name })
}

resource "aws_eip" "nat" {
  for_each = toset(local.nat_zones)

  domain = "vpc"
  tags   = merge(var.tags, { Name = "${local.name}-nat-${each.key}" })

  depends_on = [aws_internet_gateway.main]
}

resource "aws_nat_gateway" "main" {
  for_each = toset(local.nat_zones)

  allocation_id = aws_eip.nat[each.key].id
  subnet_id     = aws_subnet.public[each.key].id
  tags          = merge(var.tags, { Name = "${local.name}-${each.key}" })
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.main.id
  tags   = merge(var.tags, { Name = "${local.name}-public" })
}

resource "aws_route" "public_internet" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.main.id
}

resource "aws_route_table_association" "public" {
  for_each = aws_subnet.public

  subnet_id      = each.value.id
  route_table_id = aws_route_table.public.id
}

resource "aws_route_table" "private" {
  for_each = aws_subnet.private

  vpc_id = aws_vpc.main.id
  tags   = merge(var.tags, { Name = "${local.name}-private-${each.key}" })
}

resource "aws_route" "private_nat" {
  for_each = aws_route_table.private

  route_table_id         = each.value.id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.main[var.single_nat_gateway ? local.zones[0] : each.key].id
}

resource "aws_route_table_association" "private" {
  for_each = aws_subnet.private

  subnet_id      = each.value.id
  route_table_id = aws_route_table.private[each.key].id
}

# Lake and artifact traffic to S3 stays on the AWS network and costs no NAT processing.
resource "aws_vpc_endpoint" "s3" {
  vpc_id            = aws_vpc.main.id
  service_name      = "com.amazonaws.${data.aws_region.current.name}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = [for table in aws_route_table.private : table.id]
  tags              = merge(var.tags, { Name = "${local.name}-s3" })
}

data "aws_region" "current" {}

resource "aws_cloudwatch_log_group" "flow_logs" {
  #checkov:skip=CKV_AWS_338:Retention is chosen per environment (flow_log_retention_days): a year or more in prod, shorter where logs have no audit value.
  name              = "/dataplatform/${var.environment}/vpc-flow-logs"
  retention_in_days = var.flow_log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

data "aws_iam_policy_document" "flow_logs_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["vpc-flow-logs.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "flow_logs" {
  name                 = "${local.name}-vpc-flow-logs"
  assume_role_policy   = data.aws_iam_policy_document.flow_logs_assume.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

data "aws_iam_policy_document" "flow_logs_write" {
  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["${aws_cloudwatch_log_group.flow_logs.arn}:*"]
  }
}

resource "aws_iam_role_policy" "flow_logs" {
  name   = "write-flow-logs"
  role   = aws_iam_role.flow_logs.id
  policy = data.aws_iam_policy_document.flow_logs_write.json
}

resource "aws_flow_log" "vpc" {
  vpc_id                   = aws_vpc.main.id
  traffic_type             = "ALL"
  log_destination_type     = "cloud-watch-logs"
  log_destination          = aws_cloudwatch_log_group.flow_logs.arn
  iam_role_arn             = aws_iam_role.flow_logs.arn
  max_aggregation_interval = 600
  tags                     = merge(var.tags, { Name = local.name })
}
