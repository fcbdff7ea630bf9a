"""IAM as AWS enforces it, inside the moto server process: what moto's own enforcement lacks.

moto checks a request's credentials and its principal's policies once it is started with
``INITIAL_NO_AUTH_ACTION_COUNT=0``, but it authorizes every action of most services against the
resource ``*``: a policy that names its resources (a secret, a certificate authority, a
parameter) then grants nothing, and one that grants ``*`` grants everything; and it ignores a
role's permissions boundary. Four emulations make the sandbox fail where an account fails:

* **The resource of a request.** For the services and actions the platform's principals call,
  the resource AWS authorizes is worked out from the request as AWS documents it per action
  (resources.py lists the services), with the condition keys AWS supplies for it: an instance's
  tags as ``aws:ResourceTag/<key>``, ``iam:PermissionsBoundary``, ``iam:PolicyARN`` and
  ``iam:AWSServiceName``, ``acm-pca:TemplateArn`` (acmpca_conditions.py), ``aws:TagKeys``
  (tag_conditions.py), ``cloudwatch:namespace`` (cloudwatch_iam.py). Signatures and S3's own
  actions are signatures.py's. Any other action is authorized against ``*`` as moto does, which a
  policy with named resources does not match: an unlisted action is refused, never allowed by
  mistake.
* **Permissions boundaries.** A role session may do what its role's policies allow only where the
  role's permissions boundary (a managed policy) allows it too, as AWS evaluates it; a boundary
  that names no existing policy allows nothing.
* **The operator.** The access keys named in ``DATAPLATFORM_OPERATOR_ACCESS_KEYS`` (comma
  separated; the sandbox names its fixed key) stand for the account's administrator, who runs
  Terraform and the controller: every action is allowed to them, as to a principal with
  ``AdministratorAccess``, without a signature check. Every other key (an IAM user's, a role
  session's) is checked as moto checks it, with the resources above.
* **The instance metadata service** (instance_metadata.py): an instance gets its profile role's
  credentials, so that moto checks that role's policies on every call made with them.

Resource and trust policies, ``aws:PrincipalArn`` and ``kms:ViaService`` are resource_policies.py's,
which this module calls for the operator and installs for every other caller. Not enforced:
service control policies, session policies, and the condition keys nobody supplies (statement_conditions.py
and policy_conditions.py list what is evaluated).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import urllib.parse

from emulator.iam import acmpca_conditions, cloudwatch_iam, resource_policies, tag_conditions
from emulator.iam.resources import backend_lookup, iam_condition_keys, instance_tag_keys, resource_arn
from emulator.settings import OPERATOR_KEYS_VARIABLE
from emulator.state import request_context

RESTError = JsonRESTError = Exception  # moto's, once install() has imported them
_ACCESS_KEY = re.compile(r"Credential=([^/,\s]+)/")


# The codes of JSON-protocol services (acm-pca, secretsmanager, ssm, logs, kms) for moto's refusals.
JSON_ERROR_CODES = {
    "AccessDenied": "AccessDeniedException",
    "InvalidClientTokenId": "UnrecognizedClientException",
    "SignatureDoesNotMatch": "InvalidSignatureException",
}


def operator_keys() -> set[str]:
    return {key.strip() for key in os.environ.get(OPERATOR_KEYS_VARIABLE, "").split(",") if key.strip()}


def request_access_key(headers, query: str) -> str | None:
    """The access key id a request is signed with (header or presigned query), or None."""
    match = _ACCESS_KEY.search(headers.get("Authorization") or "")
    if match:
        return match.group(1)
    credential = urllib.parse.parse_qs(query).get("X-Amz-Credential")
    return credential[0].split("/", 1)[0] if credential else None


def _request_params(response) -> dict:
    """A request's parameters: the JSON body of JSON-protocol services, else the query or form."""
    if response.headers.get("X-Amz-Target") or "json" in (response.headers.get("Content-Type") or ""):
        try:
            document = json.loads(response.body or "{}")
            if isinstance(document, dict):
                return document
        except ValueError:
            pass
    return dict(response.querystring or {})


