#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import annotations

DOCUMENTATION = r"""
module: nifi_cluster_node
short_description: Take a node out of a NiFi 2 cluster (disconnect, offload, delete) through the REST API
version_added: 0.1.0
description:
  - Finds the node by its address in C(GET /nifi-api/controller/cluster), asks NiFi to disconnect it and waits until
    it is C(DISCONNECTED), to offload it (its queued FlowFiles move to the other nodes) and waits until it is
    C(OFFLOADED), then deletes it from the cluster. A node already part-way through continues from where it is.
  - A node that is not in the cluster is not a change, so the module can be run again safely.
  - Authenticates with a client certificate, in PEM or as a PKCS#12 bundle; the identity needs read and write
    access to C(/controller) (the C(cluster_manager) role of the nifi role, which the C(nifi-decommission) service
    identity holds).
  - Runs on the controller.
options:
  address:
    description: The cluster address of the node to remove (C(nifi.cluster.node.address), its private DNS name).
    type: str
    required: true
  state:
    description: C(absent) removes the node from the cluster.
    type: str
    choices: [absent]
    default: absent
  timeout:
    description: Seconds to wait for each of the disconnect and offload steps.
    type: int
    default: 600
  poll_interval:
    description: Seconds between two status checks.
    type: int
    default: 5
extends_documentation_fragment:
  - dataplatform.ops.nifi_client
attributes:
  check_mode:
    support: full
    description: Reads the cluster's nodes and returns the steps it would take; changes nothing.
  diff_mode:
    support: none
    description: Shows no diff.
author: dataplatform-ops maintainers (@dataplatform-ops)
"""

EXAMPLES = r"""
- name: Take the terminating instance out of the NiFi cluster, as the decommission service identity
  dataplatform.ops.nifi_cluster_node:
    api_url: "https://{{ dataplatform_platform.nifi.nlb_dns_name }}:8443/nifi-api"
    address: "{{ private_dns_name }}"
    client_certificate: "{{ decommission_certificate.certificate }}{{ decommission_certificate.certificate_chain }}"
    client_key: "{{ decommission_key.privatekey }}"
  delegate_to: localhost

- name: The same with a PKCS#12 bundle
  dataplatform.ops.nifi_cluster_node:
    api_url: "https://{{ dataplatform_platform.nifi.nlb_dns_name }}:8443/nifi-api"
    address: "{{ private_dns_name }}"
    client_pkcs12: "{{ bundle.pkcs12 }}"
    client_pkcs12_password: "{{ bundle.password }}"
  delegate_to: localhost
"""

RETURN = r"""
steps:
  description: The steps taken (or, in check mode, to be taken), in order.
  returned: always
  type: list
  elements: str
  sample: [disconnect, offload, delete]
status:
  description: C(DELETED) after removal, C(ABSENT) when the node was not in the cluster, its current status in check mode.
  returned: always
  type: str
  sample: DELETED
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dataplatform.ops.plugins.module_utils.nifi_api import CLIENT_ARGUMENT_RULES
from ansible_collections.dataplatform.ops.plugins.module_utils.nifi_api import CLIENT_ARGUMENT_SPEC
from ansible_collections.dataplatform.ops.plugins.module_utils.nifi_api import NiFiApiError
from ansible_collections.dataplatform.ops.plugins.module_utils.nifi_api import module_request
from ansible_collections.dataplatform.ops.plugins.module_utils.nifi_api import remove_node


def main():
    module = AnsibleModule(
        argument_spec=dict(
            CLIENT_ARGUMENT_SPEC,
            address=dict(type="str", required=True),
            state=dict(type="str", choices=["absent"], default="absent"),
            timeout=dict(type="int", default=600),
            poll_interval=dict(type="int", default=5),
        ),
        supports_check_mode=True,
        **CLIENT_ARGUMENT_RULES
    )
    request = module_request(module)
    try:
        result = remove_node(
            request,
            module.params["address"],
            timeout=module.params["timeout"],
            interval=module.params["poll_interval"],
            check_mode=module.check_mode,
        )
    except NiFiApiError as error:
        module.fail_json(msg="Could not remove %s from the NiFi cluster: %s" % (module.params["address"], error))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
