#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import annotations

DOCUMENTATION = r"""
module: nifi_node_info
short_description: What a NiFi node keeps on disk that the cluster's configuration depends on
version_added: 0.1.0
description:
  - Reads, on a NiFi host, the embedded ZooKeeper server id it holds (C(myid) in the ZooKeeper
    data directory), the root process group id of the flow NiFi wrote (C(flow.json.gz)), whether
    the NiFi distribution is unpacked, and the host's fully qualified name.
  - The nifi role runs it on every node of the cluster to keep the ZooKeeper ensemble stable
    when nodes are added and to render root-group policies identically on every node.
  - Changes nothing.
options:
  zookeeper_data_dir:
    description: The embedded ZooKeeper's C(dataDir).
    type: path
    required: true
  flow_file:
    description: NiFi's C(nifi.flow.configuration.file).
    type: path
    required: true
  nifi_home:
    description: The NiFi installation directory (where C(lib/nifi-runtime-*.jar) is once unpacked).
    type: path
    required: true
attributes:
  check_mode:
    support: full
    description: Can run in check mode; reports what would change without changing it.
  diff_mode:
    support: none
    description: Shows no diff.
author: dataplatform-ops maintainers (@dataplatform-ops)
"""

EXAMPLES = r"""
- name: Read the NiFi state of every node of the cluster
  dataplatform.ops.nifi_node_info:
    zookeeper_data_dir: /var/lib/nifi-data/state/zookeeper
    flow_file: /var/lib/nifi-data/flow/flow.json.gz
    nifi_home: /opt/nifi/nifi-2.11.0
  delegate_to: "{{ item }}"
  loop: "{{ groups['nifi'] }}"
  run_once: true
  register: nifi_nodes
"""

RETURN = r"""
zookeeper_myid:
  description: The ZooKeeper server id the node holds, or null.
  returned: always
  type: int
  sample: 2
root_group_id:
  description: The root process group's instance id, or null before NiFi wrote a flow.
  returned: always
  type: str
  sample: 0f3c9a6e-0190-1000-a2b1-3c4d5e6f7a8b
installed:
  description: Whether NiFi's runtime jar (C(lib/nifi-runtime-*.jar)) is under O(nifi_home).
  returned: always
  type: bool
fqdn:
  description: The host's fully qualified domain name.
  returned: always
  type: str
  sample: ip-10-0-1-23.eu-west-1.compute.internal
"""

import glob
import os
import socket

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dataplatform.ops.plugins.module_utils.nifi_cluster import ClusterStateError
from ansible_collections.dataplatform.ops.plugins.module_utils.nifi_cluster import read_myid
from ansible_collections.dataplatform.ops.plugins.module_utils.nifi_cluster import read_root_group_id


def main():
    module = AnsibleModule(
        argument_spec=dict(
            zookeeper_data_dir=dict(type="path", required=True),
            flow_file=dict(type="path", required=True),
            nifi_home=dict(type="path", required=True),
        ),
        supports_check_mode=True,
    )
    try:
        myid = read_myid(os.path.join(module.params["zookeeper_data_dir"], "myid"))
        root_group_id = read_root_group_id(module.params["flow_file"])
    except (ClusterStateError, OSError) as error:
        module.fail_json(msg=str(error))
    module.exit_json(
        changed=False,
        zookeeper_myid=myid,
        root_group_id=root_group_id,
        installed=bool(glob.glob(os.path.join(module.params["nifi_home"], "lib", "nifi-runtime-*.jar"))),
        fqdn=socket.getfqdn(),
    )


if __name__ == "__main__":
    main()
