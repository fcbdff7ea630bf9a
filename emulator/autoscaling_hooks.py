"""Auto Scaling lifecycle hooks as AWS runs them, emulated inside the moto server process: the
hooks, their pending actions, CompleteLifecycleAction and RecordLifecycleActionHeartbeat.

moto stores lifecycle hooks without enforcing them (every instance is InService at once), ignores
CreateAutoScalingGroup's ``LifecycleHookSpecificationList``, and has no CompleteLifecycleAction (a
500) and no RecordLifecycleActionHeartbeat. Emulated as AWS documents (autoscaling_scaling.py puts
the instances a group launches or lets go in the wait states):

- CreateAutoScalingGroup's ``LifecycleHookSpecificationList`` puts those hooks on the group
  before its first instances launch (a transition other than launching/terminating is a
  ``ValidationError``; a group that fails to be created leaves none behind).
- An instance launched into a group with an ``autoscaling:EC2_INSTANCE_LAUNCHING`` hook waits in
  ``Pending:Wait`` (DescribeAutoScalingGroups and DescribeAutoScalingInstances show it) and
  counts toward the group's capacity; with several launch hooks it waits for each of them.
  Instances already in the group when a hook is put stay as they are (AWS applies a hook to
  later launches only).
- ``CompleteLifecycleAction`` checks the group, the hook, the instance (``InstanceId``, or the
  action's ``LifecycleActionToken``) and the result (CONTINUE or ABANDON), then the pending
  action: none pending for that instance and hook is a ``ValidationError`` "No active Lifecycle
  Action found …", as from AWS (completing twice, or after the timeout). CONTINUE puts the
  instance in service once no launch hook holds it; ABANDON terminates it (EC2 state
  terminated, out of the group) and the group launches a replacement, which waits in turn.
  Every completion is recorded; ``GET /_dataplatform/lifecycle-actions`` lists them. AWS hands
  out an action's token only in the hook's notification, which is not emulated;
  ``GET /_dataplatform/lifecycle-actions/pending`` lists the pending actions with their tokens
  instead.
- ``RecordLifecycleActionHeartbeat`` (same checks) restarts the action's heartbeat timeout; when
  an action has waited its hook's ``HeartbeatTimeout`` (default 3600 s) without completion, the
  hook's ``DefaultResult`` is applied as above (a timer in the server process; it is not
  recorded as a completion). For the sandbox and the tests every timeout may be shortened: the
  environment variable ``DATAPLATFORM_LIFECYCLE_TIMEOUT_SECONDS`` of the server process caps
  each hook's timeout, and ``POST /_dataplatform/lifecycle-timeout`` with a number of seconds as
  its body sets that cap for the running server (an empty body goes back to the variable).
  A cap applies to actions started or heartbeated after it is set.
- One leniency AWS does not have: an instance that was already in its group when the hook was
  put (the state the older tests build, describing such instances as waiting through a static
  inventory) may have that hook's action completed once; the completion is recorded and the
  instance's state is left alone.
- Not emulated: the global timeout (48 h or 100 heartbeats); notifications to the hook's target
(EventBridge's event is eventbridge.py's); DeleteLifecycleHook ending the hook's pending actions
(they end at their timeout with its default result).

The timers take the lock the server serves every request under (state.BACKEND_LOCK), so a timer
never changes a group while a request reads or changes it. moto's reset cancels every pending
action and timer (:func:`forget`).
"""

from __future__ import annotations

import os
import threading
import uuid
from dataclasses import dataclass, field

from emulator import eventbridge
from emulator.settings import LIFECYCLE_TIMEOUT_VARIABLE
from emulator.state import BACKEND_LOCK

LAUNCHING = "autoscaling:EC2_INSTANCE_LAUNCHING"
TERMINATING = "autoscaling:EC2_INSTANCE_TERMINATING"
TRANSITIONS = (LAUNCHING, TERMINATING)
PENDING_WAIT = "Pending:Wait"
TERMINATING_WAIT = "Terminating:Wait"

