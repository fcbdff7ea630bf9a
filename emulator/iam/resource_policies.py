"""Resource policies as AWS evaluates them, inside the moto server process: moto reads identity
policies only (and a bucket policy's Deny for object reads and writes, whoever asks).

For every request IAM authorizes (enforcement.py works out its resource), this emulation adds:

* **``aws:PrincipalArn``** to the request's condition keys: a role session's role ARN, a user's
  ARN, or the account's root for the operator (the sandbox's administrator key), so that identity
  and resource policies can name who asks.
* **A role's trust policy** on ``sts:AssumeRole``: the role's trust policy must allow the caller
  (named by its role's ARN, its session's ARN, or its account, which then delegates to the
  caller's identity policies) and must not deny it. moto compared the session's ARN with the
  principal named, so a trust policy naming a role never matched, and read no condition.
* **A bucket's policy** on S3 requests, **a secret's resource policy** on Secrets Manager
  requests, and **a key's policy** on KMS requests: a statement that denies the caller refuses the
  request. For a key, the policy must also allow the caller (directly, or by naming the account,
  which delegates to IAM), as AWS requires of every KMS call.
* **Secrets Manager's use of KMS** (``kms:ViaService``). A secret encrypted with a customer key
  is read only by a caller who may ``kms:Decrypt`` with that key, and written (CreateSecret,
  PutSecretValue, UpdateSecret with a value) only by one who may ``kms:GenerateDataKey``: Secrets
  Manager calls KMS with the caller's identity, and the request carries
  ``kms:ViaService = secretsmanager.<region>.amazonaws.com``. Both the caller's identity policies
  and the key's policy must allow it. Secrets under the AWS-managed key (no ``KmsKeyId``) need
  nothing more, as in AWS.

The operator is refused only by a resource policy that denies it (it holds every identity
permission); for a key, the key's policy must allow the account.

moto's own reading of a bucket's policy (for object requests, before it knows the caller) gives
way to this one once IAM is enforced.

Not emulated: an Allow in a resource policy granting what the caller's identity policies do not
(the stricter reading: the identity policies must allow every request, also where AWS would
accept the resource policy alone, as for a principal a key policy names directly); S3's own use
of KMS for SSE-KMS objects; cross-account access; access points; VPC endpoint policies;
``aws:PrincipalOrgID`` and other principal tags.
"""

from __future__ import annotations

import json
import urllib.parse

from emulator.iam import policy_conditions
from emulator.state import request_context

SECRETS_MANAGER_KMS_ACTIONS = {
    "secretsmanager:GetSecretValue": "kms:Decrypt",
    "secretsmanager:CreateSecret": "kms:GenerateDataKey",
    "secretsmanager:PutSecretValue": "kms:GenerateDataKey",
    "secretsmanager:UpdateSecret": "kms:GenerateDataKey",
}
AWS_MANAGED_SECRETS_KEY = "alias/aws/secretsmanager"


class Refused(Exception):
    """A resource policy refuses the request."""


def _document(text) -> dict | None:
    if not text:
        return None
    if isinstance(text, bytes):
        text = text.decode()
    if isinstance(text, dict):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return json.loads(urllib.parse.unquote(text))


def principal_of(access_key) -> policy_conditions.Principal:
    """The caller of a moto access key: a role session (by its role) or a user."""
    role_name = getattr(access_key, "_owner_role_name", None)
    if role_name:
        role_arn = f"arn:{access_key.partition}:iam::{access_key.account_id}:role/{role_name}"
        return policy_conditions.Principal("AWS", role_arn, access_key.arn)
    return policy_conditions.Principal("AWS", access_key.arn)


def operator_principal(account: str, partition: str) -> policy_conditions.Principal:
    return policy_conditions.Principal("AWS", f"arn:{partition}:iam::{account}:root")


def _bucket_policy(account: str, partition: str, resource: str) -> dict | None:
    from moto.s3.models import s3_backends

    bucket_name = resource.split(":::", 1)[-1].split("/", 1)[0]
    bucket = s3_backends[account][partition].buckets.get(bucket_name)
    return _document(bucket.policy) if bucket is not None else None


