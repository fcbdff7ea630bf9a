"""The accounts' GitHub roles against the tokens GitHub Actions sends, over HTTP, on the moto
server that enforces a role's trust on AssumeRoleWithWebIdentity (emulator/iam/web_identity.py).

dev, ppd and prod's bootstraps (terraform/bootstrap with environments/<env>/bootstrap.tfvars,
module github-access) are applied side by side to one emulator. Each job's token carries GitHub's claims for its trigger, its subject
made by the repository's template (repo, context, job_workflow_ref: .github/environments.yml).
The promotion model holds when a push to a feature branch deploys dev only, a release branch ppd
only, a version tag prod only; and when another workflow, a pull request, a job outside the
environment or in another environment, another repository, or another audience gets nothing.
"""

from __future__ import annotations

import base64
import json
import os
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
import yaml
from botocore.exceptions import ClientError

from emulator.server import MotoServer
from emulator.settings import OPERATOR_KEYS_VARIABLE
from tests.harness.role_sessions import refused
from tests.harness.terraform import EMULATOR_ACCOUNT_ID, REPO_ROOT, EmulatedEnvironment, copy_terraform_tree
from tests.harness.terraform_fixtures import LOCAL_ENVIRONMENT_KEY

pytestmark = pytest.mark.terraform

ACCOUNTS = ("dev", "ppd", "prod")
ISSUER = "https://token.actions.githubusercontent.com"
ENVIRONMENTS = yaml.safe_load((REPO_ROOT / ".github" / "environments.yml").read_text())
REPOSITORY = ENVIRONMENTS["repository"]
TERRAFORM = ".github/workflows/terraform.yml"
# The bucket dev's plan role reads (the emulator runs every account in its one account).
STATE_BUCKET = re.search(r'^terraform_state_bucket\s*=\s*"([^"]+)"',
                         (REPO_ROOT / "terraform/environments/dev/bootstrap.tfvars").read_text(), re.M).group(1)


def github_token(ref: str, *, environment: str | None, event: str = "push", workflow: str = TERRAFORM,
                 repository: str = REPOSITORY, audience: str = "sts.amazonaws.com", expires_in: int = 300) -> str:
    """A job's OIDC token as GitHub shapes it (docs.github.com, OpenID Connect reference), its
    subject from the template repo, context, job_workflow_ref; signed by nobody (web_identity.py
    does not verify signatures)."""
    now = int(time.time())
    if environment:
        context = f"environment:{environment}"
    elif event == "pull_request":
        context = "pull_request"
    else:
        context = f"ref:{ref}"
    job_workflow_ref = f"{repository}/{workflow}@{ref}"
    sha = uuid.uuid4().hex + "0" * 8
    claims = {
        "jti": str(uuid.uuid4()), "sub": f"repo:{repository}:{context}:job_workflow_ref:{job_workflow_ref}",
        "aud": audience, "ref": ref, "sha": sha, "repository": repository,
        "repository_owner": repository.split("/")[0], "repository_owner_id": "65", "repository_id": "74",
        "repository_visibility": "private", "run_id": "1234", "run_number": "10", "run_attempt": "1",
        "actor": "octocat", "actor_id": "12", "workflow": "terraform", "workflow_ref": job_workflow_ref,
        "workflow_sha": sha, "job_workflow_ref": job_workflow_ref, "job_workflow_sha": sha,
        "head_ref": "feature/x" if event == "pull_request" else "",
        "base_ref": "main" if event == "pull_request" else "",
        "event_name": event, "ref_type": "tag" if ref.startswith("refs/tags/") else "branch", "ref_protected": "false",
        "runner_environment": "github-hosted", "iss": ISSUER, "nbf": now - 5, "iat": now, "exp": now + expires_in,
    }
    if environment:
        claims["environment"] = environment

    def part(document: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(document).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'typ': 'JWT', 'kid': 'test'})}.{part(claims)}.c2lnbmVkLWJ5LW5vYm9keQ"


