"""dev, ppd and prod planned against the AWS emulator.

Each root is copied to a temporary directory with a test-only override (local state instead of
the S3 backend, every endpoint at the emulator) and planned with the emulator's account id and
image; the committed files stay real. An empty account means every resource is created, and no
switch of the local sandbox is off.
"""

import pytest

from tests.harness.terraform_fixtures import ACCOUNTS

# Resources the local environment can switch off: every real account must create them.
SANDBOX_SWITCHED_RESOURCES = {"aws_acmpca_permission", "aws_emrserverless_application", "aws_db_parameter_group"}


@pytest.mark.parametrize("name", ACCOUNTS)
def test_plan_against_the_emulator(name, account_plans, report):
    environment, future = account_plans[name]
    plan = future.result()
    resources = [change for change in plan["resource_changes"] if change["mode"] == "managed"]
    report(f"plan {environment.last('plan').seconds:.0f}s (the three side by side), "
           f"{len(resources)} resources; test overrides: {environment.overrides}, "
           "S3 backend replaced by local state, endpoints at the emulator")

    actions = {change["address"]: change["change"]["actions"] for change in resources}
    assert actions and all(action == ["create"] for action in actions.values()), actions
    assert SANDBOX_SWITCHED_RESOURCES <= {change["type"] for change in resources}
    assert plan["planned_values"]["outputs"]["left_out"]["value"] == []

    database = next(change for change in resources if change["type"] == "aws_db_instance")["change"]["after"]
    assert database["performance_insights_enabled"] is True
    assert database["storage_encrypted"] is True and database["manage_master_user_password"] is True
    groups = {change["change"]["after"]["name"]: change["change"]["after"]
              for change in resources if change["type"] == "aws_autoscaling_group"}
    assert set(groups) == {f"dataplatform-{name}-nifi-main", f"dataplatform-{name}-airflow-main"}
