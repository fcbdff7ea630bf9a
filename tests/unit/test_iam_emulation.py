"""The resource a request is authorized against (emulator/iam/enforcement.py), per service, as
AWS's service authorization reference gives it."""

from __future__ import annotations

import pytest

from emulator.iam.enforcement import request_access_key
from emulator.iam.resources import iam_condition_keys, resource_arn

ACCOUNT = "123456789012"
REGION = "eu-west-1"
CA = f"arn:aws:acm-pca:{REGION}:{ACCOUNT}:certificate-authority/0f8e"


def known(kind, key):
    return {
        ("secret", "dataplatform/local/airflow/fernet-key"):
            f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:dataplatform/local/airflow/fernet-key-AbCdEf",
        ("autoscaling-group", "dataplatform-local-nifi"):
            f"arn:aws:autoscaling:{REGION}:{ACCOUNT}:autoScalingGroup:1b2c:autoScalingGroupName/dataplatform-local-nifi",
        ("iam-role", "dataplatform-local-automation"): f"arn:aws:iam::{ACCOUNT}:role/platform/dataplatform-local-automation",
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
    ("glue", "GetTable", {"DatabaseName": "silver", "Name": "orders"}, "/", f"arn:aws:glue:{REGION}:{ACCOUNT}:table/silver/orders"),
    ("glue", "BatchCreatePartition", {"DatabaseName": "gold", "TableName": "totals"}, "/",
     f"arn:aws:glue:{REGION}:{ACCOUNT}:table/gold/totals"),
    ("glue", "GetDatabase", {"Name": "silver"}, "/", f"arn:aws:glue:{REGION}:{ACCOUNT}:database/silver"),
    ("glue", "GetDatabases", {}, "/", f"arn:aws:glue:{REGION}:{ACCOUNT}:catalog"),
    ("sns", "Publish", {"TopicArn": [f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts"]}, "/", f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts"),
    ("sns", "Publish", {"TargetArn": [f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts"]}, "/", f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts"),
    ("sns", "CreateTopic", {"Name": ["alerts"]}, "/", f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts"),
    ("sns", "ListTopics", {}, "/", "*"),
    # IAM: an existing role by its ARN (its path included), one to be created by name and path.
    ("iam", "PutRolePolicy", {"RoleName": ["dataplatform-local-automation"]}, "/",
     f"arn:aws:iam::{ACCOUNT}:role/platform/dataplatform-local-automation"),
    ("iam", "CreateRole", {"RoleName": ["dataplatform-local-new"]}, "/", f"arn:aws:iam::{ACCOUNT}:role/dataplatform-local-new"),
    ("iam", "AddRoleToInstanceProfile", {"InstanceProfileName": ["dataplatform-local-nifi-host"],
                                         "RoleName": ["dataplatform-local-nifi-host"]}, "/",
     f"arn:aws:iam::{ACCOUNT}:instance-profile/dataplatform-local-nifi-host"),
    ("iam", "CreatePolicyVersion", {"PolicyArn": [f"arn:aws:iam::{ACCOUNT}:policy/boundary"]}, "/",
     f"arn:aws:iam::{ACCOUNT}:policy/boundary"),
    ("iam", "CreateServiceLinkedRole", {"AWSServiceName": ["autoscaling.amazonaws.com"]}, "/",
     f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/*"),
    ("iam", "CreateOpenIDConnectProvider", {"Url": ["https://token.actions.githubusercontent.com"]}, "/",
     f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"),
    ("iam", "ListRoles", {}, "/", "*"),
])
def test_resource_of_a_request(service, action, params, path, expected):
    assert resource_arn(service, action, params, path, ACCOUNT, REGION, lookup=known) == expected


def test_access_key_from_a_signature_or_a_presigned_url():
    header = {"Authorization": "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20261130/eu-west-1/s3/aws4_request, Signature=x"}
    assert request_access_key(header, "") == "ASIAEXAMPLE"
    assert request_access_key({}, "X-Amz-Credential=sandbox%2F20261130%2Feu-west-1%2Fs3%2Faws4_request") == "sandbox"
    assert request_access_key({}, "") is None


BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/dataplatform-local-permissions-boundary"


@pytest.mark.parametrize(("action", "params", "expected"), [
    ("CreateRole", {"RoleName": ["r"], "PermissionsBoundary": [BOUNDARY]}, {"iam:PermissionsBoundary": BOUNDARY}),
    ("CreateRole", {"RoleName": ["r"]}, {}),
    ("PutRolePermissionsBoundary", {"RoleName": ["r"], "PermissionsBoundary": [BOUNDARY]},
     {"iam:PermissionsBoundary": BOUNDARY}),
    # Policy changes are judged by the boundary the role has now, not by anything in the request.
    ("PutRolePolicy", {"RoleName": ["bounded"]}, {"iam:PermissionsBoundary": BOUNDARY}),
    ("PutRolePolicy", {"RoleName": ["unbounded"]}, {}),
    ("AttachRolePolicy", {"RoleName": ["bounded"], "PolicyArn": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]},
     {"iam:PermissionsBoundary": BOUNDARY, "iam:PolicyARN": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
    ("UpdateAssumeRolePolicy", {"RoleName": ["bounded"]}, {}),
    ("CreateServiceLinkedRole", {"AWSServiceName": ["rds.amazonaws.com"]}, {"iam:AWSServiceName": "rds.amazonaws.com"}),
])
def test_iam_condition_keys(action, params, expected):
    assert iam_condition_keys(action, params, {"bounded": BOUNDARY}.get) == expected
