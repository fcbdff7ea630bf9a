"""The aws_asg plugin building an inventory from raw API data: groups, constructable options,
option errors, and retries on throttling.

The inventory is a real ``InventoryData``; options are set directly instead of from a file
(``ansible-inventory`` reads real files in tests/integration/test_inventory_aws_asg.py).
"""

from __future__ import annotations

import types

import boto3
import pytest
import yaml
from ansible.errors import AnsibleParserError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.template import trust_as_template
from botocore.stub import Stubber

from ansible_collections.amazon.aws.plugins.module_utils import cloud
from ansible_collections.dataplatform.ops.plugins.inventory import aws_asg
from ansible_collections.dataplatform.ops.plugins.plugin_utils import asg_inventory

DEFAULTS = {
    "regions": [],
    "asg_names": [],
    "asg_tags": {},
    "lifecycle_states": list(asg_inventory.DEFAULT_LIFECYCLE_STATES),
    "hostnames": ["instance-id"],
    "ansible_host_source": "private-ip-address",
    "batch_size": 200,
    "platform_env": None,
    "untrusted_groups": "warn",
    "compose": {},
    "groups": {},
    "keyed_groups": [],
    "strict": False,
    "leading_separator": True,
    "use_extra_vars": False,
}


def tags(**pairs):
    return [{"Key": key.replace("__", ":"), "Value": value} for key, value in pairs.items()]


def asg(name, role, cluster, members):
    return {
        "AutoScalingGroupName": name,
        "Tags": tags(dataplatform__env="prod", dataplatform__role=role, dataplatform__cluster=cluster),
        "Instances": [
            {"InstanceId": instance_id, "LifecycleState": state, "HealthStatus": health, "AvailabilityZone": "eu-west-1a",
             "InstanceType": "m6i.large"}
            for instance_id, state, health in members
        ],
    }


def instance(instance_id, ip):
    return {"InstanceId": instance_id, "PrivateIpAddress": ip, "PrivateDnsName": "ip-%s.internal" % ip.replace(".", "-"),
            "State": {"Name": "running"}, "Tags": tags(Name="node")}


RAW = {
    "eu-west-1": {
        "auto_scaling_groups": [
            asg("dataplatform-prod-nifi", "nifi", "nifi-main", [
                ("i-1", "InService", "Healthy"), ("i-2", "Standby", "Healthy"), ("i-3", "Terminating:Wait", "Unhealthy"),
            ]),
            asg("dataplatform-prod-airflow", "airflow", "airflow-main", [("i-4", "Pending:Wait", "Unhealthy")]),
        ],
        "instances": [instance("i-1", "10.0.0.1"), instance("i-2", "10.0.0.2"), instance("i-3", "10.0.0.3"), instance("i-4", "10.0.0.4")],
    }
}


def build(raw=None, **options):
    plugin = aws_asg.InventoryModule()
    plugin._options = dict(DEFAULTS, **options)
    plugin.inventory = InventoryData()
    plugin.loader = DataLoader()
    plugin._source = "/inventories/prod/aws_asg.yml"
    plugin._populate(RAW if raw is None else raw, plugin._settings())
    return plugin.inventory


def with_platform(*asg_names):
    """RAW as the plugin fetches it with platform_env: the groups the platform document names."""
    return {region: dict(data, platform={"parameter": "/dataplatform/prod/platform", "asg_names": list(asg_names)})
            for region, data in RAW.items()}


def members(inventory, group):
    return sorted(host.name for host in inventory.groups[group].get_hosts())


def test_the_documented_defaults_are_the_ones_the_tests_use():
    documented = yaml.safe_load(aws_asg.DOCUMENTATION)["options"]
    for option in ("lifecycle_states", "hostnames", "ansible_host_source", "batch_size", "regions", "asg_names", "asg_tags",
                   "untrusted_groups"):
        assert documented[option]["default"] == DEFAULTS[option], option


