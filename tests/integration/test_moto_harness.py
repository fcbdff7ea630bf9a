"""The moto server harness: boto3 reaches it over HTTP, and nothing reaches real AWS."""

import os

import boto3
import botocore.exceptions
import pytest

from tests.conftest import UNREACHABLE_ENDPOINT


def test_boto3_talks_to_the_moto_server_over_http(moto):
    assert os.environ["AWS_ENDPOINT_URL"] == moto.endpoint
    secrets = boto3.client("secretsmanager")
    secrets.create_secret(Name="dataplatform/local/harness-check", SecretString="value")
    listed = secrets.list_secrets()["SecretList"]
    assert [entry["Name"] for entry in listed] == ["dataplatform/local/harness-check"]

    counted = [(entry["service"], entry["action"]) for entry in moto.requests()]
    assert counted == [("secretsmanager", "CreateSecret"), ("secretsmanager", "ListSecrets")]


def test_reset_forgets_resources_and_requests(moto):
    boto3.client("s3").create_bucket(
        Bucket="harness-reset-check", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    moto.reset()
    assert moto.requests() == []
    assert boto3.client("s3").list_buckets()["Buckets"] == []


def test_code_without_the_fixture_cannot_reach_aws(monkeypatch):
    """Outside the moto fixture the credentials are dummies and the endpoint a closed loopback port."""
    assert os.environ["AWS_ACCESS_KEY_ID"] == "testing"
    assert os.environ["AWS_CONFIG_FILE"] == os.devnull
    assert "AWS_PROFILE" not in os.environ
    monkeypatch.setenv("AWS_ENDPOINT_URL", UNREACHABLE_ENDPOINT)
    with pytest.raises(botocore.exceptions.EndpointConnectionError):
        boto3.client("sts").get_caller_identity()
