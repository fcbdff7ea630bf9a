"""Records into NiFi's ingest flow as a client posts them: HTTPS through the load balancer's name
(the NLB's ingest listener, ``nifi.ingest_url`` of the platform document), with the client
certificate of a user whose certificate request has the ``ingest`` role, verified against the
platform's CA. The flow answers 200 once the records are in NiFi's repositories, 403 to a
certificate without the role, and 503 while its queue is full (then the client sends again).

Then the records are in bronze when the flow's batch was written (at most the batch's age later,
``nifi_ingest_batch_max_age``): :func:`wait_in_bronze` waits for them.
"""

from __future__ import annotations

import json
import ssl
import time
import urllib.error
import urllib.request

from ansible_collections.dataplatform.ops.plugins.module_utils import platform
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, pkcs12

from sandbox import users

INGEST_ROLE = "ingest"
# Answers after which the same request is sent again: the listener's queue is full (503), or the
# load balancer has no node to send it to yet.
RETRIED_STATUSES = (502, 503, 504)


def ingest_url(document: dict) -> str:
    return document["nifi"]["ingest_url"]


def user_roles(secret: dict) -> set[str]:
    """The roles a user's certificate carries, from the tags of their secret (users.user_secrets)."""
    return set(secret["tags"].get(platform.USER_SECRET_TAG_ROLES, "").split())


def ingest_users(sandbox) -> list[str]:
    """The users whose certificate carries the ingest role."""
    return [entry["user"] for entry in users.user_secrets(sandbox) if INGEST_ROLE in user_roles(entry)]


def client_context(sandbox, user: str, folder) -> ssl.SSLContext:
    """TLS as the user: their certificate and key from their PKCS#12, NiFi verified against the
    CA chain the bundle carries (the platform's)."""
    bundle, password = users.user_bundle(sandbox, user)
    key, certificate, chain = pkcs12.load_key_and_certificates(bundle.read_bytes(), password.read_bytes())
    return pem_context(certificate.public_bytes(Encoding.PEM) + b"".join(c.public_bytes(Encoding.PEM) for c in chain or []),
                       key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()),
                       b"".join(c.public_bytes(Encoding.PEM) for c in chain or []).decode(), folder)


def pem_context(certificate_pem: bytes | None, key_pem: bytes | None, ca_pem: str, folder) -> ssl.SSLContext:
    """A client context trusting ``ca_pem``, with a client certificate when one is given (the key
    is written for ``ssl`` to read, mode 0600, in ``folder``)."""
    context = ssl.create_default_context(cadata=ca_pem)
    if certificate_pem:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = folder / f"client-{time.monotonic_ns()}.pem"
        path.touch(mode=0o600)
        path.write_bytes(key_pem + certificate_pem)
        try:
            context.load_cert_chain(path)
        finally:
            path.unlink()
    return context


def post(url: str, context: ssl.SSLContext, body: bytes, unavailable_for: float = 120) -> int:
    """One POST; its HTTP status. A full queue or a load balancer without a ready node is tried
    again for up to ``unavailable_for`` seconds; a refusal (403, a failed handshake) is not."""
    deadline = time.monotonic() + unavailable_for
    while True:
        request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/x-ndjson"})
        try:
            with urllib.request.urlopen(request, timeout=30, context=context) as response:  # noqa: S310 - the sandbox's load balancer
                response.read()
                return response.status
        except urllib.error.HTTPError as error:
            if error.code not in RETRIED_STATUSES or time.monotonic() > deadline:
                return error.code
        except (ConnectionRefusedError, ConnectionResetError) as error:
            if time.monotonic() > deadline:
                raise ConnectionError(f"{url} took no connection for {unavailable_for:.0f}s: {error}") from error
        time.sleep(1)


def post_records(url: str, context: ssl.SSLContext, lines: list[str], per_request: int = 50) -> int:
    """Posts the JSON lines, ``per_request`` to a request; the number of requests. Fails on an
    answer other than 200."""
    requests = 0
    for start in range(0, len(lines), per_request):
        body = ("\n".join(lines[start:start + per_request]) + "\n").encode()
        status = post(url, context, body)
        if status != 200:
            raise RuntimeError(f"{url} answered {status} to {per_request} records")
        requests += 1
    return requests


def bronze_lines(s3, bucket: str, prefix: str) -> dict[str, list[str]]:
    """Every object under ``prefix`` with its lines."""
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read().decode()
            found[item["Key"]] = [line for line in body.splitlines() if line.strip()]
    return found


def wait_in_bronze(s3, bucket: str, prefix: str, lines: list[str], timeout: float = 180) -> dict[str, list[str]]:
    """The objects under ``prefix`` once every one of ``lines`` is in one of them."""
    wanted = set(lines)
    deadline = time.monotonic() + timeout
    while True:
        objects = bronze_lines(s3, bucket, prefix)
        missing = wanted - {line for found in objects.values() for line in found}
        if not missing:
            return objects
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(missing)} of {len(wanted)} records not in s3://{bucket}/{prefix} after {timeout:.0f}s")
        time.sleep(2)


def order_lines(orders: list[dict], malformed: list[str] = ()) -> list[str]:
    return [json.dumps(order, sort_keys=True) for order in orders] + list(malformed)


def summary_lines(sandbox, document: dict) -> list[str]:
    users = ingest_users(sandbox)
    return ["", "Ingest (the orders flow, mutual TLS through the load balancer; JSON lines, one order per line):",
            f"  POST           {ingest_url(document)}",
            f"  who may post   {', '.join(users) or 'nobody yet'} (certificate requests with the role ingest; "
            "their PKCS#12: python -m sandbox user-bundle <user>)",
            "  sample orders  python -m sandbox pipeline  (posts them, waits for bronze, runs the orders DAG)"]
