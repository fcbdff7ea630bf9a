from __future__ import annotations

import datetime
import os
import subprocess

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from ansible_collections.dataplatform.ops.plugins.module_utils import ssh

NOW = datetime.datetime(2026, 11, 30, 12, 0, tzinfo=datetime.timezone.utc)
HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def ca():
    return ed25519.Ed25519PrivateKey.generate()


@pytest.fixture
def login(tmp_path):
    key, created = ssh.ensure_login_key(str(tmp_path / "id_ed25519"))
    assert created
    return key


def test_login_key_is_private_and_kept(tmp_path, login):
    path = tmp_path / "id_ed25519"
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    again, created = ssh.ensure_login_key(str(path))
    assert not created and ssh.private_key_public_line(again) == ssh.private_key_public_line(login)
    assert (tmp_path / "id_ed25519.pub").read_text().startswith("ssh-ed25519 ")


def test_certificate_says_what_it_was_signed_for(ca, login):
    certificate = ssh.sign_user_certificate(ca, login.public_key(), ["dataplatform-dev"], "automation", 2 * HOUR, now=NOW)
    described = ssh.describe_certificate(certificate)
    assert described["principals"] == ["dataplatform-dev"] and described["key_id"] == "automation"
    assert described["valid_after"] == "2026-11-30T11:55:00Z" and described["valid_before"] == "2026-11-30T14:00:00Z"
    assert ssh.same_public_key(described["ca_public_key"], ssh.private_key_public_line(ca))
    assert ssh.same_public_key(described["public_key"], ssh.private_key_public_line(login))


def test_openssh_reads_the_certificate(tmp_path, ca, login):
    path = tmp_path / "id_ed25519-cert.pub"
    path.write_bytes(ssh.sign_user_certificate(ca, login.public_key(), ["dataplatform-dev"], "automation", HOUR))
    shown = subprocess.run(["ssh-keygen", "-L", "-f", str(path)], capture_output=True, text=True, check=True).stdout
    assert "user certificate" in shown and "dataplatform-dev" in shown and "permit-pty" in shown


@pytest.mark.parametrize("case, expected", [
    ("fresh", None),
    ("missing", "no certificate yet"),
    ("garbage", "the certificate cannot be read"),
    ("other key", "the certificate is for another key"),
    ("other principals", "the principals changed"),
    ("untrusted CA", "its CA is no longer trusted"),
    ("expiring", "it expires within 30 minutes"),
])
def test_renewal_reasons(ca, login, case, expected):
    key, principals, now, trusted = login, ["dataplatform-dev"], NOW, [ssh.private_key_public_line(ca)]
    if case == "other key":
        key = ed25519.Ed25519PrivateKey.generate()
    certificate = ssh.sign_user_certificate(ca, key.public_key(), principals, "automation", 2 * HOUR, now=NOW)
    certificate = {"missing": b"", "garbage": b"ssh-ed25519-cert-v01@openssh.com AAAA"}.get(case, certificate)
    if case == "other principals":
        principals = ["dataplatform-prod"]
    if case == "untrusted CA":
        trusted = [ssh.private_key_public_line(ed25519.Ed25519PrivateKey.generate())]
    if case == "expiring":
        now = NOW + 2 * HOUR - datetime.timedelta(minutes=10)
    reason = ssh.certificate_renewal_reason(certificate, ssh.private_key_public_line(login), principals,
                                            datetime.timedelta(minutes=30), trusted, now=now)
    assert reason == expected


def test_host_keys_come_from_the_last_block_of_the_console_whatever_the_prefix():
    console = "\n".join([
        "[  OK  ] Started ssh.service",
        "-----BEGIN SSH HOST KEY KEYS-----",
        "ssh-ed25519 AAAAold root@old",
        "-----END SSH HOST KEY KEYS-----",
        "[ 2070.9] sh[52]: -----BEGIN SSH HOST KEY KEYS-----",
        "[ 2070.9] sh[52]: ecdsa-sha2-nistp256 AAAAE2Vj= root@host",
        "ec2: ssh-ed25519 AAAAC3Nz root@host",
        "[ 2070.9] sh[52]: -----END SSH HOST KEY KEYS-----",
        "-----BEGIN SSH HOST KEY KEYS-----",
        "ssh-ed25519 AAAAtruncated",
    ])
    assert ssh.host_keys_in_console(console) == [("ecdsa-sha2-nistp256", "AAAAE2Vj="), ("ssh-ed25519", "AAAAC3Nz")]
    assert ssh.host_keys_in_console("[  OK  ] Reached target multi-user.target") == []


def test_known_hosts_pins_by_instance_and_drops_an_address_another_instance_had():
    known = ssh.KnownHosts()
    known.set_host("i-old", ["10.0.128.4", "ip-10-0-128-4"], [("ssh-ed25519", "AAAAold")])
    known.set_host("i-two", ["10.0.128.5"], [("ssh-ed25519", "AAAAtwo"), ("ecdsa-sha2-nistp256", "AAAAecd")])
    again = ssh.KnownHosts(known.render())
    assert again.keys_of("i-two", ["10.0.128.5"]) == [("ecdsa-sha2-nistp256", "AAAAecd"), ("ssh-ed25519", "AAAAtwo")]
    assert again.keys_of("i-two", ["10.0.128.5", "other"]) == []
    again.set_host("i-new", ["10.0.128.4"], [("ssh-ed25519", "AAAAnew")])
    assert again.keys_of("i-old", ["10.0.128.4", "ip-10-0-128-4"]) == []
    assert "10.0.128.4 ssh-ed25519 AAAAnew i-new" in again.render().splitlines()


def test_console_output_is_decoded_from_base64():
    assert ssh.decode_console_output({"Output": "aGVsbG8="}) == "hello"
    assert ssh.decode_console_output({}) == ""
