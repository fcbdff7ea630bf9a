"""IAM as AWS enforces it, inside the moto server process: what moto's own enforcement lacks.

moto checks a request's credentials and its principal's policies once it is started with
``INITIAL_NO_AUTH_ACTION_COUNT=0``, but it authorizes every action of most services against the
resource ``*``: a policy that names its resources (a secret, a certificate authority, a
parameter) then grants nothing, and one that grants ``*`` grants everything; and it ignores a
role's permissions boundary. Four emulations make the sandbox fail where an account fails:

* **The resource of a request.** For the services and actions the platform's principals call,
  the resource AWS authorizes is worked out from the request, as AWS documents it per action:
  ``acm-pca`` (the ``CertificateAuthorityArn``), ``secretsmanager`` (the secret's full ARN, with
  its random suffix, looked up by name or ARN; for ``CreateSecret`` the name with a suffix
  pattern), ``ssm`` (the parameter's ARN), ``autoscaling`` (the group's ARN), ``logs`` (the log
  stream ``…:log-group:<name>:log-stream:<stream>`` of an action naming one, such as PutLogEvents and
  CreateLogStream, else ``…:log-group:<name>:*``, which a policy granting ``log-group:<name>:*`` matches,
  as in AWS; the group by ``logGroupName`` or ``logGroupIdentifier``), ``kms`` (the key's ARN),
  ``ec2`` (the instance, for actions on one instance)
  ``emr-serverless`` (the application or job run, from the REST path), ``glue`` (the table of a
  table or partition action, the database of a database action, else the catalog), ``sns`` (the
  topic) and ``iam`` (the instance
  profile, role, policy or identity provider named, also one still to be created; moto knew only
  existing roles). For an instance, its tags are the request's ``aws:ResourceTag/<key>`` condition
  keys; for IAM, ``iam:PermissionsBoundary`` (the requested boundary for CreateRole and
  PutRolePermissionsBoundary, the role's present one for Put/Delete/Attach/DetachRolePolicy),
  ``iam:PolicyARN`` and ``iam:AWSServiceName``; for ACM Private CA's IssueCertificate,
  ``acm-pca:TemplateArn`` (acmpca_conditions.py); for tag writes, ``aws:TagKeys`` (tag_conditions.py); for
  CloudWatch's PutMetricData, ``cloudwatch:namespace`` (cloudwatch_iam.py, which also names CloudWatch's
  actions ``cloudwatch:…`` rather than by their signing name ``monitoring``). S3's HeadBucket is authorized
  as ``s3:ListBucket``, as in AWS (moto asks for an ``s3:HeadBucket`` action that does not exist);
  DeleteObjects as ``s3:DeleteObject`` on each key (moto checks the bucket's ARN), every key
  reported AccessDenied when one is refused (AWS would delete the others); the signature of an S3 request whose
  key has percent-encoded characters is checked over the path as sent (moto used the decoded path); every signature
  covers each header its ``SignedHeaders`` names (moto dropped ``User-Agent``, which Spark's S3A connector
  signs), and a request without a body the hash of nothing (moto hashed its parsed parameters: a REST GET failed). S3 (bucket and object
  ARNs), STS and SQS are moto's own. Any other action is authorized against ``*`` as moto
  does, which a policy with named resources does not match: an unlisted action is refused, never
  allowed by mistake.
* **Permissions boundaries.** A role session may do what its role's policies allow only where the
  role's permissions boundary (a managed policy) allows it too, as AWS evaluates it; a boundary
  that names no existing policy allows nothing.
* **The operator.** The access keys named in ``DATAPLATFORM_OPERATOR_ACCESS_KEYS`` (comma
  separated; the sandbox names its fixed key) stand for the account's administrator, who runs
  Terraform and the controller: every action is allowed to them, as to a principal with
  ``AdministratorAccess``, without a signature check. Every other key (an IAM user's, a role
  session's) is checked as moto checks it, with the resources above.
* **The instance metadata service.** :class:`InstanceMetadataService` answers as IMDS does, over
  plain HTTP on a port of its own, to the instance whose private address asks (the sandbox's
  containers sit at their instances' addresses): IMDSv2 session tokens, ``instance-id``,
  ``placement``, and the temporary credentials of the role of the instance's profile (the
  instance's own, or its group's launch template's), issued by moto's STS so that moto checks
  that role's policies on every call made with them. Credentials last
  ``DATAPLATFORM_IMDS_CREDENTIAL_SECONDS`` (6 hours, as IMDS's, unless set) and are issued anew
  when less than a quarter of that is left; the SDKs refresh them before they expire, as on EC2.
  A hop limit and IMDSv1's refusal (``HttpTokens: required``) are not emulated: any request with
  or without a token is answered.

Resource and trust policies, ``aws:PrincipalArn`` and ``kms:ViaService`` are resource_policies.py's,
which this module calls for the operator and installs for every other caller. Not enforced:
service control policies, session policies, and the condition keys nobody supplies (moto_gaps.py
and policy_conditions.py list what is evaluated).
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import threading
import time
import urllib.parse
import uuid

try:
    from tests.harness import acmpca_conditions, cloudwatch_iam, resource_policies, tag_conditions
except ImportError:  # the moto server's own module (moto_server.py runs with tests/harness on its path)
    import acmpca_conditions
    import cloudwatch_iam
    import resource_policies
    import tag_conditions

RESTError = JsonRESTError = Exception  # moto's, once install() has imported them
# moto_gaps' per-request condition context (a thread-local), once install() is given it.
_request_context = None

OPERATOR_KEYS_VARIABLE = "DATAPLATFORM_OPERATOR_ACCESS_KEYS"
CREDENTIAL_SECONDS_VARIABLE = "DATAPLATFORM_IMDS_CREDENTIAL_SECONDS"
DEFAULT_CREDENTIAL_SECONDS = 6 * 3600
_ACCESS_KEY = re.compile(r"Credential=([^/,\s]+)/")
_EMR_SERVERLESS_PATH = re.compile(r"^/applications/([^/]+)(?:/jobruns(?:/([^/]+))?)?")


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


def _first(params: dict, *names: str) -> str | None:
    for name in names:
        value = params.get(name)
        if isinstance(value, list):
            value = value[0] if value else None
        if value:
            return str(value)
    return None


def resource_arn(service: str, action: str, params: dict, path: str, account: str, region: str,
                 partition: str = "aws", lookup=None) -> str:
    """The resource AWS authorizes ``service:action`` against, from the request's parameters
    (JSON or query, lists taken at their first value) or its REST path; ``*`` when unknown.

    ``lookup(kind, key)`` resolves what only the backend knows (a secret's full ARN, a group's
    ARN, a key's ARN); it returns None for an unknown resource.
    """
    lookup = lookup or (lambda kind, key: None)
    prefix = f"arn:{partition}:{service}:{region}:{account}"
    if service == "acm-pca":
        return _first(params, "CertificateAuthorityArn") or "*"
    if service == "secretsmanager":
        if action == "CreateSecret" and _first(params, "Name"):
            return f"{prefix}:secret:{_first(params, 'Name')}-??????"
        secret = _first(params, "SecretId")
        if not secret:
            return "*"
        found = lookup("secret", secret)
        if found:
            return found
        return secret if secret.startswith("arn:") else f"{prefix}:secret:{secret}-??????"
    if service == "ssm":
        name = _first(params, "Name", "Names")
        if not name:
            return "*"
        if name.startswith("arn:"):
            return name
        return f"{prefix}:parameter{'' if name.startswith('/') else '/'}{name}"
    if service == "autoscaling":
        group = _first(params, "AutoScalingGroupName", "AutoScalingGroupNames.member.1")
        if not group:
            return "*"
        return lookup("autoscaling-group", group) or f"{prefix}:autoScalingGroup:*:autoScalingGroupName/{group}"
    if service == "logs":
        group = _first(params, "logGroupName", "logGroupIdentifier")
        if not group:
            return "*"
        # logGroupIdentifier may be the group's ARN (with or without the ":*" DescribeLogGroups shows).
        group = group.split(":log-group:", 1)[-1].removesuffix(":*")
        stream = _first(params, "logStreamName")
        return f"{prefix}:log-group:{group}" + (f":log-stream:{stream}" if stream else ":*")
    if service == "kms":
        key = _first(params, "KeyId")
        if not key:
            return "*"
        return lookup("kms-key", key) or (key if key.startswith("arn:") else f"{prefix}:key/{key}")
    if service == "ec2":
        instance = _first(params, "InstanceId", "InstanceId.1")
        return f"{prefix}:instance/{instance}" if instance else "*"
    if service == "iam":
        return _iam_resource(action, params, f"arn:{partition}:iam::{account}", lookup)
    if service == "glue":
        return _glue_resource(action, params, prefix)
    if service == "sns":
        topic = _first(params, "TopicArn", "TargetArn")
        if topic:
            return topic
        return f"{prefix}:{_first(params, 'Name')}" if action == "CreateTopic" and _first(params, "Name") else "*"
    if service == "emr-serverless":
        match = _EMR_SERVERLESS_PATH.match(path)
        if not match:
            return "*"
        application, run = match.groups()
        if run:
            return f"{prefix}:/applications/{application}/jobruns/{run}"
        return f"{prefix}:/applications/{application}" + ("/jobruns/*" if "/jobruns" in path else "")
    return "*"


def _glue_resource(action: str, params: dict, prefix: str) -> str:
    """The Glue Data Catalog resource of an action: the table for table and partition actions, the
    database for database actions, else the catalog. AWS also requires the catalog and the database
    for a table's actions; the platform's policies grant the three together, so the table stands
    for them here."""
    table_actions_named = {"GetTable", "UpdateTable", "DeleteTable", "GetTableVersions"}
    database_actions_named = {"GetDatabase", "UpdateDatabase", "DeleteDatabase", "CreateDatabase"}
    database = _first(params, "DatabaseName")
    if action in database_actions_named:
        name = _first(params, "Name") or (params.get("DatabaseInput") or {}).get("Name")
        return f"{prefix}:database/{name}" if name else f"{prefix}:catalog"
    if not database:
        return f"{prefix}:catalog"
    table = _first(params, "TableName")
    if action in table_actions_named:
        table = _first(params, "Name")
    elif action == "CreateTable":
        table = (params.get("TableInput") or {}).get("Name")
    return f"{prefix}:table/{database}/{table}" if table else f"{prefix}:database/{database}"


def _iam_resource(action: str, params: dict, prefix: str, lookup) -> str:
    """The IAM resource of an action: the instance profile, the role, the policy or the identity
    provider it names (a role or profile to be created by the name and path it will have)."""
    path = _first(params, "Path") or "/"
    if action == "CreateServiceLinkedRole":
        return f"{prefix}:role/aws-service-role/{_first(params, 'AWSServiceName') or '*'}/*"
    profile = _first(params, "InstanceProfileName")
    if profile:
        return lookup("iam-instance-profile", profile) or f"{prefix}:instance-profile{path}{profile}"
    role = _first(params, "RoleName")
    if role:
        return lookup("iam-role", role) or f"{prefix}:role{path}{role}"
    if _first(params, "PolicyArn"):
        return _first(params, "PolicyArn")
    if action == "CreatePolicy" and _first(params, "PolicyName"):
        return f"{prefix}:policy{path}{_first(params, 'PolicyName')}"
    if _first(params, "OpenIDConnectProviderArn"):
        return _first(params, "OpenIDConnectProviderArn")
    if action == "CreateOpenIDConnectProvider" and _first(params, "Url"):
        return f"{prefix}:oidc-provider/{urllib.parse.urlparse(_first(params, 'Url')).netloc}"
    return "*"


# Role actions whose iam:PermissionsBoundary is the role's present boundary (AWS documents the key
# for these and for CreateRole and PutRolePermissionsBoundary, which take it from the request).
_BOUNDARY_OF_THE_ROLE = {"PutRolePolicy", "DeleteRolePolicy", "AttachRolePolicy", "DetachRolePolicy"}


def iam_condition_keys(action: str, params: dict, role_boundary=None) -> dict[str, str]:
    """The IAM condition keys AWS supplies for an IAM request: ``iam:PermissionsBoundary``,
    ``iam:PolicyARN`` and ``iam:AWSServiceName``. ``role_boundary(name)`` is the boundary a role
    has now (None: none, or no such role)."""
    keys = {}
    if action in ("CreateRole", "PutRolePermissionsBoundary") and _first(params, "PermissionsBoundary"):
        keys["iam:PermissionsBoundary"] = _first(params, "PermissionsBoundary")
    elif action in _BOUNDARY_OF_THE_ROLE and role_boundary and _first(params, "RoleName"):
        boundary = role_boundary(_first(params, "RoleName"))
        if boundary:
            keys["iam:PermissionsBoundary"] = boundary
    if action in ("AttachRolePolicy", "DetachRolePolicy") and _first(params, "PolicyArn"):
        keys["iam:PolicyARN"] = _first(params, "PolicyArn")
    if action == "CreateServiceLinkedRole" and _first(params, "AWSServiceName"):
        keys["iam:AWSServiceName"] = _first(params, "AWSServiceName")
    return keys


def _backend_lookup(account: str, region: str, partition: str):
    def lookup(kind: str, key: str) -> str | None:
        try:
            if kind == "secret":
                from moto.secretsmanager.models import secretsmanager_backends

                secret = secretsmanager_backends[account][region].secrets.get(key)
                return secret.arn if secret else None
            if kind == "autoscaling-group":
                from moto.autoscaling.models import autoscaling_backends

                group = autoscaling_backends[account][region].autoscaling_groups.get(key)
                return group.arn if group else None
            if kind in ("iam-role", "iam-instance-profile", "iam-role-boundary"):
                from moto.iam.models import iam_backends

                backend = iam_backends[account][partition]
                if kind == "iam-instance-profile":
                    return backend.get_instance_profile(key).arn
                role = backend.get_role(key)
                return role.arn if kind == "iam-role" else role.permissions_boundary_arn
            if kind == "kms-key":
                from moto.kms.models import kms_backends

                return kms_backends[account][region].describe_key(key).arn
        except Exception:  # noqa: BLE001 - an unknown resource is authorized by its name
            return None
        return None

    return lookup


def _instance_tag_keys(account: str, region: str, instance_id: str) -> dict[str, str]:
    """``aws:ResourceTag/<key>`` of an instance, for the conditions of a call on it."""
    from moto.ec2.models import ec2_backends

    backend = ec2_backends[account][region]
    return {f"aws:ResourceTag/{key}": value for key, value in backend.tags.get(instance_id, {}).items()}


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
                                    partition, _backend_lookup(self.current_account, self.region, partition))
        if request_access_key(self.headers, query) in operator_keys():
            action = f"{_service_of(self.headers)}:{self._get_action()}"
            why = resource_policies.operator_refusal(action, resource, _request_params(self), self.current_account,
                                                     self.region, partition)
            if why is None:
                return None
            with _answered_in_the_services_protocol(self.headers):
                resource_policies.refuse(iam_request_cls, f"arn:{partition}:iam::{self.current_account}:root",
                                         resource, why, action)
        context = getattr(_request_context, "context", None) if _request_context is not None else None
        if context is not None and ":instance/" in resource:
            context.update(_instance_tag_keys(self.current_account, self.region, resource.rsplit("/", 1)[-1]))
        if context is not None and _service_of(self.headers) == "iam":
            lookup = _backend_lookup(self.current_account, self.region, partition)
            context.update(iam_condition_keys(self._get_action(), _request_params(self),
                                              lambda role: lookup("iam-role-boundary", role)))
        if context is not None:
            for condition_keys in (acmpca_conditions.condition_keys, tag_conditions.condition_keys,
                                   cloudwatch_iam.condition_keys):
                context.update(condition_keys(_service_of(self.headers), self._get_action(), _request_params(self)))
        with _answered_in_the_services_protocol(self.headers):
            return original(self, iam_request_cls, resource)

    return authenticate_and_authorize_action


class InstanceMetadataService:
    """WSGI app answering as the instance metadata service to the instance at the client's address."""

    TOKEN_HEADER = "X-aws-ec2-metadata-token"

    def __init__(self, backend_lock):
        self.backend_lock = backend_lock
        self.lock = threading.Lock()
        self.credentials: dict[str, dict] = {}

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/")
        if method == "PUT" and path == "/latest/api/token":
            ttl = environ.get("HTTP_X_AWS_EC2_METADATA_TOKEN_TTL_SECONDS", "21600")
            return self._answer(start_response, "200 OK", uuid.uuid4().hex,
                                [("X-aws-ec2-metadata-token-ttl-seconds", ttl)])
        if method != "GET":
            return self._answer(start_response, "405 Method Not Allowed", "")
        with self.backend_lock:
            found = self._instance_at(environ.get("REMOTE_ADDR", ""))
            if found is None:
                return self._answer(start_response, "404 Not Found", "no instance has this address")
            instance, region = found
            role = self._profile_role(instance, region)
            if path == "/latest/meta-data/instance-id":
                return self._answer(start_response, "200 OK", instance.id)
            if path == "/latest/meta-data/placement/region":
                return self._answer(start_response, "200 OK", region)
            if path == "/latest/meta-data/placement/availability-zone":
                return self._answer(start_response, "200 OK", instance.availability_zone or "")
            credentials_path = "/latest/meta-data/iam/security-credentials/"
            if path == credentials_path and role is not None:
                return self._answer(start_response, "200 OK", role.name)
            if path == credentials_path + getattr(role, "name", "\0"):
                return self._answer(start_response, "200 OK", json.dumps(self._credentials(instance, role, region)))
        return self._answer(start_response, "404 Not Found", "")

    @staticmethod
    def _answer(start_response, status: str, text: str, headers=()):
        payload = text.encode()
        start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(payload))), *headers])
        return [payload]

    @staticmethod
    def _instance_at(address: str):
        from moto.ec2.models import ec2_backends

        for account_backends in list(ec2_backends.values()):
            for region, backend in list(account_backends.items()):
                for instance in backend.all_instances():
                    if instance.private_ip == address and instance.state == "running":
                        return instance, region
        return None

    @staticmethod
    def _profile_role(instance, region: str):
        from moto.iam.models import iam_backends
        from moto.utilities.utils import get_partition

        association = instance.ec2_backend.iam_instance_profile_associations.get(instance.id)
        if association is not None:
            found = association.iam_instance_profile
        else:
            group = getattr(instance, "autoscaling_group", None)
            if group is None or group.ec2_launch_template is None:
                return None
            version = group.ec2_launch_template.get_version(group.launch_template_version)
            profile = version.data.get("IamInstanceProfile")
            if not profile:
                return None
            iam = iam_backends[instance.ec2_backend.account_id][get_partition(region)]
            try:
                found = (iam.get_instance_profile_by_arn(profile["Arn"]) if profile.get("Arn")
                         else iam.get_instance_profile(profile["Name"]))
            except Exception:  # noqa: BLE001 - a profile deleted since launch gives no credentials
                return None
        return found.roles[0] if found.roles else None

    def _credentials(self, instance, role, region: str) -> dict:
        from moto.sts.models import sts_backends
        from moto.utilities.utils import get_partition

        lifetime = int(os.environ.get(CREDENTIAL_SECONDS_VARIABLE, DEFAULT_CREDENTIAL_SECONDS))
        key = f"{instance.id}/{role.arn}"
        with self.lock:
            held = self.credentials.get(key)
            if held is None or held["expires"] - time.time() < lifetime / 4:
                assumed = sts_backends[instance.ec2_backend.account_id][get_partition(region)].assume_role(
                    region_name=region, role_session_name=instance.id, role_arn=role.arn, policy=None,
                    duration=lifetime, external_id=None)
                held = {"expires": time.time() + lifetime, "document": {
                    "Code": "Success", "Type": "AWS-HMAC",
                    "LastUpdated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "AccessKeyId": assumed.access_key_id, "SecretAccessKey": assumed.secret_access_key,
                    "Token": assumed.session_token,
                    "Expiration": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + lifetime)),
                }}
                self.credentials[key] = held
            return held["document"]


