"""Test session setup shared by every tier.

AWS safety: before any test is collected, real credentials and profiles are removed from the
environment and ``AWS_ENDPOINT_URL`` points at a closed loopback port, so code under test can
only ever reach the moto server that the ``moto_server`` fixture starts; a test that forgets the
fixture fails to connect instead of reaching AWS.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from emulator.server import REAL_AWS_VARIABLES, MotoServer
from sandbox.package_cache import ensure_apt_cache
from sandbox.podman_hosts import PodmanHosts, host_image
from tests.harness.terraform_fixtures import (  # noqa: F401
    account_plans,
    applied_local,
    legacy_layout,
    local_bootstrap,
    local_environment,
    local_state_bucket,
    terraform_emulator,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
TEST_REGION = "eu-west-1"
# Port 9 (discard) on loopback: nothing listens there, so a request fails at once, locally.
UNREACHABLE_ENDPOINT = "http://127.0.0.1:9"

for _name in REAL_AWS_VARIABLES:
    os.environ.pop(_name, None)
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": TEST_REGION,
        "AWS_REGION": TEST_REGION,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ENDPOINT_URL": UNREACHABLE_ENDPOINT,
    }
)
os.environ.setdefault("ANSIBLE_CONFIG", str(REPO_ROOT / "ansible.cfg"))


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory):
    """The moto server of this test session, on a free loopback port.

    While it runs, ``AWS_ENDPOINT_URL`` points at it, for this process and every child process
    (boto3, ansible-playbook, ansible-inventory, terraform).
    """
    log_path = tmp_path_factory.mktemp("moto") / "moto.log"
    server = MotoServer(log_path=log_path).start()
    os.environ["AWS_ENDPOINT_URL"] = server.endpoint
    try:
        yield server
    finally:
        os.environ["AWS_ENDPOINT_URL"] = UNREACHABLE_ENDPOINT
        server.stop()


@pytest.fixture
def moto(moto_server):
    """The session's moto server, emptied of resources and recorded requests for this test."""
    moto_server.reset()
    return moto_server


def _require(tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is not installed; `bash .ci/run` (or the README's prerequisites) installs it")


@pytest.fixture(scope="session")
def podman_host_image():
    """The test host image (built on first use, then reused until its recipe changes)."""
    _require("podman")
    # Hosts install through the machine's package cache (make test starts it; so does this).
    ensure_apt_cache()
    return host_image()


@pytest.fixture
def podman_hosts(podman_host_image, request):
    """Factory: ``podman_hosts(2)`` starts two systemd hosts, removed when the test ends."""
    started: list[PodmanHosts] = []

    def start(count: int, **kwargs) -> PodmanHosts:
        prefix = kwargs.pop("prefix", request.node.name.replace("_", "-")[:20].strip("-"))
        hosts = PodmanHosts(count, prefix=prefix, image=podman_host_image, **kwargs).__enter__()
        started.append(hosts)
        return hosts

    yield start
    for hosts in started:
        hosts.remove()


@pytest.fixture
def report(request):
    """``report("line", …)``: figures a test wants in the run's output (times, sizes, memory). They
    are printed together at the end of the run, also when tests run in parallel workers."""

    def add(*lines: str) -> None:
        for line in lines:
            request.node.user_properties.append(("report", line))

    return add


def pytest_terminal_summary(terminalreporter):
    _write_time_by_tier(terminalreporter)
    lines = []
    for reports in terminalreporter.stats.values():
        for test_report in reports:
            if getattr(test_report, "when", None) != "call":
                continue
            for name, value in getattr(test_report, "user_properties", ()):
                if name == "report":
                    lines.append(f"{test_report.nodeid.split('::')[-1]}: {value}")
    if lines:
        terminalreporter.section("figures the tests report")
        for line in lines:
            terminalreporter.write_line(line)


def _write_time_by_tier(terminalreporter):
    """Wall time of each tier's tests (set-up, call and tear-down), session fixtures included."""
    seconds, counts = {}, {}
    for reports in terminalreporter.stats.values():
        for test_report in reports:
            when = getattr(test_report, "when", None)
            if when not in ("setup", "call", "teardown"):
                continue
            tier = next((name for name in _TIERS if name in test_report.keywords), "other")
            seconds[tier] = seconds.get(tier, 0.0) + test_report.duration
            if when == "call":
                counts[tier] = counts.get(tier, 0) + 1
    if seconds:
        terminalreporter.section("time by tier")
        for tier in sorted(seconds, key=seconds.get, reverse=True):
            terminalreporter.write_line(f"{tier:<12} {seconds[tier] / 60:6.1f} min  {counts.get(tier, 0):4d} tests")


_TIER_BY_FOLDER = {
    "unit": "unit",
    "integration": "integration",
    "contract": "integration",
    "terraform": "terraform",
    "podman": "podman",
    "molecule": "molecule",
    "e2e": "e2e",
    "spark": "spark",
    "nifi": "nifi",
}


_TIERS = tuple(dict.fromkeys(_TIER_BY_FOLDER.values()))


def pytest_collection_modifyitems(items):
    """Marks every test with its tier, from the folder it lives in (`-m unit`, `-m podman`, …)."""
    for item in items:
        parts = Path(item.fspath).resolve().relative_to(REPO_ROOT).parts
        tier = _TIER_BY_FOLDER.get(parts[1]) if parts[0] == "tests" else "unit"
        if tier:
            item.add_marker(getattr(pytest.mark, tier))
