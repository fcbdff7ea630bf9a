"""The users whose certificates the certificate pipeline issued, and their PKCS#12 bundles."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from ansible_collections.dataplatform.ops.plugins.module_utils import platform

from sandbox import accounts
from sandbox.settings import ENV, SandboxError, Settings


def user_secrets(sandbox: Settings) -> list[dict]:
    """Every user's secret (name and tags), by user."""
    prefix = platform.secret_name(ENV, "users") + "/"
    found = []
    paginator = accounts.client(sandbox, "secretsmanager").get_paginator("list_secrets")
    for page in paginator.paginate(Filters=[{"Key": "name", "Values": [prefix]}]):
        for entry in page["SecretList"]:
            if entry.get("DeletedDate") or not entry["Name"].startswith(prefix):
                continue
            tags = {tag["Key"]: tag["Value"] for tag in entry.get("Tags", [])}
            found.append({"user": entry["Name"][len(prefix):], "name": entry["Name"], "tags": tags})
    return sorted(found, key=lambda item: item["user"])


def user_bundle(sandbox: Settings, user: str) -> tuple[Path, Path]:
    """Writes a user's PKCS#12 bundle and its password (mode 0600) under the state folder."""
    secret_id = platform.secret_name(ENV, "users", user)
    secrets_manager = accounts.client(sandbox, "secretsmanager")
    try:
        value = json.loads(secrets_manager.get_secret_value(SecretId=secret_id)["SecretString"])
    except secrets_manager.exceptions.ResourceNotFoundException:
        raise SandboxError(f"no certificate for {user!r} ({secret_id} does not exist); "
                           f"add cert-requests/{ENV}/{user}.yaml and run make sandbox") from None
    if value.get("format") == "certificate":
        raise SandboxError(f"{user!r} keeps their own key (their request has a csr): {secret_id} holds their "
                           "certificate and chain only, in its certificate and certificate_chain fields")
    folder = sandbox.state_dir / "users"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    bundle, password = folder / f"{user}.p12", folder / f"{user}.password"
    for path, content in ((bundle, base64.b64decode(value["pkcs12"])), (password, value["password"].encode())):
        path.touch(mode=0o600)
        path.write_bytes(content)
    return bundle, password