def _s3_request_with_decoded_path(original):
    """S3's signature covers the path as sent, percent-encoded (the SDKs encode every character of
    a key but ``/`` and ``~``); moto signs the request again over the decoded path, so a key with
    ``:``, ``+`` or a space (Airflow's task log keys) failed as SignatureDoesNotMatch."""
    def create_aws_request(self):
        path, _, query = self._path.partition("?")
        decoded = self._path
        self._path = urllib.parse.quote(path, safe="/~") + (f"?{query}" if query else "")
        try:
            return original(self)
        finally:
            self._path = decoded

    return create_aws_request


def _signed_headers_as_named(original):
    """A signature covers every header its ``SignedHeaders`` names, as AWS verifies it; moto signs
    the request again with botocore, which never signs ``User-Agent`` (among others), so a request
    from an SDK that signs it (the AWS SDK for Java v1, which Spark's S3A connector uses) failed as
    SignatureDoesNotMatch."""
    def create_auth(self, credentials):
        auth = original(self, credentials)
        named = set(self._get_string_between("SignedHeaders=", ",", self._headers.get("Authorization", "")).split(";"))
        default = auth.headers_to_sign

        def headers_to_sign(request):
            header_map = default(request)
            for name, value in request.headers.items():
                if name.lower() in named and name.lower() not in header_map:
                    header_map[name.lower()] = value
            return header_map

        auth.headers_to_sign = headers_to_sign
        return auth

    return create_auth


