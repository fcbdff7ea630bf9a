"""The sandbox's converge: the first ``site.yml`` run on new hosts, the no-op rerun, and their ratio.

    .venv/bin/python benchmarks/converge.py [--reruns 3]

Creates a sandbox of its own (its own name, state folder, ports and VPC range), times
``python -m sandbox up`` without the converge, then the first ``site.yml`` on the new hosts (over
SSH, as every converge), then ``site.yml`` again ``--reruns`` times, prints the figures, the memory
of the running Airflow services, and removes the sandbox. The first converge includes what a new
host always does (apt packages, Java, the Airflow virtualenv, the certificates), from the
machine's package caches once they are warm (sandbox/package_cache.py); the rerun only
checks.

Not part of ``make test`` (the e2e tests print the same figures for their own sandbox).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import tempfile
import time
import uuid
from pathlib import Path

from emulator.server import free_port
from sandbox.podman_hosts import podman, unused_network
from sandbox.sandbox import Sandbox
from tests.harness.service_memory import unit_memory

REPO_ROOT = Path(__file__).resolve().parent.parent


def timed(action) -> float:
    started = time.monotonic()
    action()
    return time.monotonic() - started


def changed_tasks(output: str) -> int:
    """The sum of changed= over the hosts of a playbook's recap."""
    return sum(int(count) for count in re.findall(r"\bchanged=(\d+)", output))


def timed_rerun(sandbox: Sandbox) -> tuple[float, int]:
    started = time.monotonic()
    output = sandbox.converge()
    return time.monotonic() - started, changed_tasks(output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reruns", type=int, default=3, help="no-op reruns to time (the median is reported)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="converge-benchmark-") as folder:
        sandbox = Sandbox(name=f"dp-bench-{uuid.uuid4().hex[:6]}", state_dir=Path(folder) / "state",
                          aws_port=free_port(), imds_port=free_port(), vpc_cidr=unused_network())
        try:
            # Everything but the converge, then the converge alone, so that the figure is Ansible's.
            with contextlib.redirect_stdout(io.StringIO()):
                setup = timed(lambda: sandbox.up([], converge=False))
                first = timed(sandbox.converge)
                timed_reruns = [timed_rerun(sandbox) for _ in range(max(args.reruns, 1))]
                reruns = sorted(seconds for seconds, _ in timed_reruns)
            airflow = [instance for instance in sandbox.instances() if instance["role"] == "airflow"]
            memory = unit_memory(podman("inspect", "--format", "{{.Id}}", airflow[0]["container"]).stdout.strip()) if airflow else []
        finally:
            with contextlib.redirect_stdout(io.StringIO()):
                sandbox.down()
    rerun = reruns[len(reruns) // 2]
    rows = [
        ("sandbox setup (moto, terraform apply, hosts, RDS stand-in)", setup),
        ("first converge: site.yml on new hosts (3 NiFi, 1 Airflow, the controller)", first),
        (f"no-op rerun: site.yml again (median of {len(reruns)})", rerun),
    ]
    for label, seconds in rows:
        print(f"{label:<76} {seconds:8.1f} s")
    print(f"{'ratio rerun / first':<76} {rerun / first:8.2f}")
    print(f"{'reruns':<76} {', '.join(f'{seconds:.1f}' for seconds in reruns)} s")
    print(f"{'changed tasks in each rerun (all hosts)':<76} {', '.join(str(changed) for _, changed in timed_reruns)}")
    for entry in memory:
        print(f"{'Airflow memory, ' + entry['unit'] + ' (PSS)':<76} {entry['pss_kib'] / 1024:8.1f} MiB")


if __name__ == "__main__":
    main()