def _service_of(headers) -> str:
    match = re.search(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/", headers.get("Authorization") or "")
    return match.group(1) if match else ""


@contextlib.contextmanager
def _answered_in_the_services_protocol(headers):
    """JSON-protocol services answer a refusal in JSON, with their own codes; moto answers in XML."""
    try:
        yield
    except RESTError as error:
        if not headers.get("X-Amz-Target") or isinstance(error, JsonRESTError):
            raise
        refused = JsonRESTError(JSON_ERROR_CODES.get(error.error_type, error.error_type), error.message)
        refused.code = error.code
        raise refused from error


def _authorize(original):
    def authenticate_and_authorize_action(self, iam_request_cls, resource="*"):
        from moto import settings
        from moto.core.authorization import ActionAuthenticatorMixin

        if ActionAuthenticatorMixin.request_count < settings.INITIAL_NO_AUTH_ACTION_COUNT:
            return original(self, iam_request_cls, resource)
        from moto.utilities.utils import get_partition

        query = urllib.parse.urlparse(self.uri).query
        partition = get_partition(self.region)
        # moto names the role of any IAM request with a RoleName, also where AWS authorizes the
        # instance profile (AddRoleToInstanceProfile); the IAM resource is worked out here.
        if resource == "*" or _service_of(self.headers) == "iam":
            resource = resource_arn(_service_of(self.headers), self._get_action(), _request_params(self),
                                    urllib.parse.urlparse(self.uri).path, self.current_account, self.region,
                                    partition, backend_lookup(self.current_account, self.region, partition))
        if request_access_key(self.headers, query) in operator_keys():
            action = f"{_service_of(self.headers)}:{self._get_action()}"
            why = resource_policies.operator_refusal(action, resource, _request_params(self), self.current_account,
                                                     self.region, partition)
            if why is None:
                return None
            with _answered_in_the_services_protocol(self.headers):
                resource_policies.refuse(iam_request_cls, f"arn:{partition}:iam::{self.current_account}:root",
                                         resource, why, action)
        context = request_context()
        if ":instance/" in resource:
            context.update(instance_tag_keys(self.current_account, self.region, resource.rsplit("/", 1)[-1]))
        if _service_of(self.headers) == "iam":
            lookup = backend_lookup(self.current_account, self.region, partition)
            context.update(iam_condition_keys(self._get_action(), _request_params(self),
                                              lambda role: lookup("iam-role-boundary", role)))
        for condition_keys in (acmpca_conditions.condition_keys, tag_conditions.condition_keys,
                               cloudwatch_iam.condition_keys):
            context.update(condition_keys(_service_of(self.headers), self._get_action(), _request_params(self)))
        with _answered_in_the_services_protocol(self.headers):
            return original(self, iam_request_cls, resource)

    return authenticate_and_authorize_action


def _within_the_boundary(original):
    """A role session may do only what both its policies and its role's permissions boundary allow
    (moto evaluated the policies alone). A boundary that names no policy allows nothing."""
    def check_action_permitted(self, resource: str) -> None:
        from moto.iam.access_control import IAMPolicy, PermissionResult
        from moto.iam.models import NotFoundException

        original(self, resource)
        role_name = getattr(self._access_key, "_owner_role_name", None)
        if not role_name or self._action == "sts:GetCallerIdentity":
            return
        try:
            backend = self._access_key.backend
            boundary = backend.get_role(role_name).permissions_boundary_arn
            if not boundary:
                return
            policy = backend.get_policy(boundary)
        except NotFoundException:
            self._raise_access_denied()
        if IAMPolicy(policy).is_action_permitted(self._action, resource) != PermissionResult.PERMITTED:
            self._raise_access_denied()

    return check_action_permitted


def install() -> None:
    """Adds the resource of each request, its condition keys, the operator's keys and permissions
    boundaries to moto's IAM enforcement (resource_policies.install wraps the boundary's check)."""
    global RESTError, JsonRESTError
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.core.exceptions import JsonRESTError
    from moto.core.exceptions import _RESTError as RESTError
    from moto.iam.access_control import IAMRequestBase

    ActionAuthenticatorMixin._authenticate_and_authorize_action = _authorize(
        ActionAuthenticatorMixin._authenticate_and_authorize_action)
    IAMRequestBase.check_action_permitted = _within_the_boundary(IAMRequestBase.check_action_permitted)
