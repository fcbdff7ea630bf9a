"""Resource and trust policies enforced by the moto server (emulator/iam/resource_policies.py),
over HTTP with boto3: a role's trust policy decides who assumes it, a secret's, a bucket's and a
key's policy refuse whom they deny (the account's administrator too), and a secret under a
customer key is read only by a caller whom both IAM and the key's policy let decrypt through
Secrets Manager."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.harness.role_sessions import role_clients
from tests.integration.strict_iam import ACCOUNT, OPERATOR_KEY, REGION, operator

ROOT = f"arn:aws:iam::{ACCOUNT}:root"
VIA_SECRETS_MANAGER = {"StringEquals": {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}}


def refused(call, **kwargs) -> str:
    with pytest.raises(ClientError) as error:
        call(**kwargs)
    assert error.value.response["Error"]["Code"] in ("AccessDenied", "AccessDeniedException"), error.value.response
    return error.value.response["Error"].get("Message", "")


def document(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


class Account:
    def __init__(self, server):
        self.server = server
        self.iam = operator(server, "iam")

    def role(self, name: str, trusted: list[str], *statements) -> str:
        trust = document({"Effect": "Allow", "Principal": {"AWS": trusted}, "Action": "sts:AssumeRole"})
        arn = self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
        if statements:
            self.iam.put_role_policy(RoleName=name, PolicyName="grants", PolicyDocument=document(*statements))
        return arn

    def session(self, role_arn: str, sts=None) -> boto3.Session:
        sts = sts or operator(self.server, "sts")
        credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName="test")["Credentials"]
        return boto3.Session(aws_access_key_id=credentials["AccessKeyId"], aws_secret_access_key=credentials["SecretAccessKey"],
                             aws_session_token=credentials["SessionToken"], region_name=REGION)

    def client(self, session: boto3.Session, service: str):
        return session.client(service, endpoint_url=self.server.endpoint)


@pytest.fixture(scope="module")
def account(strict_moto):
    return Account(strict_moto)


def test_a_trust_policy_naming_a_role_admits_that_role_only(account):
    runner = account.role("awx-execution-node", [ROOT], {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"})
    stranger = account.role("deploy", [ROOT], {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"})
    automation = account.role("automation", [runner])
    assert account.session(automation, account.client(account.session(runner), "sts"))
    message = refused(account.client(account.session(stranger), "sts").assume_role, RoleArn=automation, RoleSessionName="probe")
    assert "trust policy" in message or "not authorized" in message
    # The account's administrator is not named either.
    assert "trust policy" in refused(operator(account.server, "sts").assume_role, RoleArn=automation, RoleSessionName="probe")


def test_a_trust_policy_naming_the_account_delegates_to_the_callers_policies(account):
    target = account.role("delegated", [ROOT])
    allowed = account.role("may-assume", [ROOT], {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": target})
    not_allowed = account.role("may-not-assume", [ROOT], {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"})
    assert account.session(target, account.client(account.session(allowed), "sts"))
    refused(account.client(account.session(not_allowed), "sts").assume_role, RoleArn=target, RoleSessionName="probe")


def test_a_secrets_policy_refuses_whom_it_denies_even_with_iam_permission(account):
    issuer = account.role("cert-issuer", [ROOT], {"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"})
    host = account.role("nifi-host", [ROOT], {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"})
    secrets = operator(account.server, "secretsmanager")
    arn = secrets.create_secret(Name="dataplatform/local/users/alice", SecretString="bundle")["ARN"]
    secrets.put_resource_policy(SecretId=arn, ResourcePolicy=document(
        {"Effect": "Deny", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
         "Condition": {"ArnNotEquals": {"aws:PrincipalArn": [issuer]}}}))
    assert account.client(account.session(issuer), "secretsmanager").get_secret_value(SecretId=arn)["SecretString"] == "bundle"
    refused(account.client(account.session(host), "secretsmanager").get_secret_value, SecretId=arn)
    assert "resource policy" in refused(secrets.get_secret_value, SecretId=arn)


def test_a_secret_under_a_customer_key_needs_decrypt_through_secrets_manager(account):
    kms = operator(account.server, "kms")
    key = kms.create_key(Policy=document(
        {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"}))["KeyMetadata"]["Arn"]
    name = "dataplatform/local/nifi/sensitive-props-key"
    operator(account.server, "secretsmanager").create_secret(Name=name, SecretString="key", KmsKeyId=key)
    read = {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}
    through_secrets_manager = account.role("reads-through-sm", [ROOT], read, {
        "Effect": "Allow", "Action": "kms:Decrypt", "Resource": key, "Condition": VIA_SECRETS_MANAGER})
    through_s3_only = account.role("reads-through-s3", [ROOT], read, {
        "Effect": "Allow", "Action": "kms:Decrypt", "Resource": key,
        "Condition": {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}}})
    without_kms = account.role("reads-without-kms", [ROOT], read)
    assert account.client(account.session(through_secrets_manager), "secretsmanager").get_secret_value(SecretId=name)["SecretString"] == "key"
    for role in (through_s3_only, without_kms):
        refused(account.client(account.session(role), "secretsmanager").get_secret_value, SecretId=name)
    # Writing needs GenerateDataKey, which none of them has.
    refused(account.client(account.session(through_secrets_manager), "secretsmanager").create_secret,
            Name="dataplatform/local/nifi/other", SecretString="x", KmsKeyId=key)
    # Calling KMS directly is not through Secrets Manager.
    refused(account.client(account.session(through_secrets_manager), "kms").decrypt, CiphertextBlob=b"x" * 32)


def test_a_key_policy_that_does_not_name_the_account_refuses_its_administrator(account):
    kms = operator(account.server, "kms")
    owner = account.role("key-owner", [ROOT], {"Effect": "Allow", "Action": "kms:*", "Resource": "*"})
    key = kms.create_key(Policy=document(
        {"Effect": "Allow", "Principal": {"AWS": owner}, "Action": "kms:*", "Resource": "*"}))["KeyMetadata"]["Arn"]
    assert account.client(account.session(owner), "kms").describe_key(KeyId=key)
    assert "key policy" in refused(kms.describe_key, KeyId=key)


def test_a_bucket_policy_lets_only_the_publisher_write(account):
    s3 = operator(account.server, "s3")
    s3.create_bucket(Bucket="dataplatform-local-dags", CreateBucketConfiguration={"LocationConstraint": REGION})
    write = {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"], "Resource": "arn:aws:s3:::dataplatform-local-dags/*"}
    publisher = account.role("dags-publisher", [ROOT], write)
    other = account.role("power-user", [ROOT], write)
    s3.put_bucket_policy(Bucket="dataplatform-local-dags", Policy=document(
        {"Effect": "Deny", "Principal": "*", "Action": ["s3:PutObject", "s3:DeleteObject"],
         "Resource": "arn:aws:s3:::dataplatform-local-dags/*", "Condition": {"ArnNotEquals": {"aws:PrincipalArn": publisher}}}))
    account.client(account.session(publisher), "s3").put_object(Bucket="dataplatform-local-dags", Key="dags/a.py", Body=b"x")
    refused(account.client(account.session(other), "s3").put_object, Bucket="dataplatform-local-dags", Key="dags/b.py", Body=b"x")
    refused(s3.put_object, Bucket="dataplatform-local-dags", Key="dags/c.py", Body=b"x")
    assert account.client(account.session(other), "s3").get_object(Bucket="dataplatform-local-dags", Key="dags/a.py")["Body"].read() == b"x"


def test_only_the_service_a_trust_policy_names_gets_a_session_of_its_role(account, monkeypatch):

    trust = document({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})
    arn = account.iam.create_role(RoleName="instance-only", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    account.iam.put_role_policy(RoleName="instance-only", PolicyName="identity", PolicyDocument=document(
        {"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}))
    assert "trust policy" in refused(operator(account.server, "sts").assume_role, RoleArn=arn, RoleSessionName="probe")
    for variable, value in {"AWS_ACCESS_KEY_ID": OPERATOR_KEY, "AWS_SECRET_ACCESS_KEY": OPERATOR_KEY, "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(variable, value)
    caller = role_clients(account.server.endpoint, "instance-only")("sts").get_caller_identity()
    assert caller["Arn"].startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/instance-only/")


def test_the_versions_of_a_deleted_key_can_be_removed(account):
    """What terraform destroy of a versioned bucket with force_destroy sends (s3_versions.py)."""
    s3 = operator(account.server, "s3")
    s3.create_bucket(Bucket="versions-probe", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket="versions-probe", VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket="versions-probe", Key="dags/a.py", Body=b"x")
    s3.delete_object(Bucket="versions-probe", Key="dags/a.py")
    listed = s3.list_object_versions(Bucket="versions-probe")
    entries = [{"Key": entry["Key"], "VersionId": entry["VersionId"]}
               for entry in listed.get("Versions", []) + listed.get("DeleteMarkers", [])]
    assert len(entries) == 2
    assert not s3.delete_objects(Bucket="versions-probe", Delete={"Objects": entries}).get("Errors")
    s3.delete_bucket(Bucket="versions-probe")
