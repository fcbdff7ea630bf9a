"""AWS APIs the project calls that moto 5.2.5 lacks, emulated inside the moto server process.

Tests still talk to the server over HTTP with the real AWS SDK and the project's modules; only the
missing answer is supplied here. Each emulation says what it checks and what it cannot.

* ``autoscaling:CompleteLifecycleAction`` (moto answers it with a 500). Checked as AWS does: the
  group exists, the hook exists on it, the instance belongs to it, the result is CONTINUE or
  ABANDON (otherwise a ``ValidationError``). Not checked: whether an action is pending, because
  moto stores lifecycle hooks without enforcing them, so no instance is ever in a ``Wait`` state.
  Every completion is recorded; ``GET /_dataplatform/lifecycle-actions`` lists them and moto's
  reset clears them.
* ``ec2:GetConsoleOutput`` (moto answers every instance with the same canned kernel log). An
  instance's console is what the host printed: whoever plays the hypervisor (the sandbox, reading
  its container's tty) posts it to ``POST /_dataplatform/console-output/<instance-id>``, and
  GetConsoleOutput returns it (base64, as AWS does) for an instance moto knows; an instance nobody
  posted for keeps moto's canned output. Not emulated: AWS's delay of a few minutes before the
  output appears, and its 64 KiB limit.
* **Policy conditions** (moto evaluates a statement's Condition only for ``StringEquals``, treats
  every other operator as matching, and makes any statement whose condition fails a Deny). Here a
  statement applies only when its conditions hold, Allow and Deny alike, as in AWS; the operators
  ``String(Not)Equals``, ``String(Not)Like``, ``Bool``, ``Arn(Not)Equals``, ``Arn(Not)Like``
  (each also ``…IfExists``) and ``Null`` are evaluated; a statement with any other operator is
  taken as applying when it denies and as not applying when it allows (the stricter reading). The
  request's ``aws:SecureTransport`` is true only for HTTPS requests (the sandbox's endpoint speaks
  HTTPS, like AWS's). Other context keys (``aws:SourceAccount``, ``aws:PrincipalArn``, …) are
  supplied only where moto supplies them; a key that is absent makes its condition false.
"""

from __future__ import annotations

import json
import threading

LIFECYCLE_ACTIONS_PATH = "/_dataplatform/lifecycle-actions"
CONSOLE_OUTPUT_PATH = "/_dataplatform/console-output/"

_lock = threading.Lock()
_lifecycle_actions: list[dict] = []
_console_output: dict[str, str] = {}
# The context keys of the request being served (set per request by GapsMiddleware).
_request = threading.local()


def _condition_holds(operator: str, expected, actual) -> bool | None:
    """Whether one condition operator holds for a value (None: the key is absent); None when the
    operator is not one evaluated here."""
    import fnmatch

    if_exists = operator.endswith("IfExists")
    base = operator[: -len("IfExists")] if if_exists else operator
    expected = expected if isinstance(expected, list) else [expected]
    expected = [str(value) for value in expected]
    if base == "Null":
        return (actual is None) == (expected[0].lower() == "true")
    if actual is None:
        return True if if_exists else (False if base in _POSITIVE_OPERATORS or base in _NEGATIVE_OPERATORS else None)
    actual = str(actual)
    if base in ("StringEquals", "ArnEquals"):
        return actual in expected
    if base in ("StringNotEquals", "ArnNotEquals"):
        return actual not in expected
    if base in ("StringLike", "ArnLike"):
        return any(fnmatch.fnmatchcase(actual, pattern) for pattern in expected)
    if base in ("StringNotLike", "ArnNotLike"):
        return not any(fnmatch.fnmatchcase(actual, pattern) for pattern in expected)
    if base == "Bool":
        return actual.lower() in [value.lower() for value in expected]
    return None


_POSITIVE_OPERATORS = {"StringEquals", "ArnEquals", "StringLike", "ArnLike", "Bool"}
_NEGATIVE_OPERATORS = {"StringNotEquals", "ArnNotEquals", "StringNotLike", "ArnNotLike"}


def _statement_applies(statement: dict, incoming: dict | None) -> bool:
    values = {**getattr(_request, "context", {}), **(incoming or {})}
    for operator, pairs in (statement.get("Condition") or {}).items():
        for key, expected in pairs.items():
            holds = _condition_holds(operator, expected, values.get(key))
            if holds is None:
                return statement.get("Effect") == "Deny"
            if not holds:
                return False
    return True


def _is_action_permitted(self, action, resource="*", principal=None, incoming_condition_values=None):
    from moto.iam.access_control import PermissionResult

    if "NotAction" in self._statement:
        concerned = not self._check_element_matches("NotAction", action)
    else:
        concerned = self._check_element_matches("Action", action)
    if not concerned:
        return PermissionResult.NEUTRAL
    if self.is_unknown_principal(self._statement.get("Principal")):
        return PermissionResult.NEUTRAL
    if principal and not self._check_principal(principal):
        return PermissionResult.NEUTRAL
    if not _statement_applies(self._statement, incoming_condition_values):
        return PermissionResult.NEUTRAL
    if not self._statement.get("Resource"):
        return PermissionResult.PERMITTED if self._statement.get("Effect") == "Allow" else PermissionResult.DENIED
    if not self._check_element_matches("Resource", resource):
        return PermissionResult.NEUTRAL
    return PermissionResult.PERMITTED if self._statement["Effect"] == "Allow" else PermissionResult.DENIED


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


def _get_console_output(self):
    from moto.core.responses import ActionResult
    from moto.core.utils import utcnow
    from moto.ec2.responses.general import General
    from moto.ec2.utils import Base64EncodedString

    instance_id = self._get_param("InstanceId")
    with _lock:
        posted = _console_output.get(instance_id)
    if posted is None:
        return General.get_console_output(self)
    instance = self.ec2_backend.get_instance(instance_id)
    return ActionResult({"InstanceId": instance.id, "Timestamp": utcnow(),
                         "Output": Base64EncodedString.from_raw_string(posted)})


class GapsMiddleware:
    """Serves the record of emulated calls and clears it on moto's reset."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        _request.context = {"aws:SecureTransport": "true" if environ.get("wsgi.url_scheme") == "https" else "false"}
        path = environ.get("PATH_INFO", "")
        if path == LIFECYCLE_ACTIONS_PATH:
            with _lock:
                payload = json.dumps(_lifecycle_actions).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
            return [payload]
        if path.startswith(CONSOLE_OUTPUT_PATH) and environ.get("REQUEST_METHOD") == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            text = environ["wsgi.input"].read(length).decode("utf-8", "replace")
            with _lock:
                _console_output[path[len(CONSOLE_OUTPUT_PATH):]] = text
            start_response("204 No Content", [("Content-Length", "0")])
            return [b""]
        if path == "/moto-api/reset":
            with _lock:
                _lifecycle_actions.clear()
                _console_output.clear()
        return self.app(environ, start_response)


def install(app):
    """Adds the emulated APIs to moto and wraps the server's WSGI ``app``."""
    from moto.autoscaling.responses import AutoScalingResponse

    AutoScalingResponse.complete_lifecycle_action = _complete_lifecycle_action
    from moto.ec2.responses import EC2Response
    from moto.iam.access_control import IAMPolicyStatement

    EC2Response.get_console_output = _get_console_output
    IAMPolicyStatement.is_action_permitted = _is_action_permitted
    return GapsMiddleware(app)
