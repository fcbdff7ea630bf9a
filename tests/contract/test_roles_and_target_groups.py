"""What the playbooks, the roles and the sample DAG do against what Terraform lets them do, on the
applied local environment: each call made with a session of the role that makes it in an account,
on a moto server that enforces IAM on named resources (emulator/iam/enforcement.py), and the
Airflow target group against the port and protocol the api-server serves.

A call the role may make either succeeds or fails for another reason than a refusal (completing a
lifecycle action nobody waits for is a ValidationError, which IAM lets through first). The S3
permissions are proven in the sandbox (tests/e2e/test_sandbox.py), over HTTPS: this emulator speaks
plain HTTP, which the data lake's bucket policies refuse to everyone.
"""

from __future__ import annotations

import json

import boto3
import pytest
import yaml

from ansible_collections.dataplatform.ops.plugins.module_utils.platform import platform_parameter_name
from tests.conftest import REPO_ROOT
from tests.harness.role_sessions import allowed, refused, role_clients

pytestmark = pytest.mark.terraform

AIRFLOW_ROLE = REPO_ROOT / "collections" / "ansible_collections" / "dataplatform" / "ops" / "roles" / "airflow"
HOST_ROLES = ("nifi", "airflow")
CSR = b"-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n"


@pytest.fixture
def local(applied_local, terraform_emulator):
    def client(service):
        return boto3.client(service, endpoint_url=terraform_emulator.endpoint)

    def as_role(role_name):
        return role_clients(terraform_emulator.endpoint, role_name)

    document = json.loads(client("ssm").get_parameter(Name=platform_parameter_name("local"))["Parameter"]["Value"])
    return {"client": client, "as_role": as_role, "document": document}


@pytest.mark.parametrize("role", HOST_ROLES)
def test_a_host_role_can_neither_issue_a_certificate_nor_write_a_secret(local, role):
    """Node certificates are issued by the controller for the hosts' CSRs, and shared secrets are
    made by the controller: a host that runs foreign code (a DAG) can mint no identity and
    overwrite no key."""
    client = local["as_role"](f"dataplatform-local-{role}-host")
    assert refused(client("acm-pca").issue_certificate, CertificateAuthorityArn=local["document"]["pca"]["arn"], Csr=CSR,
                   SigningAlgorithm="SHA256WITHRSA", Validity={"Value": 1, "Type": "DAYS"})
    operator = local["client"]("secretsmanager")
    names = {name: f"dataplatform/local/{name}" for name in (
        f"{role}/awx-host-config-key", "nifi/sensitive-props-key", "airflow/config/fernet-key")}
    for name in names.values():
        operator.create_secret(Name=name, SecretString="controller's")
    try:
        secrets = client("secretsmanager")
        own_key = names[f"{role}/awx-host-config-key"]
        assert secrets.get_secret_value(SecretId=own_key)["SecretString"] == "controller's"
        assert refused(secrets.put_secret_value, SecretId=own_key, SecretString="host's")
        assert refused(secrets.create_secret, Name=f"dataplatform/local/{role}/made-by-a-host", SecretString="host's")
        # NiFi's hosts read no key of NiFi's (the converge delivers them), and neither kind reads the other's.
        assert refused(secrets.get_secret_value, SecretId=names["nifi/sensitive-props-key"])
        if role == "airflow":
            assert secrets.get_secret_value(SecretId=names["airflow/config/fernet-key"])["SecretString"] == "controller's"
        else:
            assert refused(secrets.get_secret_value, SecretId=names["airflow/config/fernet-key"])
    finally:
        for name in names.values():
            operator.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    for group in (local["document"]["nifi"]["asg_name"], local["document"]["airflow"]["asg_name"]):
        assert refused(client("autoscaling").complete_lifecycle_action, AutoScalingGroupName=group,
                       LifecycleHookName="launch", InstanceId="i-0123456789abcdef0", LifecycleActionResult="CONTINUE")


