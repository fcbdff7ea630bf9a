# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""SSH access to the platform hosts: login certificates from the environment's user CA, and the
hosts' keys pinned from what they print to their console at boot.

* The user CA's private key is in Secrets Manager (``dataplatform/<env>/ssh/user-ca``); hosts
  trust its public keys (Terraform's ssh-user-ca module, the asg-hosts user data).
* ``sign_user_certificate`` makes an OpenSSH user certificate; ``certificate_renewal_reason``
  says why an existing one must be replaced.
* Hosts print ``-----BEGIN SSH HOST KEY KEYS-----`` … ``-----END SSH HOST KEY KEYS-----`` to the
  console at every boot (the user data's unit, cloud-init's format); ``host_keys_in_console``
  reads them back from ``ec2:GetConsoleOutput``, and ``KnownHosts`` keeps one line per key with
  the instance id as its comment, so an address reused by a new instance replaces the old key.
"""

from __future__ import annotations

import base64
import datetime
import os
import re
import secrets
import tempfile

try:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover - reported by the modules
    HAS_CRYPTOGRAPHY = False

CONSOLE_BEGIN = "-----BEGIN SSH HOST KEY KEYS-----"
CONSOLE_END = "-----END SSH HOST KEY KEYS-----"
KEY_TYPES = ("ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa")
_KEY_IN_LINE = re.compile(r"(%s) ([A-Za-z0-9+/]+={0,3})" % "|".join(re.escape(kind) for kind in KEY_TYPES))
# Certificates start valid a few minutes in the past: the hosts' clocks may be slightly behind.
CLOCK_SKEW = datetime.timedelta(minutes=5)


# --- keys ---------------------------------------------------------------------------------------

def public_key_line(key_type, key_base64):
    return "%s %s" % (key_type, key_base64)


def parse_public_key(line):
    """``(type, base64)`` of an OpenSSH public key line (a comment after them is ignored)."""
    match = _KEY_IN_LINE.search(line or "")
    if not match:
        raise ValueError("not an OpenSSH public key: %r" % (line or "")[:80])
    return match.group(1), match.group(2)


def same_public_key(first, second):
    return parse_public_key(first) == parse_public_key(second)


def load_private_key(pem_bytes):
    """An OpenSSH (or PEM) private key without passphrase."""
    try:
        return serialization.load_ssh_private_key(pem_bytes, password=None)
    except ValueError:
        return serialization.load_pem_private_key(pem_bytes, password=None)


def private_key_public_line(private_key):
    data = private_key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return data.decode("ascii")


def openssh_private_bytes(private_key):
    return private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                     serialization.NoEncryption())


def write_private_file(path, content):
    """Writes ``content`` to ``path`` with mode 0600 (never readable by others, never half-written)."""
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    try:
        os.fchmod(handle, 0o600)
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def ensure_login_key(key_path):
    """The controller's login key at ``key_path`` (ed25519, mode 0600), made when missing.
    Returns ``(private_key, created)``."""
    if os.path.exists(key_path):
        with open(key_path, "rb") as stream:
            return load_private_key(stream.read()), False
    key = ed25519.Ed25519PrivateKey.generate()
    write_private_file(key_path, openssh_private_bytes(key))
    public = private_key_public_line(key) + " " + os.path.basename(key_path) + "\n"
    with open(key_path + ".pub", "w") as stream:
        stream.write(public)
    return key, True


# --- user certificates ----------------------------------------------------------------------------

def sign_user_certificate(ca_private_key, public_key, principals, key_id, valid_for, now=None):
    """An OpenSSH user certificate for ``public_key``, signed by ``ca_private_key``, valid from five
    minutes before ``now`` for ``valid_for`` (a timedelta), naming ``principals``."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    builder = (
        serialization.SSHCertificateBuilder()
        .public_key(public_key)
        .serial(secrets.randbits(64))
        .type(serialization.SSHCertificateType.USER)
        .key_id(key_id.encode("utf-8"))
        .valid_principals([principal.encode("utf-8") for principal in principals])
        .valid_after(int((now - CLOCK_SKEW).timestamp()))
        .valid_before(int((now + valid_for).timestamp()))
    )
    for extension in ("permit-pty", "permit-port-forwarding"):
        builder = builder.add_extension(extension.encode("ascii"), b"")
    certificate = builder.sign(ca_private_key)
    return certificate.public_bytes()


