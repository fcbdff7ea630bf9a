"""The one client of the emulator's own API: every ``/_dataplatform/*`` path is named here, and
the router (router.py) serves exactly these. Tests, the sandbox, the benchmarks and the AWX
stand-in call the server through :class:`EmulatorClient` instead of building these URLs.

Standard library only: a caller needs neither moto nor the emulation's modules to use it.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request

PREFIX = "/_dataplatform/"
# GET: every AWS request served since the last reset (request_log.py); DELETE clears the list.
REQUESTS_PATH = "/_dataplatform/requests"
# GET: every lifecycle action completed (autoscaling_hooks.py).
LIFECYCLE_ACTIONS_PATH = "/_dataplatform/lifecycle-actions"
# GET: the lifecycle actions waiting, with their tokens.
PENDING_LIFECYCLE_ACTIONS_PATH = "/_dataplatform/lifecycle-actions/pending"
# POST seconds (empty: the server's own setting): caps every hook's timeout.
LIFECYCLE_TIMEOUT_PATH = "/_dataplatform/lifecycle-timeout"
# POST /_dataplatform/console-output/<instance-id>, the text: the instance's console (ec2_console.py).
CONSOLE_OUTPUT_PATH = "/_dataplatform/console-output/"
# GET: every API destination invocation (eventbridge.py); DELETE clears them.
API_DESTINATION_INVOCATIONS_PATH = "/_dataplatform/api-destination-invocations"
# GET: every notification of an alarm's state change, refused ones too (cloudwatch_alarms.py).
ALARM_DELIVERIES_PATH = "/_dataplatform/alarm-deliveries"
# GET: every EMR Serverless job run with its driver's output (emr_serverless.py).
JOB_RUNS_PATH = "/_dataplatform/emr-serverless/job-runs"
# POST {"RoleArn", "Service"}: a service's session of a role (iam/service_sessions.py).
SERVICE_SESSIONS_PATH = "/_dataplatform/service-sessions"
# moto's own: forget every resource (the router also clears every emulation's records).
RESET_PATH = "/moto-api/reset"


class EmulatorClient:
    """Calls the emulator's own API at ``endpoint``, trusting ``ca_bundle`` over HTTPS."""

    def __init__(self, endpoint: str, ca_bundle: str | None = None, timeout: float = 10) -> None:
        self.endpoint = endpoint
        self.ca_bundle = ca_bundle
        self.timeout = timeout

    def call(self, method: str, path: str, body: bytes | None = None, timeout: float | None = None) -> bytes:
        request = urllib.request.Request(self.endpoint + path, method=method, data=body)
        context = (ssl.create_default_context(cafile=str(self.ca_bundle))
                   if self.ca_bundle and self.endpoint.startswith("https") else None)
        with urllib.request.urlopen(request, timeout=timeout or self.timeout,
                                    context=context) as response:
            return response.read()

    def _json(self, path: str):
        return json.loads(self.call("GET", path))

    def answers(self, timeout: float = 2) -> bool:
        """The server answers its own API (it is up)."""
        try:
            self.call("GET", REQUESTS_PATH, timeout=timeout)
            return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def requests(self) -> list[dict]:
        """Every AWS request served since the last reset."""
        return self._json(REQUESTS_PATH)

    def clear_requests(self) -> None:
        self.call("DELETE", REQUESTS_PATH)

    def reset(self) -> None:
        """Forget every resource moto holds and every recorded request."""
        self.call("POST", RESET_PATH)
        self.clear_requests()

    def lifecycle_actions(self) -> list[dict]:
        """Every lifecycle action completed since the last reset (autoscaling_hooks.py's record)."""
        return self._json(LIFECYCLE_ACTIONS_PATH)

    def pending_lifecycle_actions(self) -> list[dict]:
        """The lifecycle actions waiting now, with their tokens."""
        return self._json(PENDING_LIFECYCLE_ACTIONS_PATH)

    def set_lifecycle_timeout(self, seconds: float | None) -> None:
        """Caps every lifecycle hook's timeout for actions started from now (None: the server's
        own setting again); autoscaling_hooks.py's emulation."""
        self.call("POST", LIFECYCLE_TIMEOUT_PATH, b"" if seconds is None else str(seconds).encode())

    def post_console_output(self, instance_id: str, text: str) -> None:
        """What the instance printed to its console, for ec2:GetConsoleOutput (ec2_console.py)."""
        self.call("POST", CONSOLE_OUTPUT_PATH + instance_id, text.encode("utf-8", "replace"))

    def api_destination_invocations(self) -> list[dict]:
        """Every API destination invocation since the last reset (eventbridge.py's record)."""
        return self._json(API_DESTINATION_INVOCATIONS_PATH)

    def clear_api_destination_invocations(self) -> None:
        self.call("DELETE", API_DESTINATION_INVOCATIONS_PATH)

    def alarm_deliveries(self) -> list[dict]:
        """Every notification of an alarm's state change since the last reset, refused ones too
        (cloudwatch_alarms.py; the delivered ones are also in :meth:`requests`)."""
        return self._json(ALARM_DELIVERIES_PATH)

    def emr_serverless_job_runs(self) -> list[dict]:
        """Every EMR Serverless job run since the last reset, with its driver's output (emr_serverless.py)."""
        return self._json(JOB_RUNS_PATH)

    def service_session(self, role_arn: str, service: str) -> dict:
        """The credentials a service gets when it assumes the role (iam/service_sessions.py):
        ``{"AccessKeyId", "SecretAccessKey", "SessionToken"}``."""
        return json.loads(self.call("POST", SERVICE_SESSIONS_PATH,
                                    json.dumps({"RoleArn": role_arn, "Service": service}).encode()))


def count_actions(requests: list[dict]) -> dict[str, int]:
    """``{"service:Action": count}`` of a list of recorded requests."""
    counts: dict[str, int] = {}
    for entry in requests:
        key = f"{entry['service']}:{entry['action']}"
        counts[key] = counts.get(key, 0) + 1
    return counts
