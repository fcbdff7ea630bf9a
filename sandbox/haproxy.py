"""HAProxy's side of the load balancers' stand-in: its configuration from the listeners and target
groups, and the targets' health from its ``show stat``, in the load balancers' words."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sandbox.load_balancer_model import FORWARDING_PROTOCOLS, Listener, TargetGroup, TargetHealth, status_matcher

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


