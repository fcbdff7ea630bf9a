"""The lifecycle hooks' EventBridge events and API destination targets in the moto server
(emulator/eventbridge.py), over HTTP with boto3: an instance that starts waiting in a
termination hook puts AWS's "EC2 Instance-terminate Lifecycle Action" event on the default bus; a
rule matching it invokes its API destination over HTTPS with the connection's API key and the
target's input transformer as the body, as EventBridge does; an endpoint that keeps failing gets
the event retried, then sent to the target's dead-letter queue. The receiving endpoint is an HTTPS
server of the test, with a certificate of the CA the server process trusts."""

from __future__ import annotations

import http.server
import json
import ssl
import threading
import time

import boto3
import pytest

from emulator.local_tls import LocalCa
from emulator.server import MotoServer

REGION = "eu-west-1"
GROUP = "dataplatform-local-nifi-main"
TERMINATE_HOOK = {"LifecycleHookName": "terminate", "LifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING",
                  "HeartbeatTimeout": 900, "DefaultResult": "CONTINUE"}
EVENT_PATTERN = {"source": ["aws.autoscaling"], "detail-type": ["EC2 Instance-terminate Lifecycle Action"],
                 "detail": {"AutoScalingGroupName": [GROUP]}}


class Receiver(http.server.ThreadingHTTPServer):
    """An HTTPS endpoint that records every request and answers with ``status``."""

    def __init__(self, tls: LocalCa, status: int = 201):
        self.received: list[dict] = []
        self.status = status

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(handler):  # noqa: N805 - the handler's own self
                body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
                self.received.append({"path": handler.path, "headers": dict(handler.headers), "body": body.decode()})
                handler.send_response(self.status)
                handler.send_header("Content-Length", "2")
                handler.end_headers()
                handler.wfile.write(b"{}")

            def log_message(handler, *args):  # noqa: N805
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tls.certificate, tls.key)
        self.socket = context.wrap_socket(self.socket, server_side=True)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.server_address[1]}"


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return LocalCa(tmp_path_factory.mktemp("events-tls")).server(["127.0.0.1", "localhost"])


@pytest.fixture(scope="module")
def server(tls, tmp_path_factory):
    """A moto server of its own, over HTTPS: it trusts the test CA for its API destination calls."""
    moto = MotoServer(log_path=tmp_path_factory.mktemp("moto-events") / "moto.log", tls=tls).start()
    yield moto
    moto.stop()


@pytest.fixture
def clients(server, tls, monkeypatch):
    server.reset()
    for variable in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    options = {"endpoint_url": server.endpoint, "region_name": REGION, "verify": str(tls.bundle),
               "aws_access_key_id": "test", "aws_secret_access_key": "test"}
    return {service: boto3.client(service, **options) for service in ("autoscaling", "events", "sqs")}


def wire(clients, endpoint: str, retries: int = 2) -> str:
    """The rule, API destination, connection and dead-letter queue of terraform/modules/lifecycle-events."""
    events = clients["events"]
    connection = events.create_connection(
        Name="dataplatform-local-awx", AuthorizationType="API_KEY",
        AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "Authorization", "ApiKeyValue": "Bearer unset"}})
    # The token is set afterwards (awx/configure.yml in an account), as the module leaves it to be.
    events.update_connection(Name="dataplatform-local-awx", AuthorizationType="API_KEY", AuthParameters={
        "ApiKeyAuthParameters": {"ApiKeyName": "Authorization", "ApiKeyValue": "Bearer the-token"}})
    destination = events.create_api_destination(
        Name="dataplatform-local-nifi-decommission", ConnectionArn=connection["ConnectionArn"],
        InvocationEndpoint=f"{endpoint}/api/v2/job_templates/dataplatform-local-nifi-decommission++dataplatform/launch/",
        HttpMethod="POST", InvocationRateLimitPerSecond=1)
    queue_url = clients["sqs"].create_queue(QueueName="dataplatform-local-lifecycle-events-dlq")["QueueUrl"]
    queue_arn = clients["sqs"].get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="dataplatform-local-nifi-terminating", EventPattern=json.dumps(EVENT_PATTERN))
    events.put_targets(Rule="dataplatform-local-nifi-terminating", Targets=[{
        "Id": "awx-nifi-decommission", "Arn": destination["ApiDestinationArn"],
        "RoleArn": "arn:aws:iam::123456789012:role/dataplatform-local-lifecycle-events",
        "InputTransformer": {"InputPathsMap": {"instance": "$.detail.EC2InstanceId"},
                             "InputTemplate": '{"limit": "<instance>"}'},
        "RetryPolicy": {"MaximumRetryAttempts": retries, "MaximumEventAgeInSeconds": 60},
        "DeadLetterConfig": {"Arn": queue_arn}}])
    return queue_url


