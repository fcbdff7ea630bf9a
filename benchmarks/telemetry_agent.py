"""The telemetry agent's footprint on each sandbox host, under load, against its budget.

    make sandbox && .venv/bin/python benchmarks/telemetry_agent.py [--seconds 60] [--lines-per-second 200]

For each host of the running sandbox, while every host writes ``--lines-per-second`` lines to its
journal (with ``logger``, on top of what NiFi and Airflow log on their own), samples the agent's
resident memory and CPU time (``/proc/<pid>``) every second, then prints per host the largest RSS,
the CPU used as a share of one core, the lines that reached the host's stream, and the RSS as a
share of the host's memory and of ``--instance-memory-mib`` (the smallest instance the platform
runs on). The budget is 5% of the host's memory. Exits non-zero when a host exceeds it, or when a
line written is not in its stream.

Not part of ``make test`` (the e2e tier quotes the same figures).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from sandbox.sandbox import Sandbox

REPO_ROOT = Path(__file__).resolve().parent.parent

BUDGET_SHARE = 0.05
CLOCK_TICKS = 100  # USER_HZ on Linux


def on_host(container: str, script: str) -> str:
    return subprocess.run(["podman", "exec", container, "sh", "-c", script], check=True, capture_output=True,
                          text=True, timeout=60).stdout.strip()


def agent_sample(container: str) -> tuple[int, int]:
    """(RSS in KiB, CPU ticks used so far) of the agent's process on the host."""
    pid = on_host(container, "systemctl show -p MainPID --value dataplatform-telemetry")
    if pid in ("", "0"):
        raise RuntimeError(f"the telemetry agent does not run on {container}")
    status = on_host(container, f"grep VmRSS /proc/{pid}/status; cut -d' ' -f14,15 /proc/{pid}/stat")
    rss_line, ticks_line = status.splitlines()
    utime, stime = ticks_line.split()
    return int(rss_line.split()[1]), int(utime) + int(stime)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--lines-per-second", type=int, default=200)
    parser.add_argument("--instance-memory-mib", type=int, default=8192)
    arguments = parser.parse_args()
    sandbox = Sandbox.from_environment()
    if not sandbox.moto_answers():
        sys.exit("the sandbox is not running: make sandbox first")
    hosts = {instance["instance_id"]: sandbox.container_name(instance) for instance in sandbox.instances()}
    marker = f"telemetry-benchmark-{int(time.time())}"
    written = arguments.seconds * arguments.lines_per_second
    load = (f"i=0; for s in $(seq {arguments.seconds}); do "
            f"for j in $(seq {arguments.lines_per_second}); do i=$((i+1)); "
            f"logger -t {marker} \"line $i of the benchmark's load, padded to a log line's usual length\"; done; "
            "sleep 1; done")
    writers = [subprocess.Popen(["podman", "exec", container, "sh", "-c", load]) for container in hosts.values()]
    first = {host: agent_sample(container) for host, container in hosts.items()}
    peak = {host: sample[0] for host, sample in first.items()}
    started = time.monotonic()
    while time.monotonic() - started < arguments.seconds:
        time.sleep(1)
        for host, container in hosts.items():
            peak[host] = max(peak[host], agent_sample(container)[0])
    elapsed = time.monotonic() - started
    last = {host: agent_sample(container) for host, container in hosts.items()}
    for writer in writers:
        writer.wait(timeout=120)
    time.sleep(15)  # the last lines' flush

    logs = sandbox.client("logs")
    document = sandbox.platform_document()
    groups = document["telemetry"]["log_groups"]
    failed = False
    print(f"{'host':<22}{'role':<9}{'peak RSS':>10}{'CPU/core':>10}{'lines shipped':>19}{'RSS/host':>10}{'RSS/instance':>14}")
    for instance in sandbox.instances():
        host, container = instance["instance_id"], hosts[instance["instance_id"]]
        host_kib = int(on_host(container, "grep MemTotal /proc/meminfo").split()[1])
        cpu = (last[host][1] - first[host][1]) / CLOCK_TICKS / elapsed
        pages = logs.get_paginator("filter_log_events").paginate(
            logGroupName=groups[instance["role"]], logStreamNames=[host], filterPattern=f'"{marker}"',
            startTime=int((time.time() - 600) * 1000))
        shipped = sum(len(page["events"]) for page in pages)
        share_host, share_instance = peak[host] / host_kib, peak[host] / (arguments.instance_memory_mib * 1024)
        failed |= share_instance > BUDGET_SHARE
        failed |= shipped != written
        print(f"{host:<22}{instance['role']:<9}{peak[host] / 1024:>8.1f}MB{cpu:>9.1%}{f'{shipped} of {written}':>19}"
              f"{share_host:>10.2%}{share_instance:>14.2%}")
    print(f"budget: RSS at most {BUDGET_SHARE:.0%} of a host's memory; load {arguments.lines_per_second} journal lines/s per host "
          f"for {arguments.seconds} s besides the services' own")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
