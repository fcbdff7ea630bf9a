"""The emulation layer's policy conditions (emulator/iam/policy_conditions.py, through statement_conditions.py),
against AWS's documented evaluation: a statement applies only when every condition holds, Allow and
Deny alike; a key the request lacks makes a positive condition false and a negated one true, unless
the operator ends in IfExists; Null tests presence."""

from __future__ import annotations

import json

import pytest
from moto.iam.access_control import IAMPolicy, IAMPolicyStatement, PermissionResult

from emulator import autoscaling_hooks, state
from emulator.iam import policy_conditions, statement_conditions
from emulator.settings import LIFECYCLE_TIMEOUT_VARIABLE

BUCKET = "arn:aws:s3:::dataplatform-local-bronze"
TLS_ONLY = {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [BUCKET, f"{BUCKET}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


@pytest.fixture(autouse=True)
def aws_semantics(monkeypatch):
    monkeypatch.setattr(IAMPolicyStatement, "is_action_permitted", statement_conditions.is_action_permitted)
    monkeypatch.setattr(state.REQUEST_CONTEXT, "context", {}, raising=False)


def permission(statements, action="s3:GetObject", resource=f"{BUCKET}/key", secure=True, incoming=None):
    state.REQUEST_CONTEXT.context = {"aws:SecureTransport": "true" if secure else "false"}
    return IAMPolicy(json.dumps({"Version": "2012-10-17", "Statement": statements})).is_action_permitted(
        action, resource, incoming_condition_values=incoming)


def test_a_tls_only_bucket_policy_denies_plain_http_only():
    assert permission([TLS_ONLY], secure=False) == PermissionResult.DENIED
    assert permission([TLS_ONLY], secure=True) == PermissionResult.NEUTRAL


def test_an_allow_whose_condition_fails_does_not_deny():
    allow = {"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": f"{BUCKET}/*",
             "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}}
    assert permission([allow], "s3:PutObject", incoming={"aws:SourceAccount": "123456789012"}) == PermissionResult.PERMITTED
    assert permission([allow], "s3:PutObject", incoming={"aws:SourceAccount": "999999999999"}) == PermissionResult.NEUTRAL
    assert permission([allow], "s3:PutObject") == PermissionResult.NEUTRAL  # the key is absent


@pytest.mark.parametrize("operator, expected, actual, holds", [
    ("StringLike", ["dataplatform-*"], "dataplatform-prod", True),
    ("StringNotLike", ["dataplatform-*"], "dataplatform-prod", False),
    ("ArnLike", "arn:aws:iam::*:role/dataplatform-*", "arn:aws:iam::123456789012:role/dataplatform-dev-automation", True),
    ("StringEqualsIfExists", "x", None, True),
    ("StringEquals", "x", None, False),
    ("StringNotEquals", "x", None, True),
    ("ForAnyValue:StringLike", ["dataplatform:*"], ["Name", "dataplatform:env"], True),
    ("ForAnyValue:StringLike", ["dataplatform:*"], None, False),
    ("ForAllValues:StringEquals", ["Name"], ["Name", "dataplatform:env"], False),
    ("StringEquals", "x", ["x", "y"], False),
    ("Null", "true", None, True),
    ("Null", "false", None, False),
    ("Bool", "true", "True", True),
])
def test_condition_operators(operator, expected, actual, holds):
    assert policy_conditions.condition_holds(operator, expected, actual) is holds


def test_an_operator_not_evaluated_here_is_read_strictly():
    condition = {"NumericLessThan": {"s3:max-keys": "10"}}
    deny = {**TLS_ONLY, "Condition": condition}
    allow = {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": f"{BUCKET}/*", "Condition": condition}
    assert permission([deny]) == PermissionResult.DENIED
    assert permission([allow]) == PermissionResult.NEUTRAL


@pytest.mark.parametrize("variable, cap, hook_timeout, seconds", [
    (None, None, 1800, 1800.0),
    (None, None, None, 3600.0),  # AWS's default heartbeat timeout
    ("2", None, 1800, 2.0),
    ("2", None, 1, 1.0),  # a cap never lengthens a hook's timeout
    ("2", 5.0, 1800, 5.0),  # the server's cap, set over HTTP, overrides the variable
])
def test_the_lifecycle_timeout_cap(monkeypatch, variable, cap, hook_timeout, seconds):
    if variable is None:
        monkeypatch.delenv(LIFECYCLE_TIMEOUT_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(LIFECYCLE_TIMEOUT_VARIABLE, variable)
    monkeypatch.setattr(autoscaling_hooks, "_timeout_cap", cap)
    assert autoscaling_hooks.effective_timeout(hook_timeout) == seconds


ROLE = "arn:aws:iam::123456789012:role/dataplatform-local-automation"


@pytest.mark.parametrize("principal_entry, matches", [
    ("*", True),
    ({"AWS": ROLE}, True),
    ({"AWS": "arn:aws:iam::123456789012:root"}, True),
    ({"AWS": "123456789012"}, True),
    ({"AWS": "arn:aws:iam::210987654321:root"}, False),
    ({"AWS": "arn:aws:iam::123456789012:role/dataplatform-local-cert-issuer"}, False),
    ({"Service": "ec2.amazonaws.com"}, False),
])
def test_a_statement_names_its_principals(principal_entry, matches):
    statement = {"Effect": "Allow", "Principal": principal_entry, "Action": "sts:AssumeRole"}
    principal = policy_conditions.Principal("AWS", ROLE, "arn:aws:sts::123456789012:assumed-role/x/session")
    assert policy_conditions.principal_matches(statement, principal) is matches


def test_a_deny_outweighs_an_allow_and_silence_allows_nothing():
    principal = policy_conditions.Principal("AWS", ROLE)
    allow = {"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "secretsmanager:GetSecretValue", "Resource": "*"}
    deny_others = {"Effect": "Deny", "Principal": "*", "Action": "secretsmanager:*", "Resource": "*",
                   "Condition": {"ArnNotEquals": {"aws:PrincipalArn": ROLE}}}
    document = {"Statement": [allow, deny_others]}
    assert policy_conditions.evaluate(document, "secretsmanager:GetSecretValue", principal, {"aws:PrincipalArn": ROLE}) == "Allow"
    other = policy_conditions.Principal("AWS", "arn:aws:iam::123456789012:role/dataplatform-local-nifi-host")
    assert policy_conditions.evaluate(document, "secretsmanager:GetSecretValue", other, {"aws:PrincipalArn": other.arn}) == "Deny"
    assert policy_conditions.evaluate(document, "s3:GetObject", principal, {}) is None