def group(autoscaling, desired: int) -> list[str]:
    autoscaling.create_launch_configuration(LaunchConfigurationName="nifi", ImageId="ami-12c6146b", InstanceType="t3.medium")
    autoscaling.create_auto_scaling_group(AutoScalingGroupName=GROUP, LaunchConfigurationName="nifi", MinSize=0, MaxSize=4,
                                          DesiredCapacity=desired, AvailabilityZones=[f"{REGION}a"],
                                          LifecycleHookSpecificationList=[TERMINATE_HOOK])
    (described,) = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[GROUP])["AutoScalingGroups"]
    return [instance["InstanceId"] for instance in described["Instances"]]


def waiting(autoscaling) -> list[str]:
    (described,) = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[GROUP])["AutoScalingGroups"]
    return [instance["InstanceId"] for instance in described["Instances"] if instance["LifecycleState"] == "Terminating:Wait"]


def until(condition, seconds: float = 20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.2)
    raise AssertionError(f"not true within {seconds}s")


def test_scale_in_invokes_the_api_destination_with_the_instance_and_the_connections_key(clients, tls, server):
    receiver = Receiver(tls)
    try:
        wire(clients, receiver.url)
        autoscaling = clients["autoscaling"]
        group(autoscaling, 2)
        autoscaling.set_desired_capacity(AutoScalingGroupName=GROUP, DesiredCapacity=1)
        (leaving,) = waiting(autoscaling)
        (request,) = until(lambda: receiver.received)
        assert request["path"] == "/api/v2/job_templates/dataplatform-local-nifi-decommission++dataplatform/launch/"
        assert json.loads(request["body"]) == {"limit": leaving}
        assert request["headers"]["Authorization"] == "Bearer the-token"
        assert request["headers"]["Content-Type"].startswith("application/json")
        (invocation,) = until(server.api_destination_invocations)
        assert (invocation["rule"], invocation["status"], invocation["attempts"]) == (
            "dataplatform-local-nifi-terminating", 201, 1)
        assert "the-token" not in json.dumps(invocation), "the record holds no credential"
        # The instance still waits: the launched job completes its action, not the event.
        assert waiting(autoscaling) == [leaving]
    finally:
        receiver.shutdown()


def test_no_event_for_other_groups_or_transitions(clients, tls, server):
    receiver = Receiver(tls)
    try:
        wire(clients, receiver.url)
        autoscaling = clients["autoscaling"]
        autoscaling.create_launch_configuration(LaunchConfigurationName="airflow", ImageId="ami-12c6146b",
                                                InstanceType="t3.medium")
        autoscaling.create_auto_scaling_group(
            AutoScalingGroupName="dataplatform-local-airflow-main", LaunchConfigurationName="airflow", MinSize=0, MaxSize=2,
            DesiredCapacity=2, AvailabilityZones=[f"{REGION}a"], LifecycleHookSpecificationList=[TERMINATE_HOOK])
        autoscaling.set_desired_capacity(AutoScalingGroupName="dataplatform-local-airflow-main", DesiredCapacity=1)
        time.sleep(2)
        assert receiver.received == [] and server.api_destination_invocations() == []
    finally:
        receiver.shutdown()


def test_a_failing_endpoint_is_retried_then_the_event_goes_to_the_dead_letter_queue(clients, tls, server):
    receiver = Receiver(tls, status=503)
    try:
        queue_url = wire(clients, receiver.url, retries=2)
        autoscaling = clients["autoscaling"]
        group(autoscaling, 1)
        autoscaling.set_desired_capacity(AutoScalingGroupName=GROUP, DesiredCapacity=0)
        (leaving,) = waiting(autoscaling)
        (invocation,) = until(lambda: [record for record in server.api_destination_invocations() if record["dead_letter"]])
        assert (invocation["attempts"], invocation["status"]) == (3, 503)
        assert len(receiver.received) == 3
        messages = clients["sqs"].receive_message(QueueUrl=queue_url, MessageAttributeNames=["All"])["Messages"]
        assert [json.loads(message["Body"]) for message in messages] == [{"limit": leaving}]
    finally:
        receiver.shutdown()
