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

import os
import secrets
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, load_pem_private_key

from sandbox import accounts
from sandbox.haproxy import haproxy_configuration, target_health
from sandbox.load_balancer_model import Listener, TargetHealth, read_listeners
from sandbox.settings import SandboxError, Settings

HOSTS_FILE_VARIABLE = "SANDBOX_HOSTS_FILE"


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


# --- the sandbox's load balancers phase -------------------------------------------------------

def stand_in(sandbox: Settings) -> LoadBalancerStandIn:
    return LoadBalancerStandIn(sandbox.state_dir / "load-balancers", owner=sandbox.name)


def configure(sandbox: Settings, document: dict) -> None:
    """HAProxy from the load balancers' state; the Airflow load balancer also answers to the name
    of its certificate. Returns once every target has had its first health check."""
    balancers = stand_in(sandbox)
    try:
        clients = (accounts.client(sandbox, service) for service in ("elbv2", "ec2", "autoscaling", "acm"))
        airflow = document["airflow"]
        listeners = balancers.configure(*clients, aliases={airflow["alb_dns_name"]: [airflow["api_domain_name"]]})
    except LoadBalancerError as error:
        raise SandboxError(str(error)) from None
    checks = [listener.target_group.health_check for listener in listeners if listener.target_group]
    balancers.wait_for_first_checks(timeout=max((check.interval + check.timeout for check in checks), default=0) + 5)


def summary_lines(sandbox: Settings, document: dict) -> list[str]:
    """The load balancers' listeners and their targets' health, unhealthy targets named."""
    balancers = stand_in(sandbox)
    listeners = read_listeners(*(accounts.client(sandbox, service) for service in ("elbv2", "ec2", "autoscaling")),
                               sandbox.name)
    health = balancers.health() if balancers.pid() else []
    lines = ["", f"Load balancers (HAProxy stands in for them; their names resolve to it in {balancers.hosts_file()}):"]
    if not balancers.pid():
        lines.append("  not running (make sandbox starts it)")
    for listener in listeners:
        group = listener.target_group
        if group is None:
            lines.append(f"  {listener.dns_name}:{listener.port}  {listener.protocol}, {listener.action}: not emulated")
            continue
        states = [item for item in health if item.target_group == group.name]
        counts = ", ".join(f"{sum(item.state == state for item in states)} {state}"
                           for state in ("healthy", "unhealthy", "initial")
                           if any(item.state == state for item in states))
        lines.append(f"  {listener.dns_name}:{listener.port} ({listener.address})  {listener.protocol} -> "
                     f"{group.protocol} {group.port}, target group {group.name}: {counts or 'no targets'}")
        lines += [f"    unhealthy target {item.instance_id} {item.address}  {item.reason}"
                  for item in states if item.state == "unhealthy"]
    lines.append(f"  {document['airflow']['api_domain_name']} resolves to the Airflow load balancer too (the DNS "
                 "record an account points at it)")
    return lines
