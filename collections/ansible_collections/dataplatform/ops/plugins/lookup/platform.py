# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import annotations

DOCUMENTATION = r"""
name: platform
short_description: The platform document of an environment, from the SSM parameter Terraform writes
version_added: 0.1.0
description:
  - Reads C(/dataplatform/<env>/platform) (one C(GetParameter) call), parses its JSON and checks
    it has every key the collection reads (bucket names, RDS endpoint and credentials secret,
    secrets prefix, region, ...). A missing or incomplete parameter is an error that names the
    parameter and the missing keys, before anything changes on a host.
  - Read it once per run and keep it as a fact (C(run_once) with C(set_fact)); the roles of this
    collection take it from C(dataplatform_platform) when it is set.
options:
  _terms:
    description: The environment (C(local), C(dev), C(ppd) or C(prod)).
    required: true
    type: list
    elements: str
extends_documentation_fragment:
  - amazon.aws.boto3
  - amazon.aws.common.plugins
  - amazon.aws.region.plugins
author:
  - dataplatform-ops maintainers (@dataplatform-ops)
"""

EXAMPLES = r"""
- name: Read the platform document of the environment once
  ansible.builtin.set_fact:
    dataplatform_platform: "{{ lookup('dataplatform.ops.platform', dataplatform_env) }}"
  run_once: true

- name: Name of the silver bucket
  ansible.builtin.debug:
    msg: "{{ lookup('dataplatform.ops.platform', 'dev').buckets.silver }}"
"""

RETURN = r"""
_raw:
  description: The platform document, one per environment asked for.
  type: list
  elements: dict
  sample:
    - env: dev
      region: eu-west-1
      buckets: {dags: dataplatform-dev-dags, logs: dataplatform-dev-logs}
      rds: {endpoint: airflow.abc.eu-west-1.rds.amazonaws.com, port: 5432, db_name: airflow}
"""

try:
    import botocore
except ImportError:
    pass  # AWSLookupBase reports a missing botocore

from ansible.errors import AnsibleLookupError

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.plugin_utils.lookup import AWSLookupBase

from ansible_collections.dataplatform.ops.plugins.module_utils.platform import parse_platform_document
from ansible_collections.dataplatform.ops.plugins.module_utils.platform import platform_parameter_name


class LookupModule(AWSLookupBase):
    def run(self, terms, variables, **kwargs):
        super().run(terms, variables, **kwargs)
        client = self.client("ssm", AWSRetry.jittered_backoff())
        documents = []
        for env in terms:
            try:
                name = platform_parameter_name(env)
            except ValueError as error:
                raise AnsibleLookupError("dataplatform.ops.platform: %s" % error)
            try:
                text = client.get_parameter(Name=name, WithDecryption=True, aws_retry=True)["Parameter"]["Value"]
            except is_boto3_error_code("ParameterNotFound"):
                raise AnsibleLookupError(
                    "dataplatform.ops.platform: the SSM parameter %s does not exist in %s; "
                    "Terraform's environment %s writes it" % (name, self.region, env)
                )
            except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:  # pylint: disable=duplicate-except
                raise AnsibleLookupError("dataplatform.ops.platform: could not read %s: %s" % (name, error))
            try:
                documents.append(parse_platform_document(text, name, env=env))
            except ValueError as error:
                raise AnsibleLookupError("dataplatform.ops.platform: %s" % error)
        return documents
