"""DESIGN.md contracts 1 and 2, Terraform's side, asserted on the applied local environment: the
tags every Auto Scaling Group carries, and the platform parameter the hosts read. The key lists
come from the collection's module_utils/platform.py, the same lists the Ansible side uses."""

import json
import re

import boto3
import pytest

from ansible_collections.dataplatform.ops.plugins.module_utils.platform import (
    CONTRACT_TAGS,
    PLATFORM_KEYS,
    TAG_CLUSTER,
    TAG_ENV,
    TAG_ROLE,
    missing_platform_keys,
    platform_parameter_name,
)
from tests.harness.terraform import TERRAFORM_DIR

# These tests need the applied Terraform environment, so they also belong to the terraform tier.
pytestmark = pytest.mark.terraform


def _client(emulator, service):
    return boto3.client(service, endpoint_url=emulator.endpoint)


def _leaf_paths(document, prefix=""):
    for key, value in document.items():
        if isinstance(value, dict):
            yield from _leaf_paths(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}"


def test_every_auto_scaling_group_carries_the_contract_tags_propagated_to_its_instances(applied_local, terraform_emulator):
    groups = _client(terraform_emulator, "autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]
    assert {group["AutoScalingGroupName"] for group in groups} == {
        "dataplatform-local-nifi-main", "dataplatform-local-airflow-main"}
    ec2 = _client(terraform_emulator, "ec2")
    for group in groups:
        tags = {tag["Key"]: tag for tag in group["Tags"]}
        for key in (*CONTRACT_TAGS, "Name"):
            assert key in tags, f"{group['AutoScalingGroupName']} has no {key} tag"
            assert tags[key]["PropagateAtLaunch"] is True, f"{key} of {group['AutoScalingGroupName']} is not propagated"
        assert tags[TAG_ENV]["Value"] == "local"
        assert tags[TAG_ROLE]["Value"] in ("nifi", "airflow")
        assert tags[TAG_CLUSTER]["Value"] == f"{tags[TAG_ROLE]['Value']}-main"

        instance_ids = [instance["InstanceId"] for instance in group["Instances"]]
        assert instance_ids
        for reservation in ec2.describe_instances(InstanceIds=instance_ids)["Reservations"]:
            for instance in reservation["Instances"]:
                instance_tags = {tag["Key"]: tag["Value"] for tag in instance["Tags"]}
                for key in (*CONTRACT_TAGS, "Name"):
                    assert instance_tags.get(key) == tags[key]["Value"], f"{instance['InstanceId']}: {key}"


def test_platform_parameter_has_exactly_the_keys_ansible_reads(applied_local, terraform_emulator):
    parameter = _client(terraform_emulator, "ssm").get_parameter(Name=platform_parameter_name("local"))["Parameter"]
    document = json.loads(parameter["Value"])
    assert missing_platform_keys(document) == []
    assert sorted(_leaf_paths(document)) == sorted(PLATFORM_KEYS), "keys beyond PLATFORM_KEYS: extend platform.py first"


def test_platform_parameter_points_at_real_resources(applied_local, terraform_emulator):
    document = json.loads(_client(terraform_emulator, "ssm").get_parameter(
        Name=platform_parameter_name("local"))["Parameter"]["Value"])
    assert document["env"] == "local" and document["region"] == "eu-west-1"
    assert document["secrets_prefix"] == "dataplatform/local/"

    bucket_names = {bucket["Name"] for bucket in _client(terraform_emulator, "s3").list_buckets()["Buckets"]}
    assert set(document["buckets"].values()) <= bucket_names

    authority = _client(terraform_emulator, "acm-pca").describe_certificate_authority(
        CertificateAuthorityArn=document["pca"]["arn"])["CertificateAuthority"]
    assert authority["Status"] == "ACTIVE" and authority["Type"] == "ROOT"

    groups = {group["AutoScalingGroupName"] for group in
              _client(terraform_emulator, "autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]}
    assert {document["nifi"]["asg_name"], document["airflow"]["asg_name"]} == groups

    balancers = {balancer["DNSName"] for balancer in
                 _client(terraform_emulator, "elbv2").describe_load_balancers()["LoadBalancers"]}
    assert {document["nifi"]["nlb_dns_name"], document["airflow"]["alb_dns_name"]} == balancers

    database = _client(terraform_emulator, "rds").describe_db_instances()["DBInstances"][0]
    assert document["rds"]["endpoint"] == database["Endpoint"]["Address"]
    assert document["rds"]["port"] == database["Endpoint"]["Port"]
    assert document["rds"]["db_name"] == database["DBName"]
    assert document["rds"]["credentials_secret_arn"] == database["MasterUserSecret"]["SecretArn"]
    _client(terraform_emulator, "secretsmanager").describe_secret(SecretId=document["rds"]["credentials_secret_arn"])


def test_platform_parameter_keys_are_documented_in_one_place():
    readme = (TERRAFORM_DIR / "modules" / "platform-parameter" / "README.md").read_text()
    section = readme.split("\n## The document\n", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `([a-z_.]+)` \|", section, re.M)
    assert documented == list(PLATFORM_KEYS)
