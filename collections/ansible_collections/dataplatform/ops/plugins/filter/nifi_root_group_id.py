# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import annotations

DOCUMENTATION = r"""
name: nifi_root_group_id
short_description: The root process group id the nodes of a NiFi cluster agree on
version_added: 0.1.0
description:
  - Returns the root process group id found in the nodes' flows, null when no node has a flow
    yet, and fails when nodes report different ids (they would not be one cluster).
options:
  _input:
    description: "The nodes, C([{host, root_group_id}]), as M(dataplatform.ops.nifi_node_info) reports them."
    type: list
    elements: dict
    required: true
author: dataplatform-ops maintainers (@dataplatform-ops)
"""

EXAMPLES = r"""
- name: The cluster's root process group
  ansible.builtin.set_fact:
    nifi_cluster_root_group_id: "{{ nifi_node_states | dataplatform.ops.nifi_root_group_id }}"
"""

RETURN = r"""
_value:
  description: The root process group id, or null.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.dataplatform.ops.plugins.module_utils.nifi_cluster import ClusterStateError
from ansible_collections.dataplatform.ops.plugins.module_utils.nifi_cluster import agreed_root_group_id


def nifi_root_group_id(nodes):
    try:
        return agreed_root_group_id(nodes)
    except ClusterStateError as error:
        raise AnsibleFilterError("dataplatform.ops.nifi_root_group_id: %s" % error)


class FilterModule:
    def filters(self):
        return {"nifi_root_group_id": nifi_root_group_id}
