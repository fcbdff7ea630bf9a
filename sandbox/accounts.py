"""Who calls the sandbox's AWS, and how: the administrator's key, the profiles of the roles the
controller assumes with it, and the environment of every child process.

The sandbox's own key (``sandbox``) is the account's administrator: the account's bootstrap, the SSH
CA's bootstrap, the DAG upload and the sandbox itself use it. The converge runs as the automation
role, user certificates as the cert issuer role and the DAG upload as the DAGs publisher, each
assumed from that key through the profiles of ``.sandbox/aws/config`` (the SDKs renew the sessions).
No child process sees a variable that could lead to a real account.
"""

from __future__ import annotations

import json
import os
import shlex
import ssl
import urllib.request

import boto3
from ansible_collections.dataplatform.ops.plugins.module_utils import platform

from emulator.server import REAL_AWS_VARIABLES
from sandbox import package_cache
from sandbox.podman_hosts import host_image
from sandbox.settings import (
    AUTOMATION_PROFILE,
    CERT_ISSUER_PROFILE,
    DAGS_PUBLISHER_PROFILE,
    ENV,
    OPERATOR_KEY,
    OPERATOR_PROFILE,
    REGION,
    ROOT,
    Settings,
)
from sandbox.terraform import tfvars_scalar

# The roles the controller assumes, by profile.
ASSUMED_ROLES = {AUTOMATION_PROFILE: "automation", CERT_ISSUER_PROFILE: "cert-issuer",
                 DAGS_PUBLISHER_PROFILE: "dags-publisher"}


def aws_config(sandbox: Settings):
    """The AWS config file: the operator's key and the roles the controller assumes with it (the
    DAGs bucket admits only the publisher's writes)."""
    path = sandbox.state_dir / "aws" / "config"
    if not path.exists() or DAGS_PUBLISHER_PROFILE not in path.read_text():
        account = tfvars_scalar(ENV, "account_id")
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.write_text(
            f"[profile {OPERATOR_PROFILE}]\naws_access_key_id = {OPERATOR_KEY}\naws_secret_access_key = {OPERATOR_KEY}\n"
            + "".join(f"\n[profile {profile}]\nrole_arn = arn:aws:iam::{account}:role/dataplatform-{ENV}-{role}\n"
                      f"source_profile = {OPERATOR_PROFILE}\nrole_session_name = sandbox-{role}\n"
                      for profile, role in ASSUMED_ROLES.items()))
    return path


def environment(sandbox: Settings, profile: str = AUTOMATION_PROFILE) -> dict[str, str]:
    """The environment of every child process: the sandbox's AWS endpoint, the AWS profile of the
    principal that runs it (the automation role unless told), no variable that could lead to a real
    account."""
    env = dict(os.environ)
    for variable in (*REAL_AWS_VARIABLES, "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        env.pop(variable, None)
    env.update(
        AWS_ENDPOINT_URL=sandbox.endpoint,
        AWS_PROFILE=profile,
        AWS_REGION=REGION,
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE=str(aws_config(sandbox)),
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        SANDBOX_HOSTS_AWS_ENDPOINT_URL=sandbox.hosts_endpoint,
        SANDBOX_HOSTS_IMDS_ENDPOINT=sandbox.hosts_imds_endpoint,
        SANDBOX_CERT_ISSUER_PROFILE=CERT_ISSUER_PROFILE,
        # The Airflow virtualenv from the machine's wheelhouse once `up` has built it.
        SANDBOX_AIRFLOW_FIND_LINKS=package_cache.served_find_links(host_image()),
        DATAPLATFORM_SSH_DIR=str(sandbox.ssh_dir),
        AWS_CA_BUNDLE=str(sandbox.tls.bundle),
    )
    return env


def shell_exports(sandbox: Settings) -> str:
    """``export NAME=value`` lines of what the sandbox sets for its child processes."""
    inherited = dict(os.environ)
    child = environment(sandbox)
    lines = [f"export {name}={shlex.quote(value)}" for name, value in sorted(child.items())
             if inherited.get(name) != value]
    lines += [f"unset {name}" for name in (*REAL_AWS_VARIABLES, "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
              if name in inherited and name not in child]
    return "\n".join(lines)


def client(sandbox: Settings, service: str):
    """A boto3 client of the sandbox's AWS with the administrator's key."""
    return boto3.client(service, endpoint_url=sandbox.endpoint, region_name=REGION, verify=str(sandbox.tls.bundle),
                        aws_access_key_id=OPERATOR_KEY, aws_secret_access_key=OPERATOR_KEY)


def open_url(sandbox: Settings, request: str | urllib.request.Request, timeout: float):
    """An HTTPS request to one of the sandbox's loopback services, which the endpoint's CA signed."""
    return urllib.request.urlopen(request, timeout=timeout,  # noqa: S310 - loopback
                                  context=ssl.create_default_context(cafile=str(sandbox.tls.bundle)))


def platform_document(sandbox: Settings) -> dict:
    """The platform parameter Terraform wrote (what every host and playbook reads)."""
    parameter = client(sandbox, "ssm").get_parameter(Name=platform.platform_parameter_name(ENV))
    return json.loads(parameter["Parameter"]["Value"])
