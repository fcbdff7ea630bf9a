# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""A process group of a running NiFi cluster, made to match a flow definition in code.

The definition is NiFi's own flow-definition JSON (what "Download flow definition" writes): one
process group with its processors, connections and controller services, bound to one parameter
context by name. The environment's values are the parameter context's; the definition carries
their defaults. Through NiFi's REST API on one connected node (it replicates every change):

* ``GET /flow/process-groups/root``: the group, found by name under the root group;
* absent: ``POST /process-groups/{root}/process-groups/upload`` creates it (and its parameter
  context, with the environment's values, when no context of that name exists);
* present: ``GET /process-groups/{id}/download`` is compared with the definition; a difference is
  applied in place: the group's processors are stopped and its services disabled, then a replace
  request (``POST /process-groups/{id}/replace-requests``) updates it, keeping the queues of the
  connections it keeps (a replace request changes no enabled service);
* parameter values that differ go through a parameter context update request
  (``POST /parameter-contexts/{id}/update-requests``), which restarts what references them;
* then every controller service is enabled and every processor started
  (``PUT /flow/process-groups/{id}/controller-services`` and ``PUT /flow/process-groups/{id}``),
  and a component that is invalid fails the run with NiFi's validation errors.

Nothing restarts NiFi. A definition's components are compared by their versioned identifiers, on
what the definition sets (a property it leaves out keeps NiFi's value). In check mode only ``GET``
requests are made.

The HTTP transport is passed in (``request(method, path, body) -> (status, document)``,
:func:`nifi_api.https_request`; uploads use ``upload(path, fields, filename, content)``), so the
sequence can be followed in unit tests.
"""

from __future__ import annotations

import copy
import json
import time

from .nifi_api import NiFiApiError, checked_call

CLIENT_ID = "dataplatform.ops.nifi_flow"
# What is compared of each kind of component (the definition's value against the cluster's).
PROCESSOR_FIELDS = ("name", "type", "comments", "schedulingPeriod", "schedulingStrategy", "executionNode", "penaltyDuration",
                    "yieldDuration", "bulletinLevel", "runDurationMillis", "concurrentlySchedulableTaskCount", "retryCount",
                    "backoffMechanism", "maxBackoffPeriod")
PROCESSOR_SET_FIELDS = ("autoTerminatedRelationships", "retriedRelationships")
CONNECTION_FIELDS = ("name", "backPressureObjectThreshold", "backPressureDataSizeThreshold", "flowFileExpiration",
                     "loadBalanceStrategy", "loadBalanceCompression", "partitioningAttribute")
SERVICE_FIELDS = ("name", "type", "comments")
GROUP_FIELDS = ("name", "comments", "parameterContextName", "defaultFlowFileExpiration", "defaultBackPressureObjectThreshold",
                "defaultBackPressureDataSizeThreshold", "flowFileConcurrency", "flowFileOutboundPolicy")
COMPONENT_LISTS = ("processors", "connections", "controllerServices")
# How long a component may stay invalid (NiFi validates again after each change) before it fails the run.
INVALID_GRACE_SECONDS = 30


class FlowDefinitionError(Exception):
    """The definition or the values given for it are wrong; the message names the field."""


def parameter_context(definition):
    """``(name, context)`` of the definition's one parameter context."""
    contents = definition.get("flowContents")
    if not isinstance(contents, dict):
        raise FlowDefinitionError("the flow definition has no flowContents (it is not a NiFi flow definition)")
    for key in COMPONENT_LISTS:
        if not isinstance(contents.get(key, []), list):
            raise FlowDefinitionError("flowContents.%s must be a list" % key)
    if contents.get("processGroups"):
        raise FlowDefinitionError("flowContents.processGroups: the definition must be one process group, without child groups")
    name = contents.get("parameterContextName")
    contexts = definition.get("parameterContexts") or {}
    if not name or name not in contexts:
        raise FlowDefinitionError("flowContents.parameterContextName must name one of parameterContexts (%s)"
                                  % ", ".join(sorted(contexts)) or "none")
    return name, contexts[name]


def desired_definition(definition, parameters, back_pressure=None):
    """The definition with the environment's parameter values and connection thresholds."""
    desired = copy.deepcopy(definition)
    name, context = parameter_context(desired)
    declared = {entry["name"]: entry for entry in context.get("parameters", [])}
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise FlowDefinitionError("parameters %s are not parameters of the context %s (it has: %s)"
                                  % (", ".join(unknown), name, ", ".join(sorted(declared))))
    for key, value in parameters.items():
        if value is not None and not isinstance(value, (str, int, float)):
            raise FlowDefinitionError("parameter %s must be a string, not %s" % (key, type(value).__name__))
        declared[key]["value"] = None if value is None else str(value)
    for connection in desired["flowContents"].get("connections", []):
        for field, value in (back_pressure or {}).items():
            if value is not None:
                connection[field] = value
    return desired


def parameter_values(context):
    return {entry["name"]: entry.get("value") for entry in context.get("parameters", [])}


def _by_identifier(components):
    return {component.get("identifier"): component for component in components}


def _differences(kind, identifier, wanted, current, fields, set_fields=()):
    found = []
    for field in fields:
        if field in wanted and wanted[field] != current.get(field):
            found.append("%s %s: %s" % (kind, identifier, field))
    for field in set_fields:
        if field in wanted and sorted(wanted[field] or []) != sorted(current.get(field) or []):
            found.append("%s %s: %s" % (kind, identifier, field))
    return found


def _property_differences(kind, identifier, wanted, current):
    have = current.get("properties") or {}
    return ["%s %s: property %s" % (kind, identifier, key)
            for key, value in sorted((wanted.get("properties") or {}).items()) if have.get(key) != value]


def _bundle(component):
    bundle = component.get("bundle") or {}
    return bundle.get("group"), bundle.get("artifact"), bundle.get("version")


def flow_differences(wanted, current):
    """What of the definition's ``flowContents`` the cluster's group differs in, as readable lines."""
    found = _differences("group", wanted.get("name"), wanted, current, GROUP_FIELDS)
    for key in COMPONENT_LISTS:
        mine, theirs = _by_identifier(wanted.get(key, [])), _by_identifier(current.get(key, []))
        found += ["%s %s: missing" % (key, identifier) for identifier in sorted(set(mine) - set(theirs))]
        found += ["%s %s: not in the definition" % (key, identifier) for identifier in sorted(set(theirs) - set(mine))]
        for identifier in sorted(set(mine) & set(theirs)):
            component, existing = mine[identifier], theirs[identifier]
            # Named for the reader where the definition names it; the identifier is what matches.
            label = "%s (%s)" % (component["name"], identifier) if component.get("name") else identifier
            if key == "connections":
                found += _differences("connection", label, component, existing, CONNECTION_FIELDS, ("selectedRelationships",))
                for end in ("source", "destination"):
                    if (component.get(end) or {}).get("id") != (existing.get(end) or {}).get("id"):
                        found.append("connection %s: %s" % (label, end))
                continue
            fields, set_fields = (PROCESSOR_FIELDS, PROCESSOR_SET_FIELDS) if key == "processors" else (SERVICE_FIELDS, ())
            found += _differences(key[:-1], label, component, existing, fields, set_fields)
            found += _property_differences(key[:-1], label, component, existing)
            if _bundle(component) != _bundle(existing):
                found.append("%s %s: bundle" % (key[:-1], label))
    return found


class FlowApi:
    """The endpoints of NiFi's REST API a flow deployment uses."""

    def __init__(self, request, upload=None, sleep=time.sleep, clock=time.monotonic, timeout=300, interval=2):
        self._request = request
        self._upload = upload
        self.sleep = sleep
        self.clock = clock
        self.timeout = timeout
        self.interval = interval

    def call(self, method, path, body=None, expected=(200, 201, 202)):
        return checked_call(self._request, method, path, body, expected, detail_limit=800)[1]

    def root_flow(self):
        return self.call("GET", "/flow/process-groups/root")["processGroupFlow"]

    def group(self, group_id):
        return self.call("GET", "/process-groups/%s" % group_id)

    def download(self, group_id):
        return self.call("GET", "/process-groups/%s/download" % group_id)

    def parameter_contexts(self):
        return [dict(entity.get("component", {}), revision=entity.get("revision", {}))
                for entity in self.call("GET", "/flow/parameter-contexts").get("parameterContexts", [])]

    def parameter_context(self, context_id):
        return self.call("GET", "/parameter-contexts/%s" % context_id)

    def upload(self, parent_id, name, definition):
        if self._upload is None:
            raise NiFiApiError("no upload transport to create the process group with")

        def upload(method, path, body):
            return self._upload(path, {"groupName": name, "positionX": "0", "positionY": "0", "clientId": CLIENT_ID},
                                "%s.json" % name, json.dumps(body).encode("utf-8"))

        return checked_call(upload, "POST", "/process-groups/%s/process-groups/upload" % parent_id, definition,
                            (200, 201), detail_limit=800)[1]

    def run_request(self, create_path, body, poll_path):
        """Creates an asynchronous request, waits for it to complete, removes it; fails on its failure."""
        request = self.call("POST", create_path, body)["request"]
        request_path = poll_path % request["requestId"]
        deadline = self.clock() + self.timeout
        try:
            while not request.get("complete"):
                if self.clock() > deadline:
                    raise NiFiApiError("%s did not complete within %ss (%s)" % (create_path, self.timeout, request.get("state")))
                self.sleep(self.interval)
                request = self.call("GET", request_path)["request"]
        finally:
            self._request("DELETE", request_path, None)
        if request.get("failureReason"):
            raise NiFiApiError("%s failed: %s" % (create_path, request["failureReason"]))
        return request

    def replace(self, group, definition):
        body = {"processGroupRevision": dict(group["revision"], clientId=CLIENT_ID), "versionedFlowSnapshot": definition}
        return self.run_request("/process-groups/%s/replace-requests" % group["id"], body,
                                "/process-groups/replace-requests/%s")

    def update_parameters(self, context_entity, values):
        component = context_entity["component"]
        body = {"id": component["id"], "revision": dict(context_entity["revision"], clientId=CLIENT_ID),
                "component": {"id": component["id"], "parameters": [
                    {"parameter": {"name": name, "value": value, "sensitive": False}} for name, value in sorted(values.items())]}}
        return self.run_request("/parameter-contexts/%s/update-requests" % component["id"], body,
                                "/parameter-contexts/%s/update-requests/%%s" % component["id"])

    def group_status(self, group_id):
        return self.call("GET", "/flow/process-groups/%s" % group_id)["processGroupFlow"]["flow"]

    def controller_services(self, group_id):
        return self.call("GET", "/flow/process-groups/%s/controller-services?includeAncestorGroups=false" % group_id).get(
            "controllerServices", [])

    def schedule(self, group_id, state):
        self.call("PUT", "/flow/process-groups/%s" % group_id, {"id": group_id, "state": state})

    def enable_services(self, group_id):
        self.call("PUT", "/flow/process-groups/%s/controller-services" % group_id, {"id": group_id, "state": "ENABLED"})

    def disable_services(self, group_id):
        self.call("PUT", "/flow/process-groups/%s/controller-services" % group_id, {"id": group_id, "state": "DISABLED"})


def find_group(root_flow, name):
    groups = [entity for entity in root_flow["flow"].get("processGroups", []) if entity["component"]["name"] == name]
    if len(groups) > 1:
        raise NiFiApiError("%d process groups named %s under the root group: rename the extra ones" % (len(groups), name))
    return groups[0] if groups else None


def _components(api, group_id):
    services = [entity["component"] for entity in api.controller_services(group_id)]
    processors = [entity["component"] for entity in api.group_status(group_id).get("processors", [])]
    return services, processors


def _invalid(kind, components):
    return ["%s %s: %s" % (kind, component["name"], "; ".join(component.get("validationErrors") or []))
            for component in components if component.get("validationStatus") == "INVALID"]


def stop(api, group_id):
    """Stops the processors (their running threads finish) and disables the services: a replace
    request changes only components that are not running. Queued FlowFiles stay where they are;
    the listener takes no connection meanwhile, so no client is answered 200 for records that
    are not in NiFi's repositories."""
    api.schedule(group_id, "STOPPED")
    deadline = api.clock() + api.timeout
    while True:
        entities = api.group_status(group_id).get("processors", [])
        busy = [entity["component"]["name"] for entity in entities
                if entity["component"].get("state") == "RUNNING"
                or ((entity.get("status") or {}).get("aggregateSnapshot") or {}).get("activeThreadCount")]
        if not busy:
            break
        if api.clock() > deadline:
            raise NiFiApiError("processors still running after %ss: %s" % (api.timeout, ", ".join(busy)))
        api.sleep(api.interval)
    api.disable_services(group_id)
    while True:
        enabled = [entity["component"]["name"] for entity in api.controller_services(group_id)
                   if entity["component"].get("state") != "DISABLED"]
        if not enabled:
            return
        if api.clock() > deadline:
            raise NiFiApiError("controller services still enabled after %ss: %s" % (api.timeout, ", ".join(enabled)))
        api.sleep(api.interval)


def start(api, group_id):
    """Enables the services, then starts the processors; ``True`` if anything was not running.

    A processor that uses a disabled service is invalid until the service is enabled, so
    processors are judged only once every service is; NiFi's validation takes a moment after a
    change (VALIDATING), so an invalid component fails the run only if it stays so.
    """
    services, processors = _components(api, group_id)
    if all(service.get("state") == "ENABLED" for service in services) and all(
            processor.get("state") == "RUNNING" for processor in processors):
        return False
    deadline = api.clock() + api.timeout
    invalid_since = None
    while True:
        waiting = ["controller service %s is %s" % (service["name"], service.get("state"))
                   for service in services if service.get("state") != "ENABLED"]
        if waiting:
            invalid = _invalid("controller service", services)
            if not any(service.get("state") == "ENABLING" for service in services):
                api.enable_services(group_id)
        else:
            waiting = ["processor %s is %s" % (processor["name"], processor.get("state"))
                       for processor in processors if processor.get("state") != "RUNNING"]
            invalid = _invalid("processor", processors)
            if not waiting:
                return True
            if not invalid:
                api.schedule(group_id, "RUNNING")
        invalid_since = (invalid_since or api.clock()) if invalid else None
        if invalid and api.clock() - invalid_since > INVALID_GRACE_SECONDS:
            raise NiFiApiError("the flow has invalid components, so they cannot run: %s" % " | ".join(invalid))
        if api.clock() > deadline:
            raise NiFiApiError("the flow is not running after %ss: %s" % (api.timeout, " | ".join(invalid or waiting)))
        api.sleep(api.interval)
        services, processors = _components(api, group_id)


def deploy(api, definition, group_name, parameters, back_pressure=None, check_mode=False):
    """Makes the group ``group_name`` under the root group match ``definition`` with ``parameters``.

    Returns ``{changed, created, replaced, parameters_changed, differences, started, group_id}``.
    """
    desired = desired_definition(definition, parameters, back_pressure)
    context_name, context = parameter_context(desired)
    desired["flowContents"]["name"] = group_name
    result = {"changed": False, "created": False, "replaced": False, "parameters_changed": [], "differences": [],
              "started": False, "group_id": None}
    root = api.root_flow()
    entity = find_group(root, group_name)
    existing_context = [found for found in api.parameter_contexts() if found.get("name") == context_name]

    wanted_values = parameter_values(context)
    if existing_context:
        context_entity = api.parameter_context(existing_context[0]["id"])
        have = {entry["parameter"]["name"]: entry["parameter"].get("value")
                for entry in context_entity["component"].get("parameters", [])}
        result["parameters_changed"] = sorted(name for name, value in wanted_values.items() if have.get(name) != value)
    else:
        context_entity = None
        result["parameters_changed"] = sorted(wanted_values)

    if entity is None:
        result.update(changed=True, created=True, differences=["process group %s: missing" % group_name])
    else:
        result["group_id"] = entity["id"]
        current = api.download(entity["id"])
        result["differences"] = flow_differences(desired["flowContents"], current.get("flowContents") or {})
        result["replaced"] = bool(result["differences"])
    result["changed"] = result["changed"] or result["replaced"] or bool(result["parameters_changed"])
    if check_mode:
        return result

    # Values first: a replaced or new group then starts with the environment's values.
    if context_entity is not None and result["parameters_changed"]:
        api.update_parameters(context_entity, {name: wanted_values[name] for name in result["parameters_changed"]})
    if entity is None:
        created = api.upload(root["id"], group_name, desired)
        result["group_id"] = created["id"]
    elif result["replaced"]:
        stop(api, entity["id"])
        api.replace(api.group(entity["id"]), desired)
    result["started"] = start(api, result["group_id"])
    result["changed"] = result["changed"] or result["started"]
    return result
