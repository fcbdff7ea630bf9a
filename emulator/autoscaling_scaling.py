"""How an Auto Scaling group's instances come and go through its lifecycle hooks (autoscaling_hooks.py
holds the hooks and their actions), emulated inside the moto server process.

moto puts every launched instance in service at once and terminates a leaving one at once. Here:

- An instance launched into a group with an ``autoscaling:EC2_INSTANCE_LAUNCHING`` hook waits in
  ``Pending:Wait`` and counts toward the group's capacity (moto launches no extra one for it).
- With an ``autoscaling:EC2_INSTANCE_TERMINATING`` hook, an instance leaving the group on
  scale-in (a lower desired capacity: the oldest unprotected instances, as moto picks them) or
  through TerminateInstanceInAutoScalingGroup waits in ``Terminating:Wait``, no longer counted
  in the group's capacity (with ``ShouldDecrementDesiredCapacity`` false the group launches its
  replacement at once), until each terminating hook's action ends: CONTINUE, ABANDON (which
  skips the instance's other terminating hooks) or the timeout's default result all terminate
  it and take it out of the group. Terminating an instance already waiting to terminate, or
  below the group's minimum with the decrement, is a ``ValidationError``, as from AWS.
  DeleteAutoScalingGroup refuses a group that has instances (``ResourceInUse``) unless
  ``ForceDelete`` is set, which ends its instances at once, waiting ones included, without
  their hooks, as in AWS (Terraform's ``force_delete``; without it Terraform drains the group
  first, through the hooks).
- Not emulated: load balancers keeping a waiting instance out (moto registers it with the group's
  load balancers and target groups at launch and keeps a leaving one registered; the sandbox's
  load balancer stand-in forwards to in-service instances only); connection draining before
  Terminating:Wait.
"""

from __future__ import annotations

import threading

from emulator.autoscaling_hooks import (
    LAUNCHING,
    PENDING_WAIT,
    TERMINATING,
    TERMINATING_WAIT,
    drop_actions,
    hold,
    hooks_of,
)
from emulator.state import BACKEND_LOCK

# Set while DeleteAutoScalingGroup with ForceDelete runs: its instances go without their hooks.
_forcing = threading.local()


def _emulated_launch(original):
    def replace_autoscaling_group_instances(self, count_needed, propagated_tags):
        with BACKEND_LOCK:
            before = {state.instance.id for state in self.instance_states}
            original(self, count_needed, propagated_tags)
            hooks = hooks_of(self.autoscaling_backend, self.name, LAUNCHING)
            if not hooks:
                return
            for state in self.instance_states:
                if state.instance.id not in before:
                    hold(self, state, hooks, LAUNCHING)

    return replace_autoscaling_group_instances


def _emulated_set_desired_capacity(original):
    def set_desired_capacity(self, new_capacity):
        with BACKEND_LOCK:
            hooks = hooks_of(self.autoscaling_backend, self.name, TERMINATING)
            desired = self.min_size if new_capacity is None else new_capacity
            active = self.active_instances()
            if not hooks or getattr(_forcing, "group", None) == self.name or len(active) <= (desired or 0):
                return original(self, new_capacity)
            # Scale-in: the leaving instances (the oldest unprotected ones, as moto picks them) wait
            # in Terminating:Wait, out of the group's capacity, until their actions end.
            self.desired_capacity = desired
            leaving = [state for state in active if not state.protected_from_scale_in][:len(active) - (desired or 0)]
            for state in leaving:
                drop_actions(state.instance.id)  # a leaving instance still in Pending:Wait
                hold(self, state, hooks, TERMINATING)
            if self.name in self.autoscaling_backend.autoscaling_groups:
                self.autoscaling_backend.update_attached_elbs(self.name)

    return set_desired_capacity


def _emulated_terminate_instance(original):
    def terminate_instance(self, instance_id, should_decrement):
        from moto.autoscaling.exceptions import ValidationError
        from moto.autoscaling.models import TerminateInstanceActivity

        with BACKEND_LOCK:
            group, state = next(((group, state) for group in self.autoscaling_groups.values()
                                 for state in group.instance_states if state.instance.id == instance_id), (None, None))
            hooks = hooks_of(self, group.name, TERMINATING) if group else []
            if not hooks:
                return original(self, instance_id, should_decrement)
            if state.lifecycle_state == TERMINATING_WAIT:
                raise ValidationError(f"The instance {instance_id} is already terminating")
            original_size = group.desired_capacity
            if should_decrement:
                if group.desired_capacity - 1 < group.min_size:
                    raise ValidationError(f"Currently, desiredSize equals minSize ({group.min_size}). Terminating "
                                          "instance without "
                                          "replacement will violate group's min size constraint. Either set "
                                          "shouldDecrementDesiredCapacity flag to false or lower group's min size.")
                group.desired_capacity -= 1
            drop_actions(instance_id)
            hold(group, state, hooks, TERMINATING)
            # Without the decrement, the group launches a replacement for the capacity it left.
            group.set_desired_capacity(group.desired_capacity)
            return TerminateInstanceActivity(state.instance, original_size)

    return terminate_instance


def _emulated_delete_auto_scaling_group(original):
    def delete_auto_scaling_group(self):
        from moto.autoscaling.exceptions import AutoscalingClientError

        group_name = self._get_param("AutoScalingGroupName")
        force = self._get_bool_param("ForceDelete", False)
        with BACKEND_LOCK:
            group = self.autoscaling_backend.autoscaling_groups.get(group_name)
            if group is not None and group.instance_states and not force:
                raise AutoscalingClientError("ResourceInUse", "You cannot delete an AutoScalingGroup while there are "
                                             "instances or pending Spot instance requests")
            if group is not None:
                for state in group.instance_states:
                    drop_actions(state.instance.id)
                leaving = [state for state in group.instance_states if state.lifecycle_state == TERMINATING_WAIT]
                group.instance_states = [state for state in group.instance_states if state not in leaving]
                if leaving:
                    self.autoscaling_backend.ec2_backend.terminate_instances([state.instance.id for state in leaving])
            _forcing.group = group_name
            try:
                return original(self)
            finally:
                _forcing.group = None

    return delete_auto_scaling_group


def _active_instances(self):
    # A waiting instance holds its place in the group's capacity, so moto launches no extra one.
    return [state for state in self.instance_states if state.lifecycle_state in ("InService", PENDING_WAIT)]



def install() -> None:
    """Launches, scale-in, TerminateInstanceInAutoScalingGroup and DeleteAutoScalingGroup through the hooks."""
    from moto.autoscaling.models import AutoScalingBackend, FakeAutoScalingGroup
    from moto.autoscaling.responses import AutoScalingResponse

    AutoScalingResponse.delete_auto_scaling_group = _emulated_delete_auto_scaling_group(
        AutoScalingResponse.delete_auto_scaling_group)
    AutoScalingBackend.terminate_instance = _emulated_terminate_instance(AutoScalingBackend.terminate_instance)
    FakeAutoScalingGroup.set_desired_capacity = _emulated_set_desired_capacity(FakeAutoScalingGroup.set_desired_capacity)
    FakeAutoScalingGroup.replace_autoscaling_group_instances = _emulated_launch(
        FakeAutoScalingGroup.replace_autoscaling_group_instances)
    FakeAutoScalingGroup.active_instances = _active_instances
