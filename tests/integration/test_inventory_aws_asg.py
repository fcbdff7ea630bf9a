"""The aws_asg inventory through the real ``ansible-inventory`` against the moto server.

Every test builds Auto Scaling groups in moto over HTTP, runs ``ansible-inventory -i <file>``
as a child process (it finds moto through ``AWS_ENDPOINT_URL``) and counts the requests the
server received.

With ``platform_env`` (every repository inventory sets it) the plugin also reads the platform
document Terraform writes, ``/dataplatform/<env>/platform``, from the same server, and trusts only
the groups it names.

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
import yaml

from tests.conftest import REPO_ROOT, TEST_REGION, UNREACHABLE_ENDPOINT
from emulator.client import count_actions
from emulator.server import MotoServer
from tests.harness.platform_document import platform_document, write_platform_document

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

    def group(self, env, role, size, subnet=0, name=None):
        name = name or f"dataplatform-{env}-{role}"
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


def publish(env, **asg_names):
    """The platform document of ``env`` as its Terraform writes it, naming these groups
    (``nifi="<group>"``, ``airflow="<group>"``)."""
    document = platform_document(env, region=TEST_REGION)
    for section, name in asg_names.items():
        document[section]["asg_name"] = name
    write_platform_document(document)
    return document


ENVS = ("local", "dev", "ppd", "prod")


@pytest.mark.parametrize("env", ENVS)
def test_the_repository_inventories_select_their_environment(moto, env):
    world = Platform()
    groups = {name: world.group(name, "nifi", 1) for name in ENVS}
    for name in ENVS:
        publish(name, nifi=groups[name])
    inventory = inventory_list(REPO_ROOT / "inventories" / env / "aws_asg.yml", AWS_REGION=TEST_REGION)
    assert all_hosts(inventory) == world.instance_ids(groups[env])
    assert hosts_of(inventory, f"env_{env}") == world.instance_ids(groups[env])


@pytest.mark.parametrize("source", sorted((REPO_ROOT / "inventories").glob("**/*aws_asg.yml")),
                         ids=lambda path: str(path.relative_to(REPO_ROOT)))
def test_every_repository_inventory_trusts_only_its_environments_platform_document(source):
    settings = yaml.safe_load(source.read_text())
    assert settings["platform_env"] == settings["asg_tags"]["dataplatform:env"], source
    assert settings.get("untrusted_groups", "warn") in ("warn", "error"), source


def normalized(text):
    """Warnings and errors as one line: ansible wraps them at the terminal's width."""
    return " ".join(text.split())


@pytest.mark.parametrize("env", ENVS)
def test_a_tagged_group_terraform_did_not_make_is_left_out_with_a_warning(moto, env):
    world = Platform()
    nifi = world.group(env, "nifi", 2)
    airflow = world.group(env, "airflow", 1, subnet=1)
    # Carries every tag of the contract, as anyone who may tag a group could make it.
    rogue = world.group(env, "nifi", 1, name=f"shadow-{env}-nifi")
    parameter = "/dataplatform/%s/platform" % env
    publish(env, nifi=nifi, airflow=airflow)
    moto.clear_requests()

    result = ansible_inventory(REPO_ROOT / "inventories" / env / "aws_asg.yml", "--list", AWS_REGION=TEST_REGION)
    inventory = json.loads(result.stdout, object_hook=lambda obj: {key: unwrap(value) for key, value in obj.items()})

    assert all_hosts(inventory) == sorted(world.instance_ids(nifi) + world.instance_ids(airflow))
    assert not set(world.instance_ids(rogue)) & set(all_hosts(inventory))
    assert f"asg_{rogue.replace('-', '_')}" not in inventory
    warning = normalized(result.stderr)
    assert (f"Auto Scaling group {rogue} ({TEST_REGION}, 1 instance(s), not in {parameter}) carries the selected tags "
            "but is not a group the environment's Terraform made; it and its instances are left out") in warning
    assert nifi not in warning and airflow not in warning
    # One read of the document per run.
    assert count_actions(moto.requests())["ssm:GetParameter"] == 1


def test_untrusted_groups_error_fails_naming_the_group_and_the_file(platform, tmp_path):
    publish("dev", nifi=platform.dev_nifi)
    source = write_source(tmp_path, DEV + "platform_env: dev\nuntrusted_groups: error\n")
    result = ansible_inventory(source, "--list", check=False, ANSIBLE_INVENTORY_UNPARSED_FAILED="true")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert (f"{source}: untrusted_groups: the Auto Scaling group(s) {platform.dev_airflow} ({TEST_REGION}, 1 "
            "instance(s), not in /dataplatform/dev/platform) carry the selected tags but are not groups the "
            "environment's Terraform made") in normalized(result.stderr)


def test_a_cached_run_applies_a_changed_untrusted_groups_without_api_calls(platform, moto, tmp_path):
    publish("dev", nifi=platform.dev_nifi, airflow=platform.dev_airflow)
    cache = f"cache: true\ncache_plugin: ansible.builtin.jsonfile\ncache_connection: {tmp_path / 'cache'}\ncache_timeout: 600\n"
    source = write_source(tmp_path, DEV + "platform_env: dev\n" + cache)
    first = inventory_list(source)
    assert len(all_hosts(first)) == 5

    # Terraform's document changes (the airflow group is no longer the environment's): a cached
    # run still trusts what it read, a changed selection reads again.
    publish("dev", nifi=platform.dev_nifi, airflow="dataplatform-dev-airflow-main")
    moto.clear_requests()
    source.write_text(source.read_text() + "untrusted_groups: error\n")
    assert all_hosts(inventory_list(source)) == all_hosts(first)
    assert moto.requests() == []

    source.write_text(source.read_text() + "asg_names: ['dataplatform-dev-*']\n")
    refused = ansible_inventory(source, "--list", check=False, ANSIBLE_INVENTORY_UNPARSED_FAILED="true")
    assert refused.returncode != 0 and platform.dev_airflow in normalized(refused.stderr)


@pytest.mark.parametrize("case", ["missing", "not-json", "other-env", "other-region"])
def test_a_missing_or_foreign_platform_document_is_a_readable_error(platform, tmp_path, case):
    ssm = boto3.client("ssm", region_name=TEST_REGION)
    document = platform_document("dev", region=TEST_REGION)
    value = {"missing": None, "not-json": "{not json", "other-env": json.dumps(dict(document, env="ppd")),
             "other-region": json.dumps(dict(document, region="eu-central-1"))}[case]
    if value is not None:
        ssm.put_parameter(Name="/dataplatform/dev/platform", Type="String", Value=value, Overwrite=True)
    source = write_source(tmp_path, DEV + "platform_env: dev\n")

    result = ansible_inventory(source, "--list", check=False, ANSIBLE_INVENTORY_UNPARSED_FAILED="true")

    assert_readable_error(result, f"{source}: platform_env: ")
    expected = {
        "missing": f"the platform parameter /dataplatform/dev/platform does not exist in {TEST_REGION} (has Terraform been applied to dev?)",
        "not-json": "the platform parameter /dataplatform/dev/platform is not JSON",
        "other-env": f"the platform parameter /dataplatform/dev/platform in {TEST_REGION} is the document of env 'ppd', not 'dev'",
        "other-region": f"the platform parameter /dataplatform/dev/platform read in {TEST_REGION} names region 'eu-central-1'",
    }[case]
    assert expected in normalized(result.stderr), result.stderr


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
