"""Terraform offline: every command runs with the CLI configuration that installs providers
from the filesystem mirror (tests/harness/terraform-cli-config.sh)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

HARNESS_DIR = Path(__file__).resolve().parent
REPO_ROOT = HARNESS_DIR.parent.parent
TERRAFORM_DIR = REPO_ROOT / "terraform"
CLI_CONFIG = REPO_ROOT / ".cache" / "terraform" / "cli.tfrc"


def cli_config() -> Path:
    """The offline CLI configuration, written on first use."""
    if not CLI_CONFIG.exists():
        subprocess.run(["bash", str(HARNESS_DIR / "terraform-cli-config.sh"), str(CLI_CONFIG)],
                       check=True, capture_output=True)
    return CLI_CONFIG


def terraform_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    # Always ours: an inherited TF_CLI_CONFIG_FILE may name a missing file, which makes terraform
    # fall back to the registry silently.
    env["TF_CLI_CONFIG_FILE"] = str(cli_config())
    env["TF_IN_AUTOMATION"] = "1"
    env["TF_INPUT"] = "0"
    env["CHECKPOINT_DISABLE"] = "1"
    env.update(extra or {})
    return env


def terraform(workdir: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 1200,
              check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(["terraform", f"-chdir={workdir}", *args], env=terraform_env(env),
                            capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"terraform {' '.join(args)} in {workdir} failed:\n{result.stdout}\n{result.stderr}")
    return result


def _roots(folder: Path) -> list[Path]:
    """Folders under ``folder`` that hold Terraform files."""
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.iterdir() if any(path.glob("*.tf")))


def modules() -> list[Path]:
    return _roots(TERRAFORM_DIR / "modules")


def environments() -> list[Path]:
    return _roots(TERRAFORM_DIR / "environments")


def bootstraps() -> list[Path]:
    """The accounts' bootstrap roots (terraform/bootstrap/<env>)."""
    return _roots(TERRAFORM_DIR / "bootstrap")


# --- Environments run against the AWS emulator ---------------------------------------------

ENVIRONMENTS_DIR = TERRAFORM_DIR / "environments"
# The emulator's one account; every environment is planned or applied in it.
EMULATOR_ACCOUNT_ID = "123456789012"
# Terraform runs many slow, independent waits (bucket lifecycles, load balancers, the database)
# against the emulator; more parallel operations than the default 10 shorten an apply by a third.
PARALLELISM = "-parallelism=30"
TEST_SSH_USER_CA_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJtg5odZolx+yY0Hn9LExIQ2I5kSw1AOtGUkm584Fxb3 dataplatform-test-user-ca"
_ENDPOINTS_BLOCK = re.compile(r"endpoints\s*\{(.*?)\}", re.S)
_TFVARS_SCALAR = r'^{name}\s*=\s*(?:"([^"]*)"|([^\s#]+))'


def copy_terraform_tree(destination: Path) -> Path:
    """terraform/ (modules and environments, without working directories or state) under destination."""
    target = destination / "terraform"
    shutil.copytree(TERRAFORM_DIR, target, ignore=shutil.ignore_patterns(
        ".terraform", "*.tfstate", "*.tfstate.*", "*.tfplan", "*_override.tf"))
    return target


def emulated_services() -> list[str]:
    """The AWS services the platform uses: the endpoints the local environment sends to the emulator."""
    provider = (ENVIRONMENTS_DIR / "local" / "provider.tf").read_text()
    block = _ENDPOINTS_BLOCK.search(provider)
    if not block:
        raise AssertionError("terraform/environments/local/provider.tf has no endpoints block")
    return re.findall(r"^\s*([a-z0-9]+)\s*=", block.group(1), re.M)


def tfvars_scalar(environment: str, name: str) -> str:
    """A top-level string, number or bool of an environment's terraform.tfvars, as written."""
    text = (ENVIRONMENTS_DIR / environment / "terraform.tfvars").read_text()
    match = re.search(_TFVARS_SCALAR.format(name=re.escape(name)), text, re.M)
    if not match:
        raise AssertionError(f"terraform/environments/{environment}/terraform.tfvars does not set {name}")
    return match.group(1) if match.group(1) is not None else match.group(2)


