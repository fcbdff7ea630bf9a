"""Helpers of the certificate tests: run the playbooks, read what the moto server holds."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path

import boto3
from cryptography.hazmat.primitives.serialization import pkcs12

from tests.conftest import REPO_ROOT, TEST_REGION
from tests.harness.private_ca import create_root_ca, write_platform_parameter

PLAYBOOKS = REPO_ROOT / "ansible" / "playbooks"
REQUESTS = REPO_ROOT / "cert-requests"
REPO_POLICY = REQUESTS / "policy.yml"
CLIENT_AUTH_TEMPLATE = "arn:aws:acm-pca:::template/EndEntityClientAuthCertificate/V1"
READ_ACTION_PREFIXES = ("Get", "List", "Describe")


def run_playbook(name: str, *args: str, timeout: float = 600, unfolded: bool = False) -> subprocess.CompletedProcess:
    """``ansible-playbook ansible/playbooks/<name> ARGS`` from the repository root.

    ``unfolded`` prints results as JSON, so that long messages are not folded across lines.
    """
    env = {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"}
    if unfolded:
        env["ANSIBLE_CALLBACK_RESULT_FORMAT"] = "json"
    return subprocess.run(
        ["ansible-playbook", str(PLAYBOOKS / name), *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def output(result: subprocess.CompletedProcess) -> str:
    return result.stdout + result.stderr


def activate_environments(*envs: str) -> dict[str, str]:
    """One active root CA per environment and a platform parameter naming it; returns ``{env: ca_arn}``."""
    authorities = {}
    for env in envs:
        authorities[env] = create_root_ca(env)
        key_arn = boto3.client("kms").create_key(Description=f"dataplatform {env}")["KeyMetadata"]["Arn"]
        write_platform_parameter(env, {"region": TEST_REGION, "pca": {"arn": authorities[env]}, "secrets": {
            "kms_key_arn": key_arn, "cert_issuer_role_arn": f"arn:aws:iam::123456789012:role/dataplatform-{env}-cert-issuer"}})
    return authorities


def writes(requests: list[dict], *services: str) -> list[str]:
    """``service:Action`` of every request that is not a read, for the given services."""
    return [f"{r['service']}:{r['action']}" for r in requests
            if r["service"] in services and not r["action"].startswith(READ_ACTION_PREFIXES)]


def calls(requests: list[dict], service: str, action: str) -> list[dict]:
    return [r for r in requests if r["service"] == service and r["action"] == action]


def copy_requests(destination: Path, *envs: str) -> Path:
    """A copy of the repository's requests of ``envs`` (all when none) that a test may change."""
    for env_dir in REQUESTS.iterdir():
        if env_dir.is_dir() and (not envs or env_dir.name in envs):
            shutil.copytree(env_dir, destination / env_dir.name)
    return destination


def policy_with(tmp_path: Path, **renew_before_days: int) -> Path:
    """The repository's policy with other renewal windows, e.g. ``policy_with(tmp, dev=400)``."""
    import yaml

    policy = yaml.safe_load(REPO_POLICY.read_text())
    for env, days in renew_before_days.items():
        policy["environments"][env]["renew_before_days"] = days
    path = tmp_path / "policy.yml"
    path.write_text(yaml.safe_dump(policy))
    return path


def user_secret(env: str, user: str) -> dict:
    """The secret of a user: its JSON value, tags and description."""
    client = boto3.client("secretsmanager")
    name = f"dataplatform/{env}/users/{user}"
    described = client.describe_secret(SecretId=name)
    deleted = bool(described.get("DeletedDate"))
    # A secret scheduled for deletion cannot be read.
    value = None if deleted else json.loads(client.get_secret_value(SecretId=name)["SecretString"])
    return {
        "value": value,
        "tags": {tag["Key"]: tag["Value"] for tag in described.get("Tags", [])},
        "description": described.get("Description", ""),
        "deleted": deleted,
    }


def open_bundle(value: dict):
    """``(key, certificate, chain)`` of a secret's PKCS#12 bundle, opened with its password."""
    return pkcs12.load_key_and_certificates(base64.b64decode(value["pkcs12"]), value["password"].encode())
