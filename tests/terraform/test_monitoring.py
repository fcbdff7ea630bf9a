"""The monitoring module's metrics contract and alarms (issue 30): offline against a mocked provider
(its terraform test), the README's contract table against metrics.tf, and the alarms and dashboard
of the applied local environment."""

import json
import re

import boto3

from tests.harness.terraform import TERRAFORM_DIR, terraform

MODULE = TERRAFORM_DIR / "modules" / "monitoring"
NEW_ALARMS = {
    "dataplatform-local-nifi-disconnected-nodes": "alarms",
    "dataplatform-local-nifi-back-pressure": "alarms",
    "dataplatform-local-bronze-orders-partition-empty": "alarms",
    "dataplatform-local-dag-orders_pipeline-failed": "pipeline-alerts",
    "dataplatform-local-dag-orders_pipeline-late": "pipeline-alerts",
}


def _contract_in_terraform():
    """{name: (unit, dimensions)} of metrics.tf's `metrics` map."""
    text = (MODULE / "metrics.tf").read_text()
    rows = re.findall(r'^\s+\w+\s+=\s+\{ name = "(\w+)", unit = "(\w+)", dimensions = \[([^\]]*)\] \}$', text, re.M)
    return {name: (unit, re.findall(r'"(\w+)"', dimensions)) for name, unit, dimensions in rows}


def _contract_in_readme():
    """{name: (unit, dimensions)} of the README's metrics contract table."""
    readme = (MODULE / "README.md").read_text()
    section = readme.split("## Metrics contract", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \| (\w+) \| ([^|]*) \|", section, re.M)
    return {name: (unit, re.findall(r"`(\w+)`", dimensions)) for name, unit, dimensions in rows}


def test_the_readme_documents_exactly_the_metrics_terraform_names():
    terraform_contract = _contract_in_terraform()
    assert len(terraform_contract) >= 9, "the metrics map of metrics.tf is not in its one-line form any more"
    assert _contract_in_readme() == terraform_contract


def test_the_module_plans_its_alarms_offline():
    terraform(MODULE, "init", "-backend=false", "-input=false", "-no-color")
    result = terraform(MODULE, "test", "-no-color", check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_alarms_notify_their_topic_and_the_dashboard_shows_them(applied_local, terraform_emulator):
    cloudwatch = boto3.client("cloudwatch", endpoint_url=terraform_emulator.endpoint)
    alarms = {alarm["AlarmName"]: alarm
              for alarm in cloudwatch.describe_alarms(AlarmNames=list(NEW_ALARMS))["MetricAlarms"]}
    assert set(alarms) == set(NEW_ALARMS)
    for name, topic in NEW_ALARMS.items():
        assert alarms[name]["AlarmActions"] == [f"arn:aws:sns:eu-west-1:123456789012:dataplatform-local-{topic}"], name
        assert alarms[name]["OKActions"] == alarms[name]["AlarmActions"], name
    body = json.loads(cloudwatch.get_dashboard(DashboardName="dataplatform-local")["DashboardBody"])
    shown = {arn for widget in body["widgets"] if widget["type"] == "alarm" for arn in widget["properties"]["alarms"]}
    assert shown == {alarm["AlarmArn"] for alarm in alarms.values()}
    graphed = {line[1] for widget in body["widgets"] if widget["type"] == "metric"
               for line in widget["properties"]["metrics"] if line[0] == "DataPlatform/local"}
    assert graphed == set(_contract_in_terraform())


def test_a_plan_after_the_apply_changes_nothing_in_monitoring(applied_local):
    """Metric math alarms read back as they were written (no drift on every plan)."""
    plan = applied_local.plan("-detailed-exitcode", check=False)
    changed = re.findall(r"# (module\.monitoring\.\S+) (?:will|must) be", plan.stdout)
    assert plan.returncode in (0, 2) and not changed, plan.stdout[-6000:]