# Each trigger's token, and the one deploy role it may assume.
TRIGGERS = {
    "push to feature/x": (dict(ref="refs/heads/feature/x", environment="dev"), "dev"),
    "push to release/1.4.0": (dict(ref="refs/heads/release/1.4.0", environment="ppd"), "ppd"),
    "promote's dispatch on release/1.4.0": (dict(ref="refs/heads/release/1.4.0", environment="ppd",
                                                 event="workflow_dispatch"), "ppd"),
    "tag v1.2.3": (dict(ref="refs/tags/v1.2.3", environment="prod"), "prod"),
    # A changed terraform.yml on a branch, declaring another environment than its ref's.
    "feature/x in environment prod": (dict(ref="refs/heads/feature/x", environment="prod"), None),
    "feature/x in environment ppd": (dict(ref="refs/heads/feature/x", environment="ppd"), None),
    "release/1.4.0 in environment prod": (dict(ref="refs/heads/release/1.4.0", environment="prod"), None),
    "tag v1.2.3 in environment dev": (dict(ref="refs/tags/v1.2.3", environment="dev"), None),
    # A changed terraform.yml that drops the environment (and with it prod's reviewers).
    "tag v1.2.3 outside any environment": (dict(ref="refs/tags/v1.2.3", environment=None), None),
    "feature/x outside any environment": (dict(ref="refs/heads/feature/x", environment=None), None),
    "main in environment dev": (dict(ref="refs/heads/main", environment="dev"), None),
    "another workflow on feature/x in dev": (dict(ref="refs/heads/feature/x", environment="dev",
                                                  workflow=".github/workflows/ci.yml"), None),
    "the certificate workflow on main in prod": (dict(ref="refs/heads/main", environment="prod",
                                                      workflow=".github/workflows/cert-issuer.yml"), None),
    "a pull request's plan job": (dict(ref="refs/pull/12/merge", environment=None, event="pull_request"), None),
    "another repository's feature/x in dev": (dict(ref="refs/heads/feature/x", environment="dev",
                                                   repository="someone/dataplatform-ops"), None),
}


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    server = MotoServer(log_path=tmp_path_factory.mktemp("oidc-trust") / "moto.log", env={
        "INITIAL_NO_AUTH_ACTION_COUNT": "0",
        # The session's key, and the fixed one the roots' provider sends the emulator.
        OPERATOR_KEYS_VARIABLE: f"{os.environ['AWS_ACCESS_KEY_ID']},{LOCAL_ENVIRONMENT_KEY}"}).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def bootstraps(emulator, tmp_path_factory) -> dict[str, EmulatedEnvironment]:
    """dev, ppd and prod's bootstraps applied to the emulator's one account: dev's makes the
    account's OIDC provider, the others use it (create_github_oidc_provider = false)."""
    copy = copy_terraform_tree(tmp_path_factory.mktemp("bootstraps"))
    roots = {name: EmulatedEnvironment(name, copy, emulator.endpoint, kind="bootstrap") for name in ACCOUNTS}
    for name, root in roots.items():
        root.init()  # one after the other: init writes the shared provider cache
        if name != "dev":
            root.variables["create_github_oidc_provider"] = "false"
    roots["dev"].apply()
    with ThreadPoolExecutor(max_workers=2) as pool:
        for future in [pool.submit(roots[name].apply) for name in ("ppd", "prod")]:
            future.result()
    return roots


def role_arn(environment: str, kind: str) -> str:
    return f"arn:aws:iam::{EMULATOR_ACCOUNT_ID}:role/{ENVIRONMENTS['environments'][environment]['roles'][kind]}"


def assume(emulator, arn: str, token: str):
    """Credentials of the role for the token, or the error code STS refused it with."""
    sts = boto3.client("sts", endpoint_url=emulator.endpoint)
    try:
        return sts.assume_role_with_web_identity(RoleArn=arn, RoleSessionName="github-actions", WebIdentityToken=token)
    except ClientError as error:
        return error.response["Error"]["Code"]


@pytest.mark.parametrize("trigger", TRIGGERS)
def test_each_trigger_deploys_its_environment_only(emulator, bootstraps, trigger):
    claims, deploys = TRIGGERS[trigger]
    token = github_token(**claims)
    outcomes = {name: assume(emulator, role_arn(name, "deploy"), token) for name in ACCOUNTS}
    for name, outcome in outcomes.items():
        if name == deploys:
            assert isinstance(outcome, dict), f"{trigger}: the {name} deploy role refused it ({outcome})"
            session = f":assumed-role/dataplatform-{name}-github-deploy/github-actions"
            assert outcome["AssumedRoleUser"]["Arn"].endswith(session)
        else:
            assert outcome == "AccessDenied", f"{trigger}: the {name} deploy role answered {outcome}"


