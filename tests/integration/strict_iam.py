"""What the integration tests of the emulator's IAM share besides the ``strict_moto`` fixture
(conftest.py): the account, the operator's key and a client with it (the account's administrator)."""

from __future__ import annotations

import boto3

REGION = "eu-west-1"
OPERATOR_KEY = "testing"
ACCOUNT = "123456789012"


def operator(strict_moto, service):
    return boto3.client(service, endpoint_url=strict_moto.endpoint, region_name=REGION,
                        aws_access_key_id=OPERATOR_KEY, aws_secret_access_key=OPERATOR_KEY)
