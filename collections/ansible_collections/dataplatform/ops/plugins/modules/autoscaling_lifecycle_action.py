#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import annotations

DOCUMENTATION = r"""
module: autoscaling_lifecycle_action
short_description: Complete an Auto Scaling lifecycle action (CONTINUE or ABANDON), or extend its wait, safely repeatable
version_added: 0.1.0
description:
  - Completes the lifecycle action an instance waits on in C(Pending:Wait) or C(Terminating:Wait).
  - Completing an action that is no longer pending (an earlier run completed it, or the hook timed out) is reported
    as unchanged instead of failing, so a job that failed half-way can simply run again.
  - For a termination hook both results let the instance terminate; C(ABANDON) also skips the group's remaining
    hooks and records that the action did not succeed.
  - With O(state=waiting) it records a heartbeat instead, so the instance waits a whole heartbeat timeout again from
    now (for an operator to act before the hook lets it go).
  - Check mode calls no API.
options:
  asg_name:
    description: The instance's Auto Scaling group.
    type: str
    required: true
  lifecycle_hook_name:
    description: The hook whose action to complete.
    type: str
    required: true
  instance_id:
    description: The instance.
    type: str
    required: true
  result:
    description:
      - C(CONTINUE) when the work the hook waits for succeeded, C(ABANDON) when it did not.
      - Required with O(state=completed).
    type: str
    choices: [CONTINUE, ABANDON]
  state:
    description: C(completed) completes the action with O(result); C(waiting) records a heartbeat and leaves it pending.
    type: str
    choices: [completed, waiting]
    default: completed
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
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
- name: Let the instance terminate now that NiFi no longer counts it as a node
  dataplatform.ops.autoscaling_lifecycle_action:
    asg_name: "{{ asg_name }}"
    lifecycle_hook_name: terminate
    instance_id: "{{ instance_id }}"
    result: CONTINUE
  delegate_to: localhost

- name: Keep the instance waiting while someone looks at why it could not leave cleanly
  dataplatform.ops.autoscaling_lifecycle_action:
    asg_name: "{{ asg_name }}"
    lifecycle_hook_name: terminate
    instance_id: "{{ instance_id }}"
    state: waiting
  delegate_to: localhost
"""

RETURN = r"""
msg:
  description: What was done.
  returned: always
  type: str
  sample: completed i-0abc's terminate action of dataplatform-dev-nifi-main with CONTINUE
"""

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.dataplatform.ops.plugins.module_utils.autoscaling_lifecycle import complete_lifecycle_action
from ansible_collections.dataplatform.ops.plugins.module_utils.autoscaling_lifecycle import record_heartbeat


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            asg_name=dict(type="str", required=True),
            lifecycle_hook_name=dict(type="str", required=True),
            instance_id=dict(type="str", required=True),
            result=dict(type="str", choices=["CONTINUE", "ABANDON"]),
            state=dict(type="str", choices=["completed", "waiting"], default="completed"),
        ),
        required_if=[("state", "completed", ["result"])],
        supports_check_mode=True,
    )
    client = module.client("autoscaling", retry_decorator=AWSRetry.jittered_backoff())
    params = module.params
    try:
        if params["state"] == "waiting":
            changed, message = record_heartbeat(client, params["asg_name"], params["lifecycle_hook_name"], params["instance_id"],
                                                check_mode=module.check_mode, client_error=botocore.exceptions.ClientError)
        else:
            changed, message = complete_lifecycle_action(
                client, params["asg_name"], params["lifecycle_hook_name"], params["instance_id"], params["result"],
                check_mode=module.check_mode, client_error=botocore.exceptions.ClientError)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
        module.fail_json_aws(error, msg="Could not act on the %s action of %s" % (params["lifecycle_hook_name"], params["instance_id"]))
    module.exit_json(changed=changed, msg=message)


if __name__ == "__main__":
    main()
