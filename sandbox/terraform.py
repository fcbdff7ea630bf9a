"""Terraform, offline and per environment: the driver the sandbox (and the tests) run it with.

Every command runs with the CLI configuration that installs providers from the filesystem mirror
(``scripts/terraform-cli-config.sh`` writes it). An environment is one of the two roots,
``terraform/platform`` (PLATFORM) or ``terraform/bootstrap`` (BOOTSTRAP), with the values and
state of ``terraform/environments/<env>/``, as ``scripts/terraform-env.sh`` runs them:

    terraform(PLATFORM, "local", "init", "-input=false")       # -backend-config=environments/local/backend.hcl
    terraform(PLATFORM, "local", "apply", "-auto-approve")     # -var-file=environments/local/terraform.tfvars
    terraform(Path("terraform/modules/kms"), "validate")      # any folder, as it is

Each environment and root has its own working directory (TF_DATA_DIR), so one root serves several
environments without mixing their backends. Nothing here imports from ``tests/``.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
TERRAFORM_DIR = REPO_ROOT / "terraform"
ENVIRONMENTS_DIR = TERRAFORM_DIR / "environments"
CLI_CONFIG = REPO_ROOT / ".cache" / "terraform" / "cli.tfrc"
CLI_CONFIG_SCRIPT = REPO_ROOT / "scripts" / "terraform-cli-config.sh"
ENVIRONMENTS = ("local", "dev", "ppd", "prod")
# Terraform runs many slow, independent waits (bucket lifecycles, load balancers, the database)
# against the emulator; more parallel operations than the default 10 shorten an apply by a third.
PARALLELISM = "-parallelism=30"
# Commands that read the environment's variables.
_VARIABLE_COMMANDS = {"plan", "apply", "destroy", "import", "console", "refresh"}
_SCALAR = r'^{name}\s*=\s*(?:"([^"]*)"|([^\s#]+))'
_LOOPBACK = re.compile(r"^https?://(127\.[0-9.]+|localhost|\[::1\])(:[0-9]+)?/?$")


@dataclass(frozen=True)
class Root:
    """One Terraform root and the files of an environment's folder it takes."""

    name: str
    tfvars: str
    # -backend-config files, in order (a later one overrides an earlier one's settings).
    backend_files: tuple[str, ...]

    def path(self, terraform_dir: Path = TERRAFORM_DIR) -> Path:
        return terraform_dir / self.name

    def __str__(self) -> str:
        return f"terraform/{self.name}"


PLATFORM = Root("platform", "terraform.tfvars", ("backend.hcl",))
# backend.hcl's bucket and settings, bootstrap.backend.hcl's key.
BOOTSTRAP = Root("bootstrap", "bootstrap.tfvars", ("backend.hcl", "bootstrap.backend.hcl"))


def cli_config() -> Path:
    """The offline CLI configuration, written on first use."""
    if not CLI_CONFIG.exists():
        subprocess.run(["bash", str(CLI_CONFIG_SCRIPT), str(CLI_CONFIG)], check=True, capture_output=True)
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


def working_directory(root: Root, environment: str, base: Path | None = None, terraform_dir: Path = TERRAFORM_DIR) -> Path:
    """The working directory (TF_DATA_DIR) of a root for an environment: ``base/<root>`` when given
    (the sandbox keeps its own), else ``environments/<env>/.terraform/<root>`` (gitignored)."""
    return (base if base is not None else terraform_dir / "environments" / environment / ".terraform") / root.name


