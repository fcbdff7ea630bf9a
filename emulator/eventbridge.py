"""EventBridge's part in the lifecycle hooks, emulated in the moto server process (router.py installs it).

* **Lifecycle action events.** When an instance starts waiting in a lifecycle hook, AWS Auto
  Scaling sends an "EC2 Instance-launch Lifecycle Action" or "EC2 Instance-terminate Lifecycle
  Action" event to the account's default event bus; moto sends none. Here the lifecycle-hook
  emulation (autoscaling_hooks.py) puts that event on the bus, with the detail AWS documents
  (``LifecycleActionToken``, ``AutoScalingGroupName``, ``LifecycleHookName``, ``EC2InstanceId``,
  ``LifecycleTransition``, ``NotificationMetadata``, ``Origin``, ``Destination``), and moto's rules
  match it against their event patterns.
* **API destination targets.** moto calls an API destination only under ``MOTO_EVENTS_INVOKE_HTTP``,
  and then without a body and without the connection's credentials. Here a matched rule's API
  destination target is invoked as EventBridge invokes it: the destination's method and endpoint,
  the target's input transformer applied to the event (or the whole event) as the JSON body, the
  connection's API key header (or its basic credentials, as an ``Authorization`` header), TLS
  verified against the CA bundle of ``DATAPLATFORM_EVENTS_CA_BUNDLE`` when the server has it (the
  sandbox's CA) or the system's. It runs apart from the request that put the event, as in AWS.
  A 429, a 5xx, or no answer is retried: up to the target's ``RetryPolicy.MaximumRetryAttempts``
  (AWS's default 185), with intervals of seconds instead of AWS's minutes and no longer than the
  policy's ``MaximumEventAgeInSeconds``; then the event goes to the target's dead-letter SQS queue
  when it has one, as does one answered with another 4xx at once. Every invocation is recorded;
  ``GET /_dataplatform/api-destination-invocations`` lists them (``DELETE`` clears them).
  Not emulated: the destination's invocation rate limit, OAuth connections, a connection's
  authorization state, the target role's permission to invoke the destination (EventBridge checks
  it; here any role passes), and the 5-second invocation timeout (here 30 s).
"""

from __future__ import annotations

import datetime
import json
import os
import threading
import time

from emulator.settings import EVENTS_CA_BUNDLE_VARIABLE
from emulator.state import BACKEND_LOCK

DETAIL_TYPES = {
    "autoscaling:EC2_INSTANCE_LAUNCHING": "EC2 Instance-launch Lifecycle Action",
    "autoscaling:EC2_INSTANCE_TERMINATING": "EC2 Instance-terminate Lifecycle Action",
}
DEFAULT_RETRY_ATTEMPTS = 185
DEFAULT_EVENT_AGE_SECONDS = 86400
RETRY_INTERVAL_SECONDS = 2.0
INVOCATION_TIMEOUT_SECONDS = 30

_invocations: list[dict] = []
_invocations_lock = threading.Lock()


def lifecycle_action_event(backend, group, hook, instance_id: str, token: str, transition: str) -> None:
    """Puts a lifecycle action's event on the default bus of the group's account and region. Call
    from the lifecycle-hook emulation, under the backend lock."""
    from moto.events.models import events_backends

    detail = {
        "Origin": "AutoScalingGroup" if transition.endswith("TERMINATING") else "EC2",
        "Destination": "EC2" if transition.endswith("TERMINATING") else "AutoScalingGroup",
        "LifecycleActionToken": token,
        "AutoScalingGroupName": group.name,
        "LifecycleHookName": hook.name,
        "EC2InstanceId": instance_id,
        "LifecycleTransition": transition,
    }
    if getattr(hook, "notification_metadata", None):
        detail["NotificationMetadata"] = hook.notification_metadata
    events_backends[backend.account_id][backend.region_name].put_events([{
        "Source": "aws.autoscaling",
        "DetailType": DETAIL_TYPES[transition],
        "Detail": json.dumps(detail),
        "Resources": [group.arn],
        "EventBusName": "default",
    }])


def _connection_headers(events_backend, connection_arn: str) -> dict[str, str]:
    import base64

    name = connection_arn.split(":connection/", 1)[1].split("/", 1)[0]
    connection = events_backend.connections.get(name)
    if connection is None:
        return {}
    parameters = connection.auth_parameters or {}
    headers: dict[str, str] = {}
    if "ApiKeyAuthParameters" in parameters:
        key = parameters["ApiKeyAuthParameters"]
        headers[key["ApiKeyName"]] = key.get("ApiKeyValue", "")
    elif "BasicAuthParameters" in parameters:
        basic = parameters["BasicAuthParameters"]
        pair = f"{basic['Username']}:{basic.get('Password', '')}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    for header in (parameters.get("InvocationHttpParameters") or {}).get("HeaderParameters") or []:
        headers[header["Key"]] = header.get("Value", "")
    return headers


