"""What the playbooks, the roles and the sample DAG do against what Terraform lets them do, on the
applied local environment: the permissions of the roles that make each call, and the Airflow
target group against the port and protocol the api-server serves.

The permission checks read the roles' inline policies back from the emulator and match actions
and resources as IAM does for Allow statements without conditions (wildcards in both); the
statements checked here carry no condition. Deny statements are not evaluated: the project's
policies have none.
"""

from __future__ import annotations

import fnmatch
import json
from urllib.parse import unquote

import boto3
import pytest
import yaml

from ansible_collections.dataplatform.ops.plugins.module_utils.platform import platform_parameter_name
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.terraform

AIRFLOW_ROLE = REPO_ROOT / "collections" / "ansible_collections" / "dataplatform" / "ops" / "roles" / "airflow"


@pytest.fixture
def local(applied_local, terraform_emulator):
    def client(service):
        return boto3.client(service, endpoint_url=terraform_emulator.endpoint)

    document = json.loads(client("ssm").get_parameter(Name=platform_parameter_name("local"))["Parameter"]["Value"])
    return {"client": client, "document": document}


def inline_statements(iam, role_name: str) -> list[dict]:
    statements = []
    for policy_name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
        if isinstance(document, str):
            document = json.loads(unquote(document))
        found = document["Statement"]
        statements.extend(found if isinstance(found, list) else [found])
    return statements


def _as_list(value) -> list[str]:
    return value if isinstance(value, list) else [value]


def allows(statements: list[dict], action: str, resource: str) -> bool:
    return any(
        statement["Effect"] == "Allow"
        and any(fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in _as_list(statement["Action"]))
        and any(fnmatch.fnmatchcase(resource, pattern) for pattern in _as_list(statement.get("Resource", [])))
        for statement in statements
    )


def group_arn(autoscaling, name: str) -> str:
    return autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]["AutoScalingGroupARN"]


def test_the_sample_dag_may_move_objects_out_of_bronze(local):
    """bronze_to_silver copies to silver, then deletes from bronze, with the Airflow hosts' role."""
    buckets = local["document"]["buckets"]
    statements = inline_statements(local["client"]("iam"), "dataplatform-local-airflow-host")
    assert allows(statements, "s3:GetObject", f"arn:aws:s3:::{buckets['bronze']}/landing/file.csv")
    assert allows(statements, "s3:PutObject", f"arn:aws:s3:::{buckets['silver']}/landing/file.csv")
    assert allows(statements, "s3:DeleteObject", f"arn:aws:s3:::{buckets['bronze']}/landing/file.csv")
    assert not allows(statements, "s3:DeleteObject", f"arn:aws:s3:::{buckets['gold']}/landing/file.csv")
    nifi = inline_statements(local["client"]("iam"), "dataplatform-local-nifi-host")
    assert not allows(nifi, "s3:DeleteObject", f"arn:aws:s3:::{buckets['bronze']}/landing/file.csv")


def test_the_converge_may_complete_both_groups_lifecycle_actions(local):
    """lifecycle-launch.yml and nifi-decommission.yml call CompleteLifecycleAction from the controller."""
    autoscaling = local["client"]("autoscaling")
    statements = inline_statements(local["client"]("iam"), "dataplatform-local-automation")
    groups = [group["AutoScalingGroupName"] for group in autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]]
    assert len(groups) == 2, groups
    for name in groups:
        assert allows(statements, "autoscaling:CompleteLifecycleAction", group_arn(autoscaling, name)), name


def test_the_airflow_target_group_speaks_what_the_api_server_serves(local):
    defaults = yaml.safe_load((AIRFLOW_ROLE / "defaults" / "main.yml").read_text())
    restart_tasks = (AIRFLOW_ROLE / "tasks" / "restart.yml").read_text()
    elbv2 = local["client"]("elbv2")
    (group,) = [group for group in elbv2.describe_target_groups()["TargetGroups"] if group["TargetGroupName"].endswith("-api")]
    # The api-server serves plain HTTP (the role configures no certificate for it).
    assert "ssl_cert" not in (AIRFLOW_ROLE / "templates" / "airflow.cfg.j2").read_text()
    assert (group["Protocol"], group["Port"]) == ("HTTP", defaults["airflow_api_port"])
    assert group["HealthCheckProtocol"] == "HTTP"
    assert f"http://127.0.0.1:{{{{ airflow_api_port }}}}{group['HealthCheckPath']}" in restart_tasks
