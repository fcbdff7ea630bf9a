"""ansible/playbooks/nifi-decommission.yml against the moto server.

What runs for real: the playbook, its checks, the platform parameter read from SSM, the
nifi-decommission service identity's key and CSR made on the controller and its certificate
issued by the environment's CA (moto's ACM PCA), the TLS client set up from it, a NiFi group
whose scale-in holds the instance in Terminating:Wait (emulator/autoscaling_hooks.py), and the
lifecycle action completed over HTTP. What does not: a NiFi cluster answering the REST calls
(NiFi cannot run here; the removal sequence itself is covered by the unit tests of
module_utils/nifi_api.py). The NiFi API URL points at a closed loopback port, so the NiFi step
fails as it would with NiFi down, which exercises the ABANDON path. The inventory is a static one
describing the waiting instance, as the aws_asg inventory would.
"""

from __future__ import annotations

import os
import subprocess
import sys

import boto3
import pytest
import yaml
from cryptography import x509

from tests.conftest import REPO_ROOT
from emulator.client import count_actions
from tests.harness.platform_document import platform_document, write_platform_document
from tests.harness.private_ca import create_root_ca

PLAYBOOK = REPO_ROOT / "ansible" / "playbooks" / "nifi-decommission.yml"
GROUP = "dataplatform-local-nifi-main"
CLOSED_PORT_API = "https://127.0.0.1:9/nifi-api"
MUTATING = ("Create", "Put", "Update", "Delete", "Complete", "Terminate", "Set", "Issue", "Revoke")
CLIENT_AUTH_TEMPLATE = "arn:aws:acm-pca:::template/EndEntityClientAuthCertificate/V1"


@pytest.fixture
def terminating_node(moto, tmp_path):
    """A NiFi group with a termination hook, scaled in so that one instance waits in it, the
    environment's CA and the platform parameter naming it."""
    autoscaling = boto3.client("autoscaling")
    autoscaling.create_launch_configuration(LaunchConfigurationName="nifi", ImageId="ami-12c6146b", InstanceType="t3.medium")
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=GROUP, LaunchConfigurationName="nifi", MinSize=1, MaxSize=3, DesiredCapacity=2,
        AvailabilityZones=["eu-west-1a"], LifecycleHookSpecificationList=[{
            "LifecycleHookName": "terminate", "LifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING",
            "HeartbeatTimeout": 900, "DefaultResult": "CONTINUE"}])
    autoscaling.set_desired_capacity(AutoScalingGroupName=GROUP, DesiredCapacity=1)
    (instance_id,) = [instance["InstanceId"] for instance in autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"][0]["Instances"]
                      if instance["LifecycleState"] == "Terminating:Wait"]
    ca_arn = create_root_ca("local")
    write_platform_document(platform_document("local", pca_arn=ca_arn))

    inventory = tmp_path / "terminating.yml"
    host = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable, "dataplatform_env": "local",
            "asg_name": GROUP, "instance_id": instance_id, "lifecycle_state": "Terminating:Wait",
            "private_dns_name": "ip-10-0-1-23.eu-west-1.compute.internal"}
    inventory.write_text(yaml.safe_dump({"all": {"children": {
        "role_nifi": {"hosts": {instance_id: host}},
        "lifecycle_terminating_wait": {"hosts": {instance_id: {}}},
    }}}))
    moto.clear_requests()
    return {"inventory": inventory, "instance_id": instance_id, "moto": moto, "ca_arn": ca_arn}


