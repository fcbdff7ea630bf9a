data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  name       = "dataplatform-${var.environment}"
  iam_arn    = "arn:${local.partition}:iam::${local.account_id}"

  # The environment's roles, instance profiles and the boundary, by the names the environment's
  # Terraform gives them (the boundary's name is also computed in terraform/environments/*/main.tf).
  platform_roles    = "${local.iam_arn}:role/${local.name}-*"
  platform_profiles = "${local.iam_arn}:instance-profile/${local.name}-*"
  boundary_arn      = "${local.iam_arn}:policy/${local.name}-permissions-boundary"
  # What the deploy role may never change: these roles, the boundary, the identity provider.
  guarded = [
    "${local.iam_arn}:role/${local.name}-github-*",
    local.boundary_arn,
    "${local.iam_arn}:oidc-provider/token.actions.githubusercontent.com",
  ]

  github_oidc_provider_arn = var.create_github_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : "${local.iam_arn}:oidc-provider/token.actions.githubusercontent.com"
  # The repository's OIDC subject names the job's context and its workflow file at the ref it ran
  # from (its subject template holds repo, context and job_workflow_ref: README.md). An apply runs
  # only in the GitHub environment of this account (the environment's own rules admit only its
  # refs; prod's has required reviewers), from the terraform workflow, at one of the account's
  # deploy refs; a plan runs for the repository's pull requests (forks get no OIDC token), from its
  # terraform workflow.
  workflow = "${var.github_repository}/${var.terraform_workflow}"
  github_subjects = {
    deploy = [for ref in var.deploy_refs : "repo:${var.github_repository}:environment:${var.environment}:job_workflow_ref:${local.workflow}@${ref}"]
    plan   = ["repo:${var.github_repository}:pull_request:job_workflow_ref:${local.workflow}@refs/pull/*/merge"]
  }
}

resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_github_oidc_provider ? 1 : 0

  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
  tags           = var.tags
}

# --- The permissions boundary of every role the environment's Terraform makes ----------------

data "aws_iam_policy_document" "permissions_boundary" {
  #checkov:skip=CKV_AWS_107:A permissions boundary grants nothing itself: it caps the roles it is set on, whose own policies name their resources.
  #checkov:skip=CKV_AWS_108:A permissions boundary grants nothing itself: it caps the roles it is set on, whose own policies name their resources.
  #checkov:skip=CKV_AWS_109:A permissions boundary grants nothing itself: it caps the roles it is set on, whose own policies name their resources.
  #checkov:skip=CKV_AWS_110:A permissions boundary grants nothing itself: it caps the roles it is set on, whose own policies name their resources.
  #checkov:skip=CKV_AWS_111:A permissions boundary grants nothing itself: it caps the roles it is set on, whose own policies name their resources.
  #checkov:skip=CKV_AWS_356:A permissions boundary grants nothing itself: it caps the roles it is set on, whose own policies name their resources.
  # The services the platform uses; IAM, Organizations and the account itself are outside it.
  statement {
    sid         = "UseTheServicesThePlatformRuns"
    not_actions = ["iam:*", "organizations:*", "account:*"]
    resources   = ["*"]
  }

  # Hosts hand the Spark job role to EMR Serverless; nothing else of IAM.
  statement {
    sid       = "PassThePlatformsOwnRoles"
    actions   = ["iam:PassRole", "iam:GetRole"]
    resources = [local.platform_roles]
  }

  statement {
    sid         = "NeverTheDeployPath"
    effect      = "Deny"
    not_actions = ["iam:Get*", "iam:List*"]
    resources   = local.guarded
  }

  # The dataplatform:* tags say which groups and instances are the platform's (the inventory, the
  # hosts' console reads and the lifecycle rules go by them): only Terraform, as the deploy role,
  # writes them. Principals outside the platform's roles need a service control policy to the same
  # effect (README.md).
  statement {
    sid       = "NeverThePlatformsTags"
    effect    = "Deny"
    actions   = ["autoscaling:CreateOrUpdateTags", "autoscaling:DeleteTags", "ec2:CreateTags", "ec2:DeleteTags"]
    resources = ["*"]
    condition {
      test     = "ForAnyValue:StringLike"
      variable = "aws:TagKeys"
      values   = ["dataplatform:*"]
    }
  }
}

resource "aws_iam_policy" "permissions_boundary" {
  name        = "${local.name}-permissions-boundary"
  description = "The most any role of the ${var.environment} data platform may do; the deploy role can create or change a role only with it."
  policy      = data.aws_iam_policy_document.permissions_boundary.json
  tags        = var.tags
}

# --- The plan and deploy roles ----------------------------------------------------------------

