# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Secrets that are generated once per environment and then shared by every host.

A secret of this kind (the Airflow API and JWT secrets, the Airflow Fernet key, NiFi's sensitive
properties key) is created with a random value the first time a run needs it. After that its
value is never read, compared, replaced or returned by the code that ensures it: hosts read it
at run time from Secrets Manager, and a second run changes nothing.
"""

from __future__ import annotations

import base64
import os

# Kinds of generated value: a function of the requested length in bytes.
GENERATORS = {
    # URL-safe base64 of ``length`` random bytes, without padding: API and signing secrets.
    "token": lambda length: base64.urlsafe_b64encode(os.urandom(length)).decode("ascii").rstrip("="),
    # A Fernet key: URL-safe base64 of exactly 32 random bytes, with padding (length is ignored).
    "fernet": lambda length: base64.urlsafe_b64encode(os.urandom(32)).decode("ascii"),
}

MIN_TOKEN_BYTES = 16


def check_kind(kind, length):
    """Raises ``ValueError`` when ``kind`` and ``length`` cannot make a good secret."""
    if kind not in GENERATORS:
        raise ValueError("unknown kind of generated secret %r: expected one of %s" % (kind, ", ".join(sorted(GENERATORS))))
    if kind == "token" and length < MIN_TOKEN_BYTES:
        raise ValueError("a token secret needs at least %d random bytes, not %d" % (MIN_TOKEN_BYTES, length))


def generate_value(kind, length):
    """A new random value of ``kind`` (see ``GENERATORS``)."""
    check_kind(kind, length)
    return GENERATORS[kind](length)


def describe_existing(client, name):
    """``{"arn", "name"}`` of the secret ``name``, or None when it does not exist (or is deleted).

    Uses DescribeSecret, which never returns the value.
    """
    try:
        response = client.describe_secret(SecretId=name, aws_retry=True)
    except client.exceptions.ResourceNotFoundException:
        return None
    if response.get("DeletedDate"):
        raise ValueError(
            "secret %s is scheduled for deletion; restore it (secretsmanager restore-secret) or wait until it is gone" % name
        )
    return {"arn": response["ARN"], "name": response["Name"], "kms_key_id": response.get("KmsKeyId")}


def ensure_generated_secret(client, name, kind, length, description, tags, kms_key_id=None, check_mode=False):
    """Creates the secret ``name`` with a random value unless it exists.

    Returns ``(changed, {"arn", "name", "kms_key_id"})``; in check mode a missing secret is
    reported as a change and nothing is created (``arn`` is then None). An existing secret under
    another key than ``kms_key_id`` is moved to it (UpdateSecret: its next versions use it).
    """
    check_kind(kind, length)
    existing = describe_existing(client, name)
    if existing:
        if not kms_key_id or existing["kms_key_id"] == kms_key_id:
            return False, existing
        # Made before the platform's key was named (under aws/secretsmanager): the next versions
        # are encrypted with the platform's key.
        if not check_mode:
            client.update_secret(aws_retry=True, SecretId=existing["arn"], KmsKeyId=kms_key_id)
        return True, dict(existing, kms_key_id=kms_key_id)
    if check_mode:
        return True, {"arn": None, "name": name, "kms_key_id": kms_key_id}
    value = generate_value(kind, length)
    request = {
        "Name": name,
        "Description": description,
        "SecretString": value,
        "Tags": [{"Key": key, "Value": str(tag_value)} for key, tag_value in sorted(tags.items())],
    }
    if kms_key_id:
        request["KmsKeyId"] = kms_key_id
    try:
        response = client.create_secret(aws_retry=True, **request)
    except client.exceptions.ResourceExistsException:
        # Another run created it between our two calls: theirs is the environment's value.
        return False, describe_existing(client, name)
    return True, {"arn": response["ARN"], "name": response["Name"], "kms_key_id": kms_key_id}
