"""Terraform offline: every command runs with the CLI configuration that installs providers
from the filesystem mirror (tests/harness/terraform-cli-config.sh)."""

from __future__ import annotations

import os
import subprocess
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
    env.setdefault("TF_CLI_CONFIG_FILE", str(cli_config()))
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