# Every completion since the last reset (client.LIFECYCLE_ACTIONS_PATH serves it).
_lifecycle_actions: list[dict] = []

@dataclass(eq=False)
class _LifecycleAction:
    """One instance waiting for one hook, as the lifecycle-hook emulation holds it."""

    backend: object
    group_name: str
    hook_name: str
    instance_id: str
    default_result: str
    heartbeat_timeout: float
    transition: str = LAUNCHING
    token: str = field(default_factory=lambda: str(uuid.uuid4()))
    timer: threading.Timer | None = None


# Pending actions by (instance id, hook name); moto's instance ids are unique across backends.
_pending: dict[tuple[str, str], _LifecycleAction] = {}
# Instances already in a group when a hook was put on it, by (account, region, group, hook).
_predating: dict[tuple[str, str, str, str], set[str]] = {}
# The cap set through client.LIFECYCLE_TIMEOUT_PATH; None: the environment variable's, if any.
_timeout_cap: float | None = None


def _hook_key(backend, group_name: str, hook_name: str) -> tuple[str, str, str, str]:
    return (backend.account_id, backend.region_name, group_name, hook_name)


def effective_timeout(hook_timeout) -> float:
    cap = _timeout_cap
    if cap is None and os.environ.get(LIFECYCLE_TIMEOUT_VARIABLE):
        cap = float(os.environ[LIFECYCLE_TIMEOUT_VARIABLE])
    timeout = float(hook_timeout or 3600)
    return min(timeout, cap) if cap is not None else timeout


def _arm(action: _LifecycleAction) -> None:
    """(Re)starts the action's heartbeat timeout. Call with the backend lock held."""
    if action.timer is not None:
        action.timer.cancel()
    action.timer = threading.Timer(action.heartbeat_timeout, _time_out, args=(action,))
    action.timer.daemon = True
    action.timer.start()


def _time_out(action: _LifecycleAction) -> None:
    with BACKEND_LOCK:
        # A completion, a heartbeat's new timer or a reset may have won the race for the lock.
        if _pending.get((action.instance_id, action.hook_name)) is not action:
            return
        _end_action(action, action.default_result)


def _group_state(backend, group_name: str, instance_id: str):
    group = backend.autoscaling_groups.get(group_name)
    if group is None:
        return None, None
    return group, next((state for state in group.instance_states if state.instance.id == instance_id), None)


def drop_actions(instance_id: str) -> None:
    """Forgets every pending action of an instance. Call with the backend lock held."""
    for key, other in list(_pending.items()):
        if key[0] == instance_id:
            _pending.pop(key)
            if other.timer is not None:
                other.timer.cancel()


def _end_action(action: _LifecycleAction, result: str) -> None:
    """Applies an action's result to its instance. Call with the backend lock held."""
    _pending.pop((action.instance_id, action.hook_name), None)
    if action.timer is not None:
        action.timer.cancel()
    backend = action.backend
    group, state = _group_state(backend, action.group_name, action.instance_id)
    if state is None:
        return  # the instance left the group meanwhile (TerminateInstances, group deleted)
    if action.transition == TERMINATING:
        # Either result lets the instance go; ABANDON also skips its other terminating hooks.
        if result == "ABANDON":
            drop_actions(action.instance_id)
        if not any(key[0] == action.instance_id for key in _pending):
            group.instance_states = [other for other in group.instance_states if other is not state]
            backend.ec2_backend.terminate_instances([action.instance_id])
            backend.update_attached_elbs(group.name)
        return
    if result == "ABANDON":
        drop_actions(action.instance_id)
        backend.ec2_backend.terminate_instances([action.instance_id])
        # moto's own path for a terminated group instance: out of the group, a replacement launched
        # for the capacity it held, the load balancers told.
        backend.notify_terminate_instances([action.instance_id])
        backend.elbv2_backend.notify_terminate_instances([action.instance_id])
        return
    if not any(key[0] == action.instance_id for key in _pending):
        state.lifecycle_state = "InService"
        backend.update_attached_elbs(group.name)


