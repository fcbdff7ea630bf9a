"""Test hosts: Debian 13 podman containers with systemd as PID 1, always removed afterwards.

    with PodmanHosts(count=2, prefix="t-facts") as hosts:
        hosts.names          # ["t-facts-1", "t-facts-2"]
        hosts.inventory()    # an Ansible inventory reaching them over containers.podman.podman

The image comes from ``sandbox/host-image.sh`` (built once per recipe change) unless
``DATAPLATFORM_HOST_IMAGE`` names one already.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

SANDBOX_DIR = Path(__file__).resolve().parent
CONTAINERS_CONF = SANDBOX_DIR / "containers.conf"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
LABEL = "dataplatform.test-host"


def podman_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("CONTAINERS_CONF", str(CONTAINERS_CONF))
    return env


def podman(*args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["podman", *args], env=podman_env(), check=check, timeout=timeout, capture_output=True, text=True
    )


def host_image() -> str:
    """The reference of the test host image, building it if its recipe changed."""
    image = os.environ.get("DATAPLATFORM_HOST_IMAGE")
    if image:
        return image
    result = subprocess.run(
        ["bash", str(SANDBOX_DIR / "host-image.sh")],
        env=podman_env(),
        check=True,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    return result.stdout.strip().splitlines()[-1]


def wait_booted(names: list[str], timeout: float = 120) -> None:
    """Waits until systemd in every container has finished starting up."""
    deadline = time.monotonic() + timeout
    states = {name: "" for name in names}
    while True:
        for name in [name for name, state in states.items() if state not in ("running", "degraded")]:
            states[name] = podman("exec", name, "systemctl", "is-system-running", check=False).stdout.strip()
        pending = {name: state for name, state in states.items() if state not in ("running", "degraded")}
        if not pending:
            return
        if time.monotonic() > deadline:
            raise TimeoutError("systemd did not finish booting: "
                               + ", ".join(f"{name} ({state!r})" for name, state in sorted(pending.items())))
        time.sleep(0.5)


class PodmanHosts:
    """Starts ``count`` systemd containers and removes them on exit, whatever happened."""

    def __init__(self, count: int, prefix: str = "dp-test", image: str | None = None,
                 extra_args: tuple[str, ...] = (), boot_timeout: float = 120):
        self.count = count
        self.prefix = f"{prefix}-{uuid.uuid4().hex[:6]}"
        self.image = image or host_image()
        self.extra_args = extra_args
        self.boot_timeout = boot_timeout
        self.names: list[str] = []

    def __enter__(self) -> "PodmanHosts":
        try:
            for index in range(1, self.count + 1):
                name = f"{self.prefix}-{index}"
                args = ["run", "--detach", "--name", name, "--hostname", name, "--systemd=always",
                        "--label", f"{LABEL}={self.prefix}"]
                if HOST_CA_BUNDLE.exists():
                    args += ["--volume", f"{HOST_CA_BUNDLE}:{HOST_CA_BUNDLE}:ro"]
                podman(*args, *self.extra_args, self.image, "/sbin/init")
                self.names.append(name)
            wait_booted(self.names, self.boot_timeout)
        except BaseException:
            self.remove()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.remove()

    def remove(self) -> None:
        podman("rm", "--force", "--time", "5", *self.names, check=False)
        # Containers whose `run` failed half-way are found by their label.
        leftovers = podman("ps", "--all", "--quiet", "--filter", f"label={LABEL}={self.prefix}", check=False)
        ids = leftovers.stdout.split()
        if ids:
            podman("rm", "--force", *ids, check=False)
        self.names = []

    def inventory(self, group: str = "hosts", host_vars: dict | None = None) -> dict:
        """An Ansible YAML inventory reaching the hosts through the podman connection plugin."""
        hosts = {name: dict(host_vars or {}) for name in self.names}
        return {
            "all": {
                "vars": {
                    "ansible_connection": "containers.podman.podman",
                    "ansible_python_interpreter": "/usr/bin/python3",
                },
                "children": {group: {"hosts": hosts}},
            }
        }


def unused_network(prefix: str = "10.0.0.0/8", new_prefix: int = 16, first: int = 30) -> str:
    """A range for a podman network that no podman network and no route of this machine overlaps,
    so a test's sandbox does not meet one that a stopped run left behind."""
    taken = []
    for name in podman("network", "ls", "--format", "{{.Name}}").stdout.split():
        inspected = json.loads(podman("network", "inspect", name).stdout)
        taken += [ipaddress.ip_network(subnet["subnet"]) for network in inspected for subnet in network.get("subnets") or []]
    routes = subprocess.run(["ip", "-4", "route", "show"], capture_output=True, text=True,
                            check=False).stdout if shutil.which("ip") else ""
    taken += [ipaddress.ip_network(line.split()[0], strict=False) for line in routes.splitlines()
              if line and line.split()[0] != "default"]
    for candidate in list(ipaddress.ip_network(prefix).subnets(new_prefix=new_prefix))[first:]:
        if not any(candidate.overlaps(other) for other in taken):
            return str(candidate)
    raise RuntimeError(f"no /{new_prefix} of {prefix} is free of podman networks and routes")
