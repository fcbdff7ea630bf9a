#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

DOCUMENTATION = r"""
module: acmpca_certificate
short_description: Issues a certificate from a CSR with ACM Private CA, or revokes one
version_added: 0.1.0
description:
  - With O(state=present), asks an AWS Private Certificate Authority to issue a certificate for
    a PEM certificate signing request, waits until it is issued and returns the certificate, the
    chain and the facts the platform records (serial, validity, SHA-256 fingerprint, NiFi identity).
    Issuing is an action, not a state; every run that reaches it issues a new certificate, so
    callers decide beforehand whether one is due (the C(node_cert) role does).
  - With O(state=revoked), revokes a certificate by serial number. Revoking a serial the CA has
    already revoked reports no change.
  - The private key never passes through this module; only the CSR does.
  - In check mode nothing is issued or revoked, and the module reports a change.
author: dataplatform-ops maintainers (@dataplatform-ops)
options:
  certificate_authority_arn:
    description: ARN of the certificate authority.
    type: str
    required: true
    aliases: [pca_arn]
  state:
    description: V(present) issues a certificate, V(revoked) revokes one.
    type: str
    choices: [present, revoked]
    default: present
  csr:
    description: The certificate signing request (PEM). Required with O(state=present).
    type: str
  validity_days:
    description: Validity of the certificate in days. Required with O(state=present).
    type: int
  template_arn:
    description:
      - The certificate template; it decides the extensions (key usage, extended key usage).
      - The default, C(EndEntityCertificate/V1), gives server and client authentication (node certificates);
        C(arn:aws:acm-pca:::template/EndEntityClientAuthCertificate/V1) gives client authentication only.
    type: str
    default: arn:aws:acm-pca:::template/EndEntityCertificate/V1
  signing_algorithm:
    description:
      - Algorithm the CA signs with. It must match the CA's key type.
      - Defaults to the CA's own signing algorithm (one DescribeCertificateAuthority call).
    type: str
    choices: [SHA256WITHECDSA, SHA384WITHECDSA, SHA512WITHECDSA, SHA256WITHRSA, SHA384WITHRSA, SHA512WITHRSA,
              SM3WITHSM2, ML_DSA_44, ML_DSA_65, ML_DSA_87]
  idempotency_token:
    description:
      - Token that makes a repeated IssueCertificate call (within five minutes) return the same certificate.
      - Defaults to a digest of the CSR, so a retried run for the same CSR does not issue twice.
    type: str
  wait_timeout:
    description: Seconds to wait for the certificate to be issued.
    type: int
    default: 120
  serial:
    description:
      - Serial number of the certificate to revoke, in hexadecimal (C(4c:1c:...) or C(4C1C...)).
        Required with O(state=revoked).
    type: str
  revocation_reason:
    description: Why the certificate is revoked.
    type: str
    default: UNSPECIFIED
    choices: [UNSPECIFIED, KEY_COMPROMISE, CERTIFICATE_AUTHORITY_COMPROMISE, AFFILIATION_CHANGED, SUPERSEDED,
              CESSATION_OF_OPERATION, PRIVILEGE_WITHDRAWN, A_A_COMPROMISE]
requirements:
  - cryptography (to read the issued certificate's facts)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Make a CSR on the host (the key stays there)
  community.crypto.openssl_csr_pipe:
    privatekey_path: /etc/dataplatform/pki/node/key.pem
    subject_ordered: "{{ {'common_name': inventory_hostname} | dataplatform.ops.subject_rdns }}"
  register: csr

- name: Have it signed by the environment's CA (from the controller)
  dataplatform.ops.acmpca_certificate:
    certificate_authority_arn: "{{ pca_arn }}"
    csr: "{{ csr.csr }}"
    validity_days: 365
  delegate_to: localhost
  become: false
  register: issued

- name: Revoke a certificate that was superseded
  dataplatform.ops.acmpca_certificate:
    certificate_authority_arn: "{{ pca_arn }}"
    state: revoked
    serial: "{{ issued.serial }}"
    revocation_reason: SUPERSEDED
"""

