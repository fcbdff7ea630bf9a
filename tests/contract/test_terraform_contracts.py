"""DESIGN.md contracts 1 and 2, Terraform's side, asserted on the applied local environment: the
tags every Auto Scaling Group carries, and the platform parameter the hosts read. The key lists
come from the collection's module_utils/platform.py, the same lists the Ansible side uses."""

import fnmatch
import json
import re

import boto3
import pytest

from ansible_collections.dataplatform.ops.plugins.module_utils.platform import (
    CONTRACT_TAGS,
    PLATFORM_KEYS,
    SWITCHABLE_PLATFORM_KEYS,
    TAG_CLUSTER,
    TAG_ENV,
    TAG_ROLE,
    missing_platform_keys,
    platform_parameter_name,
)
from tests.harness.terraform import TERRAFORM_DIR

# These tests need the applied Terraform environment, so they also belong to the terraform tier.
pytestmark = pytest.mark.terraform


def _client(emulator, service):
    return boto3.client(service, endpoint_url=emulator.endpoint)


def _leaf_paths(document, prefix=""):
    """Every key's dotted path; a key PLATFORM_KEYS names is a leaf even where its value is a map
    (telemetry.metric_names)."""
    for key, value in document.items():
        if isinstance(value, dict) and f"{prefix}{key}" not in PLATFORM_KEYS:
            yield from _leaf_paths(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}"


