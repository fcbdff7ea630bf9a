"""How the moto harness names the AWS requests it counts (pure logic)."""

import pytest

from emulator.client import count_actions
from emulator.request_log import describe_request

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


class CountingApp:
    """An in-process stand-in for moto's WSGI app (pure logic: the middleware's replay of a retry)."""

    def __init__(self, status="200 OK"):
        self.calls = 0
        self.status = status

    def __call__(self, environ, start_response):
        self.calls += 1
        start_response(self.status, [("Content-Type", "text/xml")])
        return [f"<answer>{self.calls}</answer>".encode()]


def sdk_request(invocation, attempt, method="POST"):
    import io

    body = b"Action=AuthorizeSecurityGroupEgress&GroupId=sg-1"
    return {"REQUEST_METHOD": method, "PATH_INFO": "/", "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body),
            "CONTENT_TYPE": "application/x-www-form-urlencoded", "HTTP_AUTHORIZATION": AUTH.format(service="ec2"),
            "HTTP_AMZ_SDK_INVOCATION_ID": invocation, "HTTP_AMZ_SDK_REQUEST": f"attempt={attempt}; max=25"}


def serve(middleware, environ):
    statuses = []
    body = b"".join(middleware(environ, lambda status, headers, exc_info=None: statuses.append(status)))
    return statuses[-1], body


def test_a_retry_of_an_operation_carried_out_gets_the_same_answer_without_running_it_again():
    from emulator.request_log import CountingMiddleware

    app = CountingApp()
    middleware = CountingMiddleware(app)
    assert serve(middleware, sdk_request("op-1", 1)) == ("200 OK", b"<answer>1</answer>")
    assert serve(middleware, sdk_request("op-1", 2)) == ("200 OK", b"<answer>1</answer>")
    assert app.calls == 1
    assert [entry.get("replayed", False) for entry in middleware.requests] == [False, True]
    # Another operation, and a first attempt that reuses nothing, run as usual.
    assert serve(middleware, sdk_request("op-2", 1))[1] == b"<answer>2</answer>"
    assert app.calls == 2


def test_a_retry_after_an_error_answer_runs_again():
    from emulator.request_log import CountingMiddleware

    app = CountingApp(status="500 Internal Server Error")
    middleware = CountingMiddleware(app)
    serve(middleware, sdk_request("op-1", 1))
    serve(middleware, sdk_request("op-1", 2))
    assert app.calls == 2
