from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.dataplatform.ops.plugins.filter.ssh_host_pin import FilterModule

PIN = FilterModule().filters()["ssh_host_pin"]


def test_names_are_the_addresses_without_duplicates():
    hostvars = {"instance_id": "i-1", "ansible_host": "10.0.128.4", "private_ip_address": "10.0.128.4",
                "private_dns_name": "ip-10-0-128-4.ec2.internal"}
    assert PIN(hostvars) == {"instance_id": "i-1", "names": ["10.0.128.4", "ip-10-0-128-4.ec2.internal"]}


def test_a_host_without_instance_id_is_an_error():
    with pytest.raises(AnsibleFilterError, match="no instance_id"):
        PIN({"ansible_host": "10.0.0.1"})
