"""Calls made as a role, on a moto server that enforces IAM (emulator/iam/): a session of the
role, as whoever its trust policy names would get one, and whether IAM refused a call."""

from __future__ import annotations

import json
import os
from collections.abc import Callable

import boto3
from botocore.exceptions import ClientError

from emulator.client import EmulatorClient

# The error codes AWS refuses a call with: query and JSON protocols, and EC2's.
REFUSED = ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation")


def _names_an_account(trust: dict) -> bool:
    return any(isinstance(statement.get("Principal"), str) or "AWS" in (statement.get("Principal") or {})
               for statement in trust.get("Statement", []) if statement.get("Effect") == "Allow")


def _trusted_service(trust: dict) -> str | None:
    """The service a role's trust policy admits, when it admits no account's principal."""
    statements = trust.get("Statement", [])
    principals = [statement.get("Principal") or {} for statement in (statements if isinstance(statements, list) else [statements])
                  if statement.get("Effect") == "Allow"]
    if any(isinstance(principal, str) or "AWS" in principal for principal in principals):
        return None
    services = [principal["Service"] for principal in principals if "Service" in principal]
    return (services[0] if isinstance(services[0], str) else services[0][0]) if services else None


def _workflow_token(trust: dict) -> str | None:
    """An unsigned token with the claims the trusted workflow's token carries (its subject with any
    wildcard filled in), when the trust admits only an OIDC provider; the emulator reads the claims
    (web_identity.py)."""
    import base64
    import time

    for statement in trust.get("Statement", []):
        federated = (statement.get("Principal") or {}).get("Federated") if isinstance(statement.get("Principal"), dict) else None
        if statement.get("Effect") != "Allow" or not federated:
            continue
        provider = federated.split(":oidc-provider/", 1)[-1]
        claims = {"iss": f"https://{provider}", "aud": "sts.amazonaws.com", "exp": int(time.time()) + 600}
        for operator, pairs in (statement.get("Condition") or {}).items():
            for key, expected in pairs.items():
                value = expected[0] if isinstance(expected, list) else expected
                claims[key.rsplit(":", 1)[-1]] = value.replace("*", "1") if operator.startswith("StringLike") else value

        def part(document):
            return base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")

        return f"{part({'alg': 'none'})}.{part(claims)}.unsigned"
    return None


def role_clients(endpoint: str, role_name: str, session_name: str = "contract-test") -> Callable:
    """A client factory (``service -> client``) with a session of the role, as an instance or the
    controller has one: a role only a service may assume (a host's) is taken as that service takes
    it (service_sessions.py), one only a workflow's OIDC token may assume with the token that
    workflow gets (web_identity.py); any other is assumed with the operator's key of the environment."""
    operator = boto3.client("iam", endpoint_url=endpoint)
    role = operator.get_role(RoleName=role_name)["Role"]
    service = _trusted_service(role["AssumeRolePolicyDocument"])
    trust = role["AssumeRolePolicyDocument"]
    token = None if service or _names_an_account(trust) else _workflow_token(trust)
    if service:
        credentials = EmulatorClient(endpoint, os.environ.get("AWS_CA_BUNDLE")).service_session(role["Arn"], service)
    elif token:
        credentials = boto3.client("sts", endpoint_url=endpoint).assume_role_with_web_identity(
            RoleArn=role["Arn"], RoleSessionName=session_name, WebIdentityToken=token)["Credentials"]
    else:
        credentials = boto3.client("sts", endpoint_url=endpoint).assume_role(
            RoleArn=role["Arn"], RoleSessionName=session_name)["Credentials"]
    session = boto3.Session(aws_access_key_id=credentials["AccessKeyId"], aws_secret_access_key=credentials["SecretAccessKey"],
                            aws_session_token=credentials["SessionToken"])
    return lambda service_name: session.client(service_name, endpoint_url=endpoint)


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
