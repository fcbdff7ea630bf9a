"""IAM enforced by the moto server (emulator/iam/enforcement.py), over HTTP with boto3: a role
session may do what its policy names, on the resources it names, and nothing else; the operator's
key may do everything; the instance metadata service hands an instance its profile role's
credentials, which are enforced in turn."""

from __future__ import annotations

import json
import urllib.request

import boto3
import pytest
from botocore.credentials import InstanceMetadataFetcher, InstanceMetadataProvider
from botocore.exceptions import ClientError

from tests.integration.strict_iam import ACCOUNT, REGION, operator

PARAMETER = "/dataplatform/local/platform"


def host_policy(ca_arn: str) -> dict:
    """A host role's policy in the shape of terraform/modules/iam's: named resources only."""
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ssm:GetParameter",
         "Resource": f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{PARAMETER}"},
        {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
         "Resource": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:dataplatform/local/airflow/*"},
        {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"], "Resource": "arn:aws:s3:::bronze/*"},
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::gold/*"},
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::gold"},
        {"Effect": "Allow", "Action": "acm-pca:GetCertificate", "Resource": ca_arn},
    ]}


@pytest.fixture(scope="module")
def account(strict_moto):
    """Resources and a role made by the operator, and a session of that role."""
    ca_arn = operator(strict_moto, "acm-pca").create_certificate_authority(
        CertificateAuthorityConfiguration={"KeyAlgorithm": "RSA_2048", "SigningAlgorithm": "SHA256WITHRSA",
                                           "Subject": {"CommonName": "test CA"}},
        CertificateAuthorityType="ROOT")["CertificateAuthorityArn"]
    operator(strict_moto, "ssm").put_parameter(Name=PARAMETER, Value="{}", Type="String")
    operator(strict_moto, "ssm").put_parameter(Name="/dataplatform/other", Value="{}", Type="String")
    secrets = operator(strict_moto, "secretsmanager")
    secrets.create_secret(Name="dataplatform/local/airflow/fernet-key", SecretString="airflow")
    secrets.create_secret(Name="dataplatform/local/nifi/sensitive-props-key", SecretString="nifi")
    s3 = operator(strict_moto, "s3")
    for bucket in ("bronze", "gold"):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_object(Bucket=bucket, Key="table/part-0.parquet", Body=b"rows")
    iam = operator(strict_moto, "iam")
    # The operator assumes it too, as an administrator of the account may where the trust names the account.
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName="dataplatform-local-airflow-host", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    iam.put_role_policy(RoleName=role["RoleName"], PolicyName="airflow-host", PolicyDocument=json.dumps(host_policy(ca_arn)))
    iam.create_instance_profile(InstanceProfileName="dataplatform-local-airflow-host")
    iam.add_role_to_instance_profile(InstanceProfileName="dataplatform-local-airflow-host", RoleName=role["RoleName"])
    credentials = operator(strict_moto, "sts").assume_role(RoleArn=role["Arn"], RoleSessionName="i-host")["Credentials"]
    return {"ca_arn": ca_arn, "role": role, "session": boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"], aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"], region_name=REGION)}


def as_role(strict_moto, account, service):
    return account["session"].client(service, endpoint_url=strict_moto.endpoint)


def assert_refused(call, *args, **kwargs):
    with pytest.raises(ClientError) as refused:
        call(*args, **kwargs)
    assert refused.value.response["Error"]["Code"] in ("AccessDenied", "AccessDeniedException"), refused.value.response


def test_a_role_reads_the_parameter_and_the_secrets_its_policy_names(strict_moto, account):
    assert as_role(strict_moto, account, "ssm").get_parameter(Name=PARAMETER)["Parameter"]["Value"] == "{}"
    secrets = as_role(strict_moto, account, "secretsmanager")
    assert secrets.get_secret_value(SecretId="dataplatform/local/airflow/fernet-key")["SecretString"] == "airflow"
    assert_refused(as_role(strict_moto, account, "ssm").get_parameter, Name="/dataplatform/other")
    assert_refused(secrets.get_secret_value, SecretId="dataplatform/local/nifi/sensitive-props-key")


def test_a_role_without_write_permission_can_neither_create_nor_overwrite_a_secret(strict_moto, account):
    secrets = as_role(strict_moto, account, "secretsmanager")
    assert_refused(secrets.put_secret_value, SecretId="dataplatform/local/airflow/fernet-key", SecretString="mine")
    assert_refused(secrets.create_secret, Name="dataplatform/local/airflow/new", SecretString="mine")
    value = operator(strict_moto, "secretsmanager").get_secret_value(SecretId="dataplatform/local/airflow/fernet-key")
    assert value["SecretString"] == "airflow"


def test_a_role_without_pca_issue_permission_cannot_issue_a_certificate(strict_moto, account):
    assert_refused(as_role(strict_moto, account, "acm-pca").issue_certificate, CertificateAuthorityArn=account["ca_arn"],
                   Csr=b"-----BEGIN CERTIFICATE REQUEST-----", SigningAlgorithm="SHA256WITHRSA",
                   Validity={"Value": 1, "Type": "DAYS"})


def test_s3_permissions_hold_per_bucket_and_action(strict_moto, account):
    s3 = as_role(strict_moto, account, "s3")
    s3.put_object(Bucket="bronze", Key="landing/record.json", Body=b"{}")
    with pytest.raises(ClientError) as missing:  # HeadBucket is s3:ListBucket, not granted here
        s3.head_bucket(Bucket="bronze")
    assert missing.value.response["Error"]["Code"] == "403"
    assert s3.get_object(Bucket="gold", Key="table/part-0.parquet")["Body"].read() == b"rows"
    s3.head_bucket(Bucket="gold")
    assert_refused(s3.put_object, Bucket="gold", Key="table/part-1.parquet", Body=b"rows")
    assert_refused(s3.delete_object, Bucket="gold", Key="table/part-0.parquet")
    assert operator(strict_moto, "s3").head_object(Bucket="gold", Key="table/part-0.parquet")
    # Keys with characters that are percent-encoded on the wire (Airflow's task log keys).
    odd_key = "logs/run_id=manual__2026-11-30T15:19:11+00:00/attempt 1.log"
    s3.put_object(Bucket="bronze", Key=odd_key, Body=b"log")
    assert s3.get_object(Bucket="bronze", Key=odd_key)["Body"].read() == b"log"
    # DeleteObjects: s3:DeleteObject on each key.
    s3.put_object(Bucket="bronze", Key="landing/one.json", Body=b"{}")
    operator(strict_moto, "iam").put_role_policy(
        RoleName="dataplatform-local-airflow-host", PolicyName="delete-bronze", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::bronze/*"}]}))
    try:
        assert s3.delete_objects(Bucket="bronze", Delete={"Objects": [{"Key": "landing/one.json"}]}).get("Errors", []) == []
        refused = s3.delete_objects(Bucket="gold", Delete={"Objects": [{"Key": "table/part-0.parquet"}]})
        assert [(error["Key"], error["Code"]) for error in refused["Errors"]] == [("table/part-0.parquet", "AccessDenied")]
        assert operator(strict_moto, "s3").head_object(Bucket="gold", Key="table/part-0.parquet")
    finally:
        operator(strict_moto, "iam").delete_role_policy(RoleName="dataplatform-local-airflow-host", PolicyName="delete-bronze")


def test_an_unknown_key_is_refused_and_the_operator_key_may_do_everything(strict_moto, account):
    stranger = boto3.client("s3", endpoint_url=strict_moto.endpoint, region_name=REGION,
                            aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="x")
    with pytest.raises(ClientError) as refused:
        stranger.list_buckets()
    assert refused.value.response["Error"]["Code"] == "InvalidAccessKeyId"
    operator(strict_moto, "s3").delete_object(Bucket="bronze", Key="landing/record.json")


def test_the_instance_metadata_service_hands_an_instance_its_profile_roles_credentials(strict_moto, account):
    # The test's own address is loopback, so the instance is placed at 127.0.0.1 in a VPC of that range.
    ec2 = operator(strict_moto, "ec2")
    vpc = ec2.create_vpc(CidrBlock="127.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="127.0.0.0/24")["Subnet"]["SubnetId"]
    instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=subnet,
                                 PrivateIpAddress="127.0.0.1",
                                 IamInstanceProfile={"Name": "dataplatform-local-airflow-host"})["Instances"][0]
    imds = f"http://127.0.0.1:{strict_moto.imds_port}"
    token_request = urllib.request.Request(f"{imds}/latest/api/token", method="PUT",
                                           headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"})
    with urllib.request.urlopen(token_request, timeout=10) as answer:  # noqa: S310 - loopback
        token = answer.read().decode()
    with urllib.request.urlopen(urllib.request.Request(f"{imds}/latest/meta-data/instance-id",  # noqa: S310
                                                       headers={"X-aws-ec2-metadata-token": token}), timeout=10) as answer:
        assert answer.read().decode() == instance["InstanceId"]
    with urllib.request.urlopen(urllib.request.Request(f"{imds}/latest/meta-data/iam/security-credentials/",  # noqa: S310
                                                       headers={"X-aws-ec2-metadata-token": token}), timeout=10) as answer:
        assert answer.read().decode() == account["role"]["RoleName"]

    # The SDK's own provider, as on EC2 (the test session disables IMDS in its environment).
    provider = InstanceMetadataProvider(iam_role_fetcher=InstanceMetadataFetcher(
        timeout=5, num_attempts=2, env={}, config={"ec2_metadata_service_endpoint": imds + "/"}))
    credentials = provider.load()
    assert credentials is not None, "the SDK found no credentials at the instance metadata service"
    frozen = credentials.get_frozen_credentials()
    role_session = boto3.Session(aws_access_key_id=frozen.access_key, aws_secret_access_key=frozen.secret_key,
                                 aws_session_token=frozen.token, region_name=REGION)
    identity = role_session.client("sts", endpoint_url=strict_moto.endpoint).get_caller_identity()
    assert identity["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/dataplatform-local-airflow-host/{instance['InstanceId']}"
    s3 = role_session.client("s3", endpoint_url=strict_moto.endpoint)
    s3.put_object(Bucket="bronze", Key="landing/from-imds.json", Body=b"{}")
    assert_refused(s3.delete_object, Bucket="gold", Key="table/part-0.parquet")


def test_a_condition_on_the_instances_tags_holds_for_tagged_instances_only(strict_moto, account):
    """As the automation role reads the consoles of its environment's instances only."""
    iam = operator(strict_moto, "iam")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName="console-reader", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    iam.put_role_policy(RoleName="console-reader", PolicyName="consoles", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "ec2:GetConsoleOutput", "Resource": f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/*",
            "Condition": {"StringEquals": {"aws:ResourceTag/dataplatform:env": "local"}}}]}))
    ec2 = operator(strict_moto, "ec2")
    tagged, untagged = (ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, TagSpecifications=tags)["Instances"][0]["InstanceId"]
                        for tags in ([{"ResourceType": "instance", "Tags": [{"Key": "dataplatform:env", "Value": "local"}]}], []))
    credentials = operator(strict_moto, "sts").assume_role(RoleArn=role["Arn"], RoleSessionName="controller")["Credentials"]
    reader = boto3.client("ec2", endpoint_url=strict_moto.endpoint, region_name=REGION, aws_access_key_id=credentials["AccessKeyId"],
                          aws_secret_access_key=credentials["SecretAccessKey"], aws_session_token=credentials["SessionToken"])
    assert reader.get_console_output(InstanceId=tagged)["InstanceId"] == tagged
    with pytest.raises(ClientError) as refused:
        reader.get_console_output(InstanceId=untagged)
    assert refused.value.response["Error"]["Code"] in ("UnauthorizedOperation", "AccessDenied")


def test_a_role_session_is_held_to_its_permissions_boundary(strict_moto, account):
    """A policy granting everything grants only what the role's boundary allows too; a boundary
    naming no policy allows nothing."""
    iam = operator(strict_moto, "iam")
    boundary = iam.create_policy(PolicyName="parameters-only", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "*"}]}))[
        "Policy"]["Arn"]
    everything = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}]})
    sessions = {}
    for name, boundary_arn in (("bounded", boundary), ("dangling", f"arn:aws:iam::{ACCOUNT}:policy/no-such-policy")):
        role = iam.create_role(RoleName=f"dataplatform-local-{name}", AssumeRolePolicyDocument=trust,
                               PermissionsBoundary=boundary_arn)["Role"]
        iam.put_role_policy(RoleName=role["RoleName"], PolicyName="everything", PolicyDocument=everything)
        credentials = operator(strict_moto, "sts").assume_role(RoleArn=role["Arn"], RoleSessionName=name)["Credentials"]
        sessions[name] = boto3.Session(aws_access_key_id=credentials["AccessKeyId"],
                                       aws_secret_access_key=credentials["SecretAccessKey"],
                                       aws_session_token=credentials["SessionToken"], region_name=REGION)
    bounded = sessions["bounded"]
    assert bounded.client("ssm", endpoint_url=strict_moto.endpoint).get_parameter(Name=PARAMETER)["Parameter"]["Value"]
    assert_refused(bounded.client("secretsmanager", endpoint_url=strict_moto.endpoint).get_secret_value,
                   SecretId="dataplatform/local/airflow/fernet-key")
    assert_refused(bounded.client("iam", endpoint_url=strict_moto.endpoint).create_user, UserName="escape")
    assert_refused(sessions["dangling"].client("ssm", endpoint_url=strict_moto.endpoint).get_parameter, Name=PARAMETER)
