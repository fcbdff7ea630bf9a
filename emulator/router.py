"""The emulator's WSGI application: moto's server wrapped by every emulation, and the router
that answers the emulator's own API (``/_dataplatform/*``, whose paths client.py names).

A request goes through :class:`Router`:

1. its policy condition context begins (state.begin_request: ``aws:SecureTransport``), and EMR
   Serverless learns the server's own endpoint from it (its Spark jobs call back over S3A);
2. a ``/_dataplatform/*`` path is answered here, from the emulation that owns the record
   (an unknown one is a 404, never an AWS request);
3. ``POST /moto-api/reset`` first clears every emulation's records and timers (``forget()``);
4. everything else goes to request_log.CountingMiddleware, which records it and hands it to
   moto under the backend lock (state.BACKEND_LOCK).

:func:`install` patches moto, once per process, in this order (later patches wrap earlier ones
where two touch the same method: resource policies wrap the permissions boundary's check, which
wraps moto's):

==============================  =============================================================
autoscaling_hooks               lifecycle actions: Pending:Wait, Terminating:Wait, completion
autoscaling_scaling             launches, scale-in, TerminateInstance, DeleteAutoScalingGroup
ec2_console                     ec2:GetConsoleOutput returns what the host printed
acm_private_signing             ACM certificates of a private CA signed by that CA
iam.statement_conditions        identity policies' conditions and NotResource
eventbridge                     lifecycle events on the bus, API destinations
emr_serverless                  application states, the execution role's trust, job runs
iam.enforcement                 the resource of each request, the operator, boundaries
iam.resource_policies           bucket, secret, key and trust policies
iam.signatures                  signatures as AWS checks them, DeleteObjects per key
iam.cloudwatch_iam              CloudWatch's IAM prefix and cloudwatch:namespace
iam.web_identity                AssumeRoleWithWebIdentity against the trust policy
s3_versions                     delete markers removed by version id
autoscaling_metrics             the groups' metrics published to CloudWatch
cloudwatch_alarms               alarms evaluated on a timer (started last)
==============================  =============================================================
"""

from __future__ import annotations

import json

from emulator import (
    acm_private_signing,
    autoscaling_hooks,
    autoscaling_metrics,
    autoscaling_scaling,
    client,
    cloudwatch_alarms,
    ec2_console,
    emr_serverless,
    emr_serverless_spark,
    eventbridge,
    s3_versions,
    state,
)
from emulator.iam import (
    cloudwatch_iam,
    enforcement,
    resource_policies,
    service_sessions,
    signatures,
    statement_conditions,
    web_identity,
)
from emulator.request_log import CountingMiddleware

# Every emulation with records of its own, cleared on moto's reset.
FORGETFUL = (eventbridge, emr_serverless, autoscaling_hooks, ec2_console, cloudwatch_alarms)


def install() -> None:
    """Patches moto with every emulation, in the documented order (see the module's docstring)."""
    for emulation in (autoscaling_hooks, autoscaling_scaling, ec2_console, acm_private_signing,
                      statement_conditions, eventbridge, emr_serverless, enforcement, resource_policies,
                      signatures, cloudwatch_iam, web_identity, s3_versions, autoscaling_metrics):
        emulation.install()
    # Alarms are evaluated under the backend lock; their notifications go to the request log.
    cloudwatch_alarms.install(sources=(autoscaling_metrics.publish,))


def build_app():
    """moto's WSGI application with every emulation installed, behind the router."""
    from moto.server import DomainDispatcherApplication, create_backend_app

    install()
    return Router(CountingMiddleware(DomainDispatcherApplication(create_backend_app), state.BACKEND_LOCK,
                                     state.REQUEST_LOG))


def _body(environ) -> bytes:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return environ["wsgi.input"].read(length) if length else b""


def _lifecycle_timeout(environ):
    text = _body(environ).decode("ascii", "replace").strip()
    try:
        cap = float(text) if text else None
    except ValueError:
        cap = -1.0
    if cap is not None and cap <= 0:
        return "400 Bad Request", None
    autoscaling_hooks.set_timeout_cap(cap)
    return "204 No Content", None


def _console_output(environ):
    instance_id = environ["PATH_INFO"][len(client.CONSOLE_OUTPUT_PATH):]
    ec2_console.post(instance_id, _body(environ).decode("utf-8", "replace"))
    return "204 No Content", None


def _service_session(environ):
    try:
        request = json.loads(_body(environ) or b"{}")
        return "200 OK", service_sessions.issue(request["RoleArn"], request["Service"])
    except PermissionError as error:
        return "403 Forbidden", {"Error": str(error)}
    except (KeyError, ValueError) as error:
        return "400 Bad Request", {"Error": f"RoleArn and Service are required: {error}"}


def _cleared(forget):
    def handler(environ):
        forget()
        return "204 No Content", None

    return handler


def _listed(records):
    return lambda environ: ("200 OK", records())


def _requests_cleared(environ):
    state.REQUEST_LOG.clear()
    return "200 OK", []


# (method, path) -> handler(environ) -> (status, JSON document or None). A method of None: any.
ROUTES = {
    ("DELETE", client.REQUESTS_PATH): _requests_cleared,
    (None, client.REQUESTS_PATH): _listed(state.REQUEST_LOG.snapshot),
    (None, client.LIFECYCLE_ACTIONS_PATH): _listed(autoscaling_hooks.completed_actions),
    (None, client.PENDING_LIFECYCLE_ACTIONS_PATH): _listed(autoscaling_hooks.pending_actions),
    ("POST", client.LIFECYCLE_TIMEOUT_PATH): _lifecycle_timeout,
    ("DELETE", client.API_DESTINATION_INVOCATIONS_PATH): _cleared(eventbridge.forget),
    (None, client.API_DESTINATION_INVOCATIONS_PATH): _listed(eventbridge.invocations),
    ("GET", client.ALARM_DELIVERIES_PATH): _listed(cloudwatch_alarms.deliveries),
    (None, client.JOB_RUNS_PATH): _listed(emr_serverless.job_runs),
    ("POST", client.SERVICE_SESSIONS_PATH): _service_session,
}


def _route(method: str, path: str):
    if method == "POST" and path.startswith(client.CONSOLE_OUTPUT_PATH):
        return _console_output
    return ROUTES.get((method, path)) or ROUTES.get((None, path))


class Router:
    """Answers ``/_dataplatform/*``, clears the emulations on moto's reset, passes the rest to ``app``."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        state.begin_request(environ.get("wsgi.url_scheme") == "https")
        emr_serverless_spark.learn_endpoint(environ)
        path = environ.get("PATH_INFO", "")
        if path.startswith(client.PREFIX):
            handler = _route(environ.get("REQUEST_METHOD", "GET"), path)
            if handler is None:
                return self._answer(start_response, "404 Not Found", {"Error": f"no such path: {path}"})
            status, document = handler(environ)
            return self._answer(start_response, status, document)
        if path == client.RESET_PATH:
            for emulation in FORGETFUL:
                emulation.forget()
        return self.app(environ, start_response)

    @staticmethod
    def _answer(start_response, status: str, document):
        if document is None:
            start_response(status, [("Content-Length", "0")])
            return [b""]
        payload = json.dumps(document, default=str).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
        return [payload]
