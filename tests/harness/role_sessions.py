"""Calls made as a role, on a moto server that enforces IAM (iam_emulation.py): a session of the
role assumed with the operator's key, and whether IAM refused a call."""

from __future__ import annotations

from collections.abc import Callable

import boto3
from botocore.exceptions import ClientError

# The error codes AWS refuses a call with: query and JSON protocols, and EC2's.
REFUSED = ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation")


def role_clients(endpoint: str, role_name: str, session_name: str = "contract-test") -> Callable:
    """A client factory (``service -> client``) with a session of the role, as an instance or the
    controller has one; the role is assumed with the operator's key of the environment."""
    operator = boto3.client("iam", endpoint_url=endpoint)
    arn = operator.get_role(RoleName=role_name)["Role"]["Arn"]
    credentials = boto3.client("sts", endpoint_url=endpoint).assume_role(
        RoleArn=arn, RoleSessionName=session_name)["Credentials"]
    session = boto3.Session(aws_access_key_id=credentials["AccessKeyId"], aws_secret_access_key=credentials["SecretAccessKey"],
                            aws_session_token=credentials["SessionToken"])
    return lambda service: session.client(service, endpoint_url=endpoint)


def refused(call, **parameters) -> bool:
    """IAM refused the call."""
    try:
        call(**parameters)
    except ClientError as error:
        return error.response["Error"]["Code"] in REFUSED
    return False


def allowed(call, **parameters) -> bool:
    """Not refused by IAM (the call may still fail for what it asks)."""
    try:
        call(**parameters)
    except ClientError as error:
        return error.response["Error"]["Code"] not in REFUSED
    return True
