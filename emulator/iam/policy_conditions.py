"""How AWS reads one policy statement: its conditions, its principal, its actions and resources.

One evaluator for every policy the emulation reads: identity policies (statement_conditions.py hands moto's
statements to :func:`statement_applies`), trust policies (an EMR Serverless execution role's,
a role's on ``sts:AssumeRole`` and ``sts:AssumeRoleWithWebIdentity``) and resource policies (a
bucket's, a secret's, a key's: resource_policies.py; a topic's and a key's for CloudWatch's alarm
notifications: alarm_notifications.py).

* **Conditions.** A statement applies only when each of its conditions holds, Allow and Deny
  alike. Evaluated: ``String(Not)Equals``, ``String(Not)Like``, ``Bool``, ``Arn(Not)Equals``,
  ``Arn(Not)Like`` (each also ``…IfExists``), ``ForAnyValue:``/``ForAllValues:`` over a key with
  several values, and ``Null``. A key absent from the request makes a positive operator false
  and a negated one true, as AWS documents it (``…IfExists`` makes both true). Key names are
  compared without case, as AWS compares them. A statement with any other
  operator is read the stricter way: it applies when it denies, not when it allows.
* **Principals.** ``*`` (also as ``{"AWS": "*"}``, which AWS reads alike: any principal, a service's
  too); an ``AWS`` entry naming the principal's ARN, its role (for a role
  session), or its account (``arn:aws:iam::<account>:root`` or the bare account id), which is
  the account delegating to its IAM policies; a ``Service``; a ``Federated`` identity provider.
  ``NotPrincipal`` is read the stricter way, like an unknown operator.
* **Actions and resources**, with ``*`` and ``?`` wildcards, case-insensitive actions, and
  ``NotAction``/``NotResource``.

Not evaluated: numeric and date operators, policy variables (``${aws:username}``).
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

_POSITIVE_OPERATORS = {"StringEquals", "ArnEquals", "StringLike", "ArnLike", "Bool"}
_NEGATIVE_OPERATORS = {"StringNotEquals", "ArnNotEquals", "StringNotLike", "ArnNotLike"}


def _listed(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _one_value_holds(base: str, expected: list[str], actual: str) -> bool | None:
    if base in ("StringEquals", "ArnEquals"):
        return actual in expected
    if base in ("StringNotEquals", "ArnNotEquals"):
        return actual not in expected
    if base in ("StringLike", "ArnLike"):
        return any(fnmatch.fnmatchcase(actual, pattern) for pattern in expected)
    if base in ("StringNotLike", "ArnNotLike"):
        return not any(fnmatch.fnmatchcase(actual, pattern) for pattern in expected)
    if base == "Bool":
        return actual.lower() in [value.lower() for value in expected]
    return None


def condition_holds(operator: str, expected, actual) -> bool | None:
    """Whether one condition operator holds for a request's value (None or a list of values for a
    multivalued key; None: the key is absent); None when the operator is not one evaluated here."""
    qualifier, _, operator = operator.rpartition(":")
    if_exists = operator.endswith("IfExists")
    base = operator[: -len("IfExists")] if if_exists else operator
    expected = [str(value) for value in _listed(expected)]
    if base == "Null":
        return (actual is None) == (expected[0].lower() == "true")
    if base not in _POSITIVE_OPERATORS and base not in _NEGATIVE_OPERATORS:
        return None
    if actual is None:
        return if_exists or qualifier == "ForAllValues" or (base in _NEGATIVE_OPERATORS and not qualifier)
    values = [str(value) for value in _listed(actual)]
    outcomes = [_one_value_holds(base, expected, value) for value in values]
    if qualifier == "ForAllValues":
        return all(outcomes)
    if qualifier == "ForAnyValue":
        return any(outcomes)
    return len(values) == 1 and outcomes[0]


def statement_applies(statement: dict, context: dict) -> bool:
    """Whether the statement's conditions hold for the request's context keys (whose names AWS
    compares without case: a topic's default policy names ``AWS:SourceOwner``)."""
    conditions = statement.get("Condition") or {}
    folded = {key.lower(): value for key, value in context.items()} if conditions else {}
    for operator, pairs in conditions.items():
        for key, expected in pairs.items():
            holds = condition_holds(operator, expected, context.get(key, folded.get(key.lower())))
            if holds is None:
                return statement.get("Effect") == "Deny"
            if not holds:
                return False
    return True


@dataclass(frozen=True)
class Principal:
    """Who makes a request: ``kind`` is ``AWS``, ``Service`` or ``Federated``; ``arn`` the ARN
    (a role session's role ARN, a user's ARN, a provider's ARN) or the service's name."""

    kind: str
    arn: str
    session_arn: str = ""

    @property
    def account(self) -> str:
        parts = self.arn.split(":")
        return parts[4] if self.kind == "AWS" and len(parts) > 4 else ""


def _names(entry: str, principal: Principal) -> bool:
    if entry == "*":
        return True
    if principal.kind != "AWS":
        return entry == principal.arn
    if re.fullmatch(r"\d{12}", entry):
        return entry == principal.account
    if entry.endswith(":root"):
        return entry.split(":")[4] == principal.account
    return entry in (principal.arn, principal.session_arn)


def principal_matches(statement: dict, principal: Principal) -> bool | None:
    """Whether the statement's principal names this one; None for ``NotPrincipal``."""
    if "NotPrincipal" in statement:
        return None
    named = statement.get("Principal")
    if named is None:
        return True  # an identity policy: its principal is whoever holds it
    if named == "*" or "*" in _listed(named.get("AWS")):
        return True  # {"AWS": "*"} is everyone, as "*" is: services too (a topic's default policy)
    return any(_names(str(entry), principal) for entry in _listed(named.get(principal.kind)))


def _matches(patterns, value: str, case_sensitive: bool) -> bool:
    for pattern in _listed(patterns):
        if case_sensitive and fnmatch.fnmatchcase(value, pattern):
            return True
        if not case_sensitive and fnmatch.fnmatchcase(value.lower(), str(pattern).lower()):
            return True
    return False


def statement_concerns(statement: dict, action: str, resource: str | None) -> bool:
    """Whether the statement is about this action on this resource (None: no resource check)."""
    if "NotAction" in statement:
        if _matches(statement["NotAction"], action, case_sensitive=False):
            return False
    elif not _matches(statement.get("Action"), action, case_sensitive=False):
        return False
    if resource is None:
        return True
    if "NotResource" in statement:
        return not _matches(statement["NotResource"], resource, case_sensitive=True)
    if "Resource" in statement:
        return _matches(statement["Resource"], resource, case_sensitive=True)
    return True


def evaluate(document: dict, action: str, principal: Principal, context: dict,
             resource: str | None = None) -> str | None:
    """``Deny`` when a statement that applies denies, else ``Allow`` when one allows, else None
    (the policy says nothing: an implicit deny where the policy must allow)."""
    verdict = None
    for statement in _listed(document.get("Statement")):
        if not statement_concerns(statement, action, resource):
            continue
        matched = principal_matches(statement, principal)
        deny = statement.get("Effect") == "Deny"
        if matched is None:
            matched = deny  # NotPrincipal: the stricter reading
        if not matched or not statement_applies(statement, context):
            continue
        if deny:
            return "Deny"
        verdict = "Allow"
    return verdict