def root_arguments(root: Root, environment: str, command: str, *rest: str, terraform_dir: Path = TERRAFORM_DIR,
                   backend: bool = True, env: dict[str, str] | None = None) -> list[str]:
    """What a command of ``root`` takes for ``environment`` before the caller's own arguments:
    the backend configuration on init, the variables on plan, apply and the like. For local, the
    emulator's URL (AWS_ENDPOINT_URL, loopback only) as aws_endpoint_url, as the script does."""
    if environment not in ENVIRONMENTS:
        raise ValueError(f"unknown environment {environment!r}: one of {', '.join(ENVIRONMENTS)}")
    values = terraform_dir / "environments" / environment
    if command == "init":
        return [f"-backend-config={values / name}" for name in root.backend_files] if backend else []
    if command not in _VARIABLE_COMMANDS or (command == "apply" and any(not arg.startswith("-") for arg in rest)):
        return []  # a saved plan (apply <file>) carries its variables already
    arguments = [f"-var-file={values / root.tfvars}"]
    endpoint = {**os.environ, **(env or {})}.get("AWS_ENDPOINT_URL")
    if environment == "local" and endpoint:
        if not _LOOPBACK.match(endpoint):
            raise ValueError(f"local only talks to the emulator on a loopback URL, not {endpoint}")
        arguments.append(f"-var=aws_endpoint_url={endpoint}")
    return arguments


def terraform(workdir: Path | Root, *args: str, env: dict[str, str] | None = None, timeout: float = 1200,
              check: bool = True, data_dir: Path | None = None, terraform_dir: Path = TERRAFORM_DIR,
              backend: bool = True) -> subprocess.CompletedProcess:
    """``terraform -chdir=<workdir> <args>``. With a Root, the first argument is the environment:
    ``terraform(PLATFORM, "local", "apply", …)`` runs terraform/platform with environments/local's
    backend (init) or variables (plan, apply, …), in the working directory of that environment
    (``working_directory()``; ``data_dir`` is the base the sandbox keeps its own under).
    ``terraform_dir`` is the tree the root is taken from (a test's copy); ``backend=False`` passes
    no backend configuration (a copy whose override file sets another backend)."""
    extra = dict(env or {})
    if isinstance(workdir, Root):
        root = workdir
        environment, command, *rest = args
        extra["TF_DATA_DIR"] = str(working_directory(root, environment, data_dir, terraform_dir))
        args = (command, *root_arguments(root, environment, command, *rest, terraform_dir=terraform_dir, backend=backend,
                                         env=env), *rest)
        workdir = root.path(terraform_dir)
    result = subprocess.run(["terraform", f"-chdir={workdir}", *args], check=False, env=terraform_env(extra),
                            capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"terraform {' '.join(args)} in {workdir} failed:\n{result.stdout}\n{result.stderr}")
    return result


def _scalar(path: Path, name: str) -> str:
    text = path.read_text()
    match = re.search(_SCALAR.format(name=re.escape(name)), text, re.MULTILINE)
    if not match:
        shown = path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path
        raise AssertionError(f"{shown} does not set {name}")
    return match.group(1) if match.group(1) is not None else match.group(2)


def tfvars_scalar(environment: str, name: str, file_name: str = "terraform.tfvars") -> str:
    """A top-level string, number or bool of an environment's terraform.tfvars (or bootstrap.tfvars),
    as written."""
    return _scalar(ENVIRONMENTS_DIR / environment / file_name, name)


def backend_setting(environment: str, name: str, root: Root = PLATFORM) -> str:
    """A setting of an environment's backend for a root (the last of its backend files that sets it)."""
    for file_name in reversed(root.backend_files):
        try:
            return _scalar(ENVIRONMENTS_DIR / environment / file_name, name)
        except AssertionError:
            continue
    raise AssertionError(f"terraform/environments/{environment}: no backend file of {root} sets {name}")


def ensure_state_bucket(s3, environment: str = "local") -> str:
    """The environment's state bucket (backend.hcl), made as terraform/README.md tells an account's
    operator to make theirs before the first apply: versioned, private, encrypted. ``s3`` is a
    boto3 S3 client with the administrator's key (for local, at the emulator). Returns its name;
    an existing bucket is left as it is."""
    bucket = backend_setting(environment, "bucket")
    region = backend_setting(environment, "region")
    if bucket in {entry["Name"] for entry in s3.list_buckets().get("Buckets", [])}:
        return bucket
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    return bucket
