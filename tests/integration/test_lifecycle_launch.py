"""ansible/playbooks/lifecycle-launch.yml, the last play of site.yml, against the moto server.

What runs for real: the playbook after a converge play in the same run (as in site.yml), the
platform parameter read from the moto server's SSM, and CompleteLifecycleAction over HTTP. Two
gaps of the moto server are worked around and named: it has no CompleteLifecycleAction
(emulator/autoscaling_hooks.py emulates it and records every completion) and never holds an
instance in Pending:Wait, so the inventory here is a static one describing two such instances,
as the aws_asg inventory would (lifecycle_state and its group lifecycle_pending_wait).
"""

from __future__ import annotations

import os
import subprocess
import sys

import boto3
import pytest
import yaml

from tests.conftest import REPO_ROOT
from emulator.client import count_actions
from tests.harness.platform_document import platform_document, write_platform_document

LAUNCH_PLAYBOOK = REPO_ROOT / "ansible" / "playbooks" / "lifecycle-launch.yml"
GROUP = "dataplatform-local-airflow-main"


@pytest.fixture
def launching_hosts(moto, tmp_path):
    """A group with a launch hook, two of its instances said to wait in it, and a run whose converge fails on the second."""
    autoscaling = boto3.client("autoscaling")
    autoscaling.create_launch_configuration(LaunchConfigurationName="airflow", ImageId="ami-12c6146b", InstanceType="t3.medium")
    autoscaling.create_auto_scaling_group(AutoScalingGroupName=GROUP, LaunchConfigurationName="airflow", MinSize=1, MaxSize=3,
                                          DesiredCapacity=2, AvailabilityZones=["eu-west-1a"])
    autoscaling.put_lifecycle_hook(LifecycleHookName="launch", AutoScalingGroupName=GROUP,
                                   LifecycleTransition="autoscaling:EC2_INSTANCE_LAUNCHING", DefaultResult="ABANDON")
    instance_ids = [i["InstanceId"] for i in autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"][0]["Instances"]]
    write_platform_document(platform_document("local"))

    def host(instance_id):
        return {"ansible_connection": "local", "ansible_python_interpreter": sys.executable, "dataplatform_env": "local",
                "asg_name": GROUP, "instance_id": instance_id, "lifecycle_state": "Pending:Wait"}

    inventory = tmp_path / "launching.yml"
    inventory.write_text(yaml.safe_dump({"all": {"children": {
        "role_airflow": {"hosts": {instance_id: host(instance_id) for instance_id in instance_ids}},
        "lifecycle_pending_wait": {"hosts": {instance_id: {} for instance_id in instance_ids}},
    }}}))
    # A stand-in for site.yml's converge plays: it fails on the second host only.
    playbook = tmp_path / "site.yml"
    playbook.write_text(yaml.safe_dump([
        {"name": "Converge", "hosts": "role_airflow", "gather_facts": False, "tasks": [
            {"name": "Fail the second host's configuration", "ansible.builtin.fail": {"msg": "configuration failed"},
             "when": f"inventory_hostname == '{instance_ids[1]}'"}]},
        {"name": "Launch lifecycle actions", "ansible.builtin.import_playbook": str(LAUNCH_PLAYBOOK)},
    ], sort_keys=False))
    moto.clear_requests()
    return {"inventory": inventory, "playbook": playbook, "converged": instance_ids[0], "failed": instance_ids[1], "moto": moto}


def run(playbook, inventory, *args):
    env = {**os.environ, "ANSIBLE_NOCOLOR": "1"}
    return subprocess.run(["ansible-playbook", str(playbook), "-i", str(inventory), *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_only_the_host_that_converged_is_let_into_service(launching_hosts):
    result = run(launching_hosts["playbook"], launching_hosts["inventory"])
    assert result.returncode != 0, result.stdout  # the failed host fails the run
    assert launching_hosts["moto"].lifecycle_actions() == [{
        "AutoScalingGroupName": GROUP, "LifecycleHookName": "launch", "InstanceId": launching_hosts["converged"],
        "LifecycleActionResult": "CONTINUE"}]
    assert count_actions(launching_hosts["moto"].requests()) == {
        "ssm:GetParameter": 1, "autoscaling:CompleteLifecycleAction": 1}


def test_check_mode_calls_no_mutating_api(launching_hosts):
    run(launching_hosts["playbook"], launching_hosts["inventory"], "--check")
    assert launching_hosts["moto"].lifecycle_actions() == []
    assert count_actions(launching_hosts["moto"].requests()) == {"ssm:GetParameter": 1}


def test_site_yml_ends_with_the_launch_lifecycle_actions():
    plays = yaml.safe_load((REPO_ROOT / "site.yml").read_text())
    assert plays[-1]["ansible.builtin.import_playbook"] == "ansible/playbooks/lifecycle-launch.yml"


def test_hosts_in_service_call_nothing(moto, tmp_path):
    """A converged environment has no instance in Pending:Wait: the play matches no host."""
    inventory = tmp_path / "in-service.yml"
    inventory.write_text(yaml.safe_dump({"all": {"children": {"lifecycle_inservice": {"hosts": {
        "i-0123456789abcdef0": {"ansible_connection": "local", "lifecycle_state": "InService"}}}}}}))
    moto.clear_requests()
    result = run(LAUNCH_PLAYBOOK, inventory)
    assert result.returncode == 0, result.stdout + result.stderr
    assert moto.requests() == []
