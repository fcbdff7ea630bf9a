"""The emulation of Auto Scaling lifecycle hooks in the moto server (emulator/autoscaling_hooks.py, autoscaling_scaling.py),
over HTTP with boto3, against AWS's documented semantics: an instance launched into a group with
a launch hook waits in Pending:Wait until its action is completed (CONTINUE: in service;
ABANDON: terminated and replaced) or its heartbeat timeout applies the hook's default result.
Timeouts are shortened for the tests through the emulator client's set_lifecycle_timeout."""

from __future__ import annotations

import time

import boto3
import pytest
from ansible_collections.dataplatform.ops.plugins.module_utils.autoscaling_lifecycle import NO_ACTIVE_ACTION
from botocore.exceptions import ClientError

GROUP = "dataplatform-local-airflow-main"
LAUNCH_HOOK = {"LifecycleHookName": "launch", "LifecycleTransition": "autoscaling:EC2_INSTANCE_LAUNCHING",
               "HeartbeatTimeout": 1800, "DefaultResult": "ABANDON"}


def cap_timeouts(moto, seconds):
    moto.set_lifecycle_timeout(seconds)  # an answer other than 2xx raises


def create_group(desired=2, hooks=(LAUNCH_HOOK,)):
    autoscaling = boto3.client("autoscaling")
    autoscaling.create_launch_configuration(LaunchConfigurationName="airflow", ImageId="ami-12c6146b", InstanceType="t3.medium")
    autoscaling.create_auto_scaling_group(AutoScalingGroupName=GROUP, LaunchConfigurationName="airflow", MinSize=0, MaxSize=4,
                                          DesiredCapacity=desired, AvailabilityZones=["eu-west-1a"],
                                          LifecycleHookSpecificationList=list(hooks))
    return autoscaling


def instances(autoscaling):
    (group,) = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[GROUP])["AutoScalingGroups"]
    return {instance["InstanceId"]: instance["LifecycleState"] for instance in group["Instances"]}


def ec2_state(instance_id):
    (reservation,) = boto3.client("ec2").describe_instances(InstanceIds=[instance_id])["Reservations"]
    return reservation["Instances"][0]["State"]["Name"]


def complete(autoscaling, instance_id, result, hook="launch"):
    autoscaling.complete_lifecycle_action(AutoScalingGroupName=GROUP, LifecycleHookName=hook, InstanceId=instance_id,
                                          LifecycleActionResult=result)


def wait_for(condition, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not true within {seconds}s: {condition.__doc__ or condition}")


def test_instances_of_a_group_created_with_a_launch_hook_wait_in_it(moto):
    autoscaling = create_group()
    hooks = autoscaling.describe_lifecycle_hooks(AutoScalingGroupName=GROUP)["LifecycleHooks"]
    assert [(hook["LifecycleHookName"], hook["HeartbeatTimeout"], hook["DefaultResult"]) for hook in hooks] == [
        ("launch", 1800, "ABANDON")]
    states = instances(autoscaling)
    # Waiting instances hold the capacity: moto launches no more than the desired two.
    assert list(states.values()) == ["Pending:Wait", "Pending:Wait"]
    described = autoscaling.describe_auto_scaling_instances(InstanceIds=list(states))["AutoScalingInstances"]
    assert {instance["LifecycleState"] for instance in described} == {"Pending:Wait"}
    assert {ec2_state(instance_id) for instance_id in states} == {"running"}


def test_continue_puts_the_instance_in_service(moto):
    autoscaling = create_group()
    first, second = instances(autoscaling)
    complete(autoscaling, first, "CONTINUE")
    assert instances(autoscaling) == {first: "InService", second: "Pending:Wait"}
    assert moto.lifecycle_actions() == [{
        "AutoScalingGroupName": GROUP, "LifecycleHookName": "launch", "InstanceId": first, "LifecycleActionResult": "CONTINUE"}]


def test_abandon_terminates_the_instance_and_a_replacement_waits(moto):
    autoscaling = create_group()
    abandoned, kept = instances(autoscaling)
    complete(autoscaling, abandoned, "ABANDON")
    states = instances(autoscaling)
    assert abandoned not in states and states[kept] == "Pending:Wait"
    assert len(states) == 2 and set(states.values()) == {"Pending:Wait"}
    assert ec2_state(abandoned) == "terminated"
    (group,) = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[GROUP])["AutoScalingGroups"]
    assert group["DesiredCapacity"] == 2


