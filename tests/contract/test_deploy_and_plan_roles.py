"""The GitHub workflows' roles (terraform/bootstrap, module github-access) against what they must
not do, on the emulator that enforces IAM and permissions boundaries (emulator/iam/enforcement.py),
after the local environment was applied as the deploy role (``applied_local``).

The deploy role applies the whole environment, yet can make or change a role only with the
environment's permissions boundary, and can touch neither itself, the plan role, the boundary nor
the identity provider: it cannot make itself or anyone an administrator. The plan role reads the
configuration and the state, not the platform's data or secrets.
"""

from __future__ import annotations

import json

import boto3
import pytest

from tests.harness.role_sessions import refused, role_clients

pytestmark = pytest.mark.terraform

ACCOUNT = "123456789012"
BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/dataplatform-local-permissions-boundary"
EC2_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
ADMIN = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


@pytest.fixture
def roles(applied_local, local_bootstrap, terraform_emulator):
    def client(service):
        return boto3.client(service, endpoint_url=terraform_emulator.endpoint)

    return {"client": client, "as_role": lambda role_name: role_clients(terraform_emulator.endpoint, role_name),
            "outputs": local_bootstrap.outputs()}


def test_the_bootstrap_made_the_boundary_the_environment_names(roles):
    assert roles["outputs"]["permissions_boundary_arn"] == BOUNDARY
    iam = roles["client"]("iam")
    for role in ("nifi-host", "airflow-host", "automation", "cert-issuer", "vpc-flow-logs", "airflow-main-rds-monitoring"):
        described = iam.get_role(RoleName=f"dataplatform-local-{role}")["Role"]
        assert described.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn") == BOUNDARY, role


def test_the_deploy_role_makes_roles_only_within_the_boundary(roles):
    iam = roles["as_role"]("dataplatform-local-github-deploy")("iam")
    name = "dataplatform-local-contract-probe"
    assert refused(iam.create_role, RoleName=name, AssumeRolePolicyDocument=EC2_TRUST)
    assert refused(iam.create_role, RoleName=name, AssumeRolePolicyDocument=EC2_TRUST,
                   PermissionsBoundary=f"arn:aws:iam::{ACCOUNT}:policy/some-other-boundary")
    assert refused(iam.create_role, RoleName="another-application-role", AssumeRolePolicyDocument=EC2_TRUST,
                   PermissionsBoundary=BOUNDARY)
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=EC2_TRUST, PermissionsBoundary=BOUNDARY)
    try:
        # Within the boundary, even a policy granting everything grants no IAM.
        iam.put_role_policy(RoleName=name, PolicyName="everything", PolicyDocument=ADMIN)
        assert refused(iam.delete_role_permissions_boundary, RoleName=name)
        # Nor the platform's tags, which say what the inventory converges.
        autoscaling = roles["as_role"](name)("autoscaling")
        group = roles["client"]("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"][0]["AutoScalingGroupName"]
        tag = {"ResourceId": group, "ResourceType": "auto-scaling-group", "PropagateAtLaunch": False}
        assert refused(autoscaling.create_or_update_tags, Tags=[{**tag, "Key": "dataplatform:env", "Value": "prod"}])
        assert refused(autoscaling.delete_tags, Tags=[{**tag, "Key": "dataplatform:role"}])
        autoscaling.create_or_update_tags(Tags=[{**tag, "Key": "contract-probe", "Value": "yes"}])
        autoscaling.delete_tags(Tags=[{**tag, "Key": "contract-probe"}])
    finally:
        iam.delete_role_policy(RoleName=name, PolicyName="everything")
        iam.delete_role(RoleName=name)


