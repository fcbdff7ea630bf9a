locals {
  name = "dataplatform-${var.environment}-${var.cluster_name}"
  # Load balancer and target group names are limited to 32 characters.
  lb_name = "dp-${var.environment}-${var.cluster_name}"

  # The load balancer's listeners. A browser session belongs to one node (NiFi keeps per-node
  # request state), so the UI's is sticky by source address; each POST to the ingest flow stands
  # alone, any node takes it.
  listeners = {
    https  = { port = var.ports.https, sticky = true }
    ingest = { port = var.ports.ingest, sticky = false }
  }

  # Who may post to the ingest flow: the client networks unless ingest_cidr_blocks says otherwise.
  ingest_cidr_blocks = var.ingest_cidr_blocks == null ? var.client_cidr_blocks : var.ingest_cidr_blocks

  # Ports only NiFi nodes of this cluster may use between each other.
  node_to_node_ports = {
    https          = var.ports.https
    cluster        = var.ports.cluster_protocol
    load-balancing = var.ports.load_balancing
    zookeeper      = var.ports.zookeeper_client
    zk-quorum      = var.ports.zookeeper_quorum
    zk-election    = var.ports.zookeeper_election
  }
}

# --- Security groups ------------------------------------------------------------------------

resource "aws_security_group" "load_balancer" {
  name        = "${local.name}-nlb"
  description = "NiFi load balancer of ${var.environment}: HTTPS from the client networks, passed through to the nodes."
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${local.name}-nlb" })
}

# Rules are aws_security_group_rule resources: they read back through DescribeSecurityGroups,
# which every endpoint this project runs against (the sandbox's emulator included) answers in
# full, descriptions of group-to-group rules too.
resource "aws_security_group_rule" "load_balancer_https" {
  for_each = toset(var.client_cidr_blocks)

  type              = "ingress"
  security_group_id = aws_security_group.load_balancer.id
  description       = "NiFi HTTPS (client certificates) from ${each.value}"
  protocol          = "tcp"
  from_port         = var.ports.https
  to_port           = var.ports.https
  cidr_blocks       = [each.value]
}

resource "aws_security_group_rule" "load_balancer_to_nodes" {
  type                     = "egress"
  security_group_id        = aws_security_group.load_balancer.id
  description              = "NiFi HTTPS to the nodes"
  protocol                 = "tcp"
  from_port                = var.ports.https
  to_port                  = var.ports.https
  source_security_group_id = module.hosts.security_group_id
}

# The ingest flow's own HTTPS listener (HandleHttpRequest, client certificates required).
resource "aws_security_group_rule" "load_balancer_ingest" {
  for_each = toset(local.ingest_cidr_blocks)

  type              = "ingress"
  security_group_id = aws_security_group.load_balancer.id
  description       = "NiFi ingest HTTPS (client certificates) from ${each.value}"
  protocol          = "tcp"
  from_port         = var.ports.ingest
  to_port           = var.ports.ingest
  cidr_blocks       = [each.value]
}

resource "aws_security_group_rule" "load_balancer_ingest_to_nodes" {
  type                     = "egress"
  security_group_id        = aws_security_group.load_balancer.id
  description              = "NiFi ingest HTTPS to the nodes"
  protocol                 = "tcp"
  from_port                = var.ports.ingest
  to_port                  = var.ports.ingest
  source_security_group_id = module.hosts.security_group_id
}

# The nodes' security group is the hosts' (asg-hosts: SSH from the automation group and the
# administrators' networks, HTTPS out); NiFi adds its ports to it.

resource "aws_security_group_rule" "nodes_from_load_balancer" {
  type                     = "ingress"
  security_group_id        = module.hosts.security_group_id
  description              = "NiFi HTTPS from the load balancer"
  protocol                 = "tcp"
  from_port                = var.ports.https
  to_port                  = var.ports.https
  source_security_group_id = aws_security_group.load_balancer.id
}

# The load balancer's health checks come from the load balancer itself (it has security groups),
# so this rule admits them too.
resource "aws_security_group_rule" "nodes_ingest_from_load_balancer" {
  type                     = "ingress"
  security_group_id        = module.hosts.security_group_id
  description              = "NiFi ingest HTTPS from the load balancer"
  protocol                 = "tcp"
  from_port                = var.ports.ingest
  to_port                  = var.ports.ingest
  source_security_group_id = aws_security_group.load_balancer.id
}

resource "aws_security_group_rule" "node_to_node_in" {
  for_each = local.node_to_node_ports

  type                     = "ingress"
  security_group_id        = module.hosts.security_group_id
  description              = "NiFi ${each.key} between nodes"
  protocol                 = "tcp"
  from_port                = each.value
  to_port                  = each.value
  source_security_group_id = module.hosts.security_group_id
}