def describe_certificate(certificate_bytes):
    """What a certificate says: serial, key id, principals, validity (UTC ISO) and its CA's key."""
    certificate = serialization.load_ssh_public_identity(certificate_bytes)
    openssh = (serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    ca_key = certificate.signature_key().public_bytes(*openssh)
    return {
        "serial": certificate.serial,
        "key_id": certificate.key_id.decode("utf-8", "replace"),
        "principals": [principal.decode("utf-8", "replace") for principal in certificate.valid_principals],
        "valid_after": _iso(certificate.valid_after),
        "valid_before": _iso(certificate.valid_before),
        "valid_before_epoch": certificate.valid_before,
        "ca_public_key": ca_key.decode("ascii"),
        "public_key": certificate.public_key().public_bytes(*openssh).decode("ascii"),
    }


def _iso(epoch):
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def certificate_renewal_reason(certificate_bytes, public_key_line_, principals, renew_before, trusted_ca_keys=None,
                               now=None):
    """Why the certificate must be signed again, or None: missing, unreadable, for another key,
    other principals, from a CA no longer trusted, or valid for less than ``renew_before``."""
    if not certificate_bytes:
        return "no certificate yet"
    try:
        described = describe_certificate(certificate_bytes)
    except (ValueError, TypeError):
        return "the certificate cannot be read"
    now = now or datetime.datetime.now(datetime.timezone.utc)
    if not same_public_key(described["public_key"], public_key_line_):
        return "the certificate is for another key"
    if sorted(described["principals"]) != sorted(principals):
        return "the principals changed"
    if trusted_ca_keys and not any(same_public_key(described["ca_public_key"], key) for key in trusted_ca_keys):
        return "its CA is no longer trusted"
    if described["valid_before_epoch"] - now.timestamp() < renew_before.total_seconds():
        return "it expires within %d minutes" % (renew_before.total_seconds() // 60)
    return None


# --- host keys --------------------------------------------------------------------------------------

def host_keys_in_console(console_text):
    """The host public keys of the last complete block of console output (``(type, base64)``
    pairs, in order), or [] when there is none. Console lines may carry a prefix (a journal
    timestamp, ``ec2:``); only the key in each line counts."""
    blocks, current = [], None
    for line in (console_text or "").splitlines():
        if CONSOLE_BEGIN in line:
            current = []
        elif CONSOLE_END in line:
            if current is not None:
                blocks.append(current)
            current = None
        elif current is not None:
            match = _KEY_IN_LINE.search(line)
            if match:
                current.append((match.group(1), match.group(2)))
    return blocks[-1] if blocks else []


def decode_console_output(response):
    """The text of a GetConsoleOutput answer (base64 in the API)."""
    output = response.get("Output") or ""
    try:
        return base64.b64decode(output).decode("utf-8", "replace")
    except (ValueError, TypeError):
        return output


class KnownHosts:
    """A known_hosts file the module owns: ``names type key instance-id`` per line."""

    def __init__(self, text=""):
        self.entries = []
        for line in text.splitlines():
            parts = line.split()
            if len(parts) >= 3 and not line.startswith("#"):
                self.entries.append({"names": parts[0].split(","), "type": parts[1], "key": parts[2],
                                     "instance_id": parts[3] if len(parts) > 3 else ""})

    def keys_of(self, instance_id, names):
        """The keys recorded for exactly this instance under exactly these names, or []."""
        return [(entry["type"], entry["key"]) for entry in self.entries
                if entry["instance_id"] == instance_id and sorted(entry["names"]) == sorted(names)]

    def set_host(self, instance_id, names, keys):
        """Records ``keys`` for an instance: its old lines and every line naming one of ``names``
        (an address another instance had) go."""
        self.entries = [entry for entry in self.entries
                        if entry["instance_id"] != instance_id and not set(entry["names"]) & set(names)]
        for key_type, key in keys:
            self.entries.append({"names": list(names), "type": key_type, "key": key, "instance_id": instance_id})

    def render(self):
        lines = ["# Written by dataplatform.ops.ssh_host_keys: host keys from each instance's console output."]
        for entry in sorted(self.entries, key=lambda item: (item["instance_id"], item["names"], item["type"])):
            lines.append("%s %s %s %s" % (",".join(entry["names"]), entry["type"], entry["key"], entry["instance_id"]))
        return "\n".join(lines) + "\n"
