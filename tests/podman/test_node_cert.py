"""The node_cert role on two podman hosts, with the moto server as the environment's CA.

The controller calls the CA (the role's design; see its README), so the hosts never need to reach
the moto server on the controller's loopback. Everything else is real: keys made on the hosts,
CSRs, certificates, PKCS#12 files read by Java's keytool, and a mutual-TLS handshake between the
two hosts with the installed material.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess

import yaml
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from ansible_collections.dataplatform.ops.plugins.module_utils.identity import dn_of_name
from tests.conftest import REPO_ROOT
from emulator.client import count_actions
from sandbox.podman_hosts import podman
from tests.harness.private_ca import ca_certificate, create_root_ca, write_platform_parameter

PKI = "/etc/dataplatform/pki/node"
NLB = "nifi-local-0123456789.elb.eu-west-1.amazonaws.com"
PLAYBOOK = """
- name: Node certificates
  hosts: hosts
  gather_facts: true
  roles:
    - role: dataplatform.ops.node_cert
"""


def converge(tmp_path, hosts, *args, host_vars=None):
    inventory = hosts.inventory(host_vars={"dataplatform_env": "local"})
    for name, variables in (host_vars or {}).items():
        inventory["all"]["children"]["hosts"]["hosts"][name].update(variables)
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
    (tmp_path / "playbook.yml").write_text(PLAYBOOK)
    result = subprocess.run(
        ["ansible-playbook", "-i", str(tmp_path / "inventory.yml"), str(tmp_path / "playbook.yml"), *args],
        cwd=REPO_ROOT,
        env={**os.environ, "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1", "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"},
        capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    return json.loads(result.stdout), result.stdout + result.stderr


def read(host, path, binary=False):
    completed = subprocess.run(["podman", "exec", host, "cat", path], capture_output=True, check=True, timeout=60)
    return completed.stdout if binary else completed.stdout.decode()


def mode_and_owner(host, path):
    return podman("exec", host, "stat", "-c", "%a %U", path).stdout.strip()


def keytool_list(tmp_path, host, store):
    (tmp_path / f"{host}-{store}.p12").write_bytes(read(host, f"{PKI}/{store}.p12", binary=True))
    (tmp_path / f"{host}-{store}.password").write_text(read(host, f"{PKI}/{store}.password"))
    return subprocess.run(
        ["keytool", "-list", "-v", "-storetype", "PKCS12", "-keystore", str(tmp_path / f"{host}-{store}.p12"),
         "-storepass:file", str(tmp_path / f"{host}-{store}.password")],
        capture_output=True, text=True, check=True, timeout=60).stdout


def snapshot(host):
    return {name: hashlib.sha256(read(host, f"{PKI}/{name}", binary=True)).hexdigest()
            for name in ("key.pem", "cert.pem", "keystore.p12", "truststore.p12", "keystore.password",
                         "truststore.password")}


def ip_of(host):
    return podman("exec", host, "hostname", "-I").stdout.split()[0]


def mutual_tls_handshake(server, client):
    """openssl s_server on one host, requiring a client certificate; s_client from the other."""
    podman("exec", "-d", server, "sh", "-c",
           f"openssl s_server -accept 9443 -cert {PKI}/cert.pem -key {PKI}/key.pem -CAfile {PKI}/chain.pem "
           f"-Verify 1 -verify_return_error -naccept 1 -www > /tmp/s_server.log 2>&1")
    podman("exec", server, "sh", "-c", "for i in $(seq 50); do ss -ltn | grep -q :9443 && exit 0; sleep 0.2; done; exit 1")
    return podman(
        "exec", client, "sh", "-c",
        f"echo | openssl s_client -connect {ip_of(server)}:9443 -servername {server} -verify_hostname {server} "
        f"-cert {PKI}/cert.pem -key {PKI}/key.pem -CAfile {PKI}/chain.pem -verify_return_error -brief 2>&1",
        check=False)


def test_node_cert_converges_is_idempotent_and_renews(moto, podman_hosts, tmp_path):
    ca_arn = create_root_ca("local")
    write_platform_parameter("local", {"pca": {"arn": ca_arn}, "nifi": {"nlb_dns_name": NLB}})
    ca = x509.load_pem_x509_certificate(ca_certificate(ca_arn).encode())
    hosts = podman_hosts(2, prefix="node-cert")
    moto.clear_requests()

    first, first_output = converge(tmp_path, hosts)

    assert count_actions(moto.requests()).get("acm-pca:IssueCertificate") == 2
    for host in hosts.names:
        for name in ("key.pem", "keystore.p12", "truststore.p12", "keystore.password", "truststore.password"):
            assert mode_and_owner(host, f"{PKI}/{name}") == "600 root", name
        assert mode_and_owner(host, PKI) == "750 root"
        key_body = "".join(read(host, f"{PKI}/key.pem").splitlines()[1:-1])
        assert key_body[:64] not in first_output and key_body[-64:] not in first_output

        certificate = x509.load_pem_x509_certificate(read(host, f"{PKI}/cert.pem").encode())
        certificate.verify_directly_issued_by(ca)
        assert dn_of_name(certificate.subject) == f"CN={host}, OU=Nodes, O=Platform"
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert {host, NLB} <= set(names.get_values_for_type(x509.DNSName))
        assert ip_of(host) in {str(ip) for ip in names.get_values_for_type(x509.IPAddress)}
        usages = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        assert {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH} <= set(usages)

        keystore = keytool_list(tmp_path, host, "keystore")
        assert "Alias name: node" in keystore and "Entry type: PrivateKeyEntry" in keystore
        assert f"Owner: CN={host}, OU=Nodes, O=Platform" in keystore
        truststore = keytool_list(tmp_path, host, "truststore")
        assert "Entry type: trustedCertEntry" in truststore and "Owner: CN=Data Platform local CA, O=Platform" in truststore

    handshake = mutual_tls_handshake(hosts.names[0], hosts.names[1])
    assert handshake.returncode == 0 and "Verification: OK" in handshake.stdout, handshake.stdout + handshake.stderr

    # Idempotence: nothing changes, nothing is issued; check mode agrees and calls no mutating API.
    before = {host: snapshot(host) for host in hosts.names}
    moto.clear_requests()
    second, _ = converge(tmp_path, hosts)
    assert all(stats["changed"] == 0 for stats in second["stats"].values()), second["stats"]
    checked, _ = converge(tmp_path, hosts, "--check", "--diff")
    assert all(stats["changed"] == 0 for stats in checked["stats"].values()), checked["stats"]
    assert not [r for r in moto.requests() if r["service"] == "acm-pca"]
    assert {host: snapshot(host) for host in hosts.names} == before

    # Renewal: forced on one host, inside the window on the other (moto's certificates live 365
    # days, so a 400-day window reaches them). Both replace certificate and keystore, and keep
    # the key and the passwords.
    forced, windowed = hosts.names
    moto.clear_requests()
    converge(tmp_path, hosts, host_vars={forced: {"node_cert_force_renew": True},
                                         windowed: {"node_cert_renew_before_days": 400}})
    assert count_actions(moto.requests()).get("acm-pca:IssueCertificate") == 2
    for host in hosts.names:
        after = snapshot(host)
        assert after["cert.pem"] != before[host]["cert.pem"]
        assert after["keystore.p12"] != before[host]["keystore.p12"]
        for unchanged in ("key.pem", "keystore.password", "truststore.password"):
            assert after[unchanged] == before[host][unchanged]
        assert f"Owner: CN={host}, OU=Nodes, O=Platform" in keytool_list(tmp_path, host, "keystore")
    handshake = mutual_tls_handshake(windowed, forced)
    assert handshake.returncode == 0 and "Verification: OK" in handshake.stdout, handshake.stdout + handshake.stderr
