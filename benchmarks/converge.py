"""The sandbox's converge: the first ``site.yml`` run on new hosts, the no-op rerun, and their ratio.

    .venv/bin/python benchmarks/converge.py [--reruns 1]

Creates a sandbox of its own (its own name, state folder and ports; the RDS stand-in needs port
5432, so no other sandbox may run Airflow meanwhile), times each phase of ``python -m sandbox up``
and then ``site.yml`` again, prints the figures and removes the sandbox. The first converge
includes what a new host always does (apt packages, Java, the Airflow virtualenv from PyPI, the
certificates), so it depends on the package mirrors' speed; the rerun only checks.

Not part of ``make test`` (the e2e tests print the same figures for their own sandbox).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from sandbox.sandbox import Sandbox  # noqa: E402
from tests.harness.moto_server import free_port  # noqa: E402


def timed(action) -> float:
    started = time.monotonic()
    action()
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reruns", type=int, default=1, help="no-op reruns to time (the median is reported)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="converge-benchmark-") as folder:
        sandbox = Sandbox(name=f"dp-bench-{uuid.uuid4().hex[:6]}", state_dir=Path(folder) / "state",
                          aws_port=free_port(), airflow_port=free_port())
        try:
            # Everything but the converge, then the converge alone, so that the figure is Ansible's.
            with contextlib.redirect_stdout(io.StringIO()):
                setup = timed(lambda: sandbox.up([], converge=False))
                first = timed(sandbox.converge)
                reruns = sorted(timed(sandbox.converge) for _ in range(max(args.reruns, 1)))
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

if __name__ == "__main__":
    main()
