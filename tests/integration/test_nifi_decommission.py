"""ansible/playbooks/nifi-decommission.yml against the moto server.

What runs for real: the playbook, its checks, the platform parameter and the admin's PKCS#12
bundle read from the moto server's SSM and Secrets Manager, the TLS client set up from that
bundle, and the lifecycle action completed over HTTP. What does not: a NiFi cluster answering
the REST calls (NiFi cannot run here; the removal sequence itself is covered by the unit tests of
module_utils/nifi_api.py). The NiFi API URL points at a closed loopback port, so the NiFi step
fails as it would with NiFi down, which exercises the ABANDON path. Two gaps of the moto server
are worked around and named: it has no CompleteLifecycleAction (tests/harness/moto_gaps.py
emulates it) and never puts an instance into Terminating:Wait (the inventory here is a static
one describing such an instance, as the aws_asg inventory would).
"""

from __future__ import annotations

import base64
import datetime
import json
import os
import subprocess
import sys

import boto3
import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from tests.conftest import REPO_ROOT
from tests.harness.moto_server import count_actions
from tests.harness.platform_document import platform_document, write_platform_document

PLAYBOOK = REPO_ROOT / "ansible" / "playbooks" / "nifi-decommission.yml"
GROUP = "dataplatform-local-nifi-main"
CLOSED_PORT_API = "https://127.0.0.1:9/nifi-api"
MUTATING = ("Create", "Put", "Update", "Delete", "Complete", "Terminate", "Set", "Issue", "Revoke")


def admin_bundle():
    """A PKCS#12 bundle like the user-certs playbook stores: client key and certificate, with the CA."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Platform"), x509.NameAttribute(NameOID.COMMON_NAME, "CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Platform"),
                         x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Operations"),
                         x509.NameAttribute(NameOID.COMMON_NAME, "ops-admin")])
    certificate = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_name).public_key(key.public_key())
                   .serial_number(2).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
                   .sign(ca_key, hashes.SHA256()))
    password = "bundle-password-for-tests"
    bundle = pkcs12.serialize_key_and_certificates(
        b"ops-admin", key, certificate, [ca], serialization.BestAvailableEncryption(password.encode()))
    return {"format": "pkcs12", "pkcs12": base64.b64encode(bundle).decode(), "password": password}


@pytest.fixture
def terminating_node(moto, tmp_path):
    """A NiFi group with a termination hook, one instance said to wait in it, the platform parameter and the admin's bundle."""
    autoscaling = boto3.client("autoscaling")
    autoscaling.create_launch_configuration(LaunchConfigurationName="nifi", ImageId="ami-12c6146b", InstanceType="t3.medium")
    autoscaling.create_auto_scaling_group(AutoScalingGroupName=GROUP, LaunchConfigurationName="nifi", MinSize=1, MaxSize=3,
                                          DesiredCapacity=2, AvailabilityZones=["eu-west-1a"])
    autoscaling.put_lifecycle_hook(LifecycleHookName="terminate", AutoScalingGroupName=GROUP,
                                   LifecycleTransition="autoscaling:EC2_INSTANCE_TERMINATING", DefaultResult="CONTINUE")
    instance_id = autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"][0]["Instances"][0]["InstanceId"]
    write_platform_document(platform_document("local"))
    bundle = admin_bundle()
    boto3.client("secretsmanager").create_secret(Name="dataplatform/local/users/ops-admin", SecretString=json.dumps(bundle))

    inventory = tmp_path / "terminating.yml"
    host = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable, "dataplatform_env": "local",
            "asg_name": GROUP, "instance_id": instance_id, "lifecycle_state": "Terminating:Wait",
            "private_dns_name": "ip-10-0-1-23.eu-west-1.compute.internal"}
    inventory.write_text(yaml.safe_dump({"all": {"children": {
        "role_nifi": {"hosts": {instance_id: host}},
        "lifecycle_terminating_wait": {"hosts": {instance_id: {}}},
    }}}))
    moto.clear_requests()
    return {"inventory": inventory, "instance_id": instance_id, "moto": moto, "bundle": bundle}


def run(inventory, *args):
    env = {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_CALLBACK_RESULT_FORMAT": "json"}
    return subprocess.run(["ansible-playbook", str(PLAYBOOK), "-i", str(inventory), *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def mutating_calls(moto):
    return [key for key in count_actions(moto.requests()) if key.split(":", 1)[1].startswith(MUTATING)]


def test_nifi_unreachable_completes_the_action_with_abandon_and_fails_the_host(terminating_node):
    result = run(terminating_node["inventory"], "-e", "nifi_decommission_admin_user=ops-admin",
                 "-e", f"nifi_decommission_api_url={CLOSED_PORT_API}")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "was not taken out of the NiFi cluster" in output and "completed with ABANDON" in output, output
    assert terminating_node["moto"].lifecycle_actions() == [{
        "AutoScalingGroupName": GROUP, "LifecycleHookName": "terminate", "InstanceId": terminating_node["instance_id"],
        "LifecycleActionResult": "ABANDON"}]
    assert terminating_node["bundle"]["password"] not in output
    assert terminating_node["bundle"]["pkcs12"][:40] not in output


def test_wait_on_failure_leaves_the_action_pending(terminating_node):
    result = run(terminating_node["inventory"], "-e", "nifi_decommission_admin_user=ops-admin",
                 "-e", f"nifi_decommission_api_url={CLOSED_PORT_API}", "-e", "nifi_decommission_on_failure=wait")
    assert result.returncode != 0
    assert "stays pending until the hook times out" in result.stdout
    assert terminating_node["moto"].lifecycle_actions() == []


def test_check_mode_calls_no_mutating_api(terminating_node):
    result = run(terminating_node["inventory"], "--check", "-e", "nifi_decommission_admin_user=ops-admin",
                 "-e", f"nifi_decommission_api_url={CLOSED_PORT_API}")
    assert result.returncode != 0  # NiFi is unreachable, in check mode too
    assert mutating_calls(terminating_node["moto"]) == []
    assert terminating_node["moto"].lifecycle_actions() == []


def test_without_an_admin_user_nothing_is_called(terminating_node):
    result = run(terminating_node["inventory"])
    assert result.returncode != 0
    assert "Set nifi_decommission_admin_user" in result.stdout + result.stderr
    assert terminating_node["moto"].requests() == []


def test_an_instance_not_waiting_to_terminate_is_refused(terminating_node, tmp_path):
    document = yaml.safe_load(terminating_node["inventory"].read_text())
    host = document["all"]["children"]["role_nifi"]["hosts"][terminating_node["instance_id"]]
    host["lifecycle_state"] = "InService"
    terminating_node["inventory"].write_text(yaml.safe_dump(document))
    result = run(terminating_node["inventory"], "-e", "nifi_decommission_admin_user=ops-admin")
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