resource "aws_security_group_rule" "node_to_node_out" {
  for_each = local.node_to_node_ports

  type                     = "egress"
  security_group_id        = module.hosts.security_group_id
  description              = "NiFi ${each.key} between nodes"
  protocol                 = "tcp"
  from_port                = each.value
  to_port                  = each.value
  source_security_group_id = module.hosts.security_group_id
}

# --- Network load balancer: TCP passthrough, so client certificates reach NiFi's own TLS ---

resource "aws_lb" "nifi" {
  #checkov:skip=CKV_AWS_150:Deletion protection is chosen per environment (deletion_protection): on in ppd and prod, off where environments are rebuilt.
  #checkov:skip=CKV_AWS_91:An NLB writes access logs only for TLS listeners; this one is TCP passthrough so client certificates reach NiFi. Connections are recorded by the VPC flow logs.
  name                             = "${local.lb_name}-nlb"
  internal                         = true
  load_balancer_type               = "network"
  subnets                          = var.subnet_ids
  security_groups                  = [aws_security_group.load_balancer.id]
  enable_cross_zone_load_balancing = true
  enable_deletion_protection       = var.deletion_protection
  tags                             = var.tags
}

# Two listeners, each with its target group, both TCP passthrough so that NiFi's own TLS reads the
# client's certificate: NiFi's UI and API, and the ingest flow (clients post records to
# https://<load balancer>:<ports.ingest>/<ingest_base_path>, a HandleHttpRequest of the flow on
# every node). Both require a client certificate, so their health checks are TCP connects.
resource "aws_lb_target_group" "nifi" {
  for_each = local.listeners

  name                 = "${local.lb_name}-${each.key}"
  port                 = each.value.port
  protocol             = "TCP"
  target_type          = "instance"
  vpc_id               = var.vpc_id
  deregistration_delay = var.deregistration_delay_seconds
  tags                 = var.tags

  stickiness {
    enabled = each.value.sticky
    type    = "source_ip"
  }

  health_check {
    protocol            = "TCP"
    port                = "traffic-port"
    interval            = 10
    healthy_threshold   = 3
    unhealthy_threshold = 3
  }
}

resource "aws_lb_listener" "nifi" {
  #checkov:skip=CKV_AWS_2:TCP passthrough on purpose: NiFi (its UI and its ingest flow) terminates TLS itself to read client certificates (see DESIGN.md, Load balancing).
  #checkov:skip=CKV_AWS_103:TLS (1.2 and newer) is negotiated by NiFi itself behind this TCP passthrough listener.
  for_each = local.listeners

  load_balancer_arn = aws_lb.nifi.arn
  port              = each.value.port
  protocol          = "TCP"
  tags              = var.tags

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.nifi[each.key].arn
  }
}

moved {
  from = aws_lb_target_group.https
  to   = aws_lb_target_group.nifi["https"]
}

moved {
  from = aws_lb_listener.https
  to   = aws_lb_listener.nifi["https"]
}

# --- Hosts ----------------------------------------------------------------------------------

module "hosts" {
  source = "../asg-hosts"

  environment   = var.environment
  role          = "nifi"
  cluster_name  = var.cluster_name
  instance_type = var.instance_type
  architecture  = var.architecture
  ami_id        = var.ami_id
  subnet_ids    = var.subnet_ids
  vpc_id        = var.vpc_id
  security_group = {
    name_suffix = "nodes"
    description = "NiFi nodes of ${var.environment}: HTTPS from the load balancer, cluster traffic between nodes only."
  }
  instance_profile_name = var.instance_profile_name
  root_volume_size_gb   = var.root_volume_size_gb
  data_volume = {
    size_gb     = var.data_volume_size_gb
    mount_point = var.data_volume_mount_point
  }
  min_size          = var.min_size
  max_size          = var.max_size
  desired_capacity  = var.desired_capacity
  target_group_arns = [for key in keys(local.listeners) : aws_lb_target_group.nifi[key].arn]
  # A node that restarts (a rolling restart, a renewed configuration) fails the load balancer's
  # check for a minute or two; the load balancer stops sending it users meanwhile, but the group
  # must not replace it: its data volume holds queued FlowFiles. Only a failed instance is replaced.
  health_check_type                = "EC2"
  termination_hook_timeout_seconds = var.termination_hook_timeout_seconds
  awx_callback_url                 = var.awx_callback_url
  ssh_access                       = var.ssh_access
  tags                             = var.tags
}

# The nodes' security group and its SSH and HTTPS egress rules moved into asg-hosts:
# states from before keep their group and rules.
moved {
  from = aws_security_group.nodes
  to   = module.hosts.aws_security_group.hosts
}

moved {
  from = aws_security_group_rule.nodes_https_out
  to   = module.hosts.aws_security_group_rule.https_out
}

moved {
  from = aws_security_group_rule.nodes_ssh_from_groups
  to   = module.hosts.aws_security_group_rule.ssh_from_groups
}

moved {
  from = aws_security_group_rule.nodes_ssh
  to   = module.hosts.aws_security_group_rule.ssh
}