def test_the_deploy_role_cannot_touch_itself_the_plan_role_or_the_boundary(roles):
    iam = roles["as_role"]("dataplatform-local-github-deploy")("iam")
    for role in ("dataplatform-local-github-deploy", "dataplatform-local-github-plan"):
        assert refused(iam.put_role_policy, RoleName=role, PolicyName="more", PolicyDocument=ADMIN), role
        assert refused(iam.attach_role_policy, RoleName=role, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"), role
        assert refused(iam.update_assume_role_policy, RoleName=role, PolicyDocument=EC2_TRUST), role
        assert refused(iam.delete_role, RoleName=role), role
    assert refused(iam.create_policy_version, PolicyArn=BOUNDARY, PolicyDocument=ADMIN, SetAsDefault=True)
    assert refused(iam.delete_role_permissions_boundary, RoleName="dataplatform-local-automation")
    assert refused(iam.create_user, UserName="dataplatform-local-backdoor")


def test_a_role_is_held_to_its_boundary_whatever_its_policies_grant(roles):
    """The automation role given AdministratorAccess by the deploy role still has no IAM."""
    deploy = roles["as_role"]("dataplatform-local-github-deploy")("iam")
    deploy.attach_role_policy(RoleName="dataplatform-local-automation", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    try:
        automation = roles["as_role"]("dataplatform-local-automation")("iam")
        assert refused(automation.create_role, RoleName="dataplatform-local-escape", AssumeRolePolicyDocument=EC2_TRUST)
        assert refused(automation.put_role_policy, RoleName="dataplatform-local-automation", PolicyName="more",
                       PolicyDocument=ADMIN)
    finally:
        deploy.detach_role_policy(RoleName="dataplatform-local-automation",
                                  PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")


def test_the_plan_role_reads_the_configuration_and_the_state_not_the_data(roles, local_state_bucket):
    operator = roles["client"]
    s3 = operator("s3")
    # The state bucket holds the applied environment's state (the sandbox's and the tests' is the
    # emulator's S3): a probe object beside it, never the state itself.
    state_bucket, data_bucket = local_state_bucket, "dataplatform-local-contract-data"
    probe = "dataplatform/local/contract-probe.tfstate"
    s3.create_bucket(Bucket=data_bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    for bucket in (state_bucket, data_bucket):
        s3.put_object(Bucket=bucket, Key=probe, Body=b"{}")
    operator("secretsmanager").create_secret(Name="dataplatform/local/contract-plan-probe", SecretString="secret")
    try:
        plan = roles["as_role"]("dataplatform-local-github-plan")
        assert plan("s3").get_object(Bucket=state_bucket, Key=probe)["Body"].read() == b"{}"
        assert plan("s3").get_object(Bucket=state_bucket, Key="dataplatform/local/terraform.tfstate")["Body"].read()
        # Plans run with -lock=false: the role can neither take nor delete an apply's lock.
        assert refused(plan("s3").put_object, Bucket=state_bucket, Key="dataplatform/local/terraform.tfstate.tflock", Body=b"lock")
        assert refused(plan("s3").get_object, Bucket=data_bucket, Key=probe)
        assert refused(plan("secretsmanager").get_secret_value, SecretId="dataplatform/local/contract-plan-probe")
        assert plan("secretsmanager").describe_secret(SecretId="dataplatform/local/contract-plan-probe")["Name"]
        assert plan("iam").get_role(RoleName="dataplatform-local-automation")["Role"]["RoleName"]
        assert refused(plan("s3").put_object, Bucket=data_bucket, Key="x", Body=b"x")
    finally:
        operator("secretsmanager").delete_secret(SecretId="dataplatform/local/contract-plan-probe",
                                                 ForceDeleteWithoutRecovery=True)
        for version in s3.list_object_versions(Bucket=state_bucket, Prefix=probe).get("Versions", []):
            s3.delete_object(Bucket=state_bucket, Key=probe, VersionId=version["VersionId"])
        for entry in s3.list_objects_v2(Bucket=data_bucket).get("Contents", []):
            s3.delete_object(Bucket=data_bucket, Key=entry["Key"])
        s3.delete_bucket(Bucket=data_bucket)


def _subjects(role: dict) -> dict[str, list[str]]:
    """The GitHub subjects a role's trust policy admits, by condition operator."""
    found: dict[str, list[str]] = {}
    for statement in role["AssumeRolePolicyDocument"]["Statement"]:
        for operator, pairs in statement.get("Condition", {}).items():
            values = pairs.get("token.actions.githubusercontent.com:sub")
            if values:
                found.setdefault(operator, []).extend(values if isinstance(values, list) else [values])
    return found


def test_github_jobs_are_trusted_only_from_their_workflow_and_ref(roles):
    """The subjects name the workflow file and its ref (the repository's OIDC subject template):
    a deploy only from the terraform workflow on main in the environment, the certificate
    pipeline only from its workflow on main there, a plan only from the terraform workflow of a
    pull request."""
    iam = roles["client"]("iam")
    repository = "example-org/dataplatform-ops"
    workflows = f"{repository}/.github/workflows"
    assert _subjects(iam.get_role(RoleName="dataplatform-local-github-deploy")["Role"]) == {"StringEquals": [
        f"repo:{repository}:environment:local:job_workflow_ref:{workflows}/terraform.yml@refs/heads/main"]}
    assert _subjects(iam.get_role(RoleName="dataplatform-local-cert-issuer")["Role"]) == {"StringEquals": [
        f"repo:{repository}:environment:local:job_workflow_ref:{workflows}/cert-issuer.yml@refs/heads/main"]}
    assert _subjects(iam.get_role(RoleName="dataplatform-local-github-plan")["Role"]) == {"StringLike": [
        f"repo:{repository}:pull_request:job_workflow_ref:{workflows}/terraform.yml@refs/pull/*/merge"]}
