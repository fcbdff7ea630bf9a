"""How the moto harness names the AWS requests it counts (pure logic)."""

import pytest

from tests.harness.moto_server import count_actions, describe_request

AUTH = "AWS4-HMAC-SHA256 Credential=testing/20261127/eu-west-1/{service}/aws4_request, SignedHeaders=host"


@pytest.mark.parametrize(
    ("environ", "body", "expected"),
    [
        (
            {"HTTP_AUTHORIZATION": AUTH.format(service="acm-pca"), "HTTP_X_AMZ_TARGET": "ACMPrivateCA.IssueCertificate",
             "REQUEST_METHOD": "POST", "PATH_INFO": "/"},
            b"{}",
            ("acm-pca", "IssueCertificate"),
        ),
        (
            {"HTTP_AUTHORIZATION": AUTH.format(service="autoscaling"), "REQUEST_METHOD": "POST", "PATH_INFO": "/",
             "CONTENT_TYPE": "application/x-www-form-urlencoded; charset=utf-8"},
            b"Action=DescribeAutoScalingGroups&Version=2011-01-01",
            ("autoscaling", "DescribeAutoScalingGroups"),
        ),
        (
            {"HTTP_AUTHORIZATION": AUTH.format(service="ec2"), "REQUEST_METHOD": "GET", "PATH_INFO": "/",
             "QUERY_STRING": "Action=DescribeInstances&Version=2016-11-15"},
            b"",
            ("ec2", "DescribeInstances"),
        ),
        (
            {"HTTP_AUTHORIZATION": AUTH.format(service="s3"), "REQUEST_METHOD": "PUT", "PATH_INFO": "/bucket/key"},
            b"data",
            ("s3", "PUT /bucket/key"),
        ),
        ({"REQUEST_METHOD": "GET", "PATH_INFO": "/"}, b"", ("unknown", "GET /")),
    ],
)
def test_describe_request_names_service_and_action(environ, body, expected):
    described = describe_request(environ, body)
    assert (described["service"], described["action"]) == expected


def test_count_actions_groups_by_service_and_action():
    requests = [
        {"service": "ec2", "action": "DescribeInstances"},
        {"service": "ec2", "action": "DescribeInstances"},
        {"service": "autoscaling", "action": "DescribeAutoScalingGroups"},
    ]
    assert count_actions(requests) == {"ec2:DescribeInstances": 2, "autoscaling:DescribeAutoScalingGroups": 1}


def test_selected_json_parameters_are_recorded_and_secrets_are_not():
    environ = {"HTTP_AUTHORIZATION": AUTH.format(service="secretsmanager"), "HTTP_X_AMZ_TARGET": "secretsmanager.CreateSecret",
               "REQUEST_METHOD": "POST", "PATH_INFO": "/"}
    described = describe_request(environ, b'{"Name": "dataplatform/dev/users/alice", "SecretString": "s3cret"}')
    assert described["params"] == {"Name": "dataplatform/dev/users/alice"}
