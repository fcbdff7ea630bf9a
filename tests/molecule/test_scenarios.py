"""Every Molecule scenario under molecule/, run as `molecule test -s NAME` would run it."""

import os
import subprocess

import pytest

from tests.conftest import REPO_ROOT

SCENARIOS = sorted(path.parent.name for path in (REPO_ROOT / "molecule").glob("*/molecule.yml"))


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_molecule_scenario(scenario, podman_host_image):
    env = {**os.environ, "DATAPLATFORM_HOST_IMAGE": podman_host_image}
    result = subprocess.run(
        ["molecule", "test", "-s", scenario],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-8000:]
