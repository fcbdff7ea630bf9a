# --- The DAGs' publisher: the only writer of the DAGs bucket ---------------------------------

# DAGs are code every Airflow host runs as its service user, so writing them is as sensitive as a
# converge: the DAGs bucket's policy (s3-datalake, dags_writer_arns) denies writes to every other
# principal. The delivery job assumes this role: the DAGs workflow in this account's GitHub
# environment (main.tf, github_workflow_assume), or whoever may run the converge (the AWX template
# that runs airflow-dags.yml).
data "aws_iam_policy_document" "dags_publisher_assume" {
  source_policy_documents = [data.aws_iam_policy_document.automation_assume.json, data.aws_iam_policy_document.github_workflow_assume["dags_publisher"].json]
}

resource "aws_iam_role" "dags_publisher" {
  name                 = "${local.name}-dags-publisher"
  description          = "Publishes the ${var.environment} data platform's DAGs and Spark jobs (airflow-dags.yml); the only writer of the DAGs bucket."
  assume_role_policy   = data.aws_iam_policy_document.dags_publisher_assume.json
  max_session_duration = 3600
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

data "aws_iam_policy_document" "dags_publisher" {
  statement {
    sid       = "ReadThePlatformParameter"
    actions   = ["ssm:GetParameter"]
    resources = [local.parameter_arn]
  }

  statement {
    sid       = "ListWhatItPublishes"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [var.bucket_arns["dags"], var.bucket_arns["artifacts"]]
  }

  statement {
    sid = "PublishTheDags"
    # amazon.aws.s3_object compares and keeps the objects' tags too.
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:GetObjectTagging", "s3:PutObjectTagging"]
    resources = ["${var.bucket_arns["dags"]}/*"]
  }

  statement {
    sid       = "PublishTheSparkJobs"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:GetObjectTagging", "s3:PutObjectTagging"]
    resources = ["${var.bucket_arns["artifacts"]}/${var.spark_artifacts_prefix}*"]
  }

  statement {
    sid       = "UseThePlatformKeyForTheBuckets"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "dags_publisher" {
  name   = "publish-dags"
  role   = aws_iam_role.dags_publisher.id
  policy = data.aws_iam_policy_document.dags_publisher.json
}
