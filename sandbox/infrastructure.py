"""The sandbox's infrastructure phase: Terraform, as an account runs it.

The account's bootstrap (terraform/bootstrap with environments/local's values: the deploy and plan
roles and the permissions boundary) is applied with the administrator's key, once, as an account's
administrator applies it. The environment (terraform/platform with environments/local's values) is
applied as the deploy role, which the provider assumes with that key, as the terraform workflow
applies an account: every role it makes carries the boundary.
"""

from __future__ import annotations

import json
import subprocess

from sandbox import accounts, ssh_ca
from sandbox.settings import ENV, OPERATOR_PROFILE, Settings
from sandbox.terraform import BOOTSTRAP, PARALLELISM, PLATFORM, Root, ensure_state_bucket, terraform

# What the phase lines of `make sandbox` call the two applies.
BOOTSTRAP_PHASE = "terraform apply terraform/bootstrap with environments/local (the account's administrator)"
ENVIRONMENT_PHASE = "terraform apply terraform/platform with environments/local (the deploy role)"


def run(sandbox: Settings, root: Root, *args: str, timeout: float = 1800) -> subprocess.CompletedProcess:
    """terraform in ``root`` for the local environment, with the administrator's key."""
    env = {key: value for key, value in accounts.environment(sandbox, OPERATOR_PROFILE).items() if key.startswith("AWS_")}
    return terraform(root, ENV, *args, "-no-color", env=env, data_dir=sandbox.terraform_dir, timeout=timeout)


def bootstrap(sandbox: Settings) -> str:
    """The state bucket, made as an account's operator makes theirs, then the account's bootstrap;
    returns the deploy role's ARN."""
    ensure_state_bucket(accounts.client(sandbox, "s3"), ENV)
    run(sandbox, BOOTSTRAP, "init", "-input=false", "-reconfigure", "-lockfile=readonly")
    run(sandbox, BOOTSTRAP, "apply", "-input=false", "-auto-approve")
    return run(sandbox, BOOTSTRAP, "output", "-raw", "deploy_role_arn").stdout.strip()


def apply(sandbox: Settings, variables: list[str], deploy_role_arn: str) -> None:
    """The environment, applied as the deploy role; ``variables`` are the user's ``--var``s."""
    run(sandbox, PLATFORM, "init", "-input=false", "-reconfigure", "-lockfile=readonly")
    own = [f"ssh_user_ca_public_keys={json.dumps([ssh_ca.public_key(sandbox)])}",
           f"deploy_role_arn={deploy_role_arn}", f"awx_url={sandbox.awx_url}"]
    if sandbox.vpc_cidr:
        own.append(f"vpc_cidr_block={sandbox.vpc_cidr}")
    run(sandbox, PLATFORM, "apply", "-input=false", "-auto-approve", PARALLELISM,
        *(f"-var={item}" for item in [*own, *variables]))


def output(sandbox: Settings, name: str):
    """One output of the environment, decoded (None when it is null)."""
    return json.loads(run(sandbox, PLATFORM, "output", "-json", name).stdout or "null")
