"""nifi_flow's pure parts: the definition with the environment's values, and what of a deployed
group differs from it; and the order of requests of a deployment against a recorded API. The
real cluster is the e2e tier's (tests/e2e/test_ingest.py)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from ansible_collections.dataplatform.ops.plugins.module_utils import nifi_flow
from ansible_collections.dataplatform.ops.plugins.module_utils.nifi_flow import FlowDefinitionError

DEFINITION = json.loads((Path(__file__).resolve().parents[4] / "roles" / "nifi" / "files" / "flows" / "orders-ingest.json").read_text())


def as_downloaded(definition):
    """The group as NiFi downloads it: every property, defaults included, and fields of its own."""
    contents = copy.deepcopy(definition["flowContents"])
    for processor in contents["processors"]:
        processor["properties"] = dict(processor["properties"], **{"A Default Property": "its default"})
        processor["instanceIdentifier"] = "instance-" + processor["identifier"]
        processor["position"] = {"x": 10.0, "y": 20.0}
    return contents


def test_the_shipped_definition_is_one_group_with_one_parameter_context():
    name, context = nifi_flow.parameter_context(DEFINITION)
    assert name == "orders-ingest"
    names = {parameter["name"] for parameter in context["parameters"]}
    assert {"bronze.bucket", "ingest.authorized.subjects", "batch.max.entries"} <= names


def test_parameters_and_back_pressure_are_written_into_a_copy():
    desired = nifi_flow.desired_definition(DEFINITION, {"bronze.bucket": "b", "batch.max.entries": 5},
                                           {"backPressureObjectThreshold": 7, "backPressureDataSizeThreshold": None})
    values = nifi_flow.parameter_values(nifi_flow.parameter_context(desired)[1])
    assert values["bronze.bucket"] == "b" and values["batch.max.entries"] == "5"
    assert {connection["backPressureObjectThreshold"] for connection in desired["flowContents"]["connections"]} == {7}
    assert {connection["backPressureDataSizeThreshold"] for connection in desired["flowContents"]["connections"]} == {"1 GB"}
    assert nifi_flow.parameter_values(nifi_flow.parameter_context(DEFINITION)[1])["bronze.bucket"] == ""


def test_an_unknown_parameter_is_refused_by_name():
    with pytest.raises(FlowDefinitionError, match="bronze.bukcet"):
        nifi_flow.desired_definition(DEFINITION, {"bronze.bukcet": "b"})


def test_a_definition_without_its_parameter_context_is_refused():
    broken = copy.deepcopy(DEFINITION)
    broken["flowContents"]["parameterContextName"] = "elsewhere"
    with pytest.raises(FlowDefinitionError, match="parameterContextName"):
        nifi_flow.parameter_context(broken)


def test_a_deployed_group_as_defined_has_no_differences():
    assert nifi_flow.flow_differences(DEFINITION["flowContents"], as_downloaded(DEFINITION)) == []


def test_a_changed_property_a_removed_component_and_a_changed_connection_are_named():
    current = as_downloaded(DEFINITION)
    wanted = copy.deepcopy(DEFINITION["flowContents"])
    batch = next(processor for processor in wanted["processors"] if processor["name"] == "Batch into JSON lines")
    batch["properties"]["Max Bin Age"] = "5 sec"
    current["processors"].append({"identifier": "added-by-hand", "name": "extra"})
    wanted["connections"][0]["backPressureObjectThreshold"] = 5
    found = nifi_flow.flow_differences(wanted, current)
    assert "processor Batch into JSON lines (%s): property Max Bin Age" % batch["identifier"] in found
    assert "processors added-by-hand: not in the definition" in found
    first = wanted["connections"][0]
    assert "connection %s (%s): backPressureObjectThreshold" % (first["name"], first["identifier"]) in found


class RecordedApi:
    """NiFi's answers for a cluster where the group exists as defined and runs."""

    def __init__(self, current_values):
        self.requests = []
        self.current_values = current_values

    def __call__(self, method, path, body=None):
        self.requests.append((method, path))
        if path == "/flow/process-groups/root":
            return 200, {"processGroupFlow": {"id": "root", "flow": {"processGroups": [
                {"id": "pg", "component": {"name": "orders-ingest"}}]}}}
        if path == "/flow/parameter-contexts":
            return 200, {"parameterContexts": [{"id": "ctx", "component": {"id": "ctx", "name": "orders-ingest"}}]}
        if path == "/parameter-contexts/ctx":
            return 200, {"id": "ctx", "revision": {"version": 3}, "component": {"id": "ctx", "parameters": [
                {"parameter": {"name": name, "value": value}} for name, value in self.current_values.items()]}}
        if path == "/process-groups/pg/download":
            return 200, {"flowContents": as_downloaded(DEFINITION)}
        if path.startswith("/flow/process-groups/pg/controller-services"):
            return 200, {"controllerServices": [{"component": {"name": "s", "state": "ENABLED", "validationStatus": "VALID"}}]}
        if path == "/flow/process-groups/pg":
            return 200, {"processGroupFlow": {"flow": {"processors": [
                {"component": {"name": "p", "state": "RUNNING", "validationStatus": "VALID"}}]}}}
        return 500, "unexpected %s %s" % (method, path)


def test_a_converged_group_is_only_read():
    values = nifi_flow.parameter_values(nifi_flow.parameter_context(DEFINITION)[1])
    api = RecordedApi(values)
    result = nifi_flow.deploy(nifi_flow.FlowApi(api), DEFINITION, "orders-ingest", {})
    assert result["changed"] is False and result["differences"] == [] and result["parameters_changed"] == []
    assert {request[0] for request in api.requests} == {"GET"}


def test_check_mode_reports_a_changed_value_without_writing():
    values = nifi_flow.parameter_values(nifi_flow.parameter_context(DEFINITION)[1])
    api = RecordedApi(values)
    result = nifi_flow.deploy(nifi_flow.FlowApi(api), DEFINITION, "orders-ingest", {"batch.max.age": "5 sec"}, check_mode=True)
    assert result["changed"] is True and result["parameters_changed"] == ["batch.max.age"]
    assert {request[0] for request in api.requests} == {"GET"}
