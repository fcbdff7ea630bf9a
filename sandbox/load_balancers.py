"""The sandbox's load balancers: HAProxy (Debian's package) on the machine, in place of the
network and application load balancers that Terraform made and moto only records.

A stand-in, named as such: it is configured from what the moto server holds, as AWS would run it.

* Each load balancer gets a loopback address of its own (``127.x.y.n``, derived from the
  sandbox's name), and its DNS name resolves to that address on the controller: the sandbox keeps
  a block of its own in the hosts file (``/etc/hosts``, or ``SANDBOX_HOSTS_FILE``).
* Each listener listens on its port there. TCP: passthrough (NiFi sees the client's certificate).
  TLS and HTTPS: TLS ends at the listener with the listener's ACM certificate (exported from the
  moto server with the account administrator's key, where AWS hands the load balancer its key),
  TLS 1.2 at least. HTTP and HTTPS listeners forward HTTP with ``X-Forwarded-For``,
  ``X-Forwarded-Proto`` and ``X-Forwarded-Port``, as an ALB does.
* Each listener's forward action goes to its target group: the targets registered in it whose
  instance is in service in its Auto Scaling Group (an instance waiting in its launch hook is not
  registered yet in AWS), at their private address and the target's port, over the target
  group's protocol (HTTPS to a target: TLS without verification, as an ALB does). Stickiness by
  source address where the target group asks for it.
* Each target group's health check: its protocol (a TCP connect, or an HTTP(S) request to its
  path, matching its status codes), port, interval, timeout and thresholds.
* Not emulated: actions other than ``forward`` (such a listener answers nothing and the summary
  says so), listener rules, cross-zone and availability zones, connection draining
  (deregistration delay), failing open (with every target unhealthy AWS routes to all of them;
  the stand-in to none), the load balancers' security groups, access logs.

Targets are read again on each ``make sandbox``: a host added or removed in between is not seen
until then.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import secrets
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

HOSTS_FILE_VARIABLE = "SANDBOX_HOSTS_FILE"
FORWARDING_PROTOCOLS = {"TCP": "tcp", "TLS": "tcp", "UDP": None, "TCP_UDP": "tcp", "HTTP": "http", "HTTPS": "http"}


@dataclass(frozen=True)
class HealthCheck:
    protocol: str
    port: str  # "traffic-port" or a number
    path: str
    matcher: str
    interval: int
    timeout: int
    healthy_threshold: int
    unhealthy_threshold: int


@dataclass(frozen=True)
class Target:
    instance_id: str
    address: str
    port: int


@dataclass
class TargetGroup:
    name: str
    protocol: str
    port: int
    health_check: HealthCheck
    sticky_by_source: bool = False
    targets: list[Target] = field(default_factory=list)


@dataclass
class Listener:
    balancer: str
    dns_name: str
    address: str
    port: int
    protocol: str
    certificate_arn: str = ""
    action: str = "forward"
    target_group: TargetGroup | None = None

    @property
    def key(self) -> str:
        return f"{self.balancer}-{self.port}"

    @property
    def ends_tls(self) -> bool:
        return self.protocol in ("HTTPS", "TLS")


@dataclass(frozen=True)
class TargetHealth:
    target_group: str
    instance_id: str
    address: str
    state: str  # healthy, unhealthy, initial
    reason: str


# --- what the moto server holds ---------------------------------------------------------------

def loopback_address(sandbox_name: str, index: int) -> str:
    """The load balancer's address on the machine: one /24 of 127.0.0.0/8 per sandbox."""
    digest = hashlib.sha256(sandbox_name.encode()).digest()
    return f"127.{1 + digest[0] % 250}.{digest[1]}.{index + 1}"


def status_matcher(codes: str) -> str:
    """A target group's matcher ("200", "200-299", "200,202") as an anchored regular expression."""
    wanted: list[int] = []
    for part in codes.split(","):
        low, _, high = part.strip().partition("-")
        wanted += range(int(low), int(high or low) + 1)
    return "^(" + "|".join(str(code) for code in sorted(set(wanted))) + ")$"