data "aws_iam_policy_document" "github_assume" {
  for_each = local.github_subjects

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.github_oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }
    # StringLike only where a subject holds a wildcard: `*` then stands for the rest of one ref
    # (a branch or tag name), since the ref ends the subject.
    condition {
      test     = anytrue([for subject in each.value : strcontains(subject, "*")]) ? "StringLike" : "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = each.value
    }
  }

  dynamic "statement" {
    for_each = each.key == "deploy" && length(var.operator_principal_arns) > 0 ? [1] : []
    content {
      sid     = "OperatorsApplyFromAWorkstation"
      actions = ["sts:AssumeRole"]
      principals {
        type        = "AWS"
        identifiers = var.operator_principal_arns
      }
    }
  }
}

resource "aws_iam_role" "github" {
  for_each = local.github_subjects

  name                 = "${local.name}-github-${each.key}"
  description          = "GitHub Actions ${each.key} role of ${var.github_repository} for ${var.environment}."
  assume_role_policy   = data.aws_iam_policy_document.github_assume[each.key].json
  max_session_duration = 3600
  tags                 = var.tags
}

resource "aws_iam_role_policy_attachment" "deploy_services" {
  role       = aws_iam_role.github["deploy"].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/PowerUserAccess"
}

resource "aws_iam_role_policy_attachment" "plan_read_only" {
  role       = aws_iam_role.github["plan"].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/ReadOnlyAccess"
}

# PowerUserAccess excludes IAM. The deploy role manages the platform's own roles, each only with
# the boundary, and can never touch itself, the plan role, the boundary or the identity provider.
data "aws_iam_policy_document" "deploy_iam" {
  statement {
    sid       = "ChangeThePlatformsRolesOnlyWithinTheBoundary"
    actions   = ["iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy"]
    resources = [local.platform_roles]
    condition {
      test     = "StringEquals"
      variable = "iam:PermissionsBoundary"
      values   = [local.boundary_arn]
    }
  }

  statement {
    sid = "KeepThePlatformsRoles"
    actions = [
      "iam:DeleteRole", "iam:GetRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy", "iam:TagRole", "iam:UntagRole",
      "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole", "iam:PassRole",
    ]
    resources = [local.platform_roles]
  }

  statement {
    sid = "KeepThePlatformsInstanceProfiles"
    actions = [
      "iam:CreateInstanceProfile", "iam:DeleteInstanceProfile", "iam:GetInstanceProfile", "iam:AddRoleToInstanceProfile",
      "iam:RemoveRoleFromInstanceProfile", "iam:TagInstanceProfile", "iam:UntagInstanceProfile",
    ]
    resources = [local.platform_profiles]
  }

  statement {
    sid       = "CreateServiceLinkedRolesOfTheServicesUsed"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = ["${local.iam_arn}:role/aws-service-role/*"]
    condition {
      test     = "StringEquals"
      variable = "iam:AWSServiceName"
      values   = ["autoscaling.amazonaws.com", "elasticloadbalancing.amazonaws.com", "rds.amazonaws.com", "ops.emr-serverless.amazonaws.com"]
    }
  }

  statement {
    sid         = "NeverTheDeployPath"
    effect      = "Deny"
    not_actions = ["iam:Get*", "iam:List*"]
    resources   = local.guarded
  }

  statement {
    sid       = "NeverDropABoundary"
    effect    = "Deny"
    actions   = ["iam:DeleteRolePermissionsBoundary"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "deploy_iam" {
  name   = "manage-platform-iam"
  role   = aws_iam_role.github["deploy"].id
  policy = data.aws_iam_policy_document.deploy_iam.json
}

# A pull request can change the workflow its plan runs, so the plan role holds nothing a pull
# request's author may not see or change: it reads the configuration and the state and writes
# nothing. Plans run with -lock=false (a plan changes nothing), so the role needs no lock either,
# and cannot delete or overwrite the lock of an apply in progress. ReadOnlyAccess would also read
# the platform's data: objects, secret values, log events.
data "aws_iam_policy_document" "plan" {
  statement {
    sid       = "NeverWriteTheState"
    effect    = "Deny"
    actions   = ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"]
    resources = ["arn:${local.partition}:s3:::${var.terraform_state_bucket}/*"]
  }

  statement {
    sid           = "NoDataButTheState"
    effect        = "Deny"
    actions       = ["s3:GetObject", "s3:GetObjectVersion"]
    not_resources = ["arn:${local.partition}:s3:::${var.terraform_state_bucket}/*"]
  }

  statement {
    sid       = "NoSecrets"
    effect    = "Deny"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = ["*"]
  }

  # What the hosts and services log is data (requests, user names, records); the log groups'
  # configuration stays readable (logs:Describe*, logs:ListTagsForResource).
  statement {
    sid       = "NoLogEvents"
    effect    = "Deny"
    actions   = ["logs:GetLogEvents", "logs:FilterLogEvents", "logs:StartQuery", "logs:GetQueryResults", "logs:GetLogRecord", "logs:StartLiveTail", "logs:Unmask"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "plan" {
  name   = "plan-without-data"
  role   = aws_iam_role.github["plan"].id
  policy = data.aws_iam_policy_document.plan.json
}