def test_hosts_are_grouped_by_asg_role_env_cluster_state_and_zone():
    inventory = build()
    assert members(inventory, "asg_dataplatform_prod_nifi") == ["i-1", "i-2"]
    assert members(inventory, "role_nifi") == ["i-1", "i-2"]
    assert members(inventory, "role_airflow") == ["i-4"]
    assert members(inventory, "env_prod") == ["i-1", "i-2", "i-4"]
    assert members(inventory, "cluster_airflow_main") == ["i-4"]
    assert members(inventory, "lifecycle_inservice") == ["i-1"]
    assert members(inventory, "lifecycle_standby") == ["i-2"]
    assert members(inventory, "lifecycle_pending_wait") == ["i-4"]
    assert members(inventory, "az_eu_west_1a") == ["i-1", "i-2", "i-4"]
    assert "i-3" not in inventory.hosts


def test_state_selection_applies_when_the_inventory_is_built():
    inventory = build(lifecycle_states=["Terminating:Wait"])
    assert sorted(inventory.hosts) == ["i-3"]
    assert members(inventory, "lifecycle_terminating_wait") == ["i-3"]


def test_every_selected_state_has_its_group_even_when_empty():
    inventory = build()
    assert members(inventory, "lifecycle_pending_proceed") == []
    assert "lifecycle_terminating_wait" not in inventory.groups  # not selected by the default


def test_compose_sets_variables_from_the_host_variables():
    inventory = build(compose={
        "ansible_host": trust_as_template("private_dns_name"),
        "node_label": trust_as_template("dataplatform_cluster ~ '/' ~ instance_id"),
    })
    host = inventory.get_host("i-1").get_vars()
    assert host["ansible_host"] == "ip-10-0-0-1.internal"
    assert host["node_label"] == "nifi-main/i-1"


def test_groups_and_keyed_groups_use_host_variables_and_composed_ones():
    inventory = build(
        compose={"tier": trust_as_template("'data' if dataplatform_role == 'nifi' else 'orchestration'")},
        groups={"unhealthy": trust_as_template("health_status != 'Healthy'")},
        keyed_groups=[{"key": trust_as_template("tier"), "prefix": "tier"}, {"key": trust_as_template("instance_type"), "prefix": "type"}],
    )
    assert members(inventory, "unhealthy") == ["i-4"]
    assert members(inventory, "tier_data") == ["i-1", "i-2"]
    assert members(inventory, "tier_orchestration") == ["i-4"]
    assert members(inventory, "type_m6i_large") == ["i-1", "i-2", "i-4"]


def test_strict_makes_a_broken_compose_expression_an_error():
    broken = {"port": trust_as_template("undefined_variable + 1")}
    assert "port" not in build(compose=broken).get_host("i-1").get_vars()
    with pytest.raises(Exception, match="Could not set port for host"):
        build(compose=broken, strict=True)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"lifecycle_states": ["InSerivce"]}, "/inventories/prod/aws_asg.yml: lifecycle_states: 'InSerivce'"),
        ({"hostnames": ["hostname"]}, "/inventories/prod/aws_asg.yml: hostnames: unknown source 'hostname'"),
        ({"ansible_host_source": "ipv6"}, "/inventories/prod/aws_asg.yml: ansible_host_source: unknown source 'ipv6'"),
        ({"batch_size": 5000}, "/inventories/prod/aws_asg.yml: batch_size: must be between 1 and 1000"),
        ({"hostnames": ["tag:Name"]}, "/inventories/prod/aws_asg.yml: hostnames: instances i-4 and i-1 would both be named 'node'"),
    ],
)
def test_bad_options_are_parser_errors_naming_the_file_and_the_option(options, message):
    with pytest.raises(AnsibleParserError) as error:
        build(**options)
    assert message in str(error.value)


