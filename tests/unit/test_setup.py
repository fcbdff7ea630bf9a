"""The set-up step (`make setup`, scripts/setup.sh) that `make sandbox`, `make test` and .ci/run
start with: a missing tool is named with the command that installs it (exit 2, no traceback), and
a second run on a set-up machine is a quick no-op."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SETUP = ROOT / "scripts" / "setup.sh"


def path_without(folder: Path, *missing: str) -> str:
    """A PATH with every command of the current one except ``missing``: one folder of links."""
    folder.mkdir()
    for directory in os.environ["PATH"].split(os.pathsep):
        if not os.path.isdir(directory):
            continue
        for entry in os.scandir(directory):
            link = folder / entry.name
            if entry.name in missing or link.exists() or not os.access(entry.path, os.X_OK):
                continue
            link.symlink_to(entry.path)
    return str(folder)


def test_second_run_is_a_quiet_no_op_under_five_seconds():
    first = subprocess.run(["bash", str(SETUP)], capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr
    started = time.monotonic()
    second = subprocess.run(["bash", str(SETUP)], capture_output=True, text=True, timeout=60)
    seconds = time.monotonic() - started
    assert second.returncode == 0 and second.stdout == "" and second.stderr == "", second
    assert seconds < 5, f"the second run took {seconds:.1f}s"


@pytest.mark.parametrize("install", ["never", "auto"], ids=["check-only", "as-root-installing"])
def test_make_sandbox_without_podman_exits_2_naming_it(tmp_path, install):
    """With podman gone from PATH: as root on Debian the step tries apt-get (the package is installed,
    so nothing changes) and still finds no podman; either way make stops before the sandbox starts."""
    env = {**os.environ, "PATH": path_without(tmp_path / "bin", "podman"), "SETUP_INSTALL": install}
    result = subprocess.run(["make", "--no-print-directory", "sandbox"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "podman (Debian package podman): apt-get install -y podman" in result.stderr, output
    assert "Traceback" not in output
    assert "[sandbox]" not in output, "the sandbox started without podman"


def test_sandbox_without_podman_says_so_without_a_traceback(tmp_path):
    """`python -m sandbox` run directly (not through make) checks the same way."""
    env = {**os.environ, "PATH": path_without(tmp_path / "bin", "podman"), "SETUP_INSTALL": "never"}
    python = ROOT / ".venv" / "bin" / "python"
    up = subprocess.run([str(python), "-m", "sandbox", "up"], cwd=ROOT, env=env, capture_output=True, text=True,
                        timeout=120)
    assert up.returncode == 2 and "apt-get install -y podman" in up.stderr, up
    down = subprocess.run([str(python), "-m", "sandbox", "down"], cwd=ROOT, env={**env, "SANDBOX_DIR": str(tmp_path / "s")},
                          capture_output=True, text=True, timeout=120)
    assert down.returncode != 0 and "podman is not installed" in down.stderr, down
    assert "Traceback" not in up.stderr + down.stderr
