"""The aws_asg inventory through the real ``ansible-inventory`` against the moto server.

Every test builds Auto Scaling groups in moto over HTTP, runs ``ansible-inventory -i <file>``
as a child process (it finds moto through ``AWS_ENDPOINT_URL``) and counts the requests the
server received.

Not reproducible on moto, and covered by the unit tests instead: instances in Pending:Wait or
Terminating:Wait (moto stores lifecycle hooks but never holds an instance in them), and an
instance vanishing between the Auto Scaling and the EC2 call (moto replaces a terminated ASG
instance at once).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from tests.conftest import REPO_ROOT, TEST_REGION, UNREACHABLE_ENDPOINT
from tests.harness.moto_server import MotoServer, count_actions

ANSIBLE_INVENTORY = str(Path(sys.executable).parent / "ansible-inventory")
IMAGE_ID = "ami-12c6146b"  # an image moto knows


def unwrap(value):
    """ansible-inventory marks values from the API as unsafe: {"__ansible_unsafe": value}."""
    if isinstance(value, dict) and set(value) == {"__ansible_unsafe"}:
        return value["__ansible_unsafe"]
    return value


def ansible_inventory(source, *args, check=True, **env):
    result = subprocess.run(
        [ANSIBLE_INVENTORY, "-i", str(source), *args],
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if check and result.returncode != 0:
        pytest.fail(f"ansible-inventory failed ({result.returncode}):\n{result.stderr}")
    return result


def inventory_list(source, **env):
    result = ansible_inventory(source, "--list", **env)
    return json.loads(result.stdout, object_hook=lambda obj: {key: unwrap(value) for key, value in obj.items()})


def hosts_of(inventory, group):
    return sorted(inventory.get(group, {}).get("hosts", []))


def all_hosts(inventory):
    return sorted(inventory["_meta"]["hostvars"])


class Platform:
    """Auto Scaling groups with the tag contract, created in moto through its API."""

    def __init__(self):
        self.ec2 = boto3.client("ec2", region_name=TEST_REGION)
        self.autoscaling = boto3.client("autoscaling", region_name=TEST_REGION)
        vpc = self.ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
        self.subnets = [
            self.ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{n}.0/24", AvailabilityZone=f"{TEST_REGION}{zone}")["Subnet"]["SubnetId"]
            for n, zone in enumerate("ab")
        ]
        self.launch_template = self.ec2.create_launch_template(
            LaunchTemplateName="dataplatform-node", LaunchTemplateData={"ImageId": IMAGE_ID, "InstanceType": "t3.small"}
        )["LaunchTemplate"]["LaunchTemplateId"]

    def group(self, env, role, size, subnet=0):
        name = f"dataplatform-{env}-{role}"
        tags = {"dataplatform:env": env, "dataplatform:role": role, "dataplatform:cluster": f"{role}-main", "Name": name}
        self.autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=name,
            MinSize=0,
            MaxSize=size + 2,
            DesiredCapacity=size,
            LaunchTemplate={"LaunchTemplateId": self.launch_template, "Version": "$Latest"},
            VPCZoneIdentifier=self.subnets[subnet],
            Tags=[
                {"Key": key, "Value": value, "PropagateAtLaunch": True, "ResourceId": name, "ResourceType": "auto-scaling-group"}
                for key, value in tags.items()
            ],
        )
        return name

    def instance_ids(self, group):
        described = self.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[group])["AutoScalingGroups"][0]
        return sorted(member["InstanceId"] for member in described["Instances"])

    def standalone_instances(self, count, env):
        """Instances outside any Auto Scaling group, carrying the same environment tag."""
        reservation = self.ec2.run_instances(
            ImageId=IMAGE_ID, MinCount=count, MaxCount=count, SubnetId=self.subnets[0],
            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "dataplatform:env", "Value": env}]}],
        )
        return sorted(instance["InstanceId"] for instance in reservation["Instances"])


@pytest.fixture
def platform(moto):
    """dev: nifi (3, one put in Standby, for which the group launches a replacement) and airflow (1)
    in two zones; prod: nifi (2); two dev instances outside any group."""
    world = Platform()
    world.dev_nifi = world.group("dev", "nifi", 3)
    world.dev_airflow = world.group("dev", "airflow", 1, subnet=1)
    world.prod_nifi = world.group("prod", "nifi", 2)
    world.standby = world.instance_ids(world.dev_nifi)[0]
    world.autoscaling.enter_standby(AutoScalingGroupName=world.dev_nifi, InstanceIds=[world.standby], ShouldDecrementDesiredCapacity=False)
    world.loose = world.standalone_instances(2, "dev")
    moto.clear_requests()
    return world


def write_source(directory, text, name="test.aws_asg.yml"):
    path = Path(directory) / name
    path.write_text("plugin: dataplatform.ops.aws_asg\nregions: [%s]\n%s" % (TEST_REGION, text))
    return path


DEV = "asg_tags:\n  dataplatform:env: dev\n"


def test_list_shows_the_asg_instances_of_one_environment_with_their_state(platform, moto, tmp_path):
    inventory = inventory_list(write_source(tmp_path, DEV))
    requests = count_actions(moto.requests())

    dev_nifi, dev_airflow = platform.instance_ids(platform.dev_nifi), platform.instance_ids(platform.dev_airflow)
    assert all_hosts(inventory) == sorted(dev_nifi + dev_airflow)
    assert not set(platform.loose) & set(all_hosts(inventory)), "instances outside any ASG must not appear"

    assert hosts_of(inventory, "asg_dataplatform_dev_nifi") == dev_nifi
    assert hosts_of(inventory, "role_nifi") == dev_nifi
    assert hosts_of(inventory, "role_airflow") == dev_airflow
    assert hosts_of(inventory, "cluster_nifi_main") == dev_nifi
    assert hosts_of(inventory, "env_dev") == sorted(dev_nifi + dev_airflow)
    assert hosts_of(inventory, "lifecycle_standby") == [platform.standby]
    assert hosts_of(inventory, "lifecycle_inservice") == sorted(set(dev_nifi + dev_airflow) - {platform.standby})
    assert hosts_of(inventory, f"az_{TEST_REGION.replace('-', '_')}b") == dev_airflow
    assert "env_prod" not in inventory

    standby = inventory["_meta"]["hostvars"][platform.standby]
    assert standby["lifecycle_state"] == "Standby"
    assert standby["health_status"] == "Healthy"
    assert standby["asg_name"] == platform.dev_nifi
    assert standby["ansible_host"] == standby["private_ip_address"]
    assert standby["private_dns_name"]
    assert standby["availability_zone"] == f"{TEST_REGION}a"
    assert standby["instance_type"] == "t3.small"
    assert standby["launch_template_id"] == platform.launch_template
    assert standby["launch_template_version"]
    assert (standby["dataplatform_env"], standby["dataplatform_role"], standby["dataplatform_cluster"]) == ("dev", "nifi", "nifi-main")
    # The group's tags propagated to the instance at launch.
    assert {key: standby["instance_tags"][key] for key in ("dataplatform:env", "dataplatform:role", "Name")} == {
        "dataplatform:env": "dev", "dataplatform:role": "nifi", "Name": platform.dev_nifi,
    }

    assert requests == {"autoscaling:DescribeAutoScalingGroups": 1, "ec2:DescribeInstances": 1}


def test_graph_shows_the_groups(platform, tmp_path):
    graph = ansible_inventory(write_source(tmp_path, DEV), "--graph").stdout
    for group in ("@asg_dataplatform_dev_nifi:", "@role_airflow:", "@env_dev:", "@lifecycle_standby:", "@cluster_airflow_main:"):
        assert group in graph
    assert platform.standby in graph
    assert "prod" not in graph


def test_instances_are_described_in_batches_by_id(platform, moto, tmp_path):
    inventory = inventory_list(write_source(tmp_path, DEV + "batch_size: 2\n"))
    # dev: nifi 3 + the replacement moto launched for the instance in Standby, airflow 1
    assert len(all_hosts(inventory)) == 5
    assert count_actions(moto.requests()) == {"autoscaling:DescribeAutoScalingGroups": 1, "ec2:DescribeInstances": 3}


def test_names_patterns_select_groups_and_hostnames_and_compose_shape_hosts(platform, tmp_path):
    source = write_source(tmp_path, (
        "asg_names: ['*-nifi']\n"
        "lifecycle_states: [InService]\n"
        "hostnames: [private-dns-name]\n"
        "compose:\n  nifi_node_address: private_ip_address\n"
        "keyed_groups:\n  - key: dataplatform_env\n    prefix: stage\n"
    ))
    inventory = inventory_list(source)
    hostvars = inventory["_meta"]["hostvars"]
    expected = set(platform.instance_ids(platform.dev_nifi) + platform.instance_ids(platform.prod_nifi)) - {platform.standby}
    assert {variables["instance_id"] for variables in hostvars.values()} == expected
    assert all(name == variables["private_dns_name"] for name, variables in hostvars.items())
    assert all(variables["nifi_node_address"] == variables["private_ip_address"] for variables in hostvars.values())
    assert len(hosts_of(inventory, "stage_prod")) == 2 and len(hosts_of(inventory, "stage_dev")) == len(expected) - 2


def test_a_cached_run_makes_no_api_call_and_applies_changed_compose(platform, moto, tmp_path):
    cache = f"cache: true\ncache_plugin: ansible.builtin.jsonfile\ncache_connection: {tmp_path / 'cache'}\ncache_timeout: 600\n"
    source = write_source(tmp_path, DEV + cache)
    first = inventory_list(source)
    assert moto.requests(), "the first run asks the API"

    moto.clear_requests()
    source.write_text(source.read_text() + "compose:\n  node_label: instance_id ~ '@' ~ asg_name\nkeyed_groups:\n  - key: instance_type\n    prefix: type\n")
    cached = inventory_list(source)
    assert moto.requests() == [], "a cached run makes zero API calls"
    assert all_hosts(cached) == all_hosts(first)
    assert cached["_meta"]["hostvars"][platform.standby]["node_label"] == f"{platform.standby}@{platform.dev_nifi}"
    assert hosts_of(cached, "type_t3_small") == all_hosts(first)

    source.write_text(source.read_text().replace("dataplatform:env: dev", "dataplatform:env: prod"))
    other_selection = inventory_list(source)
    assert all_hosts(other_selection) == platform.instance_ids(platform.prod_nifi)
    assert moto.requests(), "a changed selection is not answered from the cache"

    moto.clear_requests()
    inventory_list(source)
    assert moto.requests() == []


@pytest.mark.parametrize("env", ["local", "dev", "ppd", "prod"])
def test_the_repository_inventories_select_their_environment(moto, env):
    world = Platform()
    groups = {name: world.group(name, "nifi", 1) for name in ("local", "dev", "ppd", "prod")}
    inventory = inventory_list(REPO_ROOT / "inventories" / env / "aws_asg.yml", AWS_REGION=TEST_REGION)
    assert all_hosts(inventory) == world.instance_ids(groups[env])
    assert hosts_of(inventory, f"env_{env}") == world.instance_ids(groups[env])


def assert_readable_error(result, *fragments):
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    for fragment in fragments:
        assert fragment in result.stderr


def test_an_unreachable_endpoint_is_a_readable_inventory_error(tmp_path):
    result = ansible_inventory(
        write_source(tmp_path, DEV), "--list", check=False,
        AWS_ENDPOINT_URL=UNREACHABLE_ENDPOINT, ANSIBLE_INVENTORY_UNPARSED_FAILED="true",
    )
    assert_readable_error(
        result,
        "Failed to parse inventory with 'ansible_collections.dataplatform.ops.plugins.inventory.aws_asg' plugin",
        f"cannot list the Auto Scaling groups in {TEST_REGION} (endpoint {UNREACHABLE_ENDPOINT})",
        "Could not connect to the endpoint URL",
    )


def test_bad_credentials_are_a_readable_inventory_error(tmp_path):
    # moto checks credentials only when started with IAM authentication enforced.
    with MotoServer(env={"INITIAL_NO_AUTH_ACTION_COUNT": "0"}, log_path=tmp_path / "moto-auth.log") as strict_moto:
        result = ansible_inventory(
            write_source(tmp_path, DEV), "--list", check=False,
            AWS_ENDPOINT_URL=strict_moto.endpoint, ANSIBLE_INVENTORY_UNPARSED_FAILED="true",
        )
    assert_readable_error(result, f"cannot list the Auto Scaling groups in {TEST_REGION}", "InvalidClientTokenId", "security token")


def test_a_bad_option_is_a_readable_error_naming_file_and_option(tmp_path):
    source = write_source(tmp_path, "lifecycle_states: [InSerivce]\n")
    result = ansible_inventory(source, "--list", check=False, ANSIBLE_INVENTORY_UNPARSED_FAILED="true")
    assert_readable_error(result, f"{source}: lifecycle_states: 'InSerivce' matches no Auto Scaling lifecycle state", "did you mean 'InService'")
