"""The resource AWS authorizes a request against, worked out in the moto server process (enforcement.py
asks for it): moto authorizes most services' actions against ``*``.

For the services and actions the platform's principals call, the resource AWS authorizes is worked
out from the request, as AWS documents it per action: ``acm-pca`` (the ``CertificateAuthorityArn``),
``secretsmanager`` (the secret's full ARN, with its random suffix, looked up by name or ARN; for
``CreateSecret`` the name with a suffix pattern), ``ssm`` (the parameter's ARN), ``autoscaling``
(the group's ARN), ``logs`` (the log stream ``…:log-group:<name>:log-stream:<stream>`` of an action
naming one, such as PutLogEvents and CreateLogStream, else ``…:log-group:<name>:*``, which a policy
granting ``log-group:<name>:*`` matches, as in AWS; the group by ``logGroupName`` or
``logGroupIdentifier``), ``kms`` (the key's ARN), ``ec2`` (the instance, for actions on one
instance) ``emr-serverless`` (the application or job run, from the REST path), ``glue`` (the table
of a table or partition action, the database of a database action, else the catalog), ``sns`` (the
topic) and ``iam`` (the instance profile, role, policy or identity provider named, also one still to
be created; moto knew only existing roles). For an instance, its tags are the request's
``aws:ResourceTag/<key>`` condition keys; for IAM, ``iam:PermissionsBoundary`` (the requested
boundary for CreateRole and PutRolePermissionsBoundary, the role's present one for
Put/Delete/Attach/DetachRolePolicy), ``iam:PolicyARN`` and ``iam:AWSServiceName``; for ACM Private
CA's IssueCertificate, ``acm-pca:TemplateArn`` (acmpca_conditions.py); for tag writes,
``aws:TagKeys`` (tag_conditions.py); for CloudWatch's PutMetricData, ``cloudwatch:namespace``
(cloudwatch_iam.py, which also names CloudWatch's actions ``cloudwatch:…`` rather than by their
signing name ``monitoring``). S3's own actions (HeadBucket, DeleteObjects) and the signatures are
signatures.py's. S3 (bucket and object ARNs), STS and SQS are moto's own. Any other action is
authorized against ``*`` as moto does, which a policy with named resources does not match: an
unlisted action is refused, never allowed by mistake.
"""

from __future__ import annotations

import re
import urllib.parse

_EMR_SERVERLESS_PATH = re.compile(r"^/applications/([^/]+)(?:/jobruns(?:/([^/]+))?)?")


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


def backend_lookup(account: str, region: str, partition: str):
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


def instance_tag_keys(account: str, region: str, instance_id: str) -> dict[str, str]:
    """``aws:ResourceTag/<key>`` of an instance, for the conditions of a call on it."""
    from moto.ec2.models import ec2_backends

    backend = ec2_backends[account][region]
    return {f"aws:ResourceTag/{key}": value for key, value in backend.tags.get(instance_id, {}).items()}
