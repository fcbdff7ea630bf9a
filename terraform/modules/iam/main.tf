data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name
  partition  = data.aws_partition.current.partition
  name       = "dataplatform-${var.environment}"

  # The ACM Private CA templates a role may issue with (the condition key acm-pca:TemplateArn).
  pca_templates = {
    end_entity  = "arn:${local.partition}:acm-pca:::template/EndEntityCertificate/V1"
    client_auth = "arn:${local.partition}:acm-pca:::template/EndEntityClientAuthCertificate/V1"
  }

  secrets_arn_prefix = "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:dataplatform/${var.environment}"
  parameter_arn      = "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter${var.platform_parameter_name}"

  # What each kind of host may do beyond the permissions every host has. Bucket access is listed
  # by purpose (keys of var.bucket_arns); secrets by name pattern under dataplatform/<env>/.
  host_roles = {
    nifi = {
      asg_name       = var.nifi_asg_name
      log_group_name = var.log_group_names.nifi
      read_buckets   = ["artifacts", "truststore"]
      write_buckets  = ["bronze"]
      delete_buckets = []
      log_prefix     = "nifi/"
      # The AWX host config key, read at boot; NiFi's own keys reach it through the converge.
      read_secrets = ["nifi/awx-host-config-key-*"]
    }
    airflow = {
      asg_name       = var.airflow_asg_name
      log_group_name = var.log_group_names.airflow
      read_buckets   = ["artifacts", "truststore", "dags", "bronze"]
      write_buckets  = ["silver", "gold"]
      # The pipeline's DAGs move objects out of bronze once they are in silver.
      delete_buckets = ["bronze"]
      log_prefix     = "airflow/"
      # The AWX host config key and what Airflow's secrets backend reads (connections, variables,
      # its API, JWT and Fernet keys), all under its folder.
      read_secrets = ["airflow/*"]
    }
  }
}

# --- Host instance profiles -----------------------------------------------------------------

data "aws_iam_policy_document" "ec2_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "host" {
  for_each = local.host_roles

  name                 = "${local.name}-${each.key}-host"
  description          = "${each.key} hosts of the ${var.environment} data platform."
  assume_role_policy   = data.aws_iam_policy_document.ec2_assume.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

resource "aws_iam_instance_profile" "host" {
  for_each = local.host_roles

  name = "${local.name}-${each.key}-host"
  role = aws_iam_role.host[each.key].name
  tags = var.tags
}

