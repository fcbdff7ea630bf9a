data "aws_partition" "current" {
}

locals {
  name = "dataplatform-${var.environment}-${var.cluster_name}"
  # Load balancer and target group names are limited to 32 characters.
  lb_name = "dp-${var.environment}-${var.cluster_name}"
}

# --- Security groups ------------------------------------------------------------------------

resource "aws_security_group" "load_balancer" {
  name        = "${local.name}-alb"
  description = "Airflow load balancer of ${var.environment}: HTTPS from the client networks."
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${local.name}-alb" })
}

# Rules are aws_security_group_rule resources: they read back through DescribeSecurityGroups,
# which every endpoint this project runs against (the sandbox's emulator included) answers in
# full, descriptions of group-to-group rules too.
resource "aws_security_group_rule" "load_balancer_https" {
  for_each = toset(var.client_cidr_blocks)

  type              = "ingress"
  security_group_id = aws_security_group.load_balancer.id
  description       = "HTTPS from ${each.value}"
  protocol          = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_blocks       = [each.value]
}

resource "aws_security_group_rule" "load_balancer_to_hosts" {
  type                     = "egress"
  security_group_id        = aws_security_group.load_balancer.id
  description              = "Airflow api-server on the hosts"
  protocol                 = "tcp"
  from_port                = var.api_server_port
  to_port                  = var.api_server_port
  source_security_group_id = module.hosts.security_group_id
}

# The hosts' security group is asg-hosts' (SSH from the automation group and the administrators'
# networks, HTTPS out); Airflow adds the api-server, its database and the VPC's services to it.

resource "aws_security_group_rule" "hosts_from_load_balancer" {
  type                     = "ingress"
  security_group_id        = module.hosts.security_group_id
  description              = "Airflow api-server from the load balancer"
  protocol                 = "tcp"
  from_port                = var.api_server_port
  to_port                  = var.api_server_port
  source_security_group_id = aws_security_group.load_balancer.id
}

resource "aws_security_group_rule" "hosts_to_database" {
  type                     = "egress"
  security_group_id        = module.hosts.security_group_id
  description              = "PostgreSQL metadata database"
  protocol                 = "tcp"
  from_port                = 5432
  to_port                  = 5432
  source_security_group_id = aws_security_group.database.id
}

resource "aws_security_group_rule" "hosts_to_vpc_services" {
  for_each = var.vpc_service_ports

  type              = "egress"
  security_group_id = module.hosts.security_group_id
  description       = "${each.key} inside the VPC"
  protocol          = "tcp"
  from_port         = each.value
  to_port           = each.value
  cidr_blocks       = [var.vpc_cidr_block]
}

resource "aws_security_group" "database" {
  name        = "${local.name}-db"
  description = "Airflow metadata database of ${var.environment}: PostgreSQL from the Airflow hosts only."
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${local.name}-db" })
}

resource "aws_security_group_rule" "database_from_hosts" {
  type                     = "ingress"
  security_group_id        = aws_security_group.database.id
  description              = "PostgreSQL from the Airflow hosts"
  protocol                 = "tcp"
  from_port                = 5432
  to_port                  = 5432
  source_security_group_id = module.hosts.security_group_id
}

# --- Internal application load balancer for the api-server -----------------------------------

resource "aws_lb" "airflow" {
  #checkov:skip=CKV_AWS_150:Deletion protection is chosen per environment (deletion_protection): on in ppd and prod, off where environments are rebuilt.
  #checkov:skip=CKV2_AWS_28:Internal load balancer reachable only from the client networks of the VPC; no WAF web ACL is attached to internal endpoints here.
  name                       = "${local.lb_name}-alb"
  internal                   = true
  load_balancer_type         = "application"
  subnets                    = var.subnet_ids
  security_groups            = [aws_security_group.load_balancer.id]
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection
  tags                       = var.tags

  access_logs {
    enabled = true
    bucket  = var.access_logs_bucket
    prefix  = "airflow-alb"
  }
}

