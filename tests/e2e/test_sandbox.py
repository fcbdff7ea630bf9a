"""The sandbox end to end, the way a user runs it: ``make sandbox`` from nothing, converged again,
in check mode, with a user added and removed, scaled out, with a host stopped mid-run, and
``make sandbox-down``.

The tests share one sandbox and run in this order. It has a name, state folder and ports of its
own (SANDBOX_* settings), so a developer's ``make sandbox`` on the same machine is not touched,
except for the RDS stand-in's port, which is the RDS instance's (5432): only one sandbox at a
time can run Airflow. NiFi itself is not installed (its distribution cannot be downloaded here):
the TLS handshake is with a JVM serving the node's keystore and truststore from nifi.properties
(molecule/nifi/files/NiFiTlsProbe.java), not with NiFi.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import time
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, pkcs12

from sandbox.sandbox import ROOT, Sandbox
from tests.harness.moto_server import MotoServer, free_port, count_actions
from tests.harness.podman_hosts import podman, wait_booted

NIFI_CONF = "/opt/nifi/nifi-2.11.0/conf"
TLS_PROBE = ROOT / "molecule" / "nifi" / "files" / "NiFiTlsProbe.java"
RECAP_LINE = re.compile(r"^\s*(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)
# The NiFi policies of the viewer role that exist before NiFi wrote a flow (the root process
# group's policies need its id): nifi_roles in the nifi role's defaults.
VIEWER_POLICIES = {("/flow", "R"), ("/provenance", "R"), ("/system", "R"), ("/counters", "R")}
# Query APIs by name; S3 requests are recorded by method ("GET /bucket").
READ_ONLY_ACTION = re.compile(r"^(Describe|Get|List|Head|GET |HEAD )")


def report(capsys, *lines: str) -> None:
    with capsys.disabled():
        print("\n" + "\n".join(f"  [sandbox e2e] {line}" for line in lines))


def recap(output: str) -> dict[str, dict[str, int]]:
    """The play recap of an ansible-playbook run: ``{host: {ok, changed, unreachable, failed}}``."""
    recap_text = output.rpartition("PLAY RECAP")[2]
    return {
        host: {"ok": int(ok), "changed": int(changed), "unreachable": int(unreachable), "failed": int(failed)}
        for host, ok, changed, unreachable, failed in RECAP_LINE.findall(recap_text)
    }


def changed_tasks(output: str) -> list[str]:
    """The task headers followed by a ``changed:`` line, to say what changed when nothing should."""
    found, task = [], ""
    for line in output.splitlines():
        if line.startswith("TASK ["):
            task = line
        elif line.startswith("changed:"):
            found.append(f"{task} {line}")
    return found


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """The test's sandbox: settings of its own, removed at the end whatever happened."""
    name = f"dp-e2e-{uuid.uuid4().hex[:6]}"
    settings = {
        "SANDBOX_NAME": name,
        "SANDBOX_DIR": str(tmp_path_factory.mktemp("sandbox") / "state"),
        "SANDBOX_AWS_PORT": str(free_port()),
        "SANDBOX_AIRFLOW_PORT": str(free_port()),
    }
    instance = Sandbox(name=name, state_dir=Path(settings["SANDBOX_DIR"]), aws_port=int(settings["SANDBOX_AWS_PORT"]),
                       airflow_port=int(settings["SANDBOX_AIRFLOW_PORT"]))
    instance.make_env = {**os.environ, **settings}
    try:
        yield instance
    finally:
        subprocess.run(["make", "--no-print-directory", "sandbox-down"], cwd=ROOT, env=instance.make_env,
                       capture_output=True, timeout=300)