def _bodiless_request_signed_over_nothing(original):
    """A request without a body (a REST API's GET, HEAD or DELETE: EMR Serverless's GetApplication)
    is signed over the hash of nothing; moto signed it again over its parsed parameters, so such a
    request from a role session failed as SignatureDoesNotMatch."""
    def create_aws_request(self):
        if self._body or self._method not in ("GET", "HEAD", "DELETE"):
            return original(self)
        parsed = self._data
        self._data = b""
        try:
            return original(self)
        finally:
            self._data = parsed

    return create_aws_request


def _delete_objects_per_key(original):
    """DeleteObjects is authorized as s3:DeleteObject on each key (moto checks the bucket's ARN,
    which no object permission matches, and then refuses every key). Here every key must be
    allowed, or every key is reported AccessDenied and none deleted: never more than AWS allows."""
    def authenticate_and_authorize_s3_action(self, bucket_name=None, key_name=None):
        if key_name is None and bucket_name and self.method == "POST" and "delete" in (self.querystring or {}):
            body = self.body.decode() if isinstance(self.body, bytes) else (self.body or "")
            keys = [html.unescape(key) for key in re.findall(r"<Key>(.*?)</Key>", body, re.S)]
            for key in keys:
                original(self, bucket_name=bucket_name, key_name=key)
            if keys:
                return None
        return original(self, bucket_name=bucket_name, key_name=key_name)

    return authenticate_and_authorize_s3_action


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


