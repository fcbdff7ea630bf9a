"""The sandbox's NiFi distribution: built by the project's poms, published to the emulated
artifacts bucket by the same job an account runs (ansible/playbooks/nifi-distribution.yml), from
where each NiFi host downloads it with its instance role.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD_SCRIPT = ROOT / "scripts" / "build-nifi-distribution.sh"
PUBLISH_PLAYBOOK = "ansible/playbooks/nifi-distribution.yml"


class DistributionBuildError(RuntimeError):
    """The build script failed; the message carries the end of its output."""


def build() -> Path:
    """The tarball of the current poms: built once per machine and pom set, else taken from the cache."""
    process = subprocess.run(["bash", str(BUILD_SCRIPT)], cwd=ROOT, capture_output=True, text=True, check=False)
    if process.returncode != 0:
        raise DistributionBuildError(f"{BUILD_SCRIPT.relative_to(ROOT)} failed:\n{process.stderr[-3000:]}")
    return Path(process.stdout.strip().splitlines()[-1])


def publish(run_playbook, inventory: str, profile: str) -> Path:
    """Builds (or finds) the tarball and publishes it with ``run_playbook(*args, echo=..., profile=...)``
    (the sandbox's ansible-playbook runner) as ``profile``; returns the tarball's path."""
    tarball = build()
    run_playbook(PUBLISH_PLAYBOOK, "-i", inventory, "-e", f"nifi_distribution_file={tarball}", echo=False, profile=profile)
    return tarball
