#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import annotations

DOCUMENTATION = r"""
module: ssh_user_ca
short_description: Put an environment's SSH user CA private key into its Secrets Manager secret
version_added: 0.1.0
description:
  - The bootstrap of an environment's SSH access, as terraform/modules/ssh-user-ca/README.md
    describes it. Terraform makes the secret C(dataplatform/<env>/ssh/user-ca) and gives the hosts
    the CA's public key; this module stores the matching private key in that secret.
  - The key is refused unless its public half is one the hosts trust (O(trusted_public_keys)), so
    a wrong file cannot lock everyone out. A secret that already holds the same key is left alone;
    one holding another key is replaced only with O(replace=true) (a rotation).
  - The key is never returned or logged, and diff mode shows no content.
options:
  secret:
    description: Name or ARN of the secret (Terraform's ssh-user-ca module makes it).
    type: str
    required: true
  private_key_path:
    description: File with the CA's OpenSSH private key, without passphrase.
    type: path
    required: true
  trusted_public_keys:
    description: The CA public keys the hosts trust (C(ssh.user_ca_public_keys) of the platform document).
    type: list
    elements: str
    required: true
  replace:
    description: Replace a different key already in the secret.
    type: bool
    default: false
notes:
  - Check mode reads the secret and reports whether it would be written.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
author:
  - dataplatform-ops maintainers (@dataplatform-ops)
"""

EXAMPLES = r"""
- name: Store the prod SSH user CA
  dataplatform.ops.ssh_user_ca:
    secret: "{{ dataplatform_platform.ssh.user_ca_secret_arn }}"
    private_key_path: ./dataplatform-prod-user-ca
    trusted_public_keys: "{{ dataplatform_platform.ssh.user_ca_public_keys }}"
"""

RETURN = r"""
public_key:
  description: The CA's public key (the line the hosts trust).
  returned: always
  type: str
  sample: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGg2qPq8wM0xW7H3yQ5mWcJp0mZrNfY1tL4uH2e7s9dX
replaced:
  description: Whether a different key was in the secret before.
  returned: always
  type: bool
  sample: false
"""

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.dataplatform.ops.plugins.module_utils import ssh


def stored_key(module, client, secret):
    """The private key in the secret, or None when the secret holds no value yet."""
    try:
        value = client.get_secret_value(SecretId=secret, aws_retry=True)
    except client.exceptions.ResourceNotFoundException:
        try:
            client.describe_secret(SecretId=secret, aws_retry=True)
        except client.exceptions.ResourceNotFoundException:
            module.fail_json(msg="%s does not exist: Terraform's ssh-user-ca module makes it (terraform apply first)" % secret)
        return None
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
        module.fail_json_aws(error, msg="Could not read %s" % secret)
    try:
        return ssh.load_private_key(to_bytes(value.get("SecretString") or value.get("SecretBinary") or b""))
    except (ValueError, TypeError):
        return False  # something else is stored there


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            secret=dict(type="str", required=True, no_log=False),
            private_key_path=dict(type="path", required=True, no_log=False),
            trusted_public_keys=dict(type="list", elements="str", required=True, no_log=False),
            replace=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    if not ssh.HAS_CRYPTOGRAPHY:
        module.fail_json(msg="the Python cryptography library is needed on the controller")
    params = module.params
    try:
        with open(params["private_key_path"], "rb") as stream:
            key = ssh.load_private_key(stream.read())
    except (OSError, ValueError, TypeError) as error:
        module.fail_json(msg="%s is not a readable OpenSSH private key without passphrase: %s"
                             % (params["private_key_path"], to_text(error)))
    public_line = ssh.private_key_public_line(key)
    if not any(ssh.same_public_key(public_line, trusted) for trusted in params["trusted_public_keys"]):
        module.fail_json(msg="the key in %s is not one the hosts trust (ssh_user_ca_public_keys in the environment's "
                             "terraform.tfvars, applied): its certificates would be refused" % params["private_key_path"],
                         public_key=public_line)

    client = module.client("secretsmanager", retry_decorator=AWSRetry.jittered_backoff())
    current = stored_key(module, client, params["secret"])
    result = {"public_key": public_line, "replaced": False, "changed": False}
    if current and ssh.same_public_key(ssh.private_key_public_line(current), public_line):
        module.exit_json(**result)
    if current is not None and not params["replace"]:
        module.fail_json(msg="%s already holds another key; set replace=true to rotate to this one" % params["secret"],
                         **result)
    result.update(changed=True, replaced=current is not None)
    if not module.check_mode:
        try:
            client.put_secret_value(SecretId=params["secret"], SecretString=to_text(ssh.openssh_private_bytes(key)),
                                    aws_retry=True)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
            module.fail_json_aws(error, msg="Could not store the key in %s" % params["secret"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