def emulator_override(endpoint: str) -> str:
    """An override file that points an account's root at the emulator, for a test only: local state
    instead of the S3 backend, dummy credentials, every service endpoint at the emulator."""
    endpoints = "".join(f'    {service} = "{endpoint}"\n' for service in emulated_services())
    return (
        "# Written by tests/harness/terraform.py into a temporary copy; never committed.\n"
        'terraform {\n  backend "local" {}\n}\n\n'
        'provider "aws" {\n'
        '  access_key                  = "testing"\n'
        '  secret_key                  = "testing"\n'
        "  skip_credentials_validation = true\n"
        "  skip_metadata_api_check     = true\n"
        "  s3_use_path_style           = true\n"
        f"  endpoints {{\n{endpoints}  }}\n"
        "}\n"
    )


@dataclass
class Run:
    """One terraform command: its result and how long it took."""

    command: str
    seconds: float
    returncode: int
    stdout: str


@dataclass
class EmulatedEnvironment:
    """One environment root, copied into a temporary directory and run against the emulator.

    ``local`` runs as committed (its provider already targets the emulator, whose URL it takes as
    ``aws_endpoint_url``). ``dev``, ``ppd`` and ``prod`` get an override file (local backend,
    emulator endpoints) and the emulator's account id and image instead of their own; the
    committed files stay as they are.
    """

    name: str
    copy_root: Path
    endpoint: str
    # "environments", or "bootstrap" for the account's bootstrap root (terraform/bootstrap/<name>).
    kind: str = "environments"
    # The role the local environment is applied as (the bootstrap's deploy role); None: the
    # emulator's administrator key.
    deploy_role_arn: str | None = None
    runs: list[Run] = field(default_factory=list)
    applied: bool = False
    apply_requests: dict[str, int] = field(default_factory=dict)

    @property
    def workdir(self) -> Path:
        return self.copy_root / self.kind / self.name

    @property
    def overrides(self) -> dict[str, str]:
        """Variables set for the test, and why."""
        if self.kind == "bootstrap":
            return {"aws_endpoint_url": self.endpoint} if self.name == "local" else {"account_id": EMULATOR_ACCOUNT_ID}
        if self.name == "local":
            # The sandbox passes its own SSH user CA's key; the tests, this one (no private half exists).
            return {"aws_endpoint_url": self.endpoint, "ssh_user_ca_public_keys": json.dumps([TEST_SSH_USER_CA_KEY]),
                    **({"deploy_role_arn": self.deploy_role_arn} if self.deploy_role_arn else {})}
        return {"account_id": EMULATOR_ACCOUNT_ID, "host_ami_id": tfvars_scalar("local", "host_ami_id")}

    def _variables(self) -> list[str]:
        return [f"-var={name}={value}" for name, value in self.overrides.items()]

    def run(self, *args: str, timeout: float = 900, check: bool = True) -> Run:
        started = time.monotonic()
        result = terraform(self.workdir, *args, "-no-color", env={"AWS_ENDPOINT_URL": self.endpoint},
                           timeout=timeout, check=False)
        run = Run(" ".join(args), time.monotonic() - started, result.returncode, result.stdout + result.stderr)
        self.runs.append(run)
        if check and result.returncode != 0:
            raise AssertionError(f"terraform {run.command} in {self.name} failed:\n{run.stdout[-12000:]}")
        return run

    def init(self) -> Run:
        if self.name != "local":
            (self.workdir / "emulator_override.tf").write_text(emulator_override(self.endpoint))
        # readonly: the committed lock file must already name the provider and its checksum.
        return self.run("init", "-input=false", "-lockfile=readonly")

    def apply(self) -> Run:
        run = self.run("apply", "-input=false", "-auto-approve", PARALLELISM, *self._variables())
        self.applied = True
        return run

    def plan(self, *args: str, check: bool = True) -> Run:
        return self.run("plan", "-input=false", PARALLELISM, *self._variables(), *args, check=check)

    def planned_changes(self) -> dict:
        """Plan into a file and return ``terraform show -json`` of it."""
        self.plan("-out=test.tfplan")
        shown = self.run("show", "-json", "test.tfplan")
        return json.loads(shown.stdout)

    def destroy(self, check: bool = True) -> Run:
        run = self.run("destroy", "-input=false", "-auto-approve", PARALLELISM, *self._variables(), check=check)
        self.applied = self.applied and run.returncode != 0
        return run

    def outputs(self) -> dict:
        shown = self.run("output", "-json")
        return {name: value["value"] for name, value in json.loads(shown.stdout).items()}

    def last(self, command: str) -> Run:
        """The latest run of a command (apply, plan, destroy)."""
        return next(run for run in reversed(self.runs) if run.command.split()[0] == command)
