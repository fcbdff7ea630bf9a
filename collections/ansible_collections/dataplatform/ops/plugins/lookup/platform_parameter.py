# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

DOCUMENTATION = r"""
name: platform_parameter
author: dataplatform-ops maintainers (@dataplatform-ops)
version_added: 0.1.0
short_description: The platform document Terraform writes for an environment
description:
  - Reads the SSM parameter C(/dataplatform/<env>/platform) and returns its JSON document (region, PCA ARN,
    bucket names, NiFi load balancer DNS name, RDS endpoint, secrets prefix, ...). Terraform writes it; Ansible
    reads it instead of copying ARNs and names into group_vars.
options:
  _terms:
    description: The environment; defaults to C(dataplatform_env).
    type: str
    required: false
  required_keys:
    description: Dotted keys (for example C(pca.arn)) that must be present and non-empty; the lookup fails naming the missing ones.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - amazon.aws.boto3
  - amazon.aws.common.plugins
  - amazon.aws.region.plugins
"""

EXAMPLES = r"""
- name: The CA of this environment
  ansible.builtin.debug:
    msg: "{{ lookup('dataplatform.ops.platform_parameter', required_keys=['pca.arn']).pca.arn }}"

- name: The NiFi load balancer of prod
  ansible.builtin.debug:
    msg: "{{ lookup('dataplatform.ops.platform_parameter', 'prod').nifi.nlb_dns_name }}"
"""

RETURN = r"""
_raw:
  description: The platform document (one element; a plain C(lookup) returns it as a mapping).
  type: list
  elements: dict
"""

import json

try:
    import botocore
except ImportError:
    pass  # reported by AWSLookupBase

from ansible.errors import AnsibleLookupError

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.plugin_utils.lookup import AWSLookupBase

from ansible_collections.dataplatform.ops.plugins.module_utils.platform import platform_parameter_name


def _missing(document, keys):
    missing = []
    for key in keys:
        node = document
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node in (None, ""):
            missing.append(key)
    return missing


class LookupModule(AWSLookupBase):
    def run(self, terms, variables=None, **kwargs):
        super().run(terms, variables, **kwargs)
        if len(terms) > 1:
            raise AnsibleLookupError("platform_parameter takes one environment, got %d" % len(terms))
        env = terms[0] if terms else (variables or {}).get("dataplatform_env")
        try:
            name = platform_parameter_name(env)
        except ValueError as error:
            raise AnsibleLookupError("platform_parameter: %s" % error) from error
        client = self.client("ssm", AWSRetry.jittered_backoff())
        try:
            value = client.get_parameter(Name=name, aws_retry=True)["Parameter"]["Value"]
        except is_boto3_error_code("ParameterNotFound"):
            raise AnsibleLookupError("the platform parameter %s does not exist (has Terraform been applied to %s?)"
                                     % (name, env))
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:  # pylint: disable=duplicate-except
            raise AnsibleLookupError("cannot read the platform parameter %s: %s" % (name, error)) from error
        try:
            document = json.loads(value)
        except ValueError as error:
            raise AnsibleLookupError("the platform parameter %s is not JSON: %s" % (name, error)) from error
        missing = _missing(document, self.get_option("required_keys"))
        if missing:
            raise AnsibleLookupError("the platform parameter %s lacks %s" % (name, ", ".join(missing)))
        return [document]
