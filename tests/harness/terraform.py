"""Terraform for the tests: the driver is sandbox/terraform.py (offline, a root per environment);
here are the test-only parts: a copy of terraform/ in a temporary directory, the environments
run in it against the emulator, and the layout of an older commit for the migration test."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.terraform import (
    BOOTSTRAP,
    ENVIRONMENTS_DIR,
    PARALLELISM,
    PLATFORM,
    REPO_ROOT,
    TERRAFORM_DIR,
    Root,
    cli_config,
    terraform,
    terraform_env,
    tfvars_scalar,
)

__all__ = ["BOOTSTRAP", "ENVIRONMENTS_DIR", "PARALLELISM", "PLATFORM", "REPO_ROOT", "TERRAFORM_DIR", "cli_config",
           "terraform", "terraform_env", "tfvars_scalar"]


def _roots(folder: Path) -> list[Path]:
    """Folders under ``folder`` that hold Terraform files."""
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.iterdir() if any(path.glob("*.tf")))


def modules() -> list[Path]:
    return _roots(TERRAFORM_DIR / "modules")


def roots() -> list[Path]:
    """The two roots every environment is planned and applied with: terraform/platform, terraform/bootstrap."""
    return [PLATFORM.path(), BOOTSTRAP.path()]


# --- Environments run against the AWS emulator ---------------------------------------------

# The emulator's one account; every environment is planned or applied in it.
EMULATOR_ACCOUNT_ID = "123456789012"
TEST_SSH_USER_CA_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJtg5odZolx+yY0Hn9LExIQ2I5kSw1AOtGUkm584Fxb3 dataplatform-test-user-ca"
# The layout before one root served every environment: environments/<env> and
# bootstrap/<env> were roots of their own, local's state a local file.
LEGACY_LAYOUT_COMMIT = "fa4ba07"


def copy_terraform_tree(destination: Path) -> Path:
    """terraform/ (modules, roots and environments' values, without working directories or state) under destination."""
    target = destination / "terraform"
    shutil.copytree(TERRAFORM_DIR, target, ignore=shutil.ignore_patterns(
        ".terraform", "*.tfstate", "*.tfstate.*", "*.tfplan", "*_override.tf"))
    return target


def legacy_terraform_tree(destination: Path, commit: str = LEGACY_LAYOUT_COMMIT) -> Path:
    """terraform/ as it was at ``commit`` (``git archive``), under destination. Fails, never skips,
    when the history is missing: the migration test needs it."""
    archive = subprocess.run(["git", "-C", str(REPO_ROOT), "archive", "--format=tar", commit, "terraform"],
                             capture_output=True, timeout=120, check=False)
    if archive.returncode != 0:
        raise AssertionError(
            f"the migration test needs commit {commit} (the layout before one root served every environment) in the git history of {REPO_ROOT}: "
            f"`git archive {commit} terraform` failed ({archive.stderr.decode(errors='replace').strip()}). "
            "Fetch the full history (e.g. `git fetch --unshallow`).")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(destination, filter="data")
    return destination / "terraform"


def emulator_override() -> str:
    """An override file for an account's root in a temporary copy, for a test only: a local state
    (its path given at init per environment) instead of the account's S3 bucket."""
    return ("# Written by tests/harness/terraform.py into a temporary copy; never committed.\n"
            'terraform {\n  backend "local" {}\n}\n')


@dataclass
class Run:
    """One terraform command: its result and how long it took."""

    command: str
    seconds: float
    returncode: int
    stdout: str


@dataclass
class EmulatedEnvironment:
    """One environment, run with a root (terraform/platform, or terraform/bootstrap) of a temporary
    copy of terraform/ against the emulator, in its own working directory.

    ``local`` runs as the sandbox runs it: its state in the emulator's S3 (the state bucket must
    exist: ``sandbox.terraform.ensure_state_bucket``), the emulator's URL as ``aws_endpoint_url``.
    ``dev``, ``ppd`` and ``prod`` get an override file in the copy (a local state per environment
    instead of the account's bucket) and the emulator's URL, account id and image instead of their
    own; the committed files stay as they are.
    """

    name: str
    copy_root: Path
    endpoint: str
    # "platform", or "bootstrap" for the account's bootstrap (terraform/bootstrap).
    kind: str = "platform"
    # The role the local environment is applied as (the bootstrap's deploy role); None: the
    # emulator's administrator key.
    deploy_role_arn: str | None = None
    # Further variables a test sets (name -> value as for -var).
    variables: dict[str, str] = field(default_factory=dict)
    runs: list[Run] = field(default_factory=list)
    applied: bool = False
    apply_requests: dict[str, int] = field(default_factory=dict)

    @property
    def root(self) -> Root:
        return BOOTSTRAP if self.kind == "bootstrap" else PLATFORM

    @property
    def workdir(self) -> Path:
        """The root's folder in the copy."""
        return self.root.path(self.copy_root)

    @property
    def values(self) -> Path:
        """The environment's folder in the copy (its values and backend)."""
        return self.copy_root / "environments" / self.name

    @property
    def overrides(self) -> dict[str, str]:
        """Variables set for the test, and why."""
        own = {"aws_endpoint_url": self.endpoint}
        if self.name != "local":
            own["account_id"] = EMULATOR_ACCOUNT_ID
            if self.kind != "bootstrap":
                own["host_ami_id"] = tfvars_scalar("local", "host_ami_id")
        elif self.kind != "bootstrap":
            # The sandbox passes its own SSH user CA's key; the tests, this one (no private half exists).
            own["ssh_user_ca_public_keys"] = json.dumps([TEST_SSH_USER_CA_KEY])
            if self.deploy_role_arn:
                own["deploy_role_arn"] = self.deploy_role_arn
        return {**own, **self.variables}

    def _variables(self) -> list[str]:
        return [f"-var={name}={value}" for name, value in self.overrides.items()]

    def run(self, *args: str, timeout: float = 900, check: bool = True) -> Run:
        started = time.monotonic()
        result = terraform(self.root, self.name, *args, "-no-color", env={"AWS_ENDPOINT_URL": self.endpoint},
                           terraform_dir=self.copy_root, backend=self.name == "local", timeout=timeout, check=False)
        run = Run(" ".join(args), time.monotonic() - started, result.returncode, result.stdout + result.stderr)
        self.runs.append(run)
        if check and result.returncode != 0:
            raise AssertionError(f"terraform {run.command} of {self.name} ({self.root}) failed:\n{run.stdout[-12000:]}")
        return run

    def init(self) -> Run:
        override = self.workdir / "emulator_override.tf"
        if self.name == "local":
            assert not override.exists(), f"{override}: local runs as the sandbox does, with its S3 state"
            backend = []
        else:
            override.write_text(emulator_override())
            backend = [f"-backend-config=path={self.values / (self.root.name + '.tfstate')}"]
        # readonly: the committed lock file must already name the provider and its checksum.
        return self.run("init", "-input=false", "-reconfigure", "-lockfile=readonly", *backend)

    def apply(self, *args: str) -> Run:
        run = self.run("apply", "-input=false", "-auto-approve", PARALLELISM, *self._variables(), *args)
        self.applied = True
        return run

    def plan(self, *args: str, check: bool = True) -> Run:
        return self.run("plan", "-input=false", PARALLELISM, *self._variables(), *args, check=check)

    def planned_changes(self, *args: str) -> dict:
        """Plan into a file and return ``terraform show -json`` of it."""
        plan_file = self.values / f"{self.root.name}.tfplan"
        self.plan(f"-out={plan_file}", *args)
        shown = self.run("show", "-json", str(plan_file))
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


@dataclass
class LegacyRoot:
    """A root of the layout before one root served every environment (``terraform/environments/<env>`` or
    ``terraform/bootstrap/<env>`` of ``legacy_terraform_tree``), its state a local file, run as
    the sandbox and the tests ran it then."""

    workdir: Path
    endpoint: str
    runs: list[Run] = field(default_factory=list)

    @property
    def state_file(self) -> Path:
        return self.workdir / "terraform.tfstate"

    def run(self, *args: str, timeout: float = 900) -> Run:
        started = time.monotonic()
        result = terraform(self.workdir, *args, "-no-color", env={"AWS_ENDPOINT_URL": self.endpoint},
                           timeout=timeout, check=False)
        run = Run(" ".join(args), time.monotonic() - started, result.returncode, result.stdout + result.stderr)
        self.runs.append(run)
        if run.returncode != 0:
            raise AssertionError(f"terraform {run.command} in {self.workdir} (the older layout) failed:\n{run.stdout[-12000:]}")
        return run

    def apply(self, variables: dict[str, str]) -> Run:
        self.run("init", "-input=false", "-lockfile=readonly")
        return self.run("apply", "-input=false", "-auto-approve", PARALLELISM,
                        *(f"-var={name}={value}" for name, value in variables.items()))


@dataclass
class Migration:
    """An older local state moved into the new layout's backend (terraform/README.md, "Moving an
    older state"): pushed, planned (moves only), applied if there were moves, planned again."""

    pushed: Run
    moved: dict[str, str]
    changed: dict[str, list[str]]
    moves_applied: Run | None
    final_plan: Run


def migrate_legacy_state(legacy: LegacyRoot, environment: EmulatedEnvironment) -> Migration:
    """``terraform state push`` of the older root's state file into ``environment``'s (initialised,
    empty) backend, then what an operator does next: a plan, which may only move addresses (the
    ``moved`` blocks); an apply of those moves, which writes the new addresses and touches no
    resource; and a plan with -detailed-exitcode, which must show no change."""
    pushed = environment.run("state", "push", str(legacy.state_file))
    plan = environment.planned_changes()
    resources = [change for change in plan.get("resource_changes", []) if change["mode"] == "managed"]
    moved = {change["previous_address"]: change["address"] for change in resources
             if change.get("previous_address") and change["previous_address"] != change["address"]}
    changed = {change["address"]: change["change"]["actions"] for change in resources
               if change["change"]["actions"] != ["no-op"]}
    moves_applied = None
    if moved and not changed:
        moves_applied = environment.apply()
    final_plan = environment.plan("-detailed-exitcode", check=False)
    return Migration(pushed, moved, changed, moves_applied, final_plan)
