# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import annotations

DOCUMENTATION = r"""
name: nifi_zookeeper_ensemble
short_description: The embedded ZooKeeper servers of a NiFi cluster, stable as nodes come and go
version_added: 0.1.0
description:
  - Keeps every node that already holds a ZooKeeper server id within the ensemble; gives vacant
    ids to nodes without one, in order of address. A node added to a cluster whose ensemble is
    complete therefore changes nothing on the other nodes.
  - The ensemble has the requested (odd) number of servers, or the largest odd number of nodes
    there are.
options:
  _input:
    description: "Every node of the cluster, C([{host, address, myid}]), C(myid) null when the node holds none."
    type: list
    elements: dict
    required: true
  size:
    description: The requested number of servers (odd).
    type: int
    default: 3
author: dataplatform-ops maintainers (@dataplatform-ops)
"""

EXAMPLES = r"""
- name: Choose the ZooKeeper servers
  ansible.builtin.set_fact:
    nifi_zookeeper_servers_list: "{{ nifi_node_states | dataplatform.ops.nifi_zookeeper_ensemble(3) }}"
"""

RETURN = r"""
_value:
  description: The servers, C([{myid, host, address}]), by server id.
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.dataplatform.ops.plugins.module_utils.nifi_cluster import ClusterStateError
from ansible_collections.dataplatform.ops.plugins.module_utils.nifi_cluster import zookeeper_ensemble


def nifi_zookeeper_ensemble(nodes, size=3):
    try:
        return zookeeper_ensemble(nodes, int(size))
    except ClusterStateError as error:
        raise AnsibleFilterError("dataplatform.ops.nifi_zookeeper_ensemble: %s" % error)


class FilterModule:
    def filters(self):
        return {"nifi_zookeeper_ensemble": nifi_zookeeper_ensemble}
