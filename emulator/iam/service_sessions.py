"""A session of a role taken by the AWS service its trust policy names, as EC2 takes one for an
instance profile's role and EMR Serverless one for a job's execution role.

Nobody but the service can assume such a role: ``sts:AssumeRole`` with an account's key is
refused by its trust policy (resource_policies.py). Tests that act as a host or a job ask the
server what the service would get: ``POST /_dataplatform/service-sessions`` with
``{"RoleArn": ..., "Service": "ec2.amazonaws.com"}`` answers the temporary credentials of a
session of that role, issued by moto's STS, so every call made with them is checked against the
role's policies. It is refused (403) unless the role's trust policy allows the service to assume it,
as the service itself would be refused. The instance metadata service (instance_metadata.py) issues an
instance's credentials the same way.

Not emulated: the service's own conditions (``aws:SourceArn``, ``aws:SourceAccount``) beyond
what the request names; session tags; the service's session names.
"""

from __future__ import annotations

import json
import urllib.parse

from emulator.iam import policy_conditions


def issue(role_arn: str, service: str, context: dict | None = None) -> dict:
    """The credentials of the service's session of the role; PermissionError when its trust policy
    does not allow the service."""
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends
    from moto.utilities.utils import get_partition

    account, region = role_arn.split(":")[4], "us-east-1"
    partition = role_arn.split(":")[1]
    role = iam_backends[account][partition].get_role_by_arn(role_arn)
    document = role.assume_role_policy_document
    document = json.loads(urllib.parse.unquote(document) if isinstance(document, str) else json.dumps(document))
    principal = policy_conditions.Principal("Service", service)
    if policy_conditions.evaluate(document, "sts:AssumeRole", principal, context or {}) != "Allow":
        raise PermissionError(f"the trust policy of {role_arn} does not allow {service} to assume it")
    assumed = sts_backends[account][get_partition(region)].assume_role(
        region_name=region, role_session_name=service.split(".")[0], role_arn=role_arn,
        policy=None, duration=3600, external_id=None)
    return {"AccessKeyId": assumed.access_key_id, "SecretAccessKey": assumed.secret_access_key,
            "SessionToken": assumed.session_token}
