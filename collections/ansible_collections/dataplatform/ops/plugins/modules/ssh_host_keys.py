#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import annotations

DOCUMENTATION = r"""
module: ssh_host_keys
short_description: Pin EC2 hosts' SSH host keys from their console output into a known_hosts file
version_added: 0.1.0
description:
  - Platform hosts print their SSH host keys to the console at every boot, between
    C(-----BEGIN SSH HOST KEY KEYS-----) and C(-----END SSH HOST KEY KEYS-----) (the asg-hosts user
    data; cloud-init prints the same block). This module reads them with C(ec2:GetConsoleOutput)
    and keeps them in a known_hosts file, so SSH verifies every host with
    C(StrictHostKeyChecking=yes) from the first connection on.
  - Each line carries the instance id as its comment. A host already pinned under the same names
    costs no API call; a name (a private address) that now belongs to another instance gets that
    instance's keys, and the old lines go.
options:
  known_hosts:
    description: The known_hosts file (written with mode 0600).
    type: path
    required: true
  hosts:
    description: The instances to pin, each with the names SSH reaches it by.
    type: list
    elements: dict
    required: true
    suboptions:
      instance_id:
        description: EC2 instance id.
        type: str
        required: true
      names:
        description: Addresses and DNS names of the instance (for example its private IP and DNS name).
        type: list
        elements: str
        required: true
  wait_timeout:
    description:
      - Seconds to wait for a host whose console shows no keys yet (it is still booting; AWS
        publishes console output a few minutes after boot). 0 fails at once.
    type: int
    default: 300
notes:
  - In check mode the file is not written; the result says which hosts would be pinned. A playbook
    that connects afterwards runs this task with C(check_mode=false), since the file is controller state.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
author:
  - dataplatform-ops maintainers (@dataplatform-ops)
"""

EXAMPLES = r"""
- name: Pin the keys of every host of the play
  dataplatform.ops.ssh_host_keys:
    known_hosts: ~/.ssh/dataplatform-prod/known_hosts
    hosts: >-
      {{ ansible_play_hosts_all | map('extract', hostvars)
         | json_query('[].{instance_id: instance_id, names: [private_ip_address, private_dns_name]}') }}
  check_mode: false
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
pinned:
  description: Instances whose keys were read from their console by this run.
  returned: always
  type: list
  elements: str
  sample: [i-0123456789abcdef0]
known:
  description: Instances that were already pinned under the same names (no API call).
  returned: always
  type: list
  elements: str
  sample: [i-0fedcba9876543210]
"""

import os
import time

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.dataplatform.ops.plugins.module_utils import ssh

POLL_SECONDS = 10


def console_keys(module, client, instance_id):
    try:
        response = client.get_console_output(InstanceId=instance_id, Latest=True, aws_retry=True)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
        module.fail_json_aws(error, msg="Could not read the console output of %s" % instance_id)
    return ssh.host_keys_in_console(ssh.decode_console_output(response))


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            known_hosts=dict(type="path", required=True),
            hosts=dict(type="list", elements="dict", required=True, options=dict(
                instance_id=dict(type="str", required=True),
                names=dict(type="list", elements="str", required=True),
            )),
            wait_timeout=dict(type="int", default=300),
        ),
        supports_check_mode=True,
    )
    path = module.params["known_hosts"]
    before = ""
    if os.path.exists(path):
        with open(path) as stream:
            before = stream.read()
    known_hosts = ssh.KnownHosts(before)
    known, waiting = [], []
    for host in module.params["hosts"]:
        names = [name for name in host["names"] if name]
        if not names:
            module.fail_json(msg="%s has no address or DNS name to pin its keys under" % host["instance_id"])
        if known_hosts.keys_of(host["instance_id"], names):
            known.append(host["instance_id"])
        else:
            waiting.append((host["instance_id"], names))

    pinned = []
    if waiting:
        client = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())
        deadline = time.monotonic() + module.params["wait_timeout"]
        while True:
            for instance_id, names in list(waiting):
                keys = console_keys(module, client, instance_id)
                if keys:
                    known_hosts.set_host(instance_id, names, keys)
                    pinned.append(instance_id)
                    waiting.remove((instance_id, names))
            if not waiting or time.monotonic() >= deadline:
                break
            time.sleep(POLL_SECONDS)
    if waiting:
        module.fail_json(msg="no SSH host keys in the console output of %s: the instance has not finished booting, or its "
                             "user data did not run (the asg-hosts user data prints them)"
                             % ", ".join(pending[0] for pending in waiting),
                         pinned=pinned, known=known)

    after = known_hosts.render() if (pinned or before) else before
    changed = after != before
    if changed and not module.check_mode:
        folder = os.path.dirname(path)
        if folder and not os.path.isdir(folder):
            os.makedirs(folder, mode=0o700)
        ssh.write_private_file(path, after.encode("utf-8"))
    module.exit_json(changed=changed, pinned=sorted(pinned), known=sorted(known))


if __name__ == "__main__":
    main()