def test_the_cert_issuer_role_is_refused_anything_outside_user_certificates(local):
    """It issues and revokes on the CA and keeps the users' secrets; nothing else."""
    client = local["as_role"]("dataplatform-local-cert-issuer")
    operator = local["client"]("secretsmanager")
    operator.create_secret(Name="dataplatform/local/nifi/sensitive-props-key-contract", SecretString="controller's")
    try:
        secrets = client("secretsmanager")
        assert refused(secrets.get_secret_value, SecretId="dataplatform/local/nifi/sensitive-props-key-contract")
        assert refused(secrets.create_secret, Name="dataplatform/local/airflow/made-by-the-issuer", SecretString="x")
        assert allowed(secrets.describe_secret, SecretId="dataplatform/local/users/nobody")
    finally:
        operator.delete_secret(SecretId="dataplatform/local/nifi/sensitive-props-key-contract", ForceDeleteWithoutRecovery=True)
    assert allowed(client("acm-pca").get_certificate_authority_certificate, CertificateAuthorityArn=local["document"]["pca"]["arn"])
    assert refused(client("autoscaling").complete_lifecycle_action, AutoScalingGroupName=local["document"]["nifi"]["asg_name"],
                   LifecycleHookName="launch", InstanceId="i-0123456789abcdef0", LifecycleActionResult="CONTINUE")
    assert refused(client("ec2").get_console_output, InstanceId="i-0123456789abcdef0")
    assert refused(client("iam").put_role_policy, RoleName="dataplatform-local-cert-issuer", PolicyName="more",
                   PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                       {"Effect": "Allow", "Action": "*", "Resource": "*"}]}))


def test_the_controller_may_complete_both_groups_lifecycle_actions_and_issue_node_certificates(local):
    """lifecycle-launch.yml and nifi-decommission.yml call CompleteLifecycleAction, and node_cert
    has the CSRs signed, from the controller, with the automation role."""
    client = local["as_role"]("dataplatform-local-automation")
    for group in (local["document"]["nifi"]["asg_name"], local["document"]["airflow"]["asg_name"]):
        assert allowed(client("autoscaling").complete_lifecycle_action, AutoScalingGroupName=group,
                       LifecycleHookName="launch", InstanceId="i-0123456789abcdef0", LifecycleActionResult="CONTINUE"), group
    assert allowed(client("acm-pca").get_certificate_authority_certificate,
                   CertificateAuthorityArn=local["document"]["pca"]["arn"])


TEMPLATES = {name: f"arn:aws:acm-pca:::template/{name}/V1" for name in (
    "EndEntityCertificate", "EndEntityClientAuthCertificate", "EndEntityServerAuthCertificate",
    "SubordinateCACertificate_PathLen0", "RootCACertificate")}


def issue(client, authority_arn: str, template: str | None):
    """An IssueCertificate call for the template (the CSR is no CSR: IAM decides before the CA looks)."""
    template_argument = {"TemplateArn": TEMPLATES[template]} if template else {}
    return lambda: client("acm-pca").issue_certificate(CertificateAuthorityArn=authority_arn, Csr=CSR,
                                                      SigningAlgorithm="SHA256WITHRSA",
                                                      Validity={"Value": 1, "Type": "DAYS"}, **template_argument)


@pytest.mark.parametrize("role, may_issue", [
    ("automation", {"EndEntityCertificate", "EndEntityClientAuthCertificate"}),
    ("cert-issuer", {"EndEntityClientAuthCertificate"}),
])
def test_each_role_issues_only_the_certificates_its_identities_need(local, role, may_issue):
    """The condition on acm-pca:TemplateArn: the automation role issues node certificates (client
    and server authentication) and the client-only certificates of service identities; the cert
    issuer users' client certificates only; neither a server-only certificate nor a CA's. Without
    a template the CA would apply EndEntityCertificate/V1, which only the automation role may."""
    client = local["as_role"](f"dataplatform-local-{role}")
    authority = local["document"]["pca"]["arn"]
    answers = {template: allowed(issue(client, authority, template)) for template in TEMPLATES}
    assert {template for template, permitted in answers.items() if permitted} == may_issue, answers
    assert allowed(issue(client, authority, None)) == ("EndEntityCertificate" in may_issue)


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
