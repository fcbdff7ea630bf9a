#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import annotations

DOCUMENTATION = r"""
module: ssh_login_certificate
short_description: A short-lived SSH login certificate from the environment's user CA
version_added: 0.1.0
description:
  - Keeps an SSH key pair on the controller (ed25519, made when missing, mode 0600) and a user
    certificate for it, C(<key_path>-cert.pub), signed by the environment's SSH user CA, whose
    private key is read from Secrets Manager only when a certificate has to be signed.
  - A new certificate is signed when there is none, when it is for another key, names other
    principals, comes from a CA no longer in O(trusted_ca_public_keys), or expires within
    O(renew_before) minutes. Otherwise nothing is read from AWS.
  - Hosts accept the certificate for their login user when it names one of their principals
    (Terraform's ssh-user-ca module and the asg-hosts user data). OpenSSH picks the certificate
    up beside the key.
options:
  key_path:
    description: Path of the private key; the public key and the certificate are written beside it.
    type: path
    required: true
  ca_secret:
    description: Name or ARN of the secret holding the CA's OpenSSH private key.
    type: str
    required: true
  principals:
    description: Principals the certificate names (the environment's, for example C(dataplatform-prod)).
    type: list
    elements: str
    required: true
  key_id:
    description: Identity written into the certificate, which the hosts log with every login.
    type: str
    default: dataplatform-automation
  validity:
    description: Minutes a new certificate is valid.
    type: int
    default: 120
  renew_before:
    description: Minutes of validity below which the certificate is signed again.
    type: int
    default: 30
  trusted_ca_public_keys:
    description:
      - The CA public keys the hosts trust (C(ssh.user_ca_public_keys) of the platform document). A
        certificate from another CA is replaced, and a CA key in the secret that is not among these
        is refused. Empty skips both checks.
    type: list
    elements: str
    default: []
notes:
  - In check mode nothing is written and nothing is read from Secrets Manager; the result says
    whether a certificate would be signed. A playbook that needs the certificate to connect runs
    this task with C(check_mode=false), since the certificate is a controller-local credential.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
author:
  - dataplatform-ops maintainers (@dataplatform-ops)
"""

EXAMPLES = r"""
- name: A login certificate for the prod hosts
  dataplatform.ops.ssh_login_certificate:
    key_path: ~/.ssh/dataplatform-prod/id_ed25519
    ca_secret: "{{ dataplatform_platform.ssh.user_ca_secret_arn }}"
    principals: ["{{ dataplatform_platform.ssh.principal }}"]
    trusted_ca_public_keys: "{{ dataplatform_platform.ssh.user_ca_public_keys }}"
  check_mode: false
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
certificate_path:
  description: Path of the certificate.
  returned: always
  type: str
  sample: /home/awx/.ssh/dataplatform-prod/id_ed25519-cert.pub
renewal_reason:
  description: Why a certificate was (or in check mode would be) signed; null when the current one is kept.
  returned: always
  type: str
  sample: it expires within 30 minutes
certificate:
  description: What the certificate in place says (absent in check mode before the first one).
  returned: when a certificate is in place
  type: dict
  contains:
    serial: {description: Serial number., type: int, returned: always}
    key_id: {description: The identity in the certificate., type: str, returned: always}
    principals: {description: The principals it names., type: list, elements: str, returned: always}
    valid_after: {description: Start of its validity (UTC)., type: str, returned: always}
    valid_before: {description: End of its validity (UTC)., type: str, returned: always}
  sample: {serial: 1234567, key_id: dataplatform-automation, principals: [dataplatform-prod],
           valid_after: "2026-11-30T08:00:00Z", valid_before: "2026-11-30T10:05:00Z"}
"""

import datetime
import os

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible.module_utils.common.text.converters import to_bytes
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.dataplatform.ops.plugins.module_utils import ssh


def read_ca(module, client, trusted):
    secret = module.params["ca_secret"]
    try:
        value = client.get_secret_value(SecretId=secret, aws_retry=True)
    except client.exceptions.ResourceNotFoundException:
        module.fail_json(msg="%s does not exist or holds no key yet: upload the CA's private key with "
                             "ansible/playbooks/ssh-user-ca.yml (terraform/modules/ssh-user-ca/README.md)" % secret)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
        module.fail_json_aws(error, msg="Could not read the SSH user CA from %s" % secret)
    try:
        ca_key = ssh.load_private_key(to_bytes(value.get("SecretString") or value.get("SecretBinary") or b""))
    except (ValueError, TypeError):
        module.fail_json(msg="%s does not hold an OpenSSH private key without passphrase" % secret)
    if trusted and not any(ssh.same_public_key(ssh.private_key_public_line(ca_key), key) for key in trusted):
        module.fail_json(msg="the CA key in %s is not one the hosts trust (ssh.user_ca_public_keys of the platform "
                             "document): hosts would refuse its certificates" % secret)
    return ca_key


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            key_path=dict(type="path", required=True, no_log=False),
            ca_secret=dict(type="str", required=True, no_log=False),
            principals=dict(type="list", elements="str", required=True),
            key_id=dict(type="str", default="dataplatform-automation"),
            validity=dict(type="int", default=120),
            renew_before=dict(type="int", default=30),
            trusted_ca_public_keys=dict(type="list", elements="str", default=[], no_log=False),
        ),
        supports_check_mode=True,
    )
    if not ssh.HAS_CRYPTOGRAPHY:
        module.fail_json(msg="the Python cryptography library is needed on the controller")
    params = module.params
    if not params["principals"] or params["validity"] <= params["renew_before"] or params["renew_before"] < 0:
        module.fail_json(msg="principals must not be empty, and validity must be longer than renew_before (minutes)")
    key_path = params["key_path"]
    certificate_path = key_path + "-cert.pub"
    folder = os.path.dirname(key_path)
    result = {"changed": False, "certificate_path": certificate_path, "renewal_reason": None}

    if not os.path.exists(key_path) and module.check_mode:
        result.update(changed=True, renewal_reason="no key yet")
        module.exit_json(**result)
    if folder and not os.path.isdir(folder):
        os.makedirs(folder, mode=0o700)
    key, key_created = ssh.ensure_login_key(key_path)
    public_line = ssh.private_key_public_line(key)
    current = b""
    if os.path.exists(certificate_path):
        with open(certificate_path, "rb") as stream:
            current = stream.read().strip()
    reason = ssh.certificate_renewal_reason(current, public_line, params["principals"],
                                            datetime.timedelta(minutes=params["renew_before"]),
                                            params["trusted_ca_public_keys"])
    result["renewal_reason"] = reason
    if reason and not module.check_mode:
        client = module.client("secretsmanager", retry_decorator=AWSRetry.jittered_backoff())
        ca_key = read_ca(module, client, params["trusted_ca_public_keys"])
        current = ssh.sign_user_certificate(ca_key, key.public_key(), params["principals"], params["key_id"],
                                            datetime.timedelta(minutes=params["validity"]))
        with open(certificate_path, "wb") as stream:
            stream.write(current + b"\n")
        os.chmod(certificate_path, 0o644)
    if current:
        described = ssh.describe_certificate(current)
        result["certificate"] = {name: described[name] for name in ("serial", "key_id", "principals", "valid_after", "valid_before")}
    result["changed"] = bool(reason) or key_created
    module.exit_json(**result)


if __name__ == "__main__":
    main()
