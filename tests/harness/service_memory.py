"""Memory of the running Airflow services of one podman host, per systemd unit, as JSON lines.

Runs on the controller, as root: a container without CAP_SYS_PTRACE cannot read the
smaps_rollup of its own processes. The processes of a unit are found through /proc/<pid>/cgroup
(``.../libpod-<container id>/system.slice/<unit>.service``, on cgroup v1 and v2 hosts alike).
For each unit: RSS, and PSS, the proportional set size, which splits shared pages between the
processes sharing them. PSS is the figure that adds up: LocalExecutor's workers and the API
server's workers are forks sharing most of their pages.

Usage: service_memory.py CONTAINER_ID (the e2e tier and benchmarks/converge.py import
``unit_memory``).
"""

import json
import os
import sys

UNITS = ("airflow-api-server", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer")


def unit_of(pid, container_id):
    with open("/proc/%s/cgroup" % pid) as cgroup:
        for line in cgroup:
            path = line.rstrip("\n").split(":", 2)[2]
            if container_id in path and path.endswith(".service"):
                return path.rsplit("/", 1)[-1][: -len(".service")]
    return None


def kib(pid, field):
    with open("/proc/%s/smaps_rollup" % pid) as rollup:
        for line in rollup:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def unit_memory(container_id, units=UNITS):
    """``[{"unit", "processes", "rss_kib", "pss_kib"}]`` of the container's ``units``."""
    totals = {unit: {"unit": unit, "processes": 0, "rss_kib": 0, "pss_kib": 0} for unit in units}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            unit = unit_of(pid, container_id)
            if unit in totals:
                totals[unit]["rss_kib"] += kib(pid, "Rss")
                totals[unit]["pss_kib"] += kib(pid, "Pss")
                totals[unit]["processes"] += 1
        except OSError:
            continue  # the process ended meanwhile
    return [totals[unit] for unit in units]


def main():
    for entry in unit_memory(sys.argv[1]):
        print(json.dumps(entry))


if __name__ == "__main__":
    main()
