"""CloudWatch Logs and CloudWatch metrics under the emulator's enforced IAM (emulator/iam/enforcement.py,
cloudwatch_iam.py), over HTTP with boto3: a host role shaped like terraform/modules/iam's ships
its own environment's log group only, and publishes metrics in its environment's namespace only."""

from __future__ import annotations

import json
import time

import pytest

from tests.harness.role_sessions import allowed, refused, role_clients
from tests.integration.strict_iam import ACCOUNT, REGION, operator

ROLE = "dataplatform-dev-nifi-host"
GROUPS = ("/dataplatform/dev/nifi", "/dataplatform/dev/airflow", "/dataplatform/ppd/nifi")


def host_policy() -> dict:
    """terraform/modules/iam's ShipOwnLogs and PublishPlatformMetrics statements for the dev NiFi hosts."""
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "ShipOwnLogs", "Effect": "Allow",
         "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
         "Resource": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/dataplatform/dev/nifi:*"},
        {"Sid": "PublishPlatformMetrics", "Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*",
         "Condition": {"StringEquals": {"cloudwatch:namespace": "DataPlatform/dev"}}},
    ]}


@pytest.fixture(scope="module")
def host(strict_moto):
    logs = operator(strict_moto, "logs")
    for group in GROUPS:
        logs.create_log_group(logGroupName=group)
        logs.create_log_stream(logGroupName=group, logStreamName="i-0123456789abcdef0")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    iam = operator(strict_moto, "iam")
    iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName=ROLE, PolicyName="host", PolicyDocument=json.dumps(host_policy()))
    return role_clients(strict_moto.endpoint, ROLE)


def events() -> list[dict]:
    return [{"timestamp": int(time.time() * 1000), "message": "nifi-app.log line"}]


def test_a_host_ships_to_its_own_log_group_only(strict_moto, host):
    logs = host("logs")
    stream = "i-0123456789abcdef0"
    assert allowed(logs.put_log_events, logGroupName="/dataplatform/dev/nifi", logStreamName=stream, logEvents=events())
    assert allowed(logs.create_log_stream, logGroupName="/dataplatform/dev/nifi", logStreamName="i-0fedcba9876543210")
    assert allowed(logs.describe_log_streams, logGroupName="/dataplatform/dev/nifi")
    for other in ("/dataplatform/dev/airflow", "/dataplatform/ppd/nifi"):
        assert refused(logs.put_log_events, logGroupName=other, logStreamName=stream, logEvents=events()), other
        assert refused(logs.create_log_stream, logGroupName=other, logStreamName="i-0fedcba9876543210"), other
        assert refused(logs.describe_log_streams, logGroupName=other), other
    # A group named by its ARN (logGroupIdentifier) is the same group.
    assert allowed(logs.describe_log_streams,
                   logGroupIdentifier=f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/dataplatform/dev/nifi")
    assert refused(logs.describe_log_streams,
                   logGroupIdentifier=f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/dataplatform/dev/airflow")
    # What the role was refused was not written.
    for group in GROUPS:
        written = operator(strict_moto, "logs").get_log_events(logGroupName=group, logStreamName=stream)["events"]
        assert len(written) == (1 if group == "/dataplatform/dev/nifi" else 0), group


def test_a_host_publishes_metrics_in_its_environments_namespace_only(strict_moto, host):
    cloudwatch = host("cloudwatch")
    datum = [{"MetricName": "NiFiConnectedNodes", "Value": 3.0,
              "Dimensions": [{"Name": "Cluster", "Value": "nifi-main"}]}]
    assert allowed(cloudwatch.put_metric_data, Namespace="DataPlatform/dev", MetricData=datum)
    assert refused(cloudwatch.put_metric_data, Namespace="DataPlatform/ppd", MetricData=datum)
    assert refused(cloudwatch.put_metric_data, Namespace="AWS/AutoScaling", MetricData=datum)
    # Nothing else of CloudWatch was granted.
    assert refused(cloudwatch.describe_alarms)
    stored = operator(strict_moto, "cloudwatch").list_metrics(MetricName="NiFiConnectedNodes")["Metrics"]
    assert {metric["Namespace"] for metric in stored} == {"DataPlatform/dev"}


def test_a_cloudwatch_action_is_granted_by_its_iam_name_not_by_its_endpoints_name(strict_moto, host):
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    iam = operator(strict_moto, "iam")
    iam.create_role(RoleName="signing-name", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName="signing-name", PolicyName="monitoring", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "monitoring:*", "Resource": "*"}]}))
    cloudwatch = role_clients(strict_moto.endpoint, "signing-name")("cloudwatch")
    assert refused(cloudwatch.put_metric_data, Namespace="DataPlatform/dev",
                   MetricData=[{"MetricName": "NiFiConnectedNodes", "Value": 1.0}])
    assert refused(cloudwatch.describe_alarms)