def read_listeners(elbv2, ec2, autoscaling, sandbox_name: str) -> list[Listener]:
    """Every listener of every load balancer, with its target group and the targets in service."""
    in_service = {
        instance["InstanceId"]
        for page in autoscaling.get_paginator("describe_auto_scaling_groups").paginate()
        for group in page["AutoScalingGroups"]
        for instance in group["Instances"]
        if instance["LifecycleState"] == "InService"
    }
    balancers = sorted(
        (balancer for page in elbv2.get_paginator("describe_load_balancers").paginate()
         for balancer in page["LoadBalancers"]),
        key=lambda balancer: balancer["LoadBalancerName"])
    groups: dict[str, TargetGroup] = {}
    listeners = []
    for index, balancer in enumerate(balancers):
        address = loopback_address(sandbox_name, index)
        for described in elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]:
            actions = described.get("DefaultActions", [])
            forward = next((action for action in actions if action["Type"] == "forward"), None)
            listener = Listener(
                balancer=balancer["LoadBalancerName"], dns_name=balancer["DNSName"], address=address,
                port=described["Port"], protocol=described["Protocol"],
                certificate_arn=(described.get("Certificates") or [{}])[0].get("CertificateArn", ""),
                action=forward["Type"] if forward else ",".join(action["Type"] for action in actions) or "none")
            if forward:
                arn = forward.get("TargetGroupArn") or forward["ForwardConfig"]["TargetGroups"][0]["TargetGroupArn"]
                if arn not in groups:
                    groups[arn] = _target_group(elbv2, ec2, arn, in_service)
                listener.target_group = groups[arn]
            listeners.append(listener)
    return listeners


def _target_group(elbv2, ec2, arn: str, in_service: set[str]) -> TargetGroup:
    described = elbv2.describe_target_groups(TargetGroupArns=[arn])["TargetGroups"][0]
    attributes = {item["Key"]: item["Value"] for item in elbv2.describe_target_group_attributes(
        TargetGroupArn=arn)["Attributes"]}
    health = HealthCheck(
        protocol=described.get("HealthCheckProtocol") or described["Protocol"],
        port=str(described.get("HealthCheckPort") or "traffic-port"),
        path=described.get("HealthCheckPath") or "/",
        matcher=(described.get("Matcher") or {}).get("HttpCode") or "200",
        interval=int(described.get("HealthCheckIntervalSeconds") or 30),
        timeout=int(described.get("HealthCheckTimeoutSeconds") or 5),
        healthy_threshold=int(described.get("HealthyThresholdCount") or 5),
        unhealthy_threshold=int(described.get("UnhealthyThresholdCount") or 2))
    group = TargetGroup(
        name=described["TargetGroupName"], protocol=described["Protocol"], port=described["Port"], health_check=health,
        sticky_by_source=attributes.get("stickiness.enabled") == "true"
        and attributes.get("stickiness.type") == "source_ip")
    registered = [(item["Target"]["Id"], item["Target"].get("Port") or group.port)
                  for item in elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]]
    wanted = [(instance_id, port) for instance_id, port in registered if instance_id in in_service]
    if wanted:
        addresses = {
            instance["InstanceId"]: instance.get("PrivateIpAddress", "")
            for reservation in ec2.describe_instances(InstanceIds=sorted({item for item, _ in wanted}))["Reservations"]
            for instance in reservation["Instances"]
            if instance["State"]["Name"] == "running"
        }
        group.targets = [Target(instance_id, addresses[instance_id], port)
                         for instance_id, port in sorted(wanted) if addresses.get(instance_id)]
    return group


# --- HAProxy's configuration ----------------------------------------------------------------

def haproxy_configuration(listeners: list[Listener], certificates: dict[str, Path], stats_socket: Path) -> str:
    """HAProxy's configuration for the listeners; ``certificates`` maps a listener's key to the PEM
    file (certificate, chain, key) it serves."""
    lines = [
        "# Written by the sandbox (sandbox/load_balancers.py) from the load balancers in its moto server.",
        "global",
        f"    stats socket {stats_socket} mode 600 level admin",
        "    ssl-default-bind-options ssl-min-ver TLSv1.2",
        "",
        "defaults",
        "    timeout connect 5s",
        # An ALB's and an NLB's idle timeouts.
        "    timeout client 60s",
        "    timeout server 60s",
        "",
    ]
    backends: dict[str, TargetGroup] = {}
    for listener in listeners:
        mode = FORWARDING_PROTOCOLS.get(listener.protocol)
        if mode is None or listener.target_group is None:
            lines += [f"# {listener.dns_name}:{listener.port} ({listener.protocol}, {listener.action}): not emulated", ""]
            continue
        bind = f"    bind {listener.address}:{listener.port}"
        if listener.ends_tls:
            bind += f" ssl crt {certificates[listener.key]}"
        lines += [f"frontend {listener.key}", bind, f"    mode {mode}"]
        if mode == "http":
            lines += ["    option forwardfor",
                      f"    http-request set-header X-Forwarded-Proto {'https' if listener.ends_tls else 'http'}",
                      f"    http-request set-header X-Forwarded-Port {listener.port}"]
        lines += [f"    default_backend {listener.target_group.name}", ""]
        backends[listener.target_group.name] = listener.target_group
    for group in backends.values():
        lines += _backend(group)
    return "\n".join(lines) + "\n"


