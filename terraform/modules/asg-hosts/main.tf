# Official Debian images are published by Debian's AWS account.
data "aws_ami" "debian" {
  count = var.ami_id == null ? 1 : 0

  owners      = ["136693071363"]
  most_recent = true

  filter {
    name   = "name"
    values = ["debian-13-${var.architecture == "arm64" ? "arm64" : "amd64"}-*"]
  }

  filter {
    name   = "architecture"
    values = [var.architecture]
  }

  filter {
    name   = "virtualization-type"
    values = ["hvm"]
  }
}

locals {
  name   = "dataplatform-${var.environment}-${var.cluster_name}"
  ami_id = var.ami_id != null ? var.ami_id : data.aws_ami.debian[0].id

  # The tag contract (DESIGN.md, contract 1): the inventory groups hosts by these.
  contract_tags = {
    "dataplatform:env"     = var.environment
    "dataplatform:role"    = var.role
    "dataplatform:cluster" = var.cluster_name
    "Name"                 = local.name
  }
}

# --- The hosts' security group: SSH in, HTTPS out ---------------------------------------------
# The module that calls this one adds its own rules to it (security_group_id): service ports from
# its load balancer, ports between the hosts of a cluster, its database.

resource "aws_security_group" "hosts" {
  name        = "${local.name}-${var.security_group.name_suffix}"
  description = var.security_group.description
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${local.name}-${var.security_group.name_suffix}" })
}

# Rules are aws_security_group_rule resources: they read back through DescribeSecurityGroups,
# which every endpoint this project runs against (the sandbox's emulator included) answers in
# full, descriptions of group-to-group rules too.

# AWS APIs (PCA, Secrets Manager, SSM, S3, EMR Serverless) and package mirrors, through the NAT gateways.
resource "aws_security_group_rule" "https_out" {
  type              = "egress"
  security_group_id = aws_security_group.hosts.id
  description       = var.security_group.https_egress_description
  protocol          = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_blocks       = ["0.0.0.0/0"]
}

# SSH only from the automation (AWX) and the administrators' networks; logins need a certificate
# of the environment's user CA (user-data.sh.tftpl).
resource "aws_security_group_rule" "ssh_from_groups" {
  for_each = var.ssh_access.source_security_groups

  type                     = "ingress"
  security_group_id        = aws_security_group.hosts.id
  description              = "SSH for Ansible from the ${each.key} security group"
  protocol                 = "tcp"
  from_port                = 22
  to_port                  = 22
  source_security_group_id = each.value
}

resource "aws_security_group_rule" "ssh" {
  for_each = toset(var.ssh_access.admin_cidr_blocks)

  type              = "ingress"
  security_group_id = aws_security_group.hosts.id
  description       = "SSH for administrators from ${each.value}"
  protocol          = "tcp"
  from_port         = 22
  to_port           = 22
  cidr_blocks       = [each.value]
}

# --- Launch template and group ----------------------------------------------------------------

resource "aws_launch_template" "hosts" {
  name                   = local.name
  description            = "${var.role} hosts of ${var.cluster_name} in ${var.environment}."
  image_id               = local.ami_id
  instance_type          = var.instance_type
  ebs_optimized          = true
  update_default_version = true
  vpc_security_group_ids = concat([aws_security_group.hosts.id], var.security_group_ids)

  user_data = base64encode(templatefile("${path.module}/user-data.sh.tftpl", {
    ssh_user                = var.ssh_access.user
    ssh_principals          = join(" ", var.ssh_access.principals)
    ssh_user_ca_public_keys = join("\n", var.ssh_access.user_ca_public_keys)
    data_volume_mount_point = var.data_volume == null ? "" : var.data_volume.mount_point
    awx_callback_url        = var.awx_callback_url == null ? "" : var.awx_callback_url
    # Readable by the hosts' role (dataplatform/<env>/<role>/*), created by whoever runs AWX.
    awx_host_config_key_secret = "dataplatform/${var.environment}/${var.role}/awx-host-config-key"
  }))

  iam_instance_profile {
    name = var.instance_profile_name
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "enabled"
  }

  monitoring {
    enabled = var.detailed_monitoring
  }

  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_size           = var.root_volume_size_gb
      volume_type           = "gp3"
      encrypted             = true
      kms_key_id            = var.ebs_kms_key_arn
      delete_on_termination = true
    }
  }

  dynamic "block_device_mappings" {
    for_each = var.data_volume == null ? [] : [var.data_volume]
    content {
      device_name = "/dev/sdf"
      ebs {
        volume_size           = block_device_mappings.value.size_gb
        volume_type           = "gp3"
        iops                  = block_device_mappings.value.iops
        throughput            = block_device_mappings.value.throughput_mibps
        encrypted             = true
        kms_key_id            = var.ebs_kms_key_arn
        delete_on_termination = true
      }
    }
  }

  tag_specifications {
    resource_type = "volume"
    tags          = merge(var.tags, local.contract_tags)
  }
}

resource "aws_autoscaling_group" "hosts" {
  name                      = local.name
  min_size                  = var.min_size
  max_size                  = var.max_size
  desired_capacity          = var.desired_capacity
  vpc_zone_identifier       = var.subnet_ids
  target_group_arns         = var.target_group_arns
  health_check_type         = coalesce(var.health_check_type, length(var.target_group_arns) > 0 ? "ELB" : "EC2")
  health_check_grace_period = var.health_check_grace_period_seconds
  protect_from_scale_in     = false
  # Instances wait in Pending:Wait until they are configured (the launch hook), which takes
  # longer than an apply should block: capacity is watched by the alarms, not by Terraform.
  wait_for_capacity_timeout = "0"
  # Destroying the group ends its instances without the termination hook: a drain would hold each
  # one in Terminating:Wait for termination_hook_timeout_seconds (900 s by default), longer than
  # Terraform's 10 minutes for the delete, and decommissioning nodes of a cluster that is being
  # removed saves nothing. Scale-in still passes every leaving instance through the hook.
  force_delete    = true
  enabled_metrics = ["GroupDesiredCapacity", "GroupInServiceInstances", "GroupPendingInstances", "GroupTerminatingInstances", "GroupTotalInstances"]

  launch_template {
    id      = aws_launch_template.hosts.id
    version = aws_launch_template.hosts.latest_version
  }

  initial_lifecycle_hook {
    name                 = "launch"
    lifecycle_transition = "autoscaling:EC2_INSTANCE_LAUNCHING"
    heartbeat_timeout    = var.launch_hook_timeout_seconds
    # An instance nobody configured must not serve: it is terminated and replaced.
    default_result = "ABANDON"
  }

  initial_lifecycle_hook {
    name                 = "terminate"
    lifecycle_transition = "autoscaling:EC2_INSTANCE_TERMINATING"
    heartbeat_timeout    = var.termination_hook_timeout_seconds
    # A leaving node gets its time to disconnect; after that it goes regardless.
    default_result = "CONTINUE"
  }

  dynamic "tag" {
    for_each = merge(var.tags, local.contract_tags)
    content {
      key                 = tag.key
      value               = tag.value
      propagate_at_launch = true
    }
  }
}
