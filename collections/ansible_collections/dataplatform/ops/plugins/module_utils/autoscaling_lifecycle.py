# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Completing an Auto Scaling lifecycle action, safely repeatable.

An instance waits in ``Pending:Wait`` or ``Terminating:Wait`` until its lifecycle action is
completed (or the hook's heartbeat timeout passes). Completing an action that is no longer
pending (completed by an earlier run, or timed out) is not an error here: AWS answers it with a
ValidationError naming no active lifecycle action, which is reported as "nothing to do".
"""

from __future__ import annotations

RESULTS = ("CONTINUE", "ABANDON")
NO_ACTIVE_ACTION = "No active Lifecycle Action found"


def _unless_gone(call, asg_name, hook_name, instance_id, client_error):
    """Makes ``call``; ``(False, message)`` when AWS says the action is no longer pending, else None."""
    try:
        call()
    except client_error as error:
        details = (getattr(error, "response", {}) or {}).get("Error", {})
        if details.get("Code") == "ValidationError" and NO_ACTIVE_ACTION in details.get("Message", ""):
            return False, "%s has no pending %s action in %s (already completed or timed out)" % (instance_id, hook_name, asg_name)
        raise
    return None


def complete_lifecycle_action(client, asg_name, hook_name, instance_id, result, check_mode=False, client_error=Exception):
    """Completes the action; ``(changed, message)``. ``client_error`` is botocore's ClientError."""
    if result not in RESULTS:
        raise ValueError("lifecycle action result must be CONTINUE or ABANDON, not %r" % (result,))
    if check_mode:
        return True, "would complete %s's %s action of %s with %s" % (instance_id, hook_name, asg_name, result)
    outcome = _unless_gone(lambda: client.complete_lifecycle_action(
        AutoScalingGroupName=asg_name, LifecycleHookName=hook_name, InstanceId=instance_id,
        LifecycleActionResult=result, aws_retry=True), asg_name, hook_name, instance_id, client_error)
    if outcome:
        return outcome
    return True, "completed %s's %s action of %s with %s" % (instance_id, hook_name, asg_name, result)


def record_heartbeat(client, asg_name, hook_name, instance_id, check_mode=False, client_error=Exception):
    """Restarts the action's heartbeat timeout, so the instance waits that long again from now;
    ``(changed, message)``. An action no longer pending is reported, not raised."""
    if check_mode:
        return True, "would record a heartbeat for %s's %s action of %s" % (instance_id, hook_name, asg_name)
    outcome = _unless_gone(lambda: client.record_lifecycle_action_heartbeat(
        AutoScalingGroupName=asg_name, LifecycleHookName=hook_name, InstanceId=instance_id, aws_retry=True),
        asg_name, hook_name, instance_id, client_error)
    if outcome:
        return outcome
    return True, "recorded a heartbeat for %s's %s action of %s: it waits a whole heartbeat timeout again" % (
        instance_id, hook_name, asg_name)