def hooks_of(backend, group_name: str, transition: str) -> list:
    return [hook for hook in backend.lifecycle_hooks.values()
            if hook.auto_scaling_group_name == group_name and hook.lifecycle_transition == transition]


def hold(group, state, hooks: list, transition: str) -> None:
    """Puts an instance in the wait state of ``transition`` until each hook's action ends. Call with
    the backend lock held."""
    state.lifecycle_state = PENDING_WAIT if transition == LAUNCHING else TERMINATING_WAIT
    for hook in hooks:
        action = _LifecycleAction(group.autoscaling_backend, group.name, hook.name, state.instance.id,
                                  hook.default_result, effective_timeout(hook.heartbeat_timeout), transition)
        _pending[(action.instance_id, hook.name)] = action
        _arm(action)
        eventbridge.lifecycle_action_event(group.autoscaling_backend, group, hook, action.instance_id, action.token,
                                           transition)



def _emulated_create_lifecycle_hook(original):
    def create_lifecycle_hook(self, name, as_name, transition, timeout, result):
        with BACKEND_LOCK:
            is_new = f"{as_name}_{name}" not in self.lifecycle_hooks
            hook = original(self, name, as_name, transition, timeout, result)
            group = self.autoscaling_groups.get(as_name)
            if is_new:
                _predating[_hook_key(self, as_name, name)] = {
                    state.instance.id for state in (group.instance_states if group else [])}
            return hook

    return create_lifecycle_hook


def _emulated_create_auto_scaling_group(original):
    def create_auto_scaling_group(self):
        from moto.autoscaling.exceptions import ValidationError

        group_name = self._get_param("AutoScalingGroupName")
        specifications = self._get_param("LifecycleHookSpecificationList", []) or []
        backend = self.autoscaling_backend
        for specification in specifications:
            if specification.get("LifecycleTransition") not in TRANSITIONS:
                raise ValidationError(f"LifecycleTransition must be one of {', '.join(TRANSITIONS)}, "
                                      f"not {specification.get('LifecycleTransition')}")
        created = []
        for specification in specifications:
            name = specification["LifecycleHookName"]
            if f"{group_name}_{name}" not in backend.lifecycle_hooks:
                created.append(name)
            timeout = specification.get("HeartbeatTimeout")
            backend.create_lifecycle_hook(name=name, as_name=group_name, transition=specification["LifecycleTransition"],
                                          timeout=int(timeout) if timeout is not None else None,
                                          result=specification.get("DefaultResult"))
        try:
            return original(self)
        except Exception:
            with BACKEND_LOCK:
                for name in created:
                    backend.delete_lifecycle_hook(group_name, name)
                    _predating.pop(_hook_key(backend, group_name, name), None)
            raise

    return create_auto_scaling_group


def _lifecycle_request(self):
    """The group, hook and instance a lifecycle action call names, checked as AWS checks them, and
    its pending action (None if there is none)."""
    from moto.autoscaling.exceptions import ValidationError

    group_name = self._get_param("AutoScalingGroupName")
    hook_name = self._get_param("LifecycleHookName")
    instance_id = self._get_param("InstanceId")
    token = self._get_param("LifecycleActionToken")
    backend = self.autoscaling_backend
    group = backend.autoscaling_groups.get(group_name)
    if group is None:
        raise ValidationError(f"Group {group_name} not found")
    if f"{group_name}_{hook_name}" not in backend.lifecycle_hooks:
        raise ValidationError(f"No Lifecycle Hook found with name {hook_name} for group {group_name}")
    if not instance_id and not token:
        raise ValidationError("Either InstanceId or LifecycleActionToken must be given")
    if instance_id:
        action = _pending.get((instance_id, hook_name))
        if action is not None and action.backend is not backend:
            action = None
    else:
        action = next((candidate for candidate in _pending.values() if candidate.token == token
                       and candidate.backend is backend and candidate.hook_name == hook_name), None)
        if action is None:
            raise ValidationError(f"No active Lifecycle Action found with token {token}")
        instance_id = action.instance_id
    if instance_id not in [state.instance.id for state in group.instance_states]:
        raise ValidationError(f"No active Lifecycle Action found with instance ID {instance_id}")
    if action is not None and action.group_name != group_name:
        action = None
    return group_name, hook_name, instance_id, action