data "aws_iam_policy_document" "host" {
  for_each = local.host_roles

  statement {
    sid       = "ReadThePlatformParameter"
    actions   = ["ssm:GetParameter"]
    resources = [local.parameter_arn]
  }

  # No PCA and no lifecycle permission: the controller has node certificates issued for the CSRs
  # the hosts make and completes their lifecycle actions (the automation role below).

  statement {
    sid       = "ShipOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${each.value.log_group_name}:*"]
  }

  # PutMetricData takes no resource; its namespace is the only thing IAM can hold it to, so a host
  # publishes its environment's metrics and nothing in another's (or AWS's own) namespace.
  statement {
    sid       = "PublishPlatformMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = [var.metrics_namespace]
    }
  }

  statement {
    sid     = "ReadOwnSecrets"
    actions = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    # Secret ARNs end in a random six-character suffix.
    resources = [for pattern in each.value.read_secrets : "${local.secrets_arn_prefix}/${pattern}"]
  }

  statement {
    sid       = "ListOwnBuckets"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [for purpose in concat(each.value.read_buckets, each.value.write_buckets, ["logs"]) : var.bucket_arns[purpose]]
  }

  statement {
    sid       = "ReadBuckets"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = [for purpose in concat(each.value.read_buckets, each.value.write_buckets) : "${var.bucket_arns[purpose]}/*"]
  }

  statement {
    sid       = "WriteBuckets"
    actions   = ["s3:PutObject", "s3:AbortMultipartUpload"]
    resources = [for purpose in each.value.write_buckets : "${var.bucket_arns[purpose]}/*"]
  }

  dynamic "statement" {
    for_each = length(each.value.delete_buckets) > 0 ? [each.value.delete_buckets] : []
    content {
      sid       = "DeleteFromBuckets"
      actions   = ["s3:DeleteObject"]
      resources = [for purpose in statement.value : "${var.bucket_arns[purpose]}/*"]
    }
  }

  statement {
    sid       = "WriteOwnApplicationLogs"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"]
    resources = ["${var.bucket_arns["logs"]}/${each.value.log_prefix}*"]
  }

  statement {
    sid       = "UseThePlatformKeyForBucketsAndSecrets"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com", "secretsmanager.${local.region}.amazonaws.com"]
    }
  }

  dynamic "statement" {
    for_each = each.key == "airflow" && var.processing != null ? [var.processing] : []
    content {
      sid = "RunSparkJobs"
      # Airflow's operator starts the application itself when it finds it stopped (it stops when
      # idle), before it submits the run.
      actions   = ["emr-serverless:GetApplication", "emr-serverless:StartApplication", "emr-serverless:StartJobRun", "emr-serverless:GetJobRun", "emr-serverless:CancelJobRun", "emr-serverless:ListJobRuns", "emr-serverless:GetDashboardForJobRun"]
      resources = [statement.value.application_arn, "${statement.value.application_arn}/jobruns/*"]
    }
  }

  dynamic "statement" {
    for_each = each.key == "airflow" && var.processing != null ? [var.processing] : []
    content {
      sid       = "HandTheJobRoleToSpark"
      actions   = ["iam:PassRole"]
      resources = [statement.value.job_role_arn]
      condition {
        test     = "StringEquals"
        variable = "iam:PassedToService"
        values   = ["emr-serverless.amazonaws.com"]
      }
    }
  }

  # The DAG registers the partitions Spark wrote; it neither creates nor changes tables (Terraform
  # owns their schema) and touches no other layer's.
  dynamic "statement" {
    for_each = each.key == "airflow" ? [var.pipeline] : []
    content {
      sid       = "RegisterPartitionsOfThePipelinesTables"
      actions   = ["glue:GetTable", "glue:GetPartition", "glue:GetPartitions", "glue:CreatePartition", "glue:BatchCreatePartition", "glue:UpdatePartition"]
      resources = concat([statement.value.glue_catalog_arn], statement.value.glue_database_arns, statement.value.glue_table_arns)
    }
  }

  dynamic "statement" {
    for_each = each.key == "airflow" ? [var.pipeline] : []
    content {
      sid       = "AlertOnFailedAndLateRuns"
      actions   = ["sns:Publish"]
      resources = [statement.value.alerts_topic_arn]
    }
  }

  # The alert topic is encrypted with the platform key: SNS uses it on the publisher's behalf.
  dynamic "statement" {
    for_each = each.key == "airflow" ? [var.pipeline] : []
    content {
      sid       = "UseThePlatformKeyForAlerts"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [var.kms_key_arn]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["sns.${local.region}.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role_policy" "host" {
  for_each = local.host_roles

  name   = "${each.key}-host"
  role   = aws_iam_role.host[each.key].id
  policy = data.aws_iam_policy_document.host[each.key].json
}

# --- The automation role: what runs the converge (AWX, site.yml from an operator) -----------

data "aws_iam_policy_document" "automation_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = length(var.automation_trusted_principal_arns) > 0 ? var.automation_trusted_principal_arns : ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }
}

resource "aws_iam_role" "automation" {
  name                 = "${local.name}-automation"
  description          = "The converge of the ${var.environment} data platform (AWX job templates, site.yml)."
  assume_role_policy   = data.aws_iam_policy_document.automation_assume.json
  max_session_duration = 14400
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

# What every controller role (automation, cert issuer) needs: the platform document and the key
# that encrypts the secrets.
data "aws_iam_policy_document" "controller_common" {
  statement {
    sid       = "ReadThePlatformParameter"
    actions   = ["ssm:GetParameter"]
    resources = [local.parameter_arn]
  }

  statement {
    sid       = "UseThePlatformKeyForSecrets"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${local.region}.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "automation" {
  source_policy_documents = [data.aws_iam_policy_document.controller_common.json]

  statement {
    sid       = "FindTheHosts"
    actions   = ["autoscaling:DescribeAutoScalingGroups", "ec2:DescribeInstances"]
    resources = ["*"]
  }

  # The hosts print their SSH host keys to the console at boot; the converge pins them from there.
  statement {
    sid       = "ReadTheHostsKeysFromTheirConsole"
    actions   = ["ec2:GetConsoleOutput"]
    resources = ["arn:${local.partition}:ec2:${local.region}:${local.account_id}:instance/*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/dataplatform:env"
      values   = [var.environment]
    }
  }

  # An instance waits in its group's launch hook until the converge that configured it lets it
  # into service (lifecycle-launch.yml); a NiFi node leaves through the termination hook once the
  # decommission job took it out of the cluster (nifi-decommission.yml).
  statement {
    sid       = "CompleteTheHostsLifecycleActions"
    actions   = ["autoscaling:CompleteLifecycleAction"]
    resources = [for name in [var.nifi_asg_name, var.airflow_asg_name] : "arn:${local.partition}:autoscaling:${local.region}:${local.account_id}:autoScalingGroup:*:autoScalingGroupName/${name}"]
  }

  # The host makes the key and the CSR; the controller checks the CSR and has it signed. Only
  # end-entity templates: node certificates (server and client authentication) and the
  # client-only certificates of the service identities (Airflow's, the decommission and users
  # jobs'); never a CA's, which could sign any identity.
  statement {
    sid       = "IssueNodeAndServiceCertificates"
    actions   = ["acm-pca:IssueCertificate"]
    resources = [var.pca_arn]
    condition {
      test     = "StringEquals"
      variable = "acm-pca:TemplateArn"
      values   = [local.pca_templates.end_entity, local.pca_templates.client_auth]
    }
  }

  statement {
    sid       = "ReadNodeCertificates"
    actions   = ["acm-pca:GetCertificate", "acm-pca:DescribeCertificateAuthority", "acm-pca:GetCertificateAuthorityCertificate"]
    resources = [var.pca_arn]
  }

  # Shared configuration secrets (NiFi's sensitive properties key, Airflow's API, JWT and Fernet
  # keys) are made once by the converge, under the platform's key (UpdateSecret moves one made
  # under the default key to it); hosts only read them.
  statement {
    sid       = "MakeTheSharedConfigurationSecrets"
    actions   = ["secretsmanager:CreateSecret", "secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue", "secretsmanager:TagResource", "secretsmanager:UpdateSecret"]
    resources = ["${local.secrets_arn_prefix}/nifi/*", "${local.secrets_arn_prefix}/airflow/*"]
  }

  statement {
    sid       = "SignOwnSshLoginCertificates"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.ssh_user_ca_secret_arn]
  }

}

resource "aws_iam_role_policy" "automation" {
  name   = "converge"
  role   = aws_iam_role.automation.id
  policy = data.aws_iam_policy_document.automation.json
}

# --- The cert issuer role: the user-certificate pipeline (user-certs.yml) -------------------

# The certificate workflow (.github/workflows/cert-issuer.yml, in this account's GitHub
# environment) and whoever may run the converge (an operator's rerun).
data "aws_iam_policy_document" "cert_issuer_assume" {
  source_policy_documents = [data.aws_iam_policy_document.automation_assume.json, data.aws_iam_policy_document.github_workflow_assume["cert_issuer"].json]
}

resource "aws_iam_role" "cert_issuer" {
  name                 = "${local.name}-cert-issuer"
  description          = "The user-certificate pipeline of the ${var.environment} data platform (user-certs.yml)."
  assume_role_policy   = data.aws_iam_policy_document.cert_issuer_assume.json
  max_session_duration = 3600
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

data "aws_iam_policy_document" "cert_issuer" {
  source_policy_documents = [data.aws_iam_policy_document.controller_common.json]

  # Users' certificates authenticate clients only: no server certificate, no CA.
  statement {
    sid       = "IssueUserCertificates"
    actions   = ["acm-pca:IssueCertificate"]
    resources = [var.pca_arn]
    condition {
      test     = "StringEquals"
      variable = "acm-pca:TemplateArn"
      values   = [local.pca_templates.client_auth]
    }
  }

  statement {
    sid       = "RevokeAndReadUserCertificates"
    actions   = ["acm-pca:GetCertificate", "acm-pca:RevokeCertificate", "acm-pca:DescribeCertificateAuthority", "acm-pca:GetCertificateAuthorityCertificate"]
    resources = [var.pca_arn]
  }

  # ListSecrets has no resource; the pipeline lists with a name filter on its own folder.
  statement {
    sid       = "FindTheUsersSecrets"
    actions   = ["secretsmanager:ListSecrets"]
    resources = ["*"]
  }

  statement {
    sid       = "KeepTheUsersSecrets"
    actions   = ["secretsmanager:CreateSecret", "secretsmanager:PutSecretValue", "secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret", "secretsmanager:UpdateSecret", "secretsmanager:DeleteSecret", "secretsmanager:RestoreSecret", "secretsmanager:TagResource", "secretsmanager:UntagResource", "secretsmanager:PutResourcePolicy", "secretsmanager:GetResourcePolicy"]
    resources = ["${local.secrets_arn_prefix}/users/*"]
  }

}

resource "aws_iam_role_policy" "cert_issuer" {
  name   = "user-certificates"
  role   = aws_iam_role.cert_issuer.id
  policy = data.aws_iam_policy_document.cert_issuer.json
}

# --- The certificate workflow's trust ------------------------------------------------------

# The workflows' jobs in this account's GitHub environment, at the refs each may run from (the
# repository's OIDC subject names the environment, the workflow file and its ref:
# terraform/modules/github-access): the certificate workflow (the cert issuer role) and the DAGs
# workflow (the DAGs publisher role, dags_publisher.tf). The account's GitHub OIDC provider is the
# bootstrap's (terraform/bootstrap).
locals {
  github_workflow_subjects = {
    cert_issuer    = ["repo:${var.github_repository}:environment:${var.environment}:job_workflow_ref:${var.github_repository}/${var.cert_workflow}"]
    dags_publisher = [for ref in var.dags_workflow_refs : "repo:${var.github_repository}:environment:${var.environment}:job_workflow_ref:${var.github_repository}/.github/workflows/dags.yml@${ref}"]
  }
}

data "aws_iam_policy_document" "github_workflow_assume" {
  #checkov:skip=CKV_AWS_358:The subject is repo:<owner>/<name>:environment:<env>:job_workflow_ref:<workflow>@<ref>, from validated variables that checkov does not resolve through the module call.
  for_each = local.github_workflow_subjects

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:oidc-provider/token.actions.githubusercontent.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }
    # StringLike only where a subject holds a wildcard, which then stands for the rest of a branch
    # or tag name (the ref ends the subject).
    condition {
      test     = anytrue([for subject in each.value : strcontains(subject, "*")]) ? "StringLike" : "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = each.value
    }
  }
}