def test_a_pull_request_plans_every_environment_and_nothing_else_does(emulator, bootstraps):
    pull_request = github_token("refs/pull/12/merge", environment=None, event="pull_request")
    other_workflow = github_token("refs/pull/12/merge", environment=None, event="pull_request",
                                  workflow=".github/workflows/ci.yml")
    for name in ACCOUNTS:
        assert isinstance(assume(emulator, role_arn(name, "plan"), pull_request), dict), name
        assert assume(emulator, role_arn(name, "plan"), other_workflow) == "AccessDenied", name
        for trigger, (claims, _) in TRIGGERS.items():
            if claims.get("event") != "pull_request":
                outcome = assume(emulator, role_arn(name, "plan"), github_token(**claims))
                assert outcome == "AccessDenied", (name, trigger)


def test_a_token_for_another_audience_or_expired_is_refused_before_the_trust(emulator, bootstraps):
    # GitHub's default audience is the owner's URL; configure-aws-credentials asks for sts.amazonaws.com.
    owner = REPOSITORY.split("/")[0]
    owners_audience = github_token("refs/heads/feature/x", environment="dev", audience=f"https://github.com/{owner}")
    assert assume(emulator, role_arn("dev", "deploy"), owners_audience) == "InvalidIdentityToken"
    expired = github_token("refs/heads/feature/x", environment="dev", expires_in=-60)
    assert assume(emulator, role_arn("dev", "deploy"), expired) == "ExpiredTokenException"


def test_the_trust_policies_name_the_refs_the_environments_admit(emulator, bootstraps):
    """What the roles trust, read back from IAM, is what .github/environments.yml admits for the
    terraform workflow, in that environment, under the repository's subject template."""
    iam = boto3.client("iam", endpoint_url=emulator.endpoint)
    for name in ACCOUNTS:
        environment = ENVIRONMENTS["environments"][name]
        refs = [entry["ref"] for entry in environment["deployment_refs"] if entry["workflow"] == TERRAFORM]
        trust = iam.get_role(RoleName=environment["roles"]["deploy"])["Role"]["AssumeRolePolicyDocument"]
        (statement,) = [each for each in trust["Statement"] if each["Action"] == "sts:AssumeRoleWithWebIdentity"]
        provider = f"arn:aws:iam::{EMULATOR_ACCOUNT_ID}:oidc-provider/token.actions.githubusercontent.com"
        assert statement["Principal"] == {"Federated": provider}
        subjects = statement["Condition"]["StringLike"]["token.actions.githubusercontent.com:sub"]
        subjects = subjects if isinstance(subjects, list) else [subjects]
        workflow = f"{REPOSITORY}/{TERRAFORM}"
        assert subjects == [f"repo:{REPOSITORY}:environment:{name}:job_workflow_ref:{workflow}@{ref}" for ref in refs]


def test_a_plan_session_reads_no_log_events_and_cannot_touch_the_state_lock(emulator, bootstraps):
    operator = boto3.client("s3", endpoint_url=emulator.endpoint)
    operator.create_bucket(Bucket=STATE_BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    operator.put_object(Bucket=STATE_BUCKET, Key="dataplatform/dev/terraform.tfstate.tflock", Body=b"an apply's lock")
    logs = boto3.client("logs", endpoint_url=emulator.endpoint)
    logs.create_log_group(logGroupName="/dataplatform/dev/nifi")
    logs.create_log_stream(logGroupName="/dataplatform/dev/nifi", logStreamName="host")
    credentials = assume(emulator, role_arn("dev", "plan"),
                         github_token("refs/pull/12/merge", environment=None, event="pull_request"))["Credentials"]
    session = boto3.Session(aws_access_key_id=credentials["AccessKeyId"],
                            aws_secret_access_key=credentials["SecretAccessKey"],
                            aws_session_token=credentials["SessionToken"])
    plan_s3, plan_logs = (session.client(service, endpoint_url=emulator.endpoint) for service in ("s3", "logs"))

    assert plan_s3.get_object(Bucket=STATE_BUCKET, Key="dataplatform/dev/terraform.tfstate.tflock")["Body"].read()
    assert refused(plan_s3.delete_object, Bucket=STATE_BUCKET, Key="dataplatform/dev/terraform.tfstate.tflock")
    assert refused(plan_s3.put_object, Bucket=STATE_BUCKET, Key="dataplatform/dev/terraform.tfstate.tflock",
                   Body=b"mine")
    assert plan_logs.describe_log_groups(logGroupNamePrefix="/dataplatform/dev/")["logGroups"]
    assert refused(plan_logs.get_log_events, logGroupName="/dataplatform/dev/nifi", logStreamName="host")
    assert refused(plan_logs.filter_log_events, logGroupName="/dataplatform/dev/nifi")
    assert refused(plan_logs.start_query, logGroupName="/dataplatform/dev/nifi", startTime=0, endTime=1,
                   queryString="fields @message")
