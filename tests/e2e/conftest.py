"""The e2e tier's one sandbox, shared by its modules, and their order: the sandbox is made by the
first test of test_sandbox.py; the tests that scale, stop hosts and remove it run last (marker
``sandbox_phase(2)``), after those of the other modules (``sandbox_phase(1)``)."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest

from sandbox.sandbox import ROOT, Sandbox
from emulator.server import free_port
from sandbox.podman_hosts import unused_network


def pytest_collection_modifyitems(items):
    """Tests of the e2e tier by their phase (0 unless marked), in file order within a phase."""
    def phase(item):
        marker = item.get_closest_marker("sandbox_phase")
        return marker.args[0] if marker else 0

    items.sort(key=lambda item: phase(item) if "/tests/e2e/" in str(item.path) else 0)


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory):
    """The test's sandbox: settings of its own, removed at the end whatever happened."""
    name = f"dp-e2e-{uuid.uuid4().hex[:6]}"
    vpc_cidr = unused_network()
    settings = {
        "SANDBOX_NAME": name,
        "SANDBOX_DIR": str(tmp_path_factory.mktemp("sandbox") / "state"),
        "SANDBOX_AWS_PORT": str(free_port()),
        "SANDBOX_IMDS_PORT": str(free_port()),
        "SANDBOX_VPC_CIDR": vpc_cidr,
        "SANDBOX_AWX_PORT": str(free_port()),
    }
    instance = Sandbox(name=name, state_dir=Path(settings["SANDBOX_DIR"]), aws_port=int(settings["SANDBOX_AWS_PORT"]),
                       imds_port=int(settings["SANDBOX_IMDS_PORT"]), vpc_cidr=vpc_cidr,
                       awx_port=int(settings["SANDBOX_AWX_PORT"]))
    instance.make_env = {**os.environ, **settings}
    try:
        yield instance
    finally:
        subprocess.run(["make", "--no-print-directory", "sandbox-down"], cwd=ROOT, env=instance.make_env,
                       capture_output=True, timeout=300)
