"""The instance metadata service, as EC2 serves it, beside the moto server (``--imds-port``).

:class:`InstanceMetadataService` answers as IMDS does, over
plain HTTP on a port of its own, to the instance whose private address asks (the sandbox's
containers sit at their instances' addresses): IMDSv2 session tokens, ``instance-id``,
``placement``, and the temporary credentials of the role of the instance's profile (the
instance's own, or its group's launch template's), issued by moto's STS so that moto checks
that role's policies on every call made with them. Credentials last
``DATAPLATFORM_IMDS_CREDENTIAL_SECONDS`` (6 hours, as IMDS's, unless set) and are issued anew
when less than a quarter of that is left; the SDKs refresh them before they expire, as on EC2.
A hop limit and IMDSv1's refusal (``HttpTokens: required``) are not emulated: any request with
or without a token is answered.

"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid

from emulator.settings import CREDENTIAL_SECONDS_VARIABLE

DEFAULT_CREDENTIAL_SECONDS = 6 * 3600


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
