#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import annotations

DOCUMENTATION = r"""
module: autoscaling_lifecycle_action
short_description: Complete an Auto Scaling lifecycle action (CONTINUE or ABANDON), safely repeatable
version_added: 0.1.0
description:
  - Completes the lifecycle action an instance waits on in C(Pending:Wait) or C(Terminating:Wait).
  - Completing an action that is no longer pending (an earlier run completed it, or the hook timed out) is reported
    as unchanged instead of failing, so a job that failed half-way can simply run again.
  - For a termination hook both results let the instance terminate; C(ABANDON) also skips the group's remaining
    hooks and records that the action did not succeed.
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
    description: C(CONTINUE) when the work the hook waits for succeeded, C(ABANDON) when it did not.
    type: str
    choices: [CONTINUE, ABANDON]
    required: true
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


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            asg_name=dict(type="str", required=True),
            lifecycle_hook_name=dict(type="str", required=True),
            instance_id=dict(type="str", required=True),
            result=dict(type="str", choices=["CONTINUE", "ABANDON"], required=True),
        ),
        supports_check_mode=True,
    )
    client = module.client("autoscaling", retry_decorator=AWSRetry.jittered_backoff())
    try:
        changed, message = complete_lifecycle_action(
            client,
            module.params["asg_name"],
            module.params["lifecycle_hook_name"],
            module.params["instance_id"],
            module.params["result"],
            check_mode=module.check_mode,
            client_error=botocore.exceptions.ClientError,
        )
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
        module.fail_json_aws(error, msg="Could not complete the %s action of %s" % (module.params["lifecycle_hook_name"], module.params["instance_id"]))
    module.exit_json(changed=changed, msg=message)


if __name__ == "__main__":
    main()