def run(inventory, *args):
    env = {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_CALLBACK_RESULT_FORMAT": "json"}
    return subprocess.run(["ansible-playbook", str(PLAYBOOK), "-i", str(inventory), *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def mutating_calls(moto):
    return [key for key in count_actions(moto.requests()) if key.split(":", 1)[1].startswith(MUTATING)]


def issued_certificates(moto):
    return [request for request in moto.requests() if request["action"] == "IssueCertificate"]


def test_nifi_unreachable_keeps_the_instance_waiting_with_a_heartbeat_and_fails_the_host(terminating_node):
    """The default: a node that could not be offloaded is never let go with its queues."""
    moto = terminating_node["moto"]
    result = run(terminating_node["inventory"], "-e", f"nifi_decommission_api_url={CLOSED_PORT_API}")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "was not taken out of the NiFi cluster" in output and "keeps waiting in its termination hook" in output, output
    assert moto.lifecycle_actions() == []
    assert "autoscaling:RecordLifecycleActionHeartbeat" in count_actions(moto.requests())
    assert "PRIVATE KEY" not in output
    groups = boto3.client("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]
    states = {instance["InstanceId"]: instance["LifecycleState"] for instance in groups[0]["Instances"]}
    assert states[terminating_node["instance_id"]] == "Terminating:Wait"


def test_abandon_on_failure_completes_the_action_with_abandon(terminating_node):
    result = run(terminating_node["inventory"], "-e", f"nifi_decommission_api_url={CLOSED_PORT_API}",
                 "-e", "nifi_decommission_on_failure=abandon")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "completed with ABANDON" in output, output
    assert terminating_node["moto"].lifecycle_actions() == [{
        "AutoScalingGroupName": GROUP, "LifecycleHookName": "terminate", "InstanceId": terminating_node["instance_id"],
        "LifecycleActionResult": "ABANDON"}]
    # The instance the hook held is gone, as the hook's result lets it go.
    groups = boto3.client("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]
    assert terminating_node["instance_id"] not in [instance["InstanceId"] for instance in groups[0]["Instances"]]


def test_the_playbook_acts_as_its_service_identity_with_a_one_day_client_certificate(terminating_node):
    """No person's certificate: a certificate for CN=nifi-decommission, OU=Services, O=Platform, from
    the client-authentication template, valid one day, issued by the environment's CA for a key
    that never leaves the controller's memory; no user's secret is read."""
    result = run(terminating_node["inventory"], "-e", f"nifi_decommission_api_url={CLOSED_PORT_API}")
    (request,) = issued_certificates(terminating_node["moto"])
    assert request["params"]["TemplateArn"] == CLIENT_AUTH_TEMPLATE
    assert request["params"]["Validity"] == {"Value": 1, "Type": "DAYS"}
    assert request["params"]["CertificateAuthorityArn"] == terminating_node["ca_arn"]
    (fetched,) = [item for item in terminating_node["moto"].requests() if item["action"] == "GetCertificate"][-1:]
    certificate = x509.load_pem_x509_certificate(boto3.client("acm-pca").get_certificate(
        CertificateAuthorityArn=terminating_node["ca_arn"], CertificateArn=fetched["params"]["CertificateArn"])[
        "Certificate"].encode())
    assert certificate.subject.rfc4514_string() == "CN=nifi-decommission,OU=Services,O=Platform"
    assert not any(item["service"] == "secretsmanager" for item in terminating_node["moto"].requests())
    assert "PRIVATE KEY" not in result.stdout + result.stderr


def test_the_service_identity_is_the_one_the_nifi_role_authorizes_to_manage_the_cluster():
    playbook = yaml.safe_load(PLAYBOOK.read_text())[0]
    defaults = yaml.safe_load((REPO_ROOT / "collections" / "ansible_collections" / "dataplatform" / "ops" / "roles" / "nifi"
                               / "defaults" / "main.yml").read_text())
    (service,) = [item for item in defaults["nifi_service_identities"] if item["name"] == "nifi-decommission"]
    assert playbook["vars"]["nifi_decommission_identity"] == service["subject"]
    assert service["roles"] == ["cluster_manager"]
    assert {(policy["resource"], tuple(policy["actions"])) for policy in defaults["nifi_roles"]["cluster_manager"]["policies"]} == {
        ("/controller", ("read", "write")), ("/flow", ("read",))}


def test_check_mode_issues_nothing_and_calls_no_mutating_api(terminating_node):
    result = run(terminating_node["inventory"], "--check", "-e", f"nifi_decommission_api_url={CLOSED_PORT_API}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "would be disconnected, offloaded and deleted from the NiFi cluster" in result.stdout
    assert mutating_calls(terminating_node["moto"]) == []
    assert terminating_node["moto"].lifecycle_actions() == []


def test_an_instance_not_waiting_to_terminate_is_refused(terminating_node, tmp_path):
    document = yaml.safe_load(terminating_node["inventory"].read_text())
    host = document["all"]["children"]["role_nifi"]["hosts"][terminating_node["instance_id"]]
    host["lifecycle_state"] = "InService"
    terminating_node["inventory"].write_text(yaml.safe_dump(document))
    result = run(terminating_node["inventory"])
    assert result.returncode != 0
    assert "needs lifecycle_state Terminating:Wait (is InService)" in result.stdout
    assert terminating_node["moto"].requests() == []


def test_the_lifecycle_module_completes_with_continue(terminating_node):
    """The CONTINUE completion the playbook makes after a successful removal, on its own."""
    arguments = (f"asg_name={GROUP} lifecycle_hook_name=terminate instance_id={terminating_node['instance_id']} "
                 "result=CONTINUE region=eu-west-1")
    result = subprocess.run(["ansible", "localhost", "-m", "dataplatform.ops.autoscaling_lifecycle_action", "-a", arguments],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert [a["LifecycleActionResult"] for a in terminating_node["moto"].lifecycle_actions()] == ["CONTINUE"]
    assert count_actions(terminating_node["moto"].requests()) == {"autoscaling:CompleteLifecycleAction": 1}