def _complete_lifecycle_action(self):
    from moto.autoscaling.exceptions import ValidationError
    from moto.core.responses import EmptyResult

    result = self._get_param("LifecycleActionResult")
    with BACKEND_LOCK:
        group_name, hook_name, instance_id, action = _lifecycle_request(self)
        if result not in ("CONTINUE", "ABANDON"):
            raise ValidationError(f"LifecycleActionResult must be CONTINUE or ABANDON, not {result}")
        if action is None:
            predating = _predating.get(_hook_key(self.autoscaling_backend, group_name, hook_name), set())
            if instance_id not in predating:
                raise ValidationError(f"No active Lifecycle Action found with instance ID {instance_id}")
            predating.discard(instance_id)
        else:
            _end_action(action, result)
        _lifecycle_actions.append(
            {"AutoScalingGroupName": group_name, "LifecycleHookName": hook_name, "InstanceId": instance_id,
             "LifecycleActionResult": result}
        )
    return EmptyResult()


def _record_lifecycle_action_heartbeat(self):
    from moto.autoscaling.exceptions import ValidationError
    from moto.core.responses import EmptyResult

    with BACKEND_LOCK:
        _, _, instance_id, action = _lifecycle_request(self)
        if action is None:
            raise ValidationError(f"No active Lifecycle Action found with instance ID {instance_id}")
        hook = self.autoscaling_backend.lifecycle_hooks.get(f"{action.group_name}_{action.hook_name}")
        action.heartbeat_timeout = effective_timeout(hook.heartbeat_timeout if hook else action.heartbeat_timeout)
        _arm(action)
    return EmptyResult()


def set_timeout_cap(seconds: float | None) -> None:
    global _timeout_cap
    with BACKEND_LOCK:
        _timeout_cap = seconds


def forget() -> None:
    global _timeout_cap
    with BACKEND_LOCK:
        for action in _pending.values():
            if action.timer is not None:
                action.timer.cancel()
        _pending.clear()
        _predating.clear()
        _lifecycle_actions.clear()
        _timeout_cap = None



def completed_actions() -> list[dict]:
    """Every lifecycle action completed since the last reset."""
    with BACKEND_LOCK:
        return list(_lifecycle_actions)


def pending_actions() -> list[dict]:
    """The actions waiting now, with their tokens (AWS hands a token out only in the hook's notification)."""
    with BACKEND_LOCK:
        return [{"AutoScalingGroupName": action.group_name, "LifecycleHookName": action.hook_name,
                 "InstanceId": action.instance_id, "LifecycleActionToken": action.token}
                for action in _pending.values()]


def install() -> None:
    """The hooks' API: CreateAutoScalingGroup's hook specifications, CreateLifecycleHook,
    CompleteLifecycleAction and RecordLifecycleActionHeartbeat."""
    from moto.autoscaling.models import AutoScalingBackend
    from moto.autoscaling.responses import AutoScalingResponse

    AutoScalingResponse.complete_lifecycle_action = _complete_lifecycle_action
    AutoScalingResponse.record_lifecycle_action_heartbeat = _record_lifecycle_action_heartbeat
    AutoScalingResponse.create_auto_scaling_group = _emulated_create_auto_scaling_group(
        AutoScalingResponse.create_auto_scaling_group)
    AutoScalingBackend.create_lifecycle_hook = _emulated_create_lifecycle_hook(AutoScalingBackend.create_lifecycle_hook)
