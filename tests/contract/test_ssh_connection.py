"""How Ansible reaches the hosts, both sides: the inventories' connection settings against what
the Terraform modules create (the login user, port 22 admitted from the automation security
group, the SSH user CA and its principal), on the applied local environment and on prod's plan."""

from __future__ import annotations

import base64
import json
import re

import boto3
import pytest
import yaml

from ansible_collections.dataplatform.ops.plugins.module_utils.platform import platform_parameter_name
from tests.harness.terraform import ENVIRONMENTS_DIR, tfvars_scalar
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.terraform

INVENTORIES = REPO_ROOT / "inventories"
USER_DATA_VALUE = re.compile(r"^(ssh_user|ssh_principals|ssh_user_ca_public_keys)='([^']*)'$", re.M)


def connection(env: str) -> dict:
    """An inventory's connection settings: group_vars/all.yml and the aws_asg source."""
    variables = yaml.safe_load((INVENTORIES / env / "group_vars" / "all.yml").read_text())
    source = yaml.safe_load((INVENTORIES / env / "aws_asg.yml").read_text())
    return {**variables, "ansible_host_source": source.get("ansible_host_source", "private-ip-address"),
            "compose": source.get("compose", {})}


def user_data_login(encoded: str) -> dict:
    """The SSH settings a launch template's user data gives the host."""
    return dict(USER_DATA_VALUE.findall(base64.b64decode(encoded).decode()))


def assert_inventory_matches(settings: dict, login: dict, principal: str, ca_public_keys: list[str]) -> None:
    assert settings["ansible_user"] == login["ssh_user"], "the inventory logs in as another user than the hosts make"
    assert settings["ansible_port"] == 22
    assert settings["ansible_host_source"] == "private-ip-address" and "ansible_host" not in settings["compose"], \
        "Ansible must reach the private address, the only one the automation security group may reach"
    assert "ansible_connection" not in settings and "ansible_connection" not in settings["compose"], "SSH only"
    common_args = settings["ansible_ssh_common_args"]
    assert "StrictHostKeyChecking=yes" in common_args and "UserKnownHostsFile={{ dataplatform_ssh_dir }}/known_hosts" in common_args
    assert settings["ansible_ssh_private_key_file"] == "{{ dataplatform_ssh_dir }}/id_ed25519"
    assert login["ssh_principals"].split() == [principal], "the hosts accept another principal than the converge signs"
    assert login["ssh_user_ca_public_keys"].splitlines() == ca_public_keys


def test_prod_inventory_reaches_the_hosts_prod_plans(account_plans):
    _, future = account_plans["prod"]
    plan = future.result()
    resources = {change["address"]: change["change"]["after"] for change in plan["resource_changes"] if change["mode"] == "managed"}
    settings = connection("prod")
    ca_keys = json.loads(tfvars_list("prod", "ssh_user_ca_public_keys"))
    assert ca_keys, "prod's hosts would trust no SSH user CA"
    templates = {address: after for address, after in resources.items() if address.endswith("aws_launch_template.hosts")}
    assert len(templates) == 2
    for address, after in templates.items():
        assert_inventory_matches(settings, user_data_login(after["user_data"]), "dataplatform-prod", ca_keys)

    secret = resources["module.ssh_user_ca.aws_secretsmanager_secret.user_ca"]
    assert secret["name"] == "dataplatform/prod/ssh/user-ca"
    # Port 22: only from the automation security group and the administrators' networks (the hosts'
    # security group is their asg-hosts call's).
    for module in ("nifi", "airflow"):
        hosts = f"module.{module}.module.hosts"
        rules = {address: after for address, after in resources.items()
                 if address.startswith(f"{hosts}.aws_security_group_rule.") and after.get("from_port") == 22}
        assert set(rules) == {f'{hosts}.aws_security_group_rule.ssh_from_groups["automation"]'}, rules
        (rule,) = rules.values()
        assert rule["type"] == "ingress" and rule["to_port"] == settings["ansible_port"] == 22 and rule["protocol"] == "tcp"
    automation = resources["module.networking.aws_security_group_rule.automation_ssh_out"]
    assert automation["type"] == "egress" and automation["from_port"] == automation["to_port"] == 22
    assert automation["cidr_blocks"] == [tfvars_scalar("prod", "vpc_cidr_block")]


def test_local_inventory_reaches_the_hosts_local_applies(applied_local, terraform_emulator):
    def client(service):
        return boto3.client(service, endpoint_url=terraform_emulator.endpoint)

    document = json.loads(client("ssm").get_parameter(Name=platform_parameter_name("local"))["Parameter"]["Value"])
    settings = connection("local")
    assert settings["ansible_user"] == document["ssh"]["user"]
    client("secretsmanager").describe_secret(SecretId=document["ssh"]["user_ca_secret_arn"])
    ec2 = client("ec2")
    for template in ec2.describe_launch_templates()["LaunchTemplates"]:
        version = ec2.describe_launch_template_versions(LaunchTemplateId=template["LaunchTemplateId"],
                                                        Versions=["$Latest"])["LaunchTemplateVersions"][0]
        login = user_data_login(version["LaunchTemplateData"]["UserData"])
        assert_inventory_matches(settings, login, document["ssh"]["principal"], document["ssh"]["user_ca_public_keys"])
        for group_id in version["LaunchTemplateData"]["SecurityGroupIds"]:
            group = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
            ssh = [permission for permission in group["IpPermissions"] if permission.get("FromPort") == 22]
            assert len(ssh) == 1 and ssh[0]["ToPort"] == 22 and not ssh[0]["IpRanges"], group["GroupName"]
            sources = {pair["GroupId"] for pair in ssh[0]["UserIdGroupPairs"]}
            automation = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["dataplatform-local-automation"]}])
            assert sources == {automation["SecurityGroups"][0]["GroupId"]}, group["GroupName"]


def tfvars_list(environment: str, name: str) -> str:
    """A top-level list of an environment's terraform.tfvars, as JSON."""
    text = (ENVIRONMENTS_DIR / environment / "terraform.tfvars").read_text()
    match = re.search(rf"^{re.escape(name)}\s*=\s*(\[.*?\])\s*$", text, re.M | re.S)
    assert match, f"terraform/environments/{environment}/terraform.tfvars does not set {name}"
    return match.group(1)