def _secret(account: str, region: str, resource: str):
    from moto.secretsmanager.models import secretsmanager_backends

    return secretsmanager_backends[account][region].secrets.get(resource)


def _key(account: str, region: str, key_id: str):
    from moto.kms.models import kms_backends

    backend = kms_backends[account][region]
    try:
        return backend.keys.get(backend.any_id_to_key_id(key_id))
    except (KeyError, TypeError, AttributeError):
        return None


def refusal(action: str, resource: str, principal, account: str, region: str, partition: str) -> str | None:
    """Why the resource's policy refuses the request, or None."""
    service = action.split(":", 1)[0]
    context = {**request_context(), "aws:PrincipalArn": principal.arn}
    if service == "s3" and resource.startswith("arn:"):
        document = _bucket_policy(account, partition, resource)
        if document and policy_conditions.evaluate(document, action, principal, context, resource) == "Deny":
            return f"the bucket policy of {resource.split(':::', 1)[-1].split('/', 1)[0]} denies {action}"
    elif service == "secretsmanager" and ":secret:" in resource:
        secret = _secret(account, region, resource)
        document = _document(getattr(secret, "policy", None))
        if document and policy_conditions.evaluate(document, action, principal, context, resource) == "Deny":
            return f"the resource policy of {secret.name} denies {action}"
    elif service == "kms" and ":key/" in resource:
        return key_policy_refusal(action, resource, principal, account, region, context)
    return None


def key_policy_refusal(action: str, key_id: str, principal, account: str, region: str, context: dict) -> str | None:
    key = _key(account, region, key_id)
    if key is None:
        return None
    verdict = policy_conditions.evaluate(_document(key.policy) or {}, action, principal, context, key.arn)
    if verdict != "Allow":
        return f"the key policy of {key.arn} does not allow {action} to {principal.arn}"
    return None


def secret_key_id(action: str, resource: str, params: dict, account: str, region: str) -> str | None:
    """The customer key Secrets Manager would use with the caller's identity for this request."""
    if action not in SECRETS_MANAGER_KMS_ACTIONS:
        return None
    if action == "secretsmanager:UpdateSecret" and not (params.get("SecretString") or params.get("SecretBinary")):
        return params.get("KmsKeyId") or None
    if action == "secretsmanager:CreateSecret":
        key_id = params.get("KmsKeyId")
    else:
        key_id = params.get("KmsKeyId") or getattr(_secret(account, region, resource), "kms_key_id", None)
    if not key_id or key_id == AWS_MANAGED_SECRETS_KEY:
        return None
    key = _key(account, region, key_id)
    return key.arn if key is not None else None


def _json_params(request) -> dict:
    if not request._headers.get("X-Amz-Target"):
        return {}
    try:
        return json.loads(request._body or b"{}")
    except ValueError:
        return {}


def _with_resource_policies(original):
    def check_action_permitted(self, resource: str) -> None:
        if self._action == "sts:GetCallerIdentity":
            return original(self, resource)
        principal = principal_of(self._access_key)
        context = request_context()
        context["aws:PrincipalArn"] = principal.arn
        original(self, resource)
        partition = self._access_key.partition
        why = refusal(self._action, resource, principal, self.account_id, self._region, partition)
        if why is None and self._action.startswith("secretsmanager:"):
            key_arn = secret_key_id(self._action, resource, _json_params(self), self.account_id, self._region)
            if key_arn:
                why = _secrets_manager_uses_the_key(self, original, principal, key_arn, context)
        if why is not None:
            refuse(self, principal.session_arn or principal.arn, resource, why)

    return check_action_permitted


def refuse(request_or_class, caller: str, resource: str, why: str, action: str = "") -> None:
    """Raises AWS's AccessDenied in the request's protocol, saying which policy refused it."""
    from moto.core.exceptions import AccessDeniedError
    from moto.iam.access_control import S3IAMRequest

    s3 = request_or_class is S3IAMRequest or isinstance(request_or_class, S3IAMRequest)
    if s3 and not isinstance(request_or_class, type):
        request_or_class._raise_access_denied()
    if s3:
        from moto.s3.exceptions import S3AccessDeniedError

        raise S3AccessDeniedError()
    action = action or request_or_class._action
    raise AccessDeniedError(user_arn=caller, action=f"{action} on resource: {resource} ({why})")


