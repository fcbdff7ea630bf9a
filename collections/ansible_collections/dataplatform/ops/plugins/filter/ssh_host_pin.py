# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import annotations

DOCUMENTATION = r"""
name: ssh_host_pin
short_description: What dataplatform.ops.ssh_host_keys pins for an inventory host
version_added: 0.1.0
description:
  - From the variables the C(dataplatform.ops.aws_asg) inventory gives a host, the entry
    C(dataplatform.ops.ssh_host_keys) takes for it - the instance id, and the names SSH reaches it
    by (C(ansible_host), the private address and DNS name, without duplicates).
options:
  _input:
    description: The host's variables (C(hostvars[host])), with at least C(instance_id).
    type: dict
    required: true
author:
  - dataplatform-ops maintainers (@dataplatform-ops)
"""

EXAMPLES = r"""
- name: The pins of every host of the play
  ansible.builtin.debug:
    msg: "{{ ansible_play_hosts_all | map('extract', hostvars) | map('dataplatform.ops.ssh_host_pin') | list }}"
  # -> [{"instance_id": "i-0123…", "names": ["10.40.128.7", "ip-10-40-128-7.eu-west-1.compute.internal"]}]
"""

RETURN = r"""
_value:
  description: C({instance_id, names}).
  type: dict
"""

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

NAME_VARIABLES = ("ansible_host", "private_ip_address", "private_dns_name")


def ssh_host_pin(variables):
    if not isinstance(variables, Mapping) or not variables.get("instance_id"):
        raise AnsibleFilterError("dataplatform.ops.ssh_host_pin: the host has no instance_id (not from the aws_asg inventory?)")
    names = []
    for name in NAME_VARIABLES:
        value = variables.get(name)
        if value and value != variables["instance_id"] and value not in names:
            names.append(str(value))
    return {"instance_id": variables["instance_id"], "names": names}


class FilterModule:
    def filters(self):
        return {"ssh_host_pin": ssh_host_pin}