def test_completing_an_action_no_longer_pending_is_refused_as_by_aws(moto):
    autoscaling = create_group(desired=1)
    (instance_id,) = instances(autoscaling)
    complete(autoscaling, instance_id, "CONTINUE")
    with pytest.raises(ClientError) as raised:
        complete(autoscaling, instance_id, "CONTINUE")
    assert raised.value.response["Error"]["Code"] == "ValidationError"
    assert NO_ACTIVE_ACTION in raised.value.response["Error"]["Message"]
    assert len(moto.lifecycle_actions()) == 1


def test_an_action_is_completed_by_its_token(moto):
    autoscaling = create_group(desired=1)
    (pending,) = moto.pending_lifecycle_actions()
    autoscaling.complete_lifecycle_action(AutoScalingGroupName=GROUP, LifecycleHookName="launch",
                                          LifecycleActionToken=pending["LifecycleActionToken"], LifecycleActionResult="CONTINUE")
    assert instances(autoscaling) == {pending["InstanceId"]: "InService"}
    assert moto.pending_lifecycle_actions() == []


def test_the_timeout_applies_abandon(moto):
    cap_timeouts(moto, 1)
    autoscaling = create_group(desired=1)
    (abandoned,) = instances(autoscaling)

    def replaced():
        """the first instance is replaced"""
        states = instances(autoscaling)
        return abandoned not in states and len(states) == 1 and states

    assert set(wait_for(replaced).values()) == {"Pending:Wait"}
    assert ec2_state(abandoned) == "terminated"
    assert moto.lifecycle_actions() == []  # a timeout is not a completion


def test_the_timeout_applies_continue(moto):
    cap_timeouts(moto, 1)
    autoscaling = create_group(desired=1, hooks=[{**LAUNCH_HOOK, "DefaultResult": "CONTINUE"}])
    (instance_id,) = instances(autoscaling)
    wait_for(lambda: instances(autoscaling) == {instance_id: "InService"})
    with pytest.raises(ClientError, match=NO_ACTIVE_ACTION):
        complete(autoscaling, instance_id, "ABANDON")


def test_a_heartbeat_restarts_the_timeout(moto):
    cap_timeouts(moto, 3)
    autoscaling = create_group(desired=1, hooks=[{**LAUNCH_HOOK, "DefaultResult": "CONTINUE"}])
    created = time.monotonic()
    (instance_id,) = instances(autoscaling)
    time.sleep(1.5)
    autoscaling.record_lifecycle_action_heartbeat(AutoScalingGroupName=GROUP, LifecycleHookName="launch", InstanceId=instance_id)
    # Past the first deadline (3 s after the launch), before the heartbeat's (3 s after it).
    time.sleep(max(0.0, created + 3.5 - time.monotonic()))
    assert instances(autoscaling) == {instance_id: "Pending:Wait"}
    wait_for(lambda: instances(autoscaling) == {instance_id: "InService"})


def test_a_heartbeat_without_a_pending_action_is_refused(moto):
    autoscaling = create_group(desired=1)
    (instance_id,) = instances(autoscaling)
    complete(autoscaling, instance_id, "CONTINUE")
    with pytest.raises(ClientError, match=NO_ACTIVE_ACTION):
        autoscaling.record_lifecycle_action_heartbeat(AutoScalingGroupName=GROUP, LifecycleHookName="launch",
                                                      InstanceId=instance_id)


def test_a_group_without_hooks_is_in_service_at_once(moto):
    autoscaling = create_group(hooks=())
    assert list(instances(autoscaling).values()) == ["InService", "InService"]


def test_a_hook_put_after_the_launch_leaves_the_instances_in_service(moto):
    autoscaling = create_group(desired=1, hooks=())
    autoscaling.put_lifecycle_hook(AutoScalingGroupName=GROUP, **LAUNCH_HOOK)
    (instance_id,) = instances(autoscaling)
    assert instances(autoscaling) == {instance_id: "InService"}
    # The leniency the older tests rely on: one completion, recorded, the state unchanged.
    complete(autoscaling, instance_id, "CONTINUE")
    assert instances(autoscaling) == {instance_id: "InService"}
    with pytest.raises(ClientError, match=NO_ACTIVE_ACTION):
        complete(autoscaling, instance_id, "CONTINUE")
    # Later launches wait in the hook.
    autoscaling.set_desired_capacity(AutoScalingGroupName=GROUP, DesiredCapacity=2)
    states = instances(autoscaling)
    assert states[instance_id] == "InService" and sorted(states.values()) == ["InService", "Pending:Wait"]


