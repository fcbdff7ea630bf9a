"""The NiFi distribution and a running sandbox's NiFi nodes: the figures issue budgets name.

    .venv/bin/python benchmarks/nifi.py [--rebuild] [--restart]

Prints:

* the distribution tarball's size, and the build's time (``--rebuild`` builds it afresh into a
  temporary cache with a warm Maven repository; otherwise the cached tarball's figures);
* each NiFi node's memory: the JVM's resident set (VmRSS) and its heap setting;
* with ``--restart``: the time from ``systemctl start`` until the node is CONNECTED to the cluster
  again (NiFi's management server, ``/health/cluster``), for one node stopped for it. The other
  nodes keep the cluster up meanwhile.

It reads the sandbox of the environment (``make sandbox``, or SANDBOX_* settings). Not part of
``make test``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sandbox import nifi_distribution
from sandbox.package_cache import CACHE_ROOT
from sandbox.podman_hosts import podman
from sandbox.sandbox import Sandbox

REPO_ROOT = Path(__file__).resolve().parent.parent



def distribution(rebuild: bool) -> None:
    if rebuild:
        with tempfile.TemporaryDirectory(prefix="nifi-distribution-benchmark-") as cache:
            # The Maven repository stays warm: the figure is the build, not the downloads.
            (Path(cache) / "maven").symlink_to(CACHE_ROOT / "maven")
            started = time.monotonic()
            result = subprocess.run(["bash", str(nifi_distribution.BUILD_SCRIPT)], capture_output=True, text=True,
                                    env={**os.environ, "DATAPLATFORM_CACHE_DIR": cache}, check=True)
            seconds = time.monotonic() - started
            tarball = Path(result.stdout.strip().splitlines()[-1])
            size = tarball.stat().st_size
            same = tarball.read_bytes() == nifi_distribution.build().read_bytes()
        print(f"distribution: built in {seconds:.0f}s with a warm Maven repository; {size / 2**20:.1f} MiB; "
              f"{'the same bytes as the cached build' if same else 'NOT the same bytes as the cached build'}")
    else:
        tarball = nifi_distribution.build()
        print(f"distribution: {tarball} {tarball.stat().st_size / 2**20:.1f} MiB")


def node_memory(container: str) -> tuple[int, str]:
    pid = podman("exec", container, "systemctl", "show", "--property", "ExecMainPID", "--value", "nifi").stdout.strip()
    status = podman("exec", container, "cat", f"/proc/{pid}/status").stdout
    rss_kib = int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1))
    arguments = podman("exec", container, "cat", "/opt/nifi/nifi-2.3.0/conf/java.args").stdout
    heap = re.search(r"^-Xmx(\S+)$", arguments, re.M).group(1)
    return rss_kib, heap


def connected(container: str) -> bool:
    answer = podman("exec", container, "curl", "-s", "-m", "3", "http://127.0.0.1:52020/health/cluster", check=False).stdout
    return "CONNECTED" in answer and "DISCONNECTED" not in answer


def restart_time(container: str, timeout: float = 600) -> float:
    podman("exec", container, "systemctl", "stop", "nifi")
    started = time.monotonic()
    podman("exec", container, "systemctl", "start", "nifi")
    while not connected(container):
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{container} not CONNECTED within {timeout:.0f}s")
        time.sleep(1)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="time a build of the distribution from its poms")
    parser.add_argument("--restart", action="store_true", help="time one node's start until it is CONNECTED")
    args = parser.parse_args()
    if not shutil.which("podman"):
        sys.exit("podman is needed")
    distribution(args.rebuild)
    sandbox = Sandbox.from_environment()
    nodes = [instance for instance in sandbox.instances() if instance["role"] == "nifi"]
    if not nodes:
        sys.exit("no NiFi node: run make sandbox first")
    for node in nodes:
        rss_kib, heap = node_memory(node["container"])
        print(f"node {node['instance_id']}: RSS {rss_kib / 1024:.0f} MiB with a {heap} heap")
    if args.restart:
        node = nodes[-1]
        print(f"node {node['instance_id']}: systemctl start to CONNECTED in {restart_time(node['container']):.0f}s")


if __name__ == "__main__":
    main()
