#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

DOCUMENTATION = r"""
module: acmpca_info
short_description: Describes an ACM Private CA certificate authority, with its certificate and chain
version_added: 0.1.0
description:
  - Returns the status, type, usage mode, key and signing algorithms and subject of an AWS
    Private Certificate Authority, and, when it is C(ACTIVE), its certificate and chain (PEM).
  - Neither C(amazon.aws) nor C(community.aws) has modules for AWS Private CA.
author: dataplatform-ops maintainers (@dataplatform-ops)
options:
  certificate_authority_arn:
    description: ARN of the certificate authority.
    type: str
    required: true
    aliases: [arn, pca_arn]
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read the environment's CA
  dataplatform.ops.acmpca_info:
    certificate_authority_arn: "{{ platform.pca.arn }}"
  register: ca

- name: Install the CA chain as a trust anchor
  ansible.builtin.copy:
    content: "{{ ca.certificate_authority.certificate }}\n{{ ca.certificate_authority.certificate_chain | default('', true) }}"
    dest: /etc/dataplatform/pki/ca.pem
    mode: "0644"
"""

RETURN = r"""
certificate_authority:
  description: The certificate authority.
  returned: always
  type: dict
  contains:
    arn:
      description: Its ARN.
      type: str
    status:
      description: C(CREATING), C(PENDING_CERTIFICATE), C(ACTIVE), C(DELETED), C(DISABLED), C(EXPIRED) or C(FAILED).
      type: str
      sample: ACTIVE
    type:
      description: C(ROOT) or C(SUBORDINATE).
      type: str
      sample: ROOT
    usage_mode:
      description: C(GENERAL_PURPOSE) or C(SHORT_LIVED_CERTIFICATE).
      type: str
      sample: GENERAL_PURPOSE
    key_algorithm:
      description: Algorithm of the CA's key.
      type: str
      sample: RSA_2048
    signing_algorithm:
      description: Algorithm the CA signs with.
      type: str
      sample: SHA256WITHRSA
    subject:
      description: The CA's subject, as the API returns it.
      type: dict
      sample: {CommonName: Data Platform dev CA, Organization: Platform}
    not_before:
      description: Start of the CA certificate's validity (ISO 8601), once it has one.
      type: str
    not_after:
      description: End of the CA certificate's validity (ISO 8601), once it has one.
      type: str
    failure_reason:
      description: Why creating it failed, when it did.
      type: str
    certificate:
      description: The CA certificate (PEM); null unless the CA is C(ACTIVE).
      type: str
    certificate_chain:
      description: The chain above the CA certificate (PEM); null for a root CA.
      type: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.dataplatform.ops.plugins.module_utils.acmpca import PcaError, describe_certificate_authority


def main():
    module = AnsibleAWSModule(
        argument_spec={"certificate_authority_arn": {"type": "str", "required": True, "aliases": ["arn", "pca_arn"]}},
        supports_check_mode=True,
    )
    client = module.client("acm-pca", retry_decorator=AWSRetry.jittered_backoff())
    try:
        authority = describe_certificate_authority(client, module.params["certificate_authority_arn"])
    except PcaError as error:
        module.fail_json_aws(error.cause, msg=str(error))
    module.exit_json(changed=False, certificate_authority=authority)


if __name__ == "__main__":
    main()