def test_reset_cancels_pending_actions(moto):
    cap_timeouts(moto, 1)
    create_group(desired=1)
    assert len(moto.pending_lifecycle_actions()) == 1
    moto.reset()
    assert moto.pending_lifecycle_actions() == []
    # The cap went with the reset: a new group's action waits the hook's own 1800 s.
    autoscaling = create_group(desired=1)
    (instance_id,) = instances(autoscaling)
    time.sleep(1.8)
    assert instances(autoscaling) == {instance_id: "Pending:Wait"}


TERMINATE_HOOK = {"LifecycleHookName": "terminate", "LifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING",
                  "HeartbeatTimeout": 900, "DefaultResult": "CONTINUE"}


def in_service_group(desired, hooks=(TERMINATE_HOOK,)):
    """A group whose instances are in service, with ``hooks`` (a terminating one by default)."""
    autoscaling = create_group(desired=desired, hooks=hooks)
    for instance_id, state in instances(autoscaling).items():
        if state == "Pending:Wait":
            complete(autoscaling, instance_id, "CONTINUE")
    return autoscaling


def test_scale_in_holds_the_leaving_instance_in_terminating_wait_until_continue(moto):
    autoscaling = in_service_group(desired=3, hooks=(LAUNCH_HOOK, TERMINATE_HOOK))
    oldest = list(instances(autoscaling))[0]
    autoscaling.set_desired_capacity(AutoScalingGroupName=GROUP, DesiredCapacity=2)
    states = instances(autoscaling)
    # The leaving instance waits, out of the capacity: no replacement is launched for it.
    assert states[oldest] == "Terminating:Wait" and sorted(states.values()) == ["InService", "InService",
                                                                                "Terminating:Wait"]
    assert ec2_state(oldest) == "running"
    complete(autoscaling, oldest, "CONTINUE", hook="terminate")
    assert oldest not in instances(autoscaling) and len(instances(autoscaling)) == 2
    assert ec2_state(oldest) == "terminated"
    with pytest.raises(ClientError, match="Group|No active Lifecycle Action"):
        complete(autoscaling, oldest, "CONTINUE", hook="terminate")


def test_the_terminating_timeout_lets_the_instance_go(moto):
    cap_timeouts(moto, 1)
    autoscaling = in_service_group(desired=2)
    leaving = list(instances(autoscaling))[0]
    autoscaling.set_desired_capacity(AutoScalingGroupName=GROUP, DesiredCapacity=1)
    assert instances(autoscaling)[leaving] == "Terminating:Wait"
    wait_for(lambda: leaving not in instances(autoscaling), seconds=10)
    assert ec2_state(leaving) == "terminated"
    # The timeout is no completion.
    assert all(action["InstanceId"] != leaving for action in moto.lifecycle_actions())


def test_terminate_instance_in_the_group_waits_and_a_replacement_launches_without_the_decrement(moto):
    autoscaling = in_service_group(desired=2)
    first, second = list(instances(autoscaling))
    autoscaling.terminate_instance_in_auto_scaling_group(InstanceId=first, ShouldDecrementDesiredCapacity=False)
    states = instances(autoscaling)
    assert states[first] == "Terminating:Wait" and len(states) == 3
    with pytest.raises(ClientError, match="already terminating"):
        autoscaling.terminate_instance_in_auto_scaling_group(InstanceId=first, ShouldDecrementDesiredCapacity=False)
    autoscaling.terminate_instance_in_auto_scaling_group(InstanceId=second, ShouldDecrementDesiredCapacity=True)
    (group,) = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[GROUP])["AutoScalingGroups"]
    assert group["DesiredCapacity"] == 1
    assert sorted(instances(autoscaling).values()) == ["InService", "Terminating:Wait", "Terminating:Wait"]
    complete(autoscaling, first, "ABANDON", hook="terminate")
    assert first not in instances(autoscaling) and ec2_state(first) == "terminated"


def test_a_group_with_instances_is_deleted_only_by_force_and_then_without_its_hooks(moto):
    autoscaling = in_service_group(desired=2)
    leaving = list(instances(autoscaling))[0]
    autoscaling.set_desired_capacity(AutoScalingGroupName=GROUP, DesiredCapacity=1)
    with pytest.raises(ClientError, match="ResourceInUse"):
        autoscaling.delete_auto_scaling_group(AutoScalingGroupName=GROUP)
    members = list(instances(autoscaling))
    autoscaling.delete_auto_scaling_group(AutoScalingGroupName=GROUP, ForceDelete=True)
    assert autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[GROUP])["AutoScalingGroups"] == []
    assert {ec2_state(instance_id) for instance_id in members} == {"terminated"} and leaving in members
    assert moto.pending_lifecycle_actions() == []
