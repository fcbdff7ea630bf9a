"""dataplatform.ops.acmpca_certificate and acmpca_info against the moto server, from a playbook."""

from __future__ import annotations

import json
import os
import subprocess

import boto3
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from tests.conftest import REPO_ROOT
from tests.harness.private_ca import ca_certificate, create_root_ca, revoked_serials

PLAYBOOK = """
- name: ACM Private CA modules
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - name: Describe the active CA
      dataplatform.ops.acmpca_info:
        certificate_authority_arn: "{{ ca_arn }}"
      register: active

    - name: Describe a CA that has no certificate yet
      dataplatform.ops.acmpca_info:
        arn: "{{ pending_arn }}"
      register: pending

    - name: Make a key and a CSR
      community.crypto.openssl_privatekey_pipe:
        size: 2048
      register: key
      no_log: true

    - name: Make the CSR
      community.crypto.openssl_csr_pipe:
        privatekey_content: "{{ key.privatekey }}"
        subject_ordered: "{{ {'common_name': 'svc-1', 'organizational_unit': 'Nodes', 'organization': 'Platform'} | dataplatform.ops.subject_rdns }}"
        subject_alt_name: ["DNS:svc-1.internal"]
      register: csr

    - name: Plan an issuance (check mode)
      dataplatform.ops.acmpca_certificate:
        certificate_authority_arn: "{{ ca_arn }}"
        csr: "{{ csr.csr }}"
        validity_days: 30
      check_mode: true
      register: planned

    - name: Issue
      dataplatform.ops.acmpca_certificate:
        certificate_authority_arn: "{{ ca_arn }}"
        csr: "{{ csr.csr }}"
        validity_days: 30
      register: issued

    - name: Plan a revocation (check mode)
      dataplatform.ops.acmpca_certificate:
        certificate_authority_arn: "{{ ca_arn }}"
        state: revoked
        serial: "{{ issued.serial | replace(':', '') | upper }}"
      check_mode: true
      register: planned_revocation

    - name: Revoke
      dataplatform.ops.acmpca_certificate:
        certificate_authority_arn: "{{ ca_arn }}"
        state: revoked
        serial: "{{ issued.serial | replace(':', '') | upper }}"
        revocation_reason: KEY_COMPROMISE
      register: revoked

    - name: Hand the results to the test
      ansible.builtin.copy:
        content: "{{ {'active': active, 'pending': pending, 'planned': planned, 'issued': issued,
                      'planned_revocation': planned_revocation, 'revoked': revoked} | to_json }}"
        dest: "{{ results_file }}"
        mode: "0600"
"""


def test_info_issue_and_revoke(moto, tmp_path):
    ca_arn = create_root_ca("dev")
    pending_arn = boto3.client("acm-pca").create_certificate_authority(
        CertificateAuthorityConfiguration={"KeyAlgorithm": "RSA_2048", "SigningAlgorithm": "SHA256WITHRSA",
                                           "Subject": {"CommonName": "pending"}},
        CertificateAuthorityType="SUBORDINATE")["CertificateAuthorityArn"]
    moto.clear_requests()
    (tmp_path / "playbook.yml").write_text(PLAYBOOK)
    results_file = tmp_path / "results.json"

    result = subprocess.run(
        ["ansible-playbook", "-i", "localhost,", str(tmp_path / "playbook.yml"),
         "-e", f"ca_arn={ca_arn}", "-e", f"pending_arn={pending_arn}", "-e", f"results_file={results_file}"],
        cwd=REPO_ROOT, env=os.environ, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    results = json.loads(results_file.read_text())

    active = results["active"]["certificate_authority"]
    assert (active["status"], active["type"], active["signing_algorithm"]) == ("ACTIVE", "ROOT", "SHA256WITHRSA")
    assert active["certificate"].strip() == ca_certificate(ca_arn).strip()
    pending = results["pending"]["certificate_authority"]
    assert (pending["status"], pending["certificate"]) == ("PENDING_CERTIFICATE", None)

    assert results["planned"]["changed"] and "certificate" not in results["planned"]
    issued = results["issued"]
    certificate = x509.load_pem_x509_certificate(issued["certificate"].encode())
    certificate.verify_directly_issued_by(x509.load_pem_x509_certificate(issued["certificate_chain"].encode()))
    assert issued["subject_dn"] == "CN=svc-1, OU=Nodes, O=Platform"
    assert issued["serial"] == ":".join(f"{b:02x}" for b in certificate.serial_number.to_bytes(
        (certificate.serial_number.bit_length() + 7) // 8, "big"))
    usages = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH} <= set(usages)

    assert results["planned_revocation"]["changed"] and results["revoked"]["changed"]
    assert results["revoked"]["serial"] == issued["serial"]
    assert revoked_serials(moto.endpoint) == {issued["serial"]: "KEY_COMPROMISE"}

    pca_requests = [r for r in moto.requests() if r["service"] == "acm-pca"]
    assert [r["action"] for r in pca_requests if r["action"] in ("IssueCertificate", "RevokeCertificate")] == [
        "IssueCertificate", "RevokeCertificate"]  # check mode called neither
    issue_params = next(r["params"] for r in pca_requests if r["action"] == "IssueCertificate")
    assert issue_params == {"CertificateAuthorityArn": ca_arn, "TemplateArn": "arn:aws:acm-pca:::template/EndEntityCertificate/V1",
                            "Validity": {"Type": "DAYS", "Value": 30}, "SigningAlgorithm": "SHA256WITHRSA"}
