"""Fixtures of the Terraform environments run against the AWS emulator (imported by tests/conftest.py).

The local environment is applied once per session, on a moto server of its own: the ``moto``
fixture's resets between other tests never touch it, and the contract tests (tests/contract/)
and the environment tests (tests/terraform/) assert against the same applied state.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest

from emulator.client import count_actions
from emulator.local_tls import LocalCa
from emulator.server import MotoServer
from emulator.settings import OPERATOR_KEYS_VARIABLE
from sandbox.terraform import ensure_state_bucket
from tests.harness.terraform import (
    EmulatedEnvironment,
    LegacyRoot,
    copy_terraform_tree,
    legacy_terraform_tree,
    migrate_legacy_state,
)

ACCOUNTS = ("dev", "ppd", "prod")
# The fixed access key of terraform/platform/providers.tf against the emulator (and of local's backend.hcl).
LOCAL_ENVIRONMENT_KEY = "sandbox"


@pytest.fixture(scope="session")
def terraform_emulator(tmp_path_factory):
    """The moto server the Terraform environments are planned and applied against, with IAM
    enforced (emulator/iam/): Terraform (the local environment's fixed key, the accounts' the
    session's) and the tests run with the operator's keys, and a test that assumes one of the roles
    Terraform made is held to that role's policies."""
    folder = tmp_path_factory.mktemp("terraform-emulator")
    # HTTPS, as AWS: the buckets' policies refuse plain HTTP to everyone, Terraform included.
    tls = LocalCa(folder / "tls").server(["127.0.0.1", "localhost"])
    server = MotoServer(log_path=folder / "moto.log", tls=tls, env={
        "INITIAL_NO_AUTH_ACTION_COUNT": "0", OPERATOR_KEYS_VARIABLE: f"{os.environ['AWS_ACCESS_KEY_ID']},{LOCAL_ENVIRONMENT_KEY}"}).start()
    previous_bundle = os.environ.get("AWS_CA_BUNDLE")
    os.environ["AWS_CA_BUNDLE"] = str(tls.bundle)  # Terraform's AWS provider and boto3 read it
    try:
        yield server
    finally:
        server.stop()
        if previous_bundle is None:
            os.environ.pop("AWS_CA_BUNDLE", None)
        else:
            os.environ["AWS_CA_BUNDLE"] = previous_bundle


@pytest.fixture(scope="session")
def legacy_layout(tmp_path_factory):
    """terraform/ as it was before one root served every environment (git archive of the commit
    the issue started from); the migration test fails without it."""
    return legacy_terraform_tree(tmp_path_factory.mktemp("terraform-legacy"))


@pytest.fixture(scope="session")
def local_state_bucket(terraform_emulator) -> str:
    """The sandbox account's state bucket, made with the administrator's key before the bootstrap,
    as an account's operator makes theirs (terraform/README.md)."""
    return ensure_state_bucket(boto3.client("s3", endpoint_url=terraform_emulator.endpoint))


@pytest.fixture(scope="session")
def local_environment(terraform_emulator, local_state_bucket, tmp_path_factory) -> EmulatedEnvironment:
    """terraform/platform with environments/local's values, in a temporary copy, initialised (not
    applied): its state in the emulator's S3, as the sandbox keeps it."""
    copy = copy_terraform_tree(tmp_path_factory.mktemp("terraform-local"))
    environment = EmulatedEnvironment("local", copy, terraform_emulator.endpoint)
    environment.init()
    return environment


@pytest.fixture(scope="session")
def local_bootstrap(terraform_emulator, local_state_bucket, legacy_layout, tmp_path_factory) -> EmulatedEnvironment:
    """The account's bootstrap applied with the administrator's key: the GitHub OIDC provider, the
    plan and deploy roles and the permissions boundary, as an account's administrator makes them
    before the environment's first apply. Applied with the older layout (terraform/bootstrap/local
    of commit fa4ba07, before one root served every environment), then its state moved into
    terraform/bootstrap's (``bootstrap.migration``), as an operator with an older state moves it."""
    legacy = LegacyRoot(legacy_layout / "bootstrap" / "local", terraform_emulator.endpoint)
    legacy.apply({"aws_endpoint_url": terraform_emulator.endpoint})
    bootstrap = EmulatedEnvironment("local", copy_terraform_tree(tmp_path_factory.mktemp("terraform-bootstrap")),
                                    terraform_emulator.endpoint, kind="bootstrap")
    bootstrap.init()
    bootstrap.migration = migrate_legacy_state(legacy, bootstrap)
    bootstrap.applied = True
    return bootstrap


@pytest.fixture
def applied_local(local_environment, local_bootstrap, terraform_emulator, legacy_layout) -> EmulatedEnvironment:
    """The local environment, applied on first use (and again only if a test destroyed it) as the
    bootstrap's deploy role, as the terraform workflow applies an account.

    The first apply is the older layout's (terraform/environments/local of commit fa4ba07, before
    one root served every environment, its state a local file); its state is then moved into terraform/platform's backend
    and planned there (``migration``), so every later test runs on the new layout with resources
    the older one made. ``apply_requests`` holds the AWS requests the apply made, by ``service:Action``.
    """
    if not local_environment.applied:
        local_environment.deploy_role_arn = local_bootstrap.outputs()["deploy_role_arn"]
        terraform_emulator.clear_requests()
        if getattr(local_environment, "migration", None) is None:
            legacy = LegacyRoot(legacy_layout / "environments" / "local", terraform_emulator.endpoint)
            legacy_apply = legacy.apply(local_environment.overrides)
            local_environment.apply_requests = count_actions(terraform_emulator.requests())
            local_environment.migration = migrate_legacy_state(legacy, local_environment)
            # The apply that made the resources is the older layout's; last("apply") is it.
            local_environment.runs.append(legacy_apply)
            local_environment.applied = True
        else:
            local_environment.apply()
            local_environment.apply_requests = count_actions(terraform_emulator.requests())
    return local_environment


@pytest.fixture(scope="session")
def account_plans(terraform_emulator, tmp_path_factory):
    """dev, ppd and prod planned against the emulator: ``{name: (environment, future of the plan)}``.
    Made side by side, since each mostly waits on the emulator; initialised one after the other,
    because init writes the shared provider cache. Shared by the plan tests and the contract tests."""
    environments = {}
    for name in ACCOUNTS:
        environment = EmulatedEnvironment(name, copy_terraform_tree(tmp_path_factory.mktemp(name)), terraform_emulator.endpoint)
        environment.init()
        environments[name] = environment
    with ThreadPoolExecutor(max_workers=len(ACCOUNTS)) as pool:
        futures = {name: pool.submit(environment.planned_changes) for name, environment in environments.items()}
    return {name: (environments[name], futures[name]) for name in ACCOUNTS}