RETURN = r"""
certificate_arn:
  description: ARN of the issued certificate.
  returned: state=present, not in check mode
  type: str
certificate:
  description: The issued certificate (PEM).
  returned: state=present, not in check mode
  type: str
certificate_chain:
  description: The chain of the issuing CA (PEM), empty when the CA returns none.
  returned: state=present, not in check mode
  type: str
serial:
  description: Serial number, lower-case hex bytes joined by colons (the form RevokeCertificate takes).
  returned: always
  type: str
  sample: 4c:1c:0d:5b:6a:04:12:5e:2c:9c:fb:52:37:35:98:fe
not_before:
  description: Start of validity, UTC (ISO 8601).
  returned: state=present, not in check mode
  type: str
  sample: "2026-11-27T12:00:00Z"
not_after:
  description: End of validity, UTC (ISO 8601).
  returned: state=present, not in check mode
  type: str
  sample: "2027-11-27T12:00:00Z"
fingerprint_sha256:
  description: SHA-256 fingerprint of the certificate, hex bytes joined by colons.
  returned: state=present, not in check mode
  type: str
subject_dn:
  description: The certificate's subject as NiFi compares it (P(dataplatform.ops.subject_dn#filter)).
  returned: state=present, not in check mode
  type: str
  sample: CN=ip-10-0-1-23.eu-west-1.compute.internal, OU=Nodes, O=Platform
revocation_reason:
  description: The reason the certificate was revoked with.
  returned: state=revoked
  type: str
"""

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.dataplatform.ops.plugins.module_utils import acmpca, pki


def normalized_serial(text):
    digits = text.replace(":", "").strip().lower()
    int(digits, 16)  # raises ValueError for anything but hex
    return pki.serial_hex(int(digits, 16))


def issue(module, client):
    params = module.params
    if module.check_mode:
        module.exit_json(changed=True, serial=None)
    signing_algorithm = params["signing_algorithm"] or acmpca.describe_certificate_authority(
        client, params["certificate_authority_arn"], with_certificate=False)["signing_algorithm"]
    issued = acmpca.issue_certificate(
        client, params["certificate_authority_arn"], params["csr"].strip() + "\n", params["validity_days"],
        params["template_arn"], signing_algorithm, token=params["idempotency_token"],
        wait_seconds=params["wait_timeout"])
    facts = pki.certificate_facts(pki.load_certificates(issued["certificate"])[0])
    module.exit_json(changed=True, **issued, **facts)


def revoke(module, client):
    params = module.params
    try:
        serial = normalized_serial(params["serial"])
    except ValueError:
        module.fail_json(msg="serial %r is not a hexadecimal serial number" % params["serial"])
    if module.check_mode:
        module.exit_json(changed=True, serial=serial, revocation_reason=params["revocation_reason"])
    changed = acmpca.revoke_certificate(client, params["certificate_authority_arn"], serial,
                                        params["revocation_reason"])
    module.exit_json(changed=changed, serial=serial, revocation_reason=params["revocation_reason"])


def main():
    module = AnsibleAWSModule(
        argument_spec={
            "certificate_authority_arn": {"type": "str", "required": True, "aliases": ["pca_arn"]},
            "state": {"type": "str", "choices": ["present", "revoked"], "default": "present"},
            "csr": {"type": "str"},
            "validity_days": {"type": "int"},
            "template_arn": {"type": "str", "default": acmpca.END_ENTITY_TEMPLATE},
            "signing_algorithm": {"type": "str", "choices": list(acmpca.SIGNING_ALGORITHMS)},
            "idempotency_token": {"type": "str", "no_log": False},
            "wait_timeout": {"type": "int", "default": 120},
            "serial": {"type": "str"},
            "revocation_reason": {"type": "str", "default": "UNSPECIFIED", "choices": list(acmpca.REVOCATION_REASONS)},
        },
        required_if=[("state", "present", ("csr", "validity_days")), ("state", "revoked", ("serial",))],
        supports_check_mode=True,
    )
    if not pki.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib("cryptography"))
    if module.params["state"] == "present" and module.params["validity_days"] < 1:
        module.fail_json(msg="validity_days must be at least 1")
    client = module.client("acm-pca", retry_decorator=AWSRetry.jittered_backoff())
    try:
        if module.params["state"] == "present":
            issue(module, client)
        else:
            revoke(module, client)
    except acmpca.PcaError as error:
        module.fail_json_aws(error.cause or error, msg=str(error))


if __name__ == "__main__":
    main()