def _secrets_manager_uses_the_key(request, original, principal, key_arn: str, context: dict) -> str | None:
    kms_action = SECRETS_MANAGER_KMS_ACTIONS[request._action]
    via = {"kms:ViaService": f"secretsmanager.{request._region}.amazonaws.com", "kms:CallerAccount": request.account_id}
    context.update(via)
    action = request._action
    request._action = kms_action
    try:
        why = key_policy_refusal(kms_action, key_arn, principal, request.account_id, request._region, context)
        if why is None:
            original(request, key_arn)  # the caller's identity policies, with the same context keys
        return why
    finally:
        request._action = action
        for name in via:
            context.pop(name, None)


def _trust_relationship(self, role_arn: str) -> bool:
    role = self.backend.get_role_by_arn(role_arn)
    document = _document(role.assume_role_policy_document) or {}
    principal = principal_of(self._access_key)
    context = {**request_context(), "aws:PrincipalArn": principal.arn}
    return policy_conditions.evaluate(document, self._action, principal, context) == "Allow"


def operator_refusal(action: str, resource: str, params: dict, account: str, region: str, partition: str) -> str | None:
    """What refuses the operator (the account's administrator): a resource policy that denies it,
    a key policy that does not allow it, or a role's trust policy that does not name it."""
    principal = operator_principal(account, partition)
    context = request_context()
    context["aws:PrincipalArn"] = principal.arn
    if action.startswith("sts:"):
        if action == "sts:AssumeRole" and resource.startswith("arn:") and ":role/" in resource:
            return _operator_trust_refusal(resource, principal, account, partition, context)
        return None
    why = refusal(action, resource, principal, account, region, partition)
    if why is None and action.startswith("secretsmanager:"):
        key_arn = secret_key_id(action, resource, params, account, region)
        if key_arn:
            kms_action = SECRETS_MANAGER_KMS_ACTIONS[action]
            via = {**context, "kms:ViaService": f"secretsmanager.{region}.amazonaws.com", "kms:CallerAccount": account}
            why = key_policy_refusal(kms_action, key_arn, principal, account, region, via)
    return why


def _operator_trust_refusal(role_arn: str, principal, account: str, partition: str, context: dict) -> str | None:
    from moto.iam.models import NotFoundException, iam_backends

    try:
        role = iam_backends[account][partition].get_role_by_arn(role_arn)
    except NotFoundException:
        return None
    document = _document(role.assume_role_policy_document) or {}
    if policy_conditions.evaluate(document, "sts:AssumeRole", principal, context) != "Allow":
        return f"the trust policy of {role_arn} does not allow {principal.arn}"
    return None


def _enforced() -> bool:
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin

    return ActionAuthenticatorMixin.request_count >= settings.INITIAL_NO_AUTH_ACTION_COUNT


def _bucket_policy_read_with_its_caller(original):
    """moto reads a bucket's policy for object requests before it authorizes them, without the
    caller: a Deny naming who may write then refused everyone. Once IAM is enforced, the
    authorization above reads it with the caller known."""
    def get_permission(self, action: str, resource: str):
        from moto.iam.access_control import PermissionResult

        return PermissionResult.NEUTRAL if _enforced() else original(self, action, resource)

    return get_permission


def install() -> None:
    """Adds resource policies and trust policies to moto's IAM enforcement (after enforcement.py's
    resources and permissions boundaries)."""
    from moto.iam.access_control import IAMRequestBase

    IAMRequestBase.check_action_permitted = _with_resource_policies(IAMRequestBase.check_action_permitted)
    IAMRequestBase._check_role_trust_relationship = _trust_relationship
    from moto.s3.models import FakeBucket

    FakeBucket.get_permission = _bucket_policy_read_with_its_caller(FakeBucket.get_permission)