resource "aws_acm_certificate" "api" {
  domain_name               = var.api_domain_name
  certificate_authority_arn = var.pca_arn
  tags                      = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

# The api-server serves plain HTTP on api_server_port (the airflow role binds no certificate):
# TLS ends at the load balancer's listener, and the hop to the hosts stays inside the VPC,
# admitted only from the load balancer's security group.
resource "aws_lb_target_group" "api_server" {
  #checkov:skip=CKV_AWS_378:TLS ends at the internal ALB; the api-server speaks HTTP on a port open only to the ALB's security group.
  name                 = "${local.lb_name}-api"
  port                 = var.api_server_port
  protocol             = "HTTP"
  target_type          = "instance"
  vpc_id               = var.vpc_id
  deregistration_delay = 60
  tags                 = var.tags

  health_check {
    protocol            = "HTTP"
    path                = "/api/v2/monitor/health"
    matcher             = "200"
    interval            = 15
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.airflow.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = aws_acm_certificate.api.arn
  tags              = var.tags

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.api_server.arn
  }
}

# --- Hosts ----------------------------------------------------------------------------------

module "hosts" {
  source = "../asg-hosts"

  environment   = var.environment
  role          = "airflow"
  cluster_name  = var.cluster_name
  instance_type = var.instance_type
  architecture  = var.architecture
  ami_id        = var.ami_id
  subnet_ids    = var.subnet_ids
  vpc_id        = var.vpc_id
  security_group = {
    description              = "Airflow hosts of ${var.environment}: the api-server from the load balancer only."
    https_egress_description = "HTTPS to AWS APIs (S3, Secrets Manager, EMR Serverless) and package indexes"
  }
  instance_profile_name = var.instance_profile_name
  root_volume_size_gb   = var.root_volume_size_gb
  min_size              = var.min_size
  max_size              = var.max_size
  desired_capacity      = var.desired_capacity
  target_group_arns     = [aws_lb_target_group.api_server.arn]
  awx_callback_url      = var.awx_callback_url
  ssh_access            = var.ssh_access
  tags                  = var.tags
}

# The hosts' security group and its SSH and HTTPS egress rules moved into asg-hosts:
# states from before keep their group and rules.
moved {
  from = aws_security_group.hosts
  to   = module.hosts.aws_security_group.hosts
}

moved {
  from = aws_security_group_rule.hosts_https_out
  to   = module.hosts.aws_security_group_rule.https_out
}

moved {
  from = aws_security_group_rule.hosts_ssh_from_groups
  to   = module.hosts.aws_security_group_rule.ssh_from_groups
}

moved {
  from = aws_security_group_rule.hosts_ssh
  to   = module.hosts.aws_security_group_rule.ssh
}

# --- Metadata database ----------------------------------------------------------------------

resource "aws_db_subnet_group" "airflow" {
  name        = local.name
  description = "Private subnets of the Airflow metadata database."
  subnet_ids  = var.subnet_ids
  tags        = var.tags
}

resource "aws_db_parameter_group" "airflow" {
  count = var.database.custom_parameter_group ? 1 : 0

  name        = "${local.name}-postgres${var.database.engine_major_version}"
  description = "Airflow metadata database: TLS only, connections and slow statements logged."
  family      = "postgres${var.database.engine_major_version}"
  tags        = var.tags

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  parameter {
    name  = "log_connections"
    value = "1"
  }

  parameter {
    name  = "log_min_duration_statement"
    value = "1000"
  }

  lifecycle {
    create_before_destroy = true
  }
}

data "aws_iam_policy_document" "rds_monitoring_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "rds_monitoring" {
  name                 = "${local.name}-rds-monitoring"
  assume_role_policy   = data.aws_iam_policy_document.rds_monitoring_assume.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

resource "aws_iam_role_policy_attachment" "rds_monitoring" {
  role       = aws_iam_role.rds_monitoring.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

resource "aws_db_instance" "airflow" {
  identifier     = local.name
  engine         = "postgres"
  engine_version = var.database.engine_major_version
  instance_class = var.database.instance_class

  allocated_storage     = var.database.allocated_storage_gb
  max_allocated_storage = var.database.max_allocated_storage_gb
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = var.kms_key_arn

  db_name  = var.database.db_name
  username = var.database.username
  # RDS generates the password, keeps it in Secrets Manager and rotates it; it never passes
  # through Terraform state.
  manage_master_user_password         = true
  master_user_secret_kms_key_id       = var.kms_key_arn
  iam_database_authentication_enabled = true

  db_subnet_group_name   = aws_db_subnet_group.airflow.name
  vpc_security_group_ids = [aws_security_group.database.id]
  # Without the custom group the engine's default parameter group applies.
  parameter_group_name = var.database.custom_parameter_group ? aws_db_parameter_group.airflow[0].name : null
  publicly_accessible  = false
  multi_az             = var.database.multi_az

  backup_retention_period   = var.database.backup_retention_days
  backup_window             = "02:00-03:00"
  maintenance_window        = "sun:03:30-sun:04:30"
  copy_tags_to_snapshot     = true
  deletion_protection       = var.database.deletion_protection
  skip_final_snapshot       = var.database.skip_final_snapshot
  final_snapshot_identifier = var.database.skip_final_snapshot ? null : "${local.name}-final"

  auto_minor_version_upgrade            = true
  allow_major_version_upgrade           = false
  enabled_cloudwatch_logs_exports       = ["postgresql", "upgrade"]
  performance_insights_enabled          = var.database.performance_insights
  performance_insights_kms_key_id       = var.database.performance_insights ? var.kms_key_arn : null
  performance_insights_retention_period = var.database.performance_insights ? 7 : null
  monitoring_interval                   = var.database.monitoring_interval_seconds
  monitoring_role_arn                   = var.database.monitoring_interval_seconds > 0 ? aws_iam_role.rds_monitoring.arn : null

  tags = var.tags

  # Airflow's metadata: run history, connections, variables.
  lifecycle {
    prevent_destroy = true
  }
}

# The hosts read the database credentials from the secret RDS manages; its name is only known
# once the database exists, so the grant lives here rather than in the iam module.
data "aws_iam_policy_document" "database_credentials" {
  statement {
    sid       = "ReadTheMetadataDatabaseCredentials"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = [aws_db_instance.airflow.master_user_secret[0].secret_arn]
  }
}

resource "aws_iam_role_policy" "database_credentials" {
  name   = "read-metadata-database-credentials"
  role   = var.instance_role_name
  policy = data.aws_iam_policy_document.database_credentials.json
}
