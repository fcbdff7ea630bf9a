"""Selection, naming and host variables of the aws_asg inventory, from raw API data."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.dataplatform.ops.plugins.plugin_utils import asg_inventory as inv

DEFAULT_STATES = inv.lifecycle_state_selection(inv.DEFAULT_LIFECYCLE_STATES)


def group(name, members, **tags):
    return {
        "AutoScalingGroupName": name,
        "Tags": [{"Key": key.replace("__", ":"), "Value": value} for key, value in tags.items()],
        "Instances": members,
    }


def member(instance_id, state="InService", az="eu-west-1a"):
    return {
        "InstanceId": instance_id,
        "LifecycleState": state,
        "HealthStatus": "Healthy",
        "AvailabilityZone": az,
        "InstanceType": "m6i.large",
        "ProtectedFromScaleIn": False,
        "LaunchTemplate": {"LaunchTemplateId": "lt-0abc", "LaunchTemplateName": "nifi", "Version": "3"},
    }


def instance(instance_id, ip, ec2_state="running", **tags):
    return {
        "InstanceId": instance_id,
        "PrivateIpAddress": ip,
        "PrivateDnsName": "ip-%s.eu-west-1.compute.internal" % ip.replace(".", "-"),
        "PublicDnsName": "",
        "State": {"Name": ec2_state},
        "Tags": [{"Key": key.replace("__", ":"), "Value": value} for key, value in tags.items()],
    }


NIFI_TAGS = {"dataplatform__env": "prod", "dataplatform__role": "nifi", "dataplatform__cluster": "nifi-main", "Name": "nifi"}


def raw_data(members, instances):
    return {"eu-west-1": {"auto_scaling_groups": [group("dataplatform-prod-nifi", members, **NIFI_TAGS)], "instances": instances}}


def names(hosts):
    return [name for name, dummy in hosts]


# lifecycle states


def test_default_states_leave_out_instances_on_their_way_out():
    assert DEFAULT_STATES == {"InService", "Pending:Wait", "Pending:Proceed", "Standby"}


def test_patterns_select_every_matching_state():
    assert inv.lifecycle_state_selection(["Terminating*"]) == {
        "Terminating", "Terminating:Wait", "Terminating:Proceed", "Terminating:Retained",
    }


@pytest.mark.parametrize("states", [[], ["InSerivce"], [3]])
def test_a_state_list_that_selects_nothing_valid_is_an_error(states):
    with pytest.raises(inv.InventoryConfigError) as error:
        inv.lifecycle_state_selection(states)
    assert error.value.option == "lifecycle_states"


def test_a_mistyped_state_gets_a_suggestion():
    with pytest.raises(inv.InventoryConfigError, match="did you mean 'InService'"):
        inv.lifecycle_state_selection(["InSerivce"])


def test_instances_outside_the_selected_states_are_not_hosts():
    members = [member("i-1"), member("i-2", "Standby"), member("i-3", "Terminating:Wait"), member("i-4", "Detached")]
    instances = [instance("i-%d" % n, "10.0.0.%d" % n) for n in range(1, 5)]
    hosts, dummy = inv.select_hosts(raw_data(members, instances), DEFAULT_STATES, ("instance-id",), "private-ip-address")
    assert names(hosts) == ["i-1", "i-2"]

    hosts, dummy = inv.select_hosts(
        raw_data(members, instances), inv.lifecycle_state_selection(["Terminating:Wait"]), ("instance-id",), "private-ip-address"
    )
    assert names(hosts) == ["i-3"]


# host names


def test_the_first_non_empty_hostname_source_wins():
    instances = [instance("i-1", "10.0.0.1", Name="nifi-a"), instance("i-2", "10.0.0.2")]
    hosts, dummy = inv.select_hosts(
        raw_data([member("i-1"), member("i-2")], instances), DEFAULT_STATES, ("tag:Name", "dns-name", "private-dns-name"), "private-ip-address"
    )
    assert names(hosts) == ["nifi-a", "ip-10-0-0-2.eu-west-1.compute.internal"]


def test_two_hosts_with_one_name_is_an_error_naming_both_instances():
    instances = [instance("i-1", "10.0.0.1", Name="nifi"), instance("i-2", "10.0.0.2", Name="nifi")]
    with pytest.raises(inv.InventoryConfigError, match=r"hostnames: instances i-1 and i-2 would both be named 'nifi'"):
        inv.select_hosts(raw_data([member("i-1"), member("i-2")], instances), DEFAULT_STATES, ("tag:Name",), "private-ip-address")


def test_a_host_without_any_name_is_an_error():
    with pytest.raises(inv.InventoryConfigError, match="i-1 .* has no value for any of tag:Name, dns-name"):
        inv.select_hosts(
            raw_data([member("i-1")], [instance("i-1", "10.0.0.1")]), DEFAULT_STATES, ("tag:Name", "dns-name"), "private-ip-address"
        )


@pytest.mark.parametrize("sources", [[], ["hostname"], ["tag:"], [None]])
def test_unknown_hostname_sources_are_rejected(sources):
    with pytest.raises(inv.InventoryConfigError) as error:
        inv.check_hostnames(sources)
    assert error.value.option == "hostnames"


def test_known_hostname_sources_are_accepted():
    sources = ["tag:Name", "instance-id", "private-dns-name", "private-ip-address", "dns-name", "ip-address"]
    assert inv.check_hostnames(sources) == tuple(sources)


# host variables and groups


def test_host_variables_describe_the_instance_and_its_group():
    raw = raw_data([member("i-1", "Standby", "eu-west-1b")], [instance("i-1", "10.0.0.1", Name="nifi", extra="x")])
    ((name, variables),), warnings = inv.select_hosts(raw, DEFAULT_STATES, ("instance-id",), "private-ip-address")
    assert warnings == []
    assert name == "i-1"
    assert variables["ansible_host"] == "10.0.0.1"
    assert variables["asg_name"] == "dataplatform-prod-nifi"
    assert variables["lifecycle_state"] == "Standby"
    assert variables["health_status"] == "Healthy"
    assert variables["availability_zone"] == "eu-west-1b"
    assert variables["private_dns_name"] == "ip-10-0-0-1.eu-west-1.compute.internal"
    assert variables["instance_type"] == "m6i.large"
    assert (variables["launch_template_id"], variables["launch_template_version"]) == ("lt-0abc", "3")
    assert variables["instance_tags"] == {"Name": "nifi", "extra": "x"}
    assert variables["region"] == "eu-west-1"
    assert (variables["dataplatform_env"], variables["dataplatform_role"], variables["dataplatform_cluster"]) == ("prod", "nifi", "nifi-main")


def test_platform_variables_come_from_the_group_not_from_instance_tags():
    """Whoever may tag an instance must not be able to move it into another environment."""
    raw = raw_data([member("i-1")], [instance("i-1", "10.0.0.1", dataplatform__env="dev", dataplatform__role="airflow")])
    ((dummy, variables),), dummy = inv.select_hosts(raw, DEFAULT_STATES, ("instance-id",), "private-ip-address")
    assert (variables["dataplatform_env"], variables["dataplatform_role"]) == ("prod", "nifi")
    assert variables["instance_tags"]["dataplatform:env"] == "dev"


def test_ansible_host_source_is_configurable_and_absent_values_leave_it_unset():
    raw = raw_data([member("i-1")], [instance("i-1", "10.0.0.1")])
    ((dummy, variables),), dummy = inv.select_hosts(raw, DEFAULT_STATES, ("instance-id",), "instance-id")
    assert variables["ansible_host"] == "i-1"
    ((dummy, variables),), dummy = inv.select_hosts(raw, DEFAULT_STATES, ("instance-id",), "dns-name")
    assert "ansible_host" not in variables


def test_platform_groups_name_group_role_env_cluster_state_and_zone():
    variables = {
        "asg_name": "dataplatform-prod-nifi", "dataplatform_role": "nifi", "dataplatform_env": "prod",
        "dataplatform_cluster": "nifi-main", "lifecycle_state": "Terminating:Wait", "availability_zone": "eu-west-1a",
    }
    assert inv.platform_groups(variables) == [
        "asg_dataplatform-prod-nifi", "role_nifi", "env_prod", "cluster_nifi-main", "lifecycle_terminating:wait", "az_eu-west-1a",
    ]


def test_a_group_without_the_contract_tags_gets_only_the_other_groups():
    variables = {"asg_name": "legacy", "lifecycle_state": "InService", "availability_zone": "eu-west-1a"}
    assert inv.platform_groups(variables) == ["asg_legacy", "lifecycle_inservice", "az_eu-west-1a"]


# instances that vanish between the two API calls


@pytest.mark.parametrize("instances", [[], [instance("i-1", "10.0.0.1", ec2_state="terminated")]], ids=["gone", "terminated"])
def test_an_instance_ec2_no_longer_describes_is_skipped_with_a_warning(instances):
    raw = raw_data([member("i-1"), member("i-2")], instances + [instance("i-2", "10.0.0.2")])
    hosts, warnings = inv.select_hosts(raw, DEFAULT_STATES, ("instance-id",), "private-ip-address")
    assert names(hosts) == ["i-2"]
    assert len(warnings) == 1 and "i-1" in warnings[0] and "dataplatform-prod-nifi" in warnings[0]


def test_vanished_instances_in_unselected_states_are_not_reported():
    raw = raw_data([member("i-1", "Terminating:Proceed")], [])
    assert inv.select_hosts(raw, DEFAULT_STATES, ("instance-id",), "private-ip-address") == ([], [])


# selection


def test_asg_tags_become_service_side_filters():
    assert inv.asg_tag_filters({"dataplatform:env": "prod", "dataplatform:role": ["nifi", "airflow"]}) == [
        {"Name": "tag:dataplatform:env", "Values": ["prod"]},
        {"Name": "tag:dataplatform:role", "Values": ["nifi", "airflow"]},
    ]
    assert inv.asg_tag_filters({}) == []


@pytest.mark.parametrize("value", [[], None, {"a": "b"}, True])
def test_asg_tag_values_must_be_strings(value):
    with pytest.raises(inv.InventoryConfigError, match="asg_tags: the value of 'dataplatform:env'"):
        inv.asg_tag_filters({"dataplatform:env": value})


def test_asg_name_patterns():
    assert inv.asg_name_selected("dataplatform-prod-nifi", [])
    assert inv.asg_name_selected("dataplatform-prod-nifi", ["*-airflow", "dataplatform-prod-*"])
    assert not inv.asg_name_selected("dataplatform-prod-nifi", ["*-airflow"])
    assert not inv.asg_name_selected("Dataplatform-prod-nifi", ["dataplatform-*"])


def test_json_safe_turns_datetimes_into_iso_strings():
    moment = datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    assert inv.json_safe({"a": [moment, {"b": moment}], "c": 1}) == {
        "a": ["2025-01-02T03:04:05+00:00", {"b": "2025-01-02T03:04:05+00:00"}], "c": 1,
    }