def test_throttled_requests_are_retried(monkeypatch):
    """Throttling cannot be produced on the moto server, so an in-process botocore stub plays it."""
    sleeps = []
    # The retry decorator's own view of the time module: patching time.sleep itself would also
    # catch every other thread's sleep (a Spark gateway left by an earlier test, say).
    monkeypatch.setattr(cloud, "time", types.SimpleNamespace(sleep=sleeps.append))
    client = boto3.client("ec2", region_name="eu-west-1", aws_access_key_id="a", aws_secret_access_key="b")
    stubber = Stubber(client)
    expected = {"Filters": [{"Name": "instance-id", "Values": ["i-1"]}], "MaxResults": 1000}
    stubber.add_client_error("describe_instances", service_error_code="RequestLimitExceeded", http_status_code=503,
                             expected_params=expected)
    stubber.add_client_error("describe_instances", service_error_code="Throttling", http_status_code=400,
                             expected_params=expected)
    stubber.add_response("describe_instances", {"Reservations": [{"Instances": [{"InstanceId": "i-1"}]}]}, expected)
    with stubber:
        assert aws_asg.describe_instances(client, ["i-1"]) == [{"InstanceId": "i-1"}]
    assert len(sleeps) == 2


def test_other_api_errors_are_not_retried(monkeypatch):
    monkeypatch.setattr(cloud, "time", types.SimpleNamespace(sleep=lambda seconds: pytest.fail("retried a non-retryable error")))
    client = boto3.client("autoscaling", region_name="eu-west-1", aws_access_key_id="a", aws_secret_access_key="b")
    stubber = Stubber(client)
    stubber.add_client_error("describe_auto_scaling_groups", service_error_code="AccessDenied", http_status_code=403)
    with stubber, pytest.raises(Exception, match="AccessDenied"):
        aws_asg.describe_auto_scaling_groups(client, [])


def test_a_group_the_platform_document_does_not_name_is_left_out_with_a_warning(monkeypatch):
    warnings = []
    monkeypatch.setattr(aws_asg.InventoryModule, "warn", lambda self, message: warnings.append(message), raising=False)
    inventory = build(raw=with_platform("dataplatform-prod-nifi"), platform_env="prod")
    assert sorted(inventory.hosts) == ["i-1", "i-2"]
    assert "asg_dataplatform_prod_airflow" not in inventory.groups
    assert warnings == [
        "/inventories/prod/aws_asg.yml: Auto Scaling group dataplatform-prod-airflow (eu-west-1, 1 instance(s), not in "
        "/dataplatform/prod/platform) carries the selected tags but is not a group the environment's Terraform made; "
        "it and its instances are left out"]


def test_untrusted_groups_error_fails_naming_the_group():
    with pytest.raises(AnsibleParserError, match=r"/inventories/prod/aws_asg.yml: untrusted_groups: the Auto Scaling "
                       r"group\(s\) dataplatform-prod-airflow \(eu-west-1, 1 instance\(s\)"):
        build(raw=with_platform("dataplatform-prod-nifi"), platform_env="prod", untrusted_groups="error")


def test_a_document_naming_no_group_trusts_none():
    assert not build(raw=with_platform(), platform_env="prod", untrusted_groups="warn").hosts


def test_without_platform_env_every_selected_group_is_trusted():
    assert sorted(build().hosts) == ["i-1", "i-2", "i-4"]


def test_the_platform_document_names_its_sections_groups_and_must_be_its_environments():
    document = {"env": "prod", "region": "eu-west-1", "nifi": {"asg_name": "dataplatform-prod-nifi-main"},
                "airflow": {"asg_name": "dataplatform-prod-airflow-main"}, "rds": {"port": 5432}, "buckets": {"bronze": "b"}}
    assert asg_inventory.check_platform_document(document, "prod", "eu-west-1", "/dataplatform/prod/platform") == [
        "dataplatform-prod-airflow-main", "dataplatform-prod-nifi-main"]
    with pytest.raises(asg_inventory.InventoryConfigError, match="platform_env: .* is the document of env 'prod', not 'dev'"):
        asg_inventory.check_platform_document(document, "dev", "eu-west-1", "/dataplatform/dev/platform")
    with pytest.raises(asg_inventory.InventoryConfigError, match="names region 'eu-west-1'"):
        asg_inventory.check_platform_document(document, "prod", "us-east-1", "/dataplatform/prod/platform")
    with pytest.raises(asg_inventory.InventoryConfigError, match="is not a JSON object"):
        asg_inventory.check_platform_document(["x"], "prod", "eu-west-1", "/dataplatform/prod/platform")
