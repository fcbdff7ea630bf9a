"""AWS APIs the project calls that moto 5.2.5 lacks, emulated inside the moto server process.

Tests still talk to the server over HTTP with the real AWS SDK and the project's modules; only the
missing answer is supplied here. Each emulation says what it checks and what it cannot.

* ``autoscaling:CompleteLifecycleAction`` (moto answers it with a 500). Checked as AWS does: the
  group exists, the hook exists on it, the instance belongs to it, the result is CONTINUE or
  ABANDON (otherwise a ``ValidationError``). Not checked: whether an action is pending, because
  moto stores lifecycle hooks without enforcing them, so no instance is ever in a ``Wait`` state.
  Every completion is recorded; ``GET /_dataplatform/lifecycle-actions`` lists them and moto's
  reset clears them.
"""

from __future__ import annotations

import json
import threading

LIFECYCLE_ACTIONS_PATH = "/_dataplatform/lifecycle-actions"

_lock = threading.Lock()
_lifecycle_actions: list[dict] = []


def _complete_lifecycle_action(self):
    from moto.autoscaling.exceptions import ValidationError
    from moto.core.responses import EmptyResult

    group_name = self._get_param("AutoScalingGroupName")
    hook_name = self._get_param("LifecycleHookName")
    instance_id = self._get_param("InstanceId")
    result = self._get_param("LifecycleActionResult")
    backend = self.autoscaling_backend
    group = backend.autoscaling_groups.get(group_name)
    if group is None:
        raise ValidationError("Group %s not found" % group_name)
    if "%s_%s" % (group_name, hook_name) not in backend.lifecycle_hooks:
        raise ValidationError("No Lifecycle Hook found with name %s for group %s" % (hook_name, group_name))
    if instance_id not in [state.instance.id for state in group.instance_states]:
        raise ValidationError("No active Lifecycle Action found with instance ID %s" % instance_id)
    if result not in ("CONTINUE", "ABANDON"):
        raise ValidationError("LifecycleActionResult must be CONTINUE or ABANDON, not %s" % result)
    with _lock:
        _lifecycle_actions.append(
            {"AutoScalingGroupName": group_name, "LifecycleHookName": hook_name, "InstanceId": instance_id,
             "LifecycleActionResult": result}
        )
    return EmptyResult()


class GapsMiddleware:
    """Serves the record of emulated calls and clears it on moto's reset."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == LIFECYCLE_ACTIONS_PATH:
            with _lock:
                payload = json.dumps(_lifecycle_actions).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
            return [payload]
        if path == "/moto-api/reset":
            with _lock:
                _lifecycle_actions.clear()
        return self.app(environ, start_response)


def install(app):
    """Adds the emulated APIs to moto and wraps the server's WSGI ``app``."""
    from moto.autoscaling.responses import AutoScalingResponse

    AutoScalingResponse.complete_lifecycle_action = _complete_lifecycle_action
    return GapsMiddleware(app)