def test_every_auto_scaling_group_carries_the_contract_tags_propagated_to_its_instances(applied_local, terraform_emulator):
    groups = _client(terraform_emulator, "autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]
    assert {group["AutoScalingGroupName"] for group in groups} == {
        "dataplatform-local-nifi-main", "dataplatform-local-airflow-main"}
    ec2 = _client(terraform_emulator, "ec2")
    for group in groups:
        tags = {tag["Key"]: tag for tag in group["Tags"]}
        for key in (*CONTRACT_TAGS, "Name"):
            assert key in tags, f"{group['AutoScalingGroupName']} has no {key} tag"
            assert tags[key]["PropagateAtLaunch"] is True, f"{key} of {group['AutoScalingGroupName']} is not propagated"
        assert tags[TAG_ENV]["Value"] == "local"
        assert tags[TAG_ROLE]["Value"] in ("nifi", "airflow")
        assert tags[TAG_CLUSTER]["Value"] == f"{tags[TAG_ROLE]['Value']}-main"

        instance_ids = [instance["InstanceId"] for instance in group["Instances"]]
        assert instance_ids
        for reservation in ec2.describe_instances(InstanceIds=instance_ids)["Reservations"]:
            for instance in reservation["Instances"]:
                instance_tags = {tag["Key"]: tag["Value"] for tag in instance["Tags"]}
                for key in (*CONTRACT_TAGS, "Name"):
                    assert instance_tags.get(key) == tags[key]["Value"], f"{instance['InstanceId']}: {key}"


def test_platform_parameter_has_exactly_the_keys_ansible_reads(applied_local, terraform_emulator):
    parameter = _client(terraform_emulator, "ssm").get_parameter(Name=platform_parameter_name("local"))["Parameter"]
    document = json.loads(parameter["Value"])
    assert missing_platform_keys(document) == []
    assert sorted(_leaf_paths(document)) == sorted(PLATFORM_KEYS), "keys beyond PLATFORM_KEYS: extend platform.py first"


def test_platform_parameter_points_at_real_resources(applied_local, terraform_emulator):
    document = json.loads(_client(terraform_emulator, "ssm").get_parameter(
        Name=platform_parameter_name("local"))["Parameter"]["Value"])
    assert document["env"] == "local" and document["region"] == "eu-west-1"
    assert document["secrets_prefix"] == "dataplatform/local/"

    bucket_names = {bucket["Name"] for bucket in _client(terraform_emulator, "s3").list_buckets()["Buckets"]}
    assert set(document["buckets"].values()) <= bucket_names

    authority = _client(terraform_emulator, "acm-pca").describe_certificate_authority(
        CertificateAuthorityArn=document["pca"]["arn"])["CertificateAuthority"]
    assert authority["Status"] == "ACTIVE" and authority["Type"] == "ROOT"

    groups = {group["AutoScalingGroupName"] for group in
              _client(terraform_emulator, "autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]}
    assert {document["nifi"]["asg_name"], document["airflow"]["asg_name"]} == groups

    balancers = {balancer["DNSName"] for balancer in
                 _client(terraform_emulator, "elbv2").describe_load_balancers()["LoadBalancers"]}
    assert {document["nifi"]["nlb_dns_name"], document["airflow"]["alb_dns_name"]} == balancers

    database = _client(terraform_emulator, "rds").describe_db_instances()["DBInstances"][0]
    assert document["rds"]["endpoint"] == database["Endpoint"]["Address"]
    assert document["rds"]["port"] == database["Endpoint"]["Port"]
    assert document["rds"]["db_name"] == database["DBName"]
    assert document["rds"]["credentials_secret_arn"] == database["MasterUserSecret"]["SecretArn"]
    _client(terraform_emulator, "secretsmanager").describe_secret(SecretId=document["rds"]["credentials_secret_arn"])


def test_platform_parameter_keys_are_documented_in_one_place():
    readme = (TERRAFORM_DIR / "modules" / "platform-parameter" / "README.md").read_text()
    section = readme.split("\n## The document\n", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `([a-z_.]+)` \|", section, re.M)
    assert documented == list(PLATFORM_KEYS)


# --- What the pipeline's DAG needs (Spark on EMR Serverless, the Glue catalog, alerts) -------

PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
PIPELINE_TABLES = {
    "orders": ("silver", [("order_id", "string"), ("customer_id", "string"), ("amount", "decimal(12,2)"),
                          ("currency", "string"), ("ordered_at", "timestamp")], [("ingestion_date", "string")]),
    "daily_customer_totals": ("gold", [("customer_id", "string"), ("currency", "string"), ("order_count", "bigint"),
                                       ("total_amount", "decimal(14,2)")], [("order_date", "string")]),
}


def _document(emulator):
    return json.loads(_client(emulator, "ssm").get_parameter(Name=platform_parameter_name("local"))["Parameter"]["Value"])


def test_switchable_keys_may_be_null_but_not_absent_or_empty():
    document = {"processing": {key.split(".", 1)[1]: None for key in SWITCHABLE_PLATFORM_KEYS}}
    missing = missing_platform_keys(document)
    assert not set(SWITCHABLE_PLATFORM_KEYS) & set(missing)
    assert set(SWITCHABLE_PLATFORM_KEYS) <= set(missing_platform_keys({}))
    assert set(SWITCHABLE_PLATFORM_KEYS) <= set(missing_platform_keys(
        {"processing": {key.split(".", 1)[1]: "" for key in SWITCHABLE_PLATFORM_KEYS}}))


def test_the_pipeline_keys_of_the_document_come_from_terraform(applied_local, terraform_emulator):
    document = _document(terraform_emulator)
    outputs = applied_local.outputs()
    pipeline = outputs["pipeline"]

    # Spark: where the package is published and the jobs log, inside the document's own buckets.
    assert document["processing"]["spark_artifacts_uri"] == f"s3://{document['buckets']['artifacts']}/spark/"
    assert document["processing"]["spark_logs_uri"] == f"s3://{document['buckets']['logs']}/spark/"
    application = pipeline["spark_application"]
    if application is None:
        # Switched off (the sandbox): null, and the environment says what it left out.
        assert any(entry.startswith("processing:") for entry in outputs["left_out"])
        assert document["processing"]["emr_serverless_application_id"] is None
        assert document["processing"]["spark_job_role_arn"] is None
    else:
        assert document["processing"]["emr_serverless_application_id"] == application["application_id"]
        assert document["processing"]["spark_job_role_arn"] == application["job_role_arn"]

    # Glue: the databases named are the ones the tables live in, and the tables are complete.
    glue = _client(terraform_emulator, "glue")
    assert {name: table["database"] for name, table in pipeline["glue_tables"].items()} == {
        "orders": document["glue"]["silver_database"], "daily_customer_totals": document["glue"]["gold_database"]}
    for name, (layer, columns, partition_keys) in PIPELINE_TABLES.items():
        table = glue.get_table(DatabaseName=document["glue"][f"{layer}_database"], Name=name)["Table"]
        descriptor = table["StorageDescriptor"]
        assert descriptor["Location"] == f"s3://{document['buckets'][layer]}/{name}/", name
        assert descriptor["InputFormat"] == "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat", name
        assert descriptor["OutputFormat"] == "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat", name
        assert descriptor["SerdeInfo"]["SerializationLibrary"] == PARQUET_SERDE, name
        assert [(column["Name"], column["Type"]) for column in descriptor["Columns"]] == columns, name
        assert [(key["Name"], key["Type"]) for key in table["PartitionKeys"]] == partition_keys, name
        assert table["TableType"] == "EXTERNAL_TABLE", name

    # Alerts: a topic of its own, encrypted with the platform key, not the alarm topic.
    topic = document["alerts"]["pipeline_topic_arn"]
    assert topic == pipeline["alerts_topic_arn"]
    attributes = _client(terraform_emulator, "sns").get_topic_attributes(TopicArn=topic)["Attributes"]
    assert attributes.get("KmsMasterKeyId")
    assert topic.endswith(":dataplatform-local-pipeline-alerts")


def _matches(patterns, value, case_insensitive=False):
    patterns = patterns if isinstance(patterns, list) else [patterns]
    if case_insensitive:
        return any(fnmatch.fnmatchcase(value.lower(), pattern.lower()) for pattern in patterns)
    return any(fnmatch.fnmatchcase(value, pattern) for pattern in patterns)


def _conditions_hold(statement, context):
    for operator, pairs in (statement.get("Condition") or {}).items():
        for key, expected in pairs.items():
            expected = expected if isinstance(expected, list) else [expected]
            actual = context.get(key)
            if operator != "StringEquals" or actual not in expected:
                return False
    return True


def _policy_allows(policy, action, resource, context=None):
    """Identity-policy evaluation as IAM does it for one request (explicit Deny wins; conditions:
    StringEquals, the only operator these policies use), for services whose resources the
    emulator does not work out (Glue, SNS: emulator/iam/enforcement.py authorizes them
    against "*") and for iam:PassRole, which AWS checks inside StartJobRun."""
    context = context or {}
    allowed = False
    for statement in policy["Statement"]:
        if "NotAction" in statement:
            concerned = not _matches(statement["NotAction"], action, case_insensitive=True)
        else:
            concerned = _matches(statement["Action"], action, case_insensitive=True)
        if "NotResource" in statement:
            concerned = concerned and not _matches(statement["NotResource"], resource)
        else:
            concerned = concerned and _matches(statement["Resource"], resource)
        if not concerned or not _conditions_hold(statement, context):
            continue
        if statement["Effect"] == "Deny":
            return False
        allowed = True
    return allowed


def _effective_policy(emulator, role_name):
    """The role's inline policies and its permissions boundary: a request is allowed where both allow."""
    iam = _client(emulator, "iam")
    statements = []
    for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
        statements += (json.loads(document) if isinstance(document, str) else document)["Statement"]
    boundary_arn = iam.get_role(RoleName=role_name)["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"]
    version = iam.get_policy(PolicyArn=boundary_arn)["Policy"]["DefaultVersionId"]
    boundary = iam.get_policy_version(PolicyArn=boundary_arn, VersionId=version)["PolicyVersion"]["Document"]
    boundary = json.loads(boundary) if isinstance(boundary, str) else boundary

    def allows(action, resource, context=None):
        return (_policy_allows({"Statement": statements}, action, resource, context)
                and _policy_allows(boundary, action, resource, context))

    return allows


def test_the_airflow_hosts_may_register_partitions_publish_alerts_and_run_spark_and_nothing_wider(
        applied_local, terraform_emulator):
    document = _document(terraform_emulator)
    outputs = applied_local.outputs()
    airflow = _effective_policy(terraform_emulator, "dataplatform-local-airflow-host")
    nifi = _effective_policy(terraform_emulator, "dataplatform-local-nifi-host")
    region, account = "eu-west-1", document["pca"]["arn"].split(":")[4]
    glue_arn = f"arn:aws:glue:{region}:{account}"

    topic = document["alerts"]["pipeline_topic_arn"]
    assert airflow("sns:Publish", topic)
    # The topic is encrypted with the platform key: publishing uses it, through SNS only.
    key_arn = _client(terraform_emulator, "kms").describe_key(KeyId="alias/dataplatform-local")["KeyMetadata"]["Arn"]
    assert airflow("kms:GenerateDataKey", key_arn, {"kms:ViaService": f"sns.{region}.amazonaws.com"})
    assert not airflow("kms:Decrypt", key_arn, {"kms:ViaService": f"sqs.{region}.amazonaws.com"})
    assert not airflow("sns:Publish", f"arn:aws:sns:{region}:{account}:dataplatform-local-alarms")
    assert not nifi("sns:Publish", topic)

    for name, (layer, _, _) in PIPELINE_TABLES.items():
        database = document["glue"][f"{layer}_database"]
        for action in ("glue:GetTable", "glue:GetPartition", "glue:GetPartitions", "glue:CreatePartition",
                       "glue:BatchCreatePartition", "glue:UpdatePartition"):
            for resource in (f"{glue_arn}:catalog", f"{glue_arn}:database/{database}", f"{glue_arn}:table/{database}/{name}"):
                assert airflow(action, resource), (action, resource)
            assert not nifi(action, f"{glue_arn}:table/{database}/{name}"), action
        # Terraform owns the tables: a DAG changes partitions, never a schema.
        for action in ("glue:CreateTable", "glue:UpdateTable", "glue:DeleteTable", "glue:DeletePartition"):
            assert not airflow(action, f"{glue_arn}:table/{database}/{name}"), action
    assert not airflow("glue:CreatePartition", f"{glue_arn}:database/dataplatform_local_bronze")
    assert not airflow("glue:CreatePartition", f"{glue_arn}:table/{document['glue']['silver_database']}/another_table")

    application = outputs["pipeline"]["spark_application"]
    if application is None:
        # No application in this environment: nothing to run and no role to pass.
        assert not airflow("emr-serverless:StartJobRun", f"arn:aws:emr-serverless:{region}:{account}:/applications/any")
        assert not airflow("iam:PassRole", f"arn:aws:iam::{account}:role/dataplatform-local-spark-job",
                           {"iam:PassedToService": "emr-serverless.amazonaws.com"})
    else:
        arn = application["application_arn"]
        for action in ("emr-serverless:StartJobRun", "emr-serverless:GetApplication", "emr-serverless:StartApplication"):
            assert airflow(action, arn), action
        for action in ("emr-serverless:GetJobRun", "emr-serverless:CancelJobRun", "emr-serverless:GetDashboardForJobRun"):
            assert airflow(action, f"{arn}/jobruns/00f0000000000001"), action
        role = document["processing"]["spark_job_role_arn"]
        assert airflow("iam:PassRole", role, {"iam:PassedToService": "emr-serverless.amazonaws.com"})
        assert not airflow("iam:PassRole", role, {"iam:PassedToService": "ec2.amazonaws.com"})
        assert not airflow("iam:PassRole", f"arn:aws:iam::{account}:role/dataplatform-local-automation",
                           {"iam:PassedToService": "emr-serverless.amazonaws.com"})