def install(request_context=None) -> None:
    """Adds the resource of each request and the operator's keys to moto's IAM enforcement; with
    moto_gaps' request context, also the resource's tags as condition keys."""
    global RESTError, JsonRESTError, _request_context
    _request_context = request_context
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.core.exceptions import JsonRESTError
    from moto.core.exceptions import _RESTError as RESTError
    from moto.s3.responses import ACTION_MAP

    # HeadBucket is authorized as s3:ListBucket (there is no s3:HeadBucket action); moto asks for
    # the latter, which no policy grants.
    ACTION_MAP["BUCKET"]["HEAD"]["DEFAULT"] = "ListBucket"

    ActionAuthenticatorMixin._authenticate_and_authorize_action = _authorize(
        ActionAuthenticatorMixin._authenticate_and_authorize_action)
    from moto.iam.access_control import IAMRequest, IAMRequestBase, S3IAMRequest

    IAMRequestBase.check_action_permitted = _within_the_boundary(IAMRequestBase.check_action_permitted)
    resource_policies.install(request_context)

    S3IAMRequest._create_aws_request = _s3_request_with_decoded_path(S3IAMRequest._create_aws_request)
    S3IAMRequest._create_auth = _signed_headers_as_named(S3IAMRequest._create_auth)
    IAMRequest._create_auth = _signed_headers_as_named(IAMRequest._create_auth)
    IAMRequest._create_aws_request = _bodiless_request_signed_over_nothing(IAMRequest._create_aws_request)
    ActionAuthenticatorMixin._authenticate_and_authorize_s3_action = _delete_objects_per_key(
        ActionAuthenticatorMixin._authenticate_and_authorize_s3_action)
