"""Who reads a user's certificate secret and who writes the DAGs, under the emulator's enforced
IAM and resource policies (emulator/iam/resource_policies.py), after the local environment was
applied as the deploy role (``applied_local``).

A user's secret is encrypted with the platform's key and carries the resource policy the
certificate pipeline gives it (module_utils/user_certificates.resource_policy): the cert issuer
and the request's readers read it; a host role, the deploy role and the plan role do not, whatever
their identity policies allow. The DAGs bucket admits the publisher's writes only.
"""

from __future__ import annotations

import json

import boto3
import pytest

from ansible_collections.dataplatform.ops.plugins.module_utils.user_certificates import resource_policy
from tests.harness.role_sessions import allowed, refused, role_clients

pytestmark = pytest.mark.terraform

ACCOUNT = "123456789012"
USER_SECRET = "dataplatform/local/users/contract-probe"


@pytest.fixture
def platform(applied_local, terraform_emulator):
    document = applied_local.outputs()["platform"]
    return {"document": document, "as_role": lambda name: role_clients(terraform_emulator.endpoint, f"dataplatform-local-{name}"),
            "operator": lambda service: boto3.client(service, endpoint_url=terraform_emulator.endpoint)}


@pytest.fixture
def user_secret(platform):
    issuer = platform["as_role"]("cert-issuer")("secretsmanager")
    secrets = platform["document"]["secrets"]
    reader = f"arn:aws:iam::{ACCOUNT}:root"
    arn = issuer.create_secret(Name=USER_SECRET, SecretString=json.dumps({"pkcs12": "bundle"}),
                               KmsKeyId=secrets["kms_key_arn"])["ARN"]
    issuer.put_resource_policy(SecretId=arn, ResourcePolicy=json.dumps(
        resource_policy({"readers": [reader]}, secrets["cert_issuer_role_arn"])))
    yield arn
    issuer.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)


def test_a_users_secret_is_read_by_the_issuer_and_its_readers_only(platform, user_secret):
    assert platform["as_role"]("cert-issuer")("secretsmanager").get_secret_value(SecretId=user_secret)["SecretString"]
    # The reader the request names (here the account's administrator, as in the sandbox's requests).
    assert platform["operator"]("secretsmanager").get_secret_value(SecretId=user_secret)["SecretString"]
    for role in ("nifi-host", "airflow-host", "automation", "github-deploy", "github-plan", "dags-publisher"):
        assert refused(platform["as_role"](role)("secretsmanager").get_secret_value, SecretId=user_secret), role


def test_only_the_issuer_changes_a_users_secret_or_its_policy(platform, user_secret):
    deploy = platform["as_role"]("github-deploy")("secretsmanager")
    assert refused(deploy.put_secret_value, SecretId=user_secret, SecretString="replaced")
    assert refused(deploy.delete_resource_policy, SecretId=user_secret)
    assert refused(platform["operator"]("secretsmanager").delete_resource_policy, SecretId=user_secret)


def test_the_platforms_secrets_are_under_its_key(platform):
    key = platform["document"]["secrets"]["kms_key_arn"]
    secrets = platform["operator"]("secretsmanager")
    assert secrets.describe_secret(SecretId=platform["document"]["ssh"]["user_ca_secret_arn"])["KmsKeyId"] == key


def test_only_the_publisher_writes_the_dags(platform):
    bucket = platform["document"]["buckets"]["dags"]
    publisher = platform["as_role"]("dags-publisher")("s3")
    publisher.put_object(Bucket=bucket, Key="dags/contract_probe.py", Body=b"# probe\n")
    try:
        for role in ("airflow-host", "nifi-host", "automation", "github-deploy"):
            assert refused(platform["as_role"](role)("s3").put_object, Bucket=bucket, Key="dags/evil.py", Body=b"x"), role
        assert refused(platform["operator"]("s3").put_object, Bucket=bucket, Key="dags/evil.py", Body=b"x")
        assert allowed(platform["as_role"]("airflow-host")("s3").get_object, Bucket=bucket, Key="dags/contract_probe.py")
    finally:
        publisher.delete_object(Bucket=bucket, Key="dags/contract_probe.py")