def make(sandbox: Sandbox, target: str, *args: str, timeout: float = 3600) -> subprocess.CompletedProcess:
    result = subprocess.run(["make", "--no-print-directory", target, *args], cwd=ROOT, env=sandbox.make_env,
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"make {target} failed:\n{result.stdout[-8000:]}\n{result.stderr[-8000:]}"
    return result


def playbook(sandbox: Sandbox, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(["ansible-playbook", *args], cwd=ROOT, env=sandbox.environment(),
                            capture_output=True, text=True, timeout=3600)
    if check:
        assert result.returncode == 0, f"ansible-playbook {' '.join(args)} failed:\n{result.stdout[-12000:]}\n{result.stderr[-4000:]}"
    return result


def site(sandbox: Sandbox, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return playbook(sandbox, "site.yml", "-i", "inventories/local", *args, check=check)


def nifi_hosts(sandbox: Sandbox) -> list[dict]:
    return [instance for instance in sandbox.instances() if instance["role"] == "nifi"]


def read_file(container: str, path: str) -> str:
    return podman("exec", container, "cat", path).stdout


def user_policies(container: str, identity: str) -> set[tuple[str, str]] | None:
    """The (resource, action) policies that hold ``identity`` on a node, itself or through one of
    its groups (the role's groups); None when it is no user of the node."""
    tenants = ET.fromstring(read_file(container, f"{NIFI_CONF}/users.xml"))
    users = [user.get("identifier") for user in tenants.iter("user") if user.get("identity") == identity]
    if not users:
        return None
    holders = {users[0]} | {
        group.get("identifier") for group in tenants.iter("group")
        if any(member.get("identifier") == users[0] for member in group.iter("user"))
    }
    authorizations = ET.fromstring(read_file(container, f"{NIFI_CONF}/authorizations.xml"))
    return {
        (policy.get("resource"), policy.get("action"))
        for policy in authorizations.iter("policy")
        if any(holder.get("identifier") in holders for holder in [*policy.iter("user"), *policy.iter("group")])
    }


def moto_server(sandbox: Sandbox) -> MotoServer:
    """The sandbox's running moto server, to read and clear its request log."""
    return MotoServer(port=sandbox.aws_port)


def test_make_sandbox_from_nothing(sandbox, capsys):
    started = time.monotonic()
    result = make(sandbox, "sandbox")
    sandbox.first_converge_seconds = time.monotonic() - started
    output = result.stdout
    phases = re.findall(r"^\[sandbox\] (.+): (\d+\.\d)s$", output, re.M)
    report(capsys, f"make sandbox from nothing: {sandbox.first_converge_seconds:.0f}s",
           *(f"  {name}: {seconds}s" for name, seconds in phases))
    assert [name for name, _ in phases][:5] == [
        f"moto server on {sandbox.endpoint}", "terraform apply terraform/environments/local", "podman hosts",
        "RDS stand-in (PostgreSQL)", "ansible-playbook site.yml -i inventories/local"]
    hosts = recap(output)
    instances = sandbox.instances()
    assert sorted(hosts) == sorted(["localhost", *(instance["instance_id"] for instance in instances)])
    assert all(counts["failed"] == 0 and counts["unreachable"] == 0 for counts in hosts.values()), hosts
    assert sorted(instance["role"] for instance in instances) == ["airflow", "nifi", "nifi", "nifi"]
    # The summary: every host with its role and lifecycle state, the endpoints, the users, the stand-ins.
    for instance in instances:
        assert re.search(rf"{instance['role']}\s+InService\s+{instance['instance_id']}\s+{re.escape(instance['private_dns_name'])}", output)
        if instance["role"] == "nifi":
            assert f"https://{instance['private_dns_name']}:8443/nifi" in output
    assert f"api-server     {sandbox.airflow_url}" in output
    assert re.search(r"^  admin\s+CN=admin, OU=Operations, O=Platform", output, re.M)
    assert "python -m sandbox user-bundle <user>" in output
    for stand_in in ("the moto server on", "podman containers (Debian 13, systemd)", "PostgreSQL in the container",
                     "NiFi           not installed"):
        assert stand_in in output
    # Airflow really serves its API on the loopback port.
    with urllib.request.urlopen(f"{sandbox.airflow_url}/api/v2/monitor/health", timeout=10) as response:  # noqa: S310
        health = json.load(response)
    components = ("metadatabase", "scheduler", "triggerer", "dag_processor")
    assert all(health.get(component, {}).get("status") == "healthy" for component in components), health


def test_second_converge_changes_nothing(sandbox, capsys):
    started = time.monotonic()
    result = site(sandbox)
    sandbox.noop_converge_seconds = time.monotonic() - started
    report(capsys, f"site.yml again: {sandbox.noop_converge_seconds:.0f}s")
    hosts = recap(result.stdout)
    assert hosts and all(counts["changed"] == 0 for counts in hosts.values()), (hosts, changed_tasks(result.stdout))


def test_check_diff_changes_nothing_and_calls_no_mutating_api(sandbox):
    moto_server(sandbox).clear_requests()
    result = site(sandbox, "--check", "--diff")
    hosts = recap(result.stdout)
    assert hosts and all(counts["changed"] == 0 for counts in hosts.values()), (hosts, changed_tasks(result.stdout))
    actions = set(count_actions(moto_server(sandbox).requests()))
    assert actions, "the check run made no AWS request at all"
    mutating = sorted(action for action in actions if not READ_ONLY_ACTION.match(action.partition(":")[2]))
    assert not mutating, mutating


def _client_context(sandbox: Sandbox, user: str, ca_pem: str, tmp_path: Path) -> ssl.SSLContext:
    bundle, password = sandbox.user_bundle(user)
    key, certificate, _ = pkcs12.load_key_and_certificates(bundle.read_bytes(), password.read_bytes())
    pem = tmp_path / f"{user}.pem"
    pem.touch(mode=0o600)
    pem.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()) + certificate.public_bytes(Encoding.PEM))
    context = ssl.create_default_context(cadata=ca_pem)
    context.load_cert_chain(pem)
    return context


def _handshake(context: ssl.SSLContext, address: str, server_name: str) -> str:
    """An HTTPS request to the probe on a NiFi host, the certificate checked against the host's
    private DNS name; the probe answers with the identity it took from the client certificate."""
    with socket.create_connection((address, 8443), timeout=15) as plain:
        with context.wrap_socket(plain, server_hostname=server_name) as tls:
            tls.sendall(f"GET / HTTP/1.1\r\nHost: {server_name}\r\nConnection: close\r\n\r\n".encode())
            chunks = []
            while chunk := tls.recv(65536):
                chunks.append(chunk)
    return b"".join(chunks).decode()


def test_user_added_then_removed(sandbox, tmp_path, capsys):
    requests_dir = tmp_path / "cert-requests"
    shutil.copytree(ROOT / "cert-requests", requests_dir)
    request = requests_dir / "local" / "carol.yaml"
    request.write_text("user: carol\nenv: local\n"
                       "subject: {common_name: carol, organizational_unit: Analytics, organization: Platform}\n"
                       "expiry_days: 30\nroles: [viewer]\n")
    identity = "CN=carol, OU=Analytics, O=Platform"
    variables = f"cert_requests_dir={requests_dir}"
    playbook(sandbox, "ansible/playbooks/user-certs.yml", "-i", "inventories/local", "-e", variables)
    playbook(sandbox, "ansible/playbooks/nifi.yml", "-i", "inventories/local", "-e", variables)

    nodes = nifi_hosts(sandbox)
    for node in nodes:
        assert user_policies(node["container"], identity) == VIEWER_POLICIES, node["instance_id"]

    # carol's PKCS#12 from Secrets Manager completes a TLS handshake with a NiFi host.
    node = nodes[0]
    podman("cp", str(TLS_PROBE), f"{node['container']}:/root/NiFiTlsProbe.java")
    podman("exec", node["container"], "systemd-run", "--unit", "nifi-tls-probe", "--collect",
           "java", "/root/NiFiTlsProbe.java", f"{NIFI_CONF}/nifi.properties")
    try:
        address = sandbox.container_address(node["container"])
        context = _client_context(sandbox, "carol", read_file(node["container"], "/etc/dataplatform/pki/nifi/chain.pem"), tmp_path)
        deadline = time.monotonic() + 90
        while True:
            try:
                answer = _handshake(context, address, node["private_dns_name"])
                break
            except (ConnectionRefusedError, OSError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)
    finally:
        podman("exec", node["container"], "systemctl", "stop", "nifi-tls-probe", check=False)
    report(capsys, f"carol's handshake with {node['private_dns_name']} ({address}): "
           + " ".join(line for line in answer.splitlines() if line.startswith("identity=")))
    assert f"identity={identity}" in answer.splitlines()

    # Removed again: revoked at the CA, the secret gone, the identity gone from every node.
    request.unlink()
    moto_server(sandbox).clear_requests()
    playbook(sandbox, "ansible/playbooks/user-certs.yml", "-i", "inventories/local", "-e", variables)
    actions = count_actions(moto_server(sandbox).requests())
    assert "acm-pca:RevokeCertificate" in actions, actions
    assert "carol" not in [entry["user"] for entry in sandbox.user_secrets()]
    playbook(sandbox, "ansible/playbooks/nifi.yml", "-i", "inventories/local", "-e", variables)
    for node in nodes:
        assert user_policies(node["container"], identity) is None, node["instance_id"]


def test_nifi_scaled_from_three_to_four(sandbox, capsys):
    before = {node["instance_id"] for node in nifi_hosts(sandbox)}
    make(sandbox, "sandbox", "SANDBOX_ARGS=--var nifi_desired_capacity=4 --no-converge")
    after = {node["instance_id"] for node in nifi_hosts(sandbox)}
    assert before < after and len(after) == 4
    (new,) = after - before
    started = time.monotonic()
    limited = recap(site(sandbox, "--limit", new).stdout)
    report(capsys, f"the new NiFi host {new} converged alone in {time.monotonic() - started:.0f}s")
    assert set(limited) == {new}, limited
    assert limited[new]["failed"] == 0 and limited[new]["changed"] > 0
    result = site(sandbox)
    hosts = recap(result.stdout)
    others = {host: counts for host, counts in hosts.items() if host != new}
    assert others and all(counts["changed"] == 0 for counts in others.values()), (others, changed_tasks(result.stdout))
    assert hosts[new]["failed"] == 0


def test_host_stopped_mid_run_fails_alone(sandbox, capsys):
    nodes = nifi_hosts(sandbox)
    victim = nodes[-1]
    # Something for the rerun to put back on the stopped host.
    podman("exec", victim["container"], "rm", f"{NIFI_CONF}/zookeeper.properties")
    process = subprocess.Popen(["ansible-playbook", "site.yml", "-i", "inventories/local"], cwd=ROOT,
                               env=sandbox.environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output, stopped = [], False
    for line in process.stdout:
        output.append(line)
        # Once the NiFi play has read the cluster's state and moved on to the node's TLS material.
        if not stopped and line.startswith("TASK [") and "Write bootstrap.conf" in line:
            podman("stop", "--time", "2", victim["container"])
            stopped = True
    process.wait(timeout=3600)
    hosts = recap("".join(output))
    assert stopped, "the run never reached the NiFi configuration"
    assert process.returncode != 0
    assert hosts[victim["instance_id"]]["unreachable"] + hosts[victim["instance_id"]]["failed"] > 0, hosts
    others = {host: counts for host, counts in hosts.items() if host != victim["instance_id"]}
    assert all(counts["unreachable"] == 0 and counts["failed"] == 0 for counts in others.values()), others

    podman("start", victim["container"])
    wait_booted([victim["container"]])
    rerun = recap(site(sandbox).stdout)
    report(capsys, f"stopped {victim['instance_id']} mid-run; rerun: {rerun[victim['instance_id']]}")
    assert rerun[victim["instance_id"]]["changed"] > 0
    assert podman("exec", victim["container"], "test", "-s", f"{NIFI_CONF}/zookeeper.properties", check=False).returncode == 0


def test_make_sandbox_down_leaves_nothing(sandbox):
    moto_pid = sandbox.moto_pid()
    assert moto_pid
    make(sandbox, "sandbox-down")
    assert podman("ps", "--all", "--quiet", "--filter", f"label={sandbox.label}").stdout.strip() == ""
    assert podman("network", "exists", sandbox.network, check=False).returncode != 0
    assert not sandbox.state_dir.exists()
    assert not Path(f"/proc/{moto_pid}").exists()
    assert not sandbox.moto_answers()