def _backend(group: TargetGroup) -> list[str]:
    mode = FORWARDING_PROTOCOLS[group.protocol]
    health = group.health_check
    lines = [f"backend {group.name}", f"    mode {mode}", f"    balance {'source' if group.sticky_by_source else 'roundrobin'}",
             f"    timeout check {health.timeout}s"]
    if health.protocol in ("HTTP", "HTTPS"):
        lines += [f"    option httpchk GET {health.path}", f"    http-check expect rstatus {status_matcher(health.matcher)}"]
    check = f"check inter {health.interval}s rise {health.healthy_threshold} fall {health.unhealthy_threshold}"
    if health.port != "traffic-port":
        check += f" port {health.port}"
    if health.protocol == "HTTPS":
        check += " check-ssl"
    tls = " ssl verify none" if group.protocol in ("HTTPS", "TLS") else ""
    lines.append(f"    default-server {check}{tls}")
    lines += [f"    server {target.instance_id} {target.address}:{target.port}" for target in group.targets]
    return [*lines, ""]


def target_health(show_stat: str) -> list[TargetHealth]:
    """The targets' health from HAProxy's ``show stat``, in the load balancers' words: healthy
    (HAProxy's UP), unhealthy (DOWN after checks failed) or initial (no check finished yet)."""
    rows = csv.DictReader(io.StringIO(show_stat.lstrip("# ")))
    found = []
    for row in rows:
        if row.get("svname") in (None, "FRONTEND", "BACKEND"):
            continue
        status, check, code, detail = row["status"], row.get("check_status", ""), row.get("check_code", ""), ""
        if check in ("", "INI"):
            state = "initial"
        elif status.startswith("UP"):
            state = "healthy"
        else:
            state = "unhealthy"
        if check not in ("", "INI"):
            detail = f"{check}{' ' + code if code else ''}".strip()
            if row.get("last_chk"):
                detail += f": {row['last_chk']}"
        found.append(TargetHealth(row["pxname"], row["svname"], row.get("addr", ""), state, detail))
    return found


def with_hosts_block(text: str, owner: str, entries: dict[str, str]) -> str:
    """The hosts file ``text`` with ``owner``'s block holding ``entries`` (name: address); no
    block when there are no entries. Other lines and other owners' blocks are kept."""
    begin, end = f"# >>> {owner} (written by the dataplatform sandbox)", f"# <<< {owner}"
    kept, inside = [], False
    for line in text.splitlines():
        if line == begin:
            inside = True
        elif inside and line == end:
            inside = False
        elif not inside:
            kept.append(line)
    if entries:
        kept += [begin, *(f"{address} {name}" for name, address in sorted(entries.items())), end]
    return "\n".join(kept) + "\n" if kept else ""


# --- the running stand-in -----------------------------------------------------------------

class LoadBalancerError(RuntimeError):
    pass


