#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import annotations

DOCUMENTATION = r"""
module: nifi_flow
short_description: Deploy a NiFi flow definition as a process group of a running NiFi 2 cluster, updated in place
version_added: 0.3.0
description:
  - Makes the process group O(name) under the root process group match the flow definition O(definition) (NiFi's
    flow-definition JSON, as "Download flow definition" writes it, with one process group bound to one parameter context)
    with the environment's O(parameters), through NiFi's REST API on one connected node, which replicates every change.
  - A missing group is created by uploading the definition. An existing group is compared with the definition by the
    components' versioned identifiers, on what the definition sets; a difference is applied in place with NiFi's replace
    request, which keeps the queued FlowFiles of the connections it keeps and restarts only what it changes.
    Parameter values that differ are applied with a parameter context update request. NiFi is never restarted.
  - Then every controller service of the group is enabled and every processor started. A component NiFi finds invalid
    fails the task with NiFi's validation errors.
  - The identity needs to read and write the root process group and the parameter contexts, and to operate the
    group's components (the C(flow_deployer) role, which the C(nifi-flows) service identity holds).
  - Runs on the controller.
options:
  definition:
    description: The flow definition (a dict, as read from its JSON file).
    type: dict
    required: true
  name:
    description: The process group's name under the root process group (unique there).
    type: str
    required: true
  parameters:
    description:
      - Values of the definition's parameter context, by parameter name; parameters not given keep the definition's
        value. A name the context does not declare fails the task.
    type: dict
    default: {}
  back_pressure_object_threshold:
    description: Back-pressure object threshold of every connection of the group; the definition's when omitted.
    type: int
  back_pressure_data_size_threshold:
    description: Back-pressure data size threshold of every connection (C(1 GB)); the definition's when omitted.
    type: str
  timeout:
    description: Seconds a replace or parameter update request, or the start of the components, may take.
    type: int
    default: 300
extends_documentation_fragment:
  - dataplatform.ops.nifi_client
attributes:
  check_mode:
    support: full
    description: Only reads the group, its parameter context and the definition NiFi downloads, and returns what would change.
  diff_mode:
    support: none
    description: Shows no diff; RV(differences) and RV(parameters_changed) say what changed.
author: dataplatform-ops maintainers (@dataplatform-ops)
"""

EXAMPLES = r"""
- name: The orders ingest flow, with the environment's values
  dataplatform.ops.nifi_flow:
    api_url: "https://{{ nifi_node_address }}:8443/nifi-api"
    definition: "{{ lookup('ansible.builtin.file', 'flows/orders-ingest.json') | from_json }}"
    name: orders-ingest
    parameters:
      bronze.bucket: "{{ platform.buckets.bronze }}"
      bronze.region: "{{ platform.region }}"
      batch.max.entries: 500
    back_pressure_object_threshold: 10000
    back_pressure_data_size_threshold: 1 GB
    client_certificate: "{{ service_certificate.certificate }}{{ service_certificate.certificate_chain }}"
    client_key: "{{ service_key.privatekey }}"
  delegate_to: localhost
"""

RETURN = r"""
group_id:
  description: The process group's id (null in check mode when it does not exist yet).
  returned: always
  type: str
  sample: 1d3c0a7e-0199-1000-5a5b-7ad3c2f9b1e4
created:
  description: Whether the group was created from the definition.
  returned: always
  type: bool
replaced:
  description: Whether the group was updated in place with a replace request.
  returned: always
  type: bool
differences:
  description: What of the group differed from the definition, one line per component and field.
  returned: always
  type: list
  elements: str
  sample: ["processor 3f0c2b52-1b51-5c2b-9a3e-1f0f2d2b7a10: property Max Bin Age"]
parameters_changed:
  description: Names of the parameters whose value was set.
  returned: always
  type: list
  elements: str
  sample: [batch.max.entries]
started:
  description: Whether a controller service had to be enabled or a processor started.
  returned: always
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dataplatform.ops.plugins.module_utils.nifi_api import CLIENT_ARGUMENT_RULES
from ansible_collections.dataplatform.ops.plugins.module_utils.nifi_api import CLIENT_ARGUMENT_SPEC
from ansible_collections.dataplatform.ops.plugins.module_utils.nifi_api import NiFiApiError
from ansible_collections.dataplatform.ops.plugins.module_utils.nifi_api import https_request
from ansible_collections.dataplatform.ops.plugins.module_utils.nifi_api import https_upload
from ansible_collections.dataplatform.ops.plugins.module_utils.nifi_api import module_tls_context
from ansible_collections.dataplatform.ops.plugins.module_utils.nifi_flow import FlowApi
from ansible_collections.dataplatform.ops.plugins.module_utils.nifi_flow import FlowDefinitionError
from ansible_collections.dataplatform.ops.plugins.module_utils.nifi_flow import deploy


def main():
    module = AnsibleModule(
        argument_spec=dict(
            CLIENT_ARGUMENT_SPEC,
            definition=dict(type="dict", required=True),
            name=dict(type="str", required=True),
            parameters=dict(type="dict", default={}),
            back_pressure_object_threshold=dict(type="int"),
            back_pressure_data_size_threshold=dict(type="str"),
            timeout=dict(type="int", default=300),
        ),
        supports_check_mode=True,
        **CLIENT_ARGUMENT_RULES
    )
    params = module.params
    context = module_tls_context(module)
    api = FlowApi(https_request(params["api_url"], context), https_upload(params["api_url"], context), timeout=params["timeout"])
    back_pressure = {"backPressureObjectThreshold": params["back_pressure_object_threshold"],
                     "backPressureDataSizeThreshold": params["back_pressure_data_size_threshold"]}
    try:
        result = deploy(api, params["definition"], params["name"], params["parameters"], back_pressure,
                        check_mode=module.check_mode)
    except FlowDefinitionError as error:
        module.fail_json(msg="The flow definition of %s cannot be deployed: %s" % (params["name"], error))
    except NiFiApiError as error:
        module.fail_json(msg="Could not deploy the flow %s to the NiFi cluster: %s" % (params["name"], error))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
