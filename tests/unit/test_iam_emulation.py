"""The resource a request is authorized against (tests/harness/iam_emulation.py), per service, as
AWS's service authorization reference gives it."""

from __future__ import annotations

import pytest

from tests.harness.iam_emulation import request_access_key, resource_arn

ACCOUNT = "123456789012"
REGION = "eu-west-1"
CA = f"arn:aws:acm-pca:{REGION}:{ACCOUNT}:certificate-authority/0f8e"


def known(kind, key):
    return {
        ("secret", "dataplatform/local/airflow/fernet-key"):
            f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:dataplatform/local/airflow/fernet-key-AbCdEf",
        ("autoscaling-group", "dataplatform-local-nifi"):
            f"arn:aws:autoscaling:{REGION}:{ACCOUNT}:autoScalingGroup:1b2c:autoScalingGroupName/dataplatform-local-nifi",
    }.get((kind, key))


@pytest.mark.parametrize(("service", "action", "params", "path", "expected"), [
    ("acm-pca", "IssueCertificate", {"CertificateAuthorityArn": CA}, "/", CA),
    ("secretsmanager", "GetSecretValue", {"SecretId": "dataplatform/local/airflow/fernet-key"}, "/",
     f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:dataplatform/local/airflow/fernet-key-AbCdEf"),
    ("secretsmanager", "GetSecretValue", {"SecretId": "dataplatform/local/missing"}, "/",
     f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:dataplatform/local/missing-??????"),
    ("secretsmanager", "CreateSecret", {"Name": "dataplatform/local/nifi/new"}, "/",
     f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:dataplatform/local/nifi/new-??????"),
    ("ssm", "GetParameter", {"Name": "/dataplatform/local/platform"}, "/",
     f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/dataplatform/local/platform"),
    ("ssm", "GetParameter", {"Name": "plain"}, "/", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/plain"),
    ("autoscaling", "CompleteLifecycleAction", {"AutoScalingGroupName": ["dataplatform-local-nifi"]}, "/",
     f"arn:aws:autoscaling:{REGION}:{ACCOUNT}:autoScalingGroup:1b2c:autoScalingGroupName/dataplatform-local-nifi"),
    ("autoscaling", "DescribeAutoScalingGroups", {}, "/", "*"),
    ("logs", "PutLogEvents", {"logGroupName": "/dataplatform/local/nifi", "logStreamName": "i-1"}, "/",
     f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/dataplatform/local/nifi:log-stream:i-1"),
    ("ec2", "GetConsoleOutput", {"InstanceId": ["i-0abc"]}, "/", f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/i-0abc"),
    ("emr-serverless", "StartJobRun", {}, "/applications/00f1/jobruns",
     f"arn:aws:emr-serverless:{REGION}:{ACCOUNT}:/applications/00f1/jobruns/*"),
    ("emr-serverless", "GetJobRun", {}, "/applications/00f1/jobruns/00r2",
     f"arn:aws:emr-serverless:{REGION}:{ACCOUNT}:/applications/00f1/jobruns/00r2"),
    ("glue", "GetTable", {"DatabaseName": "silver"}, "/", "*"),
])
def test_resource_of_a_request(service, action, params, path, expected):
    assert resource_arn(service, action, params, path, ACCOUNT, REGION, lookup=known) == expected


def test_access_key_from_a_signature_or_a_presigned_url():
    header = {"Authorization": "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20261130/eu-west-1/s3/aws4_request, Signature=x"}
    assert request_access_key(header, "") == "ASIAEXAMPLE"
    assert request_access_key({}, "X-Amz-Credential=sandbox%2F20261130%2Feu-west-1%2Fs3%2Faws4_request") == "sandbox"
    assert request_access_key({}, "") is None