@dataclass
class LoadBalancerStandIn:
    """HAProxy for one sandbox: its configuration, certificates, pid file and stats socket live in
    ``folder``; its names in the hosts file block called ``owner``."""

    folder: Path
    owner: str
    listeners: list[Listener] = field(default_factory=list)

    @property
    def configuration_file(self) -> Path:
        return self.folder / "haproxy.cfg"

    @property
    def pid_file(self) -> Path:
        return self.folder / "haproxy.pid"

    @property
    def stats_socket(self) -> Path:
        return self.folder / "haproxy.sock"

    @property
    def ca_file(self) -> Path:
        """The private CA of the listeners' certificates, for clients to trust."""
        return self.folder / "ca.pem"

    @staticmethod
    def hosts_file() -> Path:
        return Path(os.environ.get(HOSTS_FILE_VARIABLE, "/etc/hosts"))

    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().split()[0])
            os.kill(pid, 0)
            return pid
        except (FileNotFoundError, IndexError, ValueError, ProcessLookupError, PermissionError):
            return None

    def configure(self, elbv2, ec2, autoscaling, acm, aliases: dict[str, list[str]] | None = None) -> list[Listener]:
        """Reads the load balancers, writes HAProxy's configuration and certificates, starts or
        reloads HAProxy, and points the load balancers' names at it, with ``aliases`` (load
        balancer DNS name: other names, as DNS records an account points at it)."""
        self.listeners = read_listeners(elbv2, ec2, autoscaling, self.owner)
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        certificates = {listener.key: self._certificate_file(acm, listener)
                        for listener in self.listeners if listener.ends_tls and listener.target_group}
        self.configuration_file.write_text(haproxy_configuration(self.listeners, certificates, self.stats_socket))
        checked = subprocess.run(["haproxy", "-c", "-q", "-f", str(self.configuration_file)],
                                 capture_output=True, text=True, check=False)
        if checked.returncode != 0:
            raise LoadBalancerError(f"HAProxy refused {self.configuration_file}: {checked.stderr.strip()}")
        command = ["haproxy", "-D", "-f", str(self.configuration_file), "-p", str(self.pid_file)]
        running = self.pid()
        if running:
            command += ["-sf", str(running)]  # a reload: the old process hands over and finishes
        started = subprocess.run(command, capture_output=True, text=True, check=False)
        if started.returncode != 0:
            raise LoadBalancerError(f"HAProxy did not start: {started.stderr.strip()} (is another program on "
                                    "one of the listeners' addresses?)")
        names = {listener.dns_name: listener.address for listener in self.listeners}
        for dns_name, others in (aliases or {}).items():
            names.update({other: names[dns_name] for other in others if dns_name in names})
        self._write_hosts(names)
        return self.listeners

    def _certificate_file(self, acm, listener: Listener) -> Path:
        from cryptography.hazmat.primitives.serialization import (
            Encoding, NoEncryption, PrivateFormat, load_pem_private_key)

        passphrase = secrets.token_hex(16).encode()
        exported = acm.export_certificate(CertificateArn=listener.certificate_arn, Passphrase=passphrase)
        key = load_pem_private_key(exported["PrivateKey"].encode(), passphrase).private_bytes(
            Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        chain = exported.get("CertificateChain", "").strip()
        path = self.folder / f"{listener.key}.pem"
        path.touch(mode=0o600)
        path.write_bytes(exported["Certificate"].strip().encode() + b"\n" + (chain.encode() + b"\n" if chain else b"")
                         + key)
        if chain:
            self.ca_file.write_text(chain + "\n")
        return path

    def _write_hosts(self, entries: dict[str, str]) -> None:
        path = self.hosts_file()
        try:
            current = path.read_text() if path.exists() else ""
            updated = with_hosts_block(current, self.owner, entries)
            if updated != current:
                # In place, not by rename: /etc/hosts is often a bind mount.
                with open(path, "w") as hosts:
                    hosts.write(updated)
        except PermissionError:
            raise LoadBalancerError(f"cannot write {path} to resolve the load balancers' names; run as root, or set "
                                    f"{HOSTS_FILE_VARIABLE} to a hosts file this user may write") from None

    def health(self, timeout: float = 5) -> list[TargetHealth]:
        if not self.stats_socket.exists():
            return []
        with socket.socket(socket.AF_UNIX) as connection:
            connection.settimeout(timeout)
            connection.connect(str(self.stats_socket))
            connection.sendall(b"show stat\n")
            answer = b""
            while chunk := connection.recv(65536):
                answer += chunk
        return target_health(answer.decode())

    def wait_for_first_checks(self, timeout: float) -> list[TargetHealth]:
        """The targets' health once each has been checked at least once (or at ``timeout``)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.health()
            if all(item.state != "initial" for item in found) or time.monotonic() > deadline:
                return found
            time.sleep(0.5)

    def stop(self) -> None:
        pid = self.pid()
        if pid:
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while self.pid() and time.monotonic() < deadline:
                time.sleep(0.1)
        self.pid_file.unlink(missing_ok=True)
        try:
            self._write_hosts({})
        except LoadBalancerError:
            pass  # nothing was written for a user who may not write the hosts file