def _body(target: dict, event: dict) -> str:
    from moto.events.models import EventTemplateParser

    transformer = target.get("InputTransformer")
    if transformer:
        transformed = EventTemplateParser.parse(input_template=transformer.get("InputTemplate"),
                                                input_paths_map=transformer.get("InputPathsMap", {}), event=event)
        return transformed if isinstance(transformed, str) else json.dumps(transformed)
    if "Input" in target:
        return target["Input"]
    return json.dumps(event, default=str)


def _emulated_send_to_targets(original):
    def send_to_targets(self, original_event, transform_input: bool = True):
        from moto.events.models import events_backends

        destination_targets = [target for target in self.targets if ":api-destination/" in target["Arn"]]
        if destination_targets and self.event_pattern.matches_event(original_event):
            backend = events_backends[self.account_id][self.region_name]
            for target in destination_targets:
                destination = next((candidate for candidate in backend.destinations.values()
                                    if candidate.arn == target["Arn"]), None)
                if destination is None:
                    continue
                invocation = {
                    "rule": self.name, "target": target["Id"], "method": destination.http_method,
                    "endpoint": destination.invocation_endpoint,
                    "headers": {"Content-Type": "application/json; charset=utf-8",
                                **_connection_headers(backend, destination.connection_arn)},
                    "body": _body(target, original_event),
                    "retry_policy": target.get("RetryPolicy") or {},
                    "dead_letter_arn": (target.get("DeadLetterConfig") or {}).get("Arn"),
                    "account": self.account_id, "region": self.region_name,
                }
                threading.Thread(target=_invoke, args=(invocation,), daemon=True,
                                 name=f"api-destination-{self.name}").start()
        others = [target for target in self.targets if ":api-destination/" not in target["Arn"]]
        if len(others) == len(self.targets):
            return original(self, original_event, transform_input)
        if others:
            kept = self.targets
            self.targets = others
            try:
                return original(self, original_event, transform_input)
            finally:
                self.targets = kept
        return None

    return send_to_targets


def _invoke(invocation: dict) -> None:
    import requests

    started = time.monotonic()
    policy = invocation.pop("retry_policy")
    attempts_allowed = 1 + int(policy.get("MaximumRetryAttempts", DEFAULT_RETRY_ATTEMPTS))
    age_limit = float(policy.get("MaximumEventAgeInSeconds", DEFAULT_EVENT_AGE_SECONDS))
    verify = os.environ.get(EVENTS_CA_BUNDLE_VARIABLE) or True
    record = {key: invocation[key] for key in ("rule", "target", "method", "endpoint", "body")}
    record.update(attempts=0, status=None, error=None, dead_letter=False,
                  time=datetime.datetime.now(datetime.UTC).isoformat())
    # Recorded without the connection's credentials, as EventBridge's own logs are.
    record["headers"] = sorted(invocation["headers"])
    with _invocations_lock:
        _invocations.append(record)
    while True:
        record["attempts"] += 1
        retry = False
        try:
            answer = requests.request(invocation["method"], invocation["endpoint"], data=invocation["body"].encode(),
                                      headers=invocation["headers"], timeout=INVOCATION_TIMEOUT_SECONDS, verify=verify)
            record["status"] = answer.status_code
            record["error"] = None if answer.ok else answer.text[:500]
            retry = answer.status_code == 429 or answer.status_code >= 500
            if answer.ok:
                return
        except requests.RequestException as error:
            record["error"] = str(error)[:500]
            retry = True
        if not retry or record["attempts"] >= attempts_allowed or time.monotonic() - started > age_limit:
            break
        time.sleep(RETRY_INTERVAL_SECONDS)
    if invocation["dead_letter_arn"]:
        _to_dead_letter_queue(invocation, record)


def _to_dead_letter_queue(invocation: dict, record: dict) -> None:
    from moto.sqs.models import sqs_backends

    queue_name = invocation["dead_letter_arn"].rsplit(":", 1)[1]
    with BACKEND_LOCK:
        sqs_backends[invocation["account"]][invocation["region"]].send_message(
            queue_name, invocation["body"],
            message_attributes={
                "RULE_ARN": {"DataType": "String", "StringValue": invocation["rule"]},
                "ERROR_MESSAGE": {"DataType": "String", "StringValue": str(record["error"] or record["status"])},
            })
    record["dead_letter"] = True


def invocations() -> list[dict]:
    with _invocations_lock:
        return [dict(record) for record in _invocations]


def forget() -> None:
    with _invocations_lock:
        _invocations.clear()


def install() -> None:
    from moto.events.models import Rule

    Rule.send_to_targets = _emulated_send_to_targets(Rule.send_to_targets)

