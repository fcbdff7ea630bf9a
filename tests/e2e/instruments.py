"""The e2e tier's instruments: the sandbox's hosts and files read through podman, playbooks run
as a user runs them, NiFi's REST API called as a user (a client certificate, a node's address with
its DNS name for TLS), and client certificates of the platform's CA or of none. Shared by the
tier's modules (tests/e2e/conftest.py makes the one sandbox they share)."""


import datetime
import http.client
import json
import os
import re
import socket
import ssl
import subprocess
import time
import urllib.error
from decimal import Decimal
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from sandbox import ingest
from sandbox.sandbox import ROOT, Sandbox
from sandbox.podman_hosts import podman

NIFI_CONF = "/opt/nifi/nifi-2.3.0/conf"
NIFI_PKI = "/etc/dataplatform/pki/nifi"
RECAP_LINE = re.compile(r"^\s*(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)
ADMIN = "CN=admin, OU=Operations, O=Platform"
# Query APIs by name; S3 requests are recorded by method ("GET /bucket"). AssumeRole makes the
# converge's session of the automation role, not a change to the account.
READ_ONLY_ACTION = re.compile(r"^(Describe|Get|List|Head|GET |HEAD |AssumeRole$)")
# Files the nifi role manages on a node (their checksums must not move when another node joins);
# users.xml and authorizations.xml are NiFi's own once it runs.
NIFI_MANAGED_FILES = [f"{NIFI_CONF}/{name}" for name in ("nifi.properties", "java.args", "logback.xml", "zookeeper.properties",
                                                         "state-management.xml", "authorizers.xml")] + [
    f"{NIFI_PKI}/{name}" for name in ("cert.pem", "chain.pem", "keystore.p12", "truststore.p12")]
AIRFLOW_COMPONENTS = ("metadatabase", "scheduler", "triggerer", "dag_processor")
AIRFLOW_UNITS = ("airflow-api-server", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer")


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


def hosts_of(sandbox: Sandbox, role: str) -> list[dict]:
    return [instance for instance in sandbox.instances() if instance["role"] == role]


def read_file(container: str, path: str) -> str:
    return podman("exec", container, "cat", path).stdout


def ssh_run(sandbox: Sandbox, address: str, *command: str, options: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """A command on a host over SSH, with the login material the converge uses (ssh -F <dir>/config)."""
    return subprocess.run(["ssh", "-F", str(sandbox.ssh_dir / "config"), "-o", "BatchMode=yes", "-o", "ConnectTimeout=10",
                           *options, address, *command], capture_output=True, text=True, timeout=120)


def checksums(container: str, paths: list[str]) -> dict[str, str]:
    result = podman("exec", container, "sha256sum", *paths)
    return {line.split()[1]: line.split()[0] for line in result.stdout.splitlines()}


# --- NiFi's REST API, as a user calls it ------------------------------------------------------

class _NodeConnection(http.client.HTTPSConnection):
    """HTTPS to ``address`` with ``server_name`` for SNI, the certificate check and the Host header:
    a node's private DNS name does not resolve on this machine (it does inside the VPC)."""

    def __init__(self, address: str, server_name: str, context: ssl.SSLContext):
        super().__init__(server_name, 8443, context=context, timeout=60)
        self._address = address

    def connect(self):
        plain = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(plain, server_hostname=self.host)


def nifi(context: ssl.SSLContext, address: str, server_name: str, path: str, method: str = "GET",
         body: dict | None = None) -> tuple[int, dict | str]:
    """NiFi's answer to ``method`` ``/nifi-api<path>`` on ``address``: (status, JSON or text)."""
    connection = _NodeConnection(address, server_name, context)
    try:
        data = json.dumps(body).encode() if body is not None else None
        connection.request(method, f"/nifi-api{path}", body=data,
                           headers={"Content-Type": "application/json", "Accept": "application/json"})
        response = connection.getresponse()
        text = response.read().decode()
    finally:
        connection.close()
    try:
        return response.status, json.loads(text)
    except ValueError:
        return response.status, text


def identity_on(context: ssl.SSLContext, address: str, server_name: str) -> str | None:
    """The identity NiFi gives the client (``/flow/current-user``), None when it refuses it: the TLS
    handshake fails, or NiFi answers without letting the client in."""
    try:
        status, answer = nifi(context, address, server_name, "/flow/current-user")
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
        return None
    return answer.get("identity") if status == 200 and isinstance(answer, dict) else None


def cluster_nodes(context: ssl.SSLContext, address: str, server_name: str) -> dict[str, str]:
    """``{node address: status}`` of ``GET /controller/cluster``."""
    status, answer = nifi(context, address, server_name, "/controller/cluster")
    assert status == 200, answer
    return {node["address"]: node["status"] for node in answer["cluster"]["nodes"]}


def nifi_pids(nodes: list[dict]) -> dict[str, str]:
    """The main process id of each node's NiFi unit: it changes exactly when NiFi restarted."""
    return {node["instance_id"]: podman("exec", node["container"], "systemctl", "show", "--property", "ExecMainPID",
                                        "--value", "nifi").stdout.strip() for node in nodes}


def admin_context(sandbox: Sandbox, folder: Path) -> ssl.SSLContext:
    return bundle_context(sandbox, "admin", platform_ca(sandbox), folder)


def platform_ca(sandbox: Sandbox) -> str:
    return read_file(hosts_of(sandbox, "nifi")[0]["container"], f"{NIFI_PKI}/chain.pem")


def client_context(ca_pem: str, certificate_pem: bytes | None = None, key_pem: bytes | None = None,
                   folder: Path | None = None) -> ssl.SSLContext:
    return ingest.pem_context(certificate_pem, key_pem, ca_pem, folder)


def bundle_context(sandbox: Sandbox, user: str, ca_pem: str, folder: Path) -> ssl.SSLContext:
    bundle, password = sandbox.user_bundle(user)
    key, certificate, _ = pkcs12.load_key_and_certificates(bundle.read_bytes(), password.read_bytes())
    return client_context(ca_pem, certificate.public_bytes(Encoding.PEM),
                          key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()), folder)


def foreign_certificate(common_name: str) -> tuple[bytes, bytes]:
    """A client certificate with a platform user's subject, self-signed: from no CA the nodes trust."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Platform"),
                         x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Operations"),
                         x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
                   .sign(key, hashes.SHA256()))
    return certificate.public_bytes(Encoding.PEM), key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())


# --- the lake, as its readers see it ---------------------------------------------------------

def parquet_rows(s3, bucket: str, prefix: str, folder: Path) -> list[dict]:
    """The rows of the Parquet files under ``prefix``, read with a local Spark from a download
    (partition columns from the folder names, as every reader of the table sees them)."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    for entry in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []):
        target = folder / entry["Key"]
        target.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(bucket, entry["Key"], str(target))
    spark = (SparkSession.builder.master("local[1]").appName("e2e-reader").config("spark.ui.enabled", "false")
             .config("spark.sql.session.timeZone", "UTC")
             # Partition values as the catalog has them: strings, not inferred dates.
             .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false").getOrCreate())
    return [row.asDict() for row in spark.read.parquet(str(folder / prefix)).collect()]


def lake_tables(sandbox: Sandbox, document: dict, ingestion_date: datetime.date, folder: Path) -> dict:
    """Silver's rows of the date, gold's rows, the quarantine's records and the Glue partitions of both tables."""
    s3, glue = sandbox.client("s3"), sandbox.client("glue")
    silver, gold = document["buckets"]["silver"], document["buckets"]["gold"]
    quarantine = b"".join(s3.get_object(Bucket=silver, Key=entry["Key"])["Body"].read() for entry in s3.list_objects_v2(
        Bucket=silver, Prefix=f"_quarantine/orders/ingestion_date={ingestion_date}/").get("Contents", [])
        if not entry["Key"].endswith("_SUCCESS"))
    partitions = {table: sorted(tuple(partition["Values"]) for partition in glue.get_partitions(
        DatabaseName=database, TableName=table)["Partitions"])
        for table, database in (("orders", document["glue"]["silver_database"]),
                                ("daily_customer_totals", document["glue"]["gold_database"]))}
    return {"silver": parquet_rows(s3, silver, f"orders/ingestion_date={ingestion_date}/", folder / "silver"),
            "gold": parquet_rows(s3, gold, "daily_customer_totals/", folder / "gold"),
            "quarantine": [json.loads(line) for line in quarantine.decode().splitlines() if line.strip()],
            "partitions": partitions}


def daily_totals(orders: list[dict]) -> dict[tuple[str, str], tuple[int, Decimal]]:
    """What gold holds for the orders: ``{(customer_id, currency): (order count, total amount)}``."""
    totals = {}
    for order in orders:
        count, total = totals.get((order["customer_id"], order["currency"]), (0, 0))
        totals[(order["customer_id"], order["currency"])] = (count + 1, total + Decimal(order["amount"]))
    return totals


def alarm_notices(sandbox, alarm: dict, topic: str) -> list[dict]:
    """The alarm's notifications that reached the topic, in the server's request log: the emulation
    publishes them as cloudwatch.amazonaws.com, where the topic's and its key's policies allow it."""
    return [request for request in sandbox.moto().requests()
            if (request["service"], request["action"]) == ("sns", "Publish") and request.get("status") == 200
            and request.get("params", {}).get("TopicArn") == topic and request.get("source_arn") == alarm["AlarmArn"]]


def process_cpu_seconds(container: str, unit: str) -> float:
    """The CPU seconds (user and system) a unit's main process has used so far."""
    script = (f"pid=$(systemctl show -p MainPID --value {unit}); "
              "cut -d' ' -f14,15 /proc/$pid/stat")
    user, system = podman("exec", container, "sh", "-c", script).stdout.split()
    return (int(user) + int(system)) / 100


def settled(container: str, unit: str, below: float = 0.5, window: float = 15, timeout: float = 300) -> float:
    """Waits until the unit's process uses less than ``below`` of a core over ``window`` seconds (a
    JVM past its start-up), at most ``timeout`` seconds. Returns its last share of a core."""
    deadline = time.monotonic() + timeout
    while True:
        before = process_cpu_seconds(container, unit)
        time.sleep(window)
        share = (process_cpu_seconds(container, unit) - before) / window
        if share < below or time.monotonic() > deadline:
            return share


def until(action, timeout: float, interval: float = 3):
    """Calls ``action`` until it returns something true (a URL or connection error, or a missing key,
    counts as not yet), at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = action()
            if result:
                return result
        except (urllib.error.URLError, ConnectionError, KeyError):
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"not done within {timeout:.0f}s")
        time.sleep(interval)
