"""The orders pipeline in a running sandbox: orders posted to NiFi's ingest flow, which writes
them to bronze, then a run of the ``orders_pipeline`` DAG through Airflow's API, as users and the
scheduler run it.

The Spark jobs run for real: the sandbox's moto server runs each EMR Serverless job run on the
machine's Spark (emulator/emr_serverless.py, the switch ``DATAPLATFORM_EMR_SERVERLESS_LOCAL_SPARK``).

    python -m sandbox pipeline [--orders N] [--direct]

posts N sample orders (and one malformed record) through the load balancer's ingest listener with
the certificate of a user with the ingest role, waits until the flow has written them to bronze
under today's ingestion date (UTC), runs the DAG for that date (again, when it already ran), and
prints the time from the first POST to the run's success (benchmarks/ingest.py prints the same
for the 3-minute budget). ``--direct`` writes bronze itself instead, for the next ingestion date
the DAG has not run, as the Spark jobs' own tests do.
"""

from __future__ import annotations

import datetime
import json
import ssl
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass

from sandbox import ingest

DAG_ID = "orders_pipeline"
FINISHED = ("success", "failed")
CURRENCIES = ("EUR", "USD", "GBP")
# A line NiFi may well receive: not JSON at all. The Spark job quarantines it with its reason.
MALFORMED_RECORD = '{"order_id": "broken", "amount": '


def sample_orders(ingestion_date: datetime.date, count: int, batch: str = "") -> list[dict]:
    """``count`` distinct, valid orders of the day before ``ingestion_date``, over a few customers
    and currencies; a ``batch`` name gives them order and customer ids of their own."""
    day = ingestion_date - datetime.timedelta(days=1)
    return [{"order_id": f"{ingestion_date:%Y%m%d}-{batch}{number:05d}", "customer_id": f"c{batch}{number % 7}",
             "amount": f"{(number % 50) + 1}.{number % 100:02d}", "currency": CURRENCIES[number % len(CURRENCIES)],
             "ordered_at": f"{day.isoformat()}T{number % 24:02d}:{number % 60:02d}:00Z", "channel": "web"}
            for number in range(count)]


def bronze_key(ingestion_date: datetime.date) -> str:
    """Where the day's orders land in bronze (the Spark job's contract, spark/README.md)."""
    return f"orders/ingestion_date={ingestion_date.isoformat()}/nifi-{uuid.uuid4().hex}.json"


def land_in_bronze(s3, bucket: str, ingestion_date: datetime.date, orders: list[dict], malformed: list[str] = ()) -> str:
    """Writes the orders (and malformed lines) as one JSON-lines object of the day; returns its key."""
    key = bronze_key(ingestion_date)
    lines = [json.dumps(order) for order in orders] + list(malformed)
    s3.put_object(Bucket=bucket, Key=key, Body=("\n".join(lines) + "\n").encode())
    return key


@dataclass
class AirflowApi:
    """Airflow's REST API as users call it: through the load balancer's name, TLS checked against
    the platform's CA, with a token of the sandbox's admin user."""

    url: str
    ca_file: str
    token: str = ""

    @classmethod
    def of(cls, sandbox) -> "AirflowApi":
        api = cls(sandbox.airflow_url(sandbox.platform_document()), str(sandbox.load_balancers.ca_file))
        (host,) = [instance for instance in sandbox.instances() if instance["role"] == "airflow"]
        answer = subprocess.run(["ssh", "-F", str(sandbox.ssh_dir / "config"), "-o", "BatchMode=yes",
                                 host["private_ip_address"], "sudo", "cat", "/var/lib/airflow/simple-auth-manager-passwords.json"],
                                capture_output=True, text=True, timeout=120, check=True)
        password = json.loads(answer.stdout)["admin"]
        api.token = api.call("/auth/token", method="POST", body={"username": "admin", "password": password})["access_token"]
        return api

    def call(self, path: str, method: str = "GET", body: dict | None = None, unavailable_for: float = 180):
        """One API call. While the load balancer has no healthy api-server (502, 503 or 504: a host
        restarting, its health check not yet passed) or cannot be reached, it is tried again for up
        to ``unavailable_for`` seconds: the load balancer answered, Airflow never saw the request."""
        request = urllib.request.Request(f"{self.url}{path}", method=method,
                                         data=json.dumps(body).encode() if body is not None else None,
                                         headers={"Content-Type": "application/json",
                                                  **({"Authorization": f"Bearer {self.token}"} if self.token else {})})
        context = ssl.create_default_context(cafile=self.ca_file)
        deadline = time.monotonic() + unavailable_for
        while True:
            try:
                with urllib.request.urlopen(request, timeout=30, context=context) as response:  # noqa: S310 - the sandbox's load balancer
                    text = response.read()
                return json.loads(text) if text else None
            except urllib.error.HTTPError as error:
                if error.code not in (502, 503, 504) or time.monotonic() > deadline:
                    raise
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    raise
            time.sleep(3)

    def run_path(self, run_id: str) -> str:
        return f"/api/v2/dags/{DAG_ID}/dagRuns/{urllib.parse.quote(run_id, safe='')}"

    def dag(self, timeout: float = 180) -> dict:
        """The DAG, once Airflow has loaded it from the DAGs bucket (a new sandbox loads it within minutes)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.call(f"/api/v2/dags/{DAG_ID}")
            except urllib.error.HTTPError as error:
                if error.code != 404 or time.monotonic() > deadline:
                    raise
            time.sleep(3)

    def set_paused(self, paused: bool) -> None:
        self.call(f"/api/v2/dags/{DAG_ID}", method="PATCH", body={"is_paused": paused})

    def runs(self) -> list[dict]:
        return self.call(f"/api/v2/dags/{DAG_ID}/dagRuns?limit=100")["dag_runs"]

    def wait(self, run_id: str, timeout: float) -> dict:
        """The run once it has finished (success or failed)."""
        deadline = time.monotonic() + timeout
        while True:
            run = self.call(self.run_path(run_id))
            if run["state"] in FINISHED:
                return run
            if time.monotonic() > deadline:
                raise TimeoutError(f"{DAG_ID} run {run_id} still {run['state']} after {timeout:.0f}s")
            time.sleep(2)

    def task_instances(self, run_id: str) -> list[dict]:
        return self.call(f"{self.run_path(run_id)}/taskInstances")["task_instances"]

    def clear(self, run_id: str) -> None:
        """Runs every task of the run again (Airflow's "Clear"), as an operator reruns an interval."""
        self.call(f"{self.run_path(run_id)}/clear", method="POST", body={"dry_run": False, "only_failed": False})


def next_run(api: AirflowApi) -> tuple[datetime.date, bool]:
    """The ingestion date of the DAG's next run and whether the scheduler starts it as soon as the
    DAG is unpaused (its interval is over); otherwise the caller triggers a run for a past date."""
    dag = api.dag()
    logical = dag.get("next_dagrun_logical_date")
    # When the scheduler may start it: its interval's end for a schedule like @daily.
    run_after = dag.get("next_dagrun_run_after") or dag.get("next_dagrun_data_interval_end")
    now = datetime.datetime.now(datetime.timezone.utc)
    if logical and run_after and datetime.datetime.fromisoformat(run_after.replace("Z", "+00:00")) <= now:
        return datetime.date.fromisoformat(logical[:10]), True
    taken = {run["logical_date"][:10] for run in api.runs() if run.get("logical_date")}
    day = now.date() - datetime.timedelta(days=30)
    while day.isoformat() in taken:
        day -= datetime.timedelta(days=1)
    return day, False


def run_for(api: AirflowApi, ingestion_date: datetime.date, scheduled: bool, timeout: float = 600) -> dict:
    """Unpauses the DAG and returns its finished run for the date: the scheduler's run when
    ``scheduled``, else one triggered for that logical date. The DAG is paused again afterwards."""
    api.set_paused(False)
    try:
        if scheduled:
            deadline = time.monotonic() + 120
            while True:
                found = [run for run in api.runs() if (run.get("logical_date") or "")[:10] == ingestion_date.isoformat()]
                if found:
                    run_id = found[0]["dag_run_id"]
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the scheduler made no {DAG_ID} run for {ingestion_date} within 120s")
                time.sleep(2)
        else:
            run_id = api.call(f"/api/v2/dags/{DAG_ID}/dagRuns", method="POST", body={
                "logical_date": f"{ingestion_date.isoformat()}T00:00:00Z", "conf": {}})["dag_run_id"]
        return api.wait(run_id, timeout)
    finally:
        api.set_paused(True)


def release_empty_days(api: AirflowApi, has_partition, keep: datetime.date) -> list[str]:
    """Marks failed the unfinished runs of other days whose bronze partition is empty: unpausing
    the DAG makes the scheduler start the last whole day's run, whose sensor would wait hours for
    data no one sends in the sandbox while holding the DAG's one active run. Their ids."""
    released = []
    for run in api.runs():
        day = (run.get("logical_date") or "")[:10]
        if run["state"] in ("queued", "running") and day and day != keep.isoformat() and not has_partition(day):
            api.call(api.run_path(run["dag_run_id"]), method="PATCH", body={"state": "failed"})
            released.append(run["dag_run_id"])
    return released


def run_again_or_trigger(api: AirflowApi, ingestion_date: datetime.date, has_partition, timeout: float = 600) -> dict:
    """The finished run for the date: the existing one cleared and run again (more records came
    in for it), else one triggered for that logical date. The DAG is paused again afterwards."""
    existing = [run for run in api.runs() if (run.get("logical_date") or "")[:10] == ingestion_date.isoformat()]
    api.set_paused(False)
    try:
        if existing:
            run_id = existing[0]["dag_run_id"]
            api.clear(run_id)
        else:
            run_id = api.call(f"/api/v2/dags/{DAG_ID}/dagRuns", method="POST", body={
                "logical_date": f"{ingestion_date.isoformat()}T00:00:00Z", "conf": {}})["dag_run_id"]
        deadline = time.monotonic() + timeout
        while (run := api.call(api.run_path(run_id)))["state"] not in FINISHED:
            if run["state"] == "queued":
                release_empty_days(api, has_partition, ingestion_date)
            if time.monotonic() > deadline:
                raise TimeoutError(f"{DAG_ID} run {run_id} still {run['state']} after {timeout:.0f}s")
            time.sleep(2)
        return run
    finally:
        api.set_paused(True)


def bronze_has_partition(sandbox):
    """``has_partition(day)``: whether bronze holds an object of that ingestion date."""
    s3, bucket = sandbox.client("s3"), sandbox.platform_document()["buckets"]["bronze"]
    return lambda day: bool(s3.list_objects_v2(Bucket=bucket, Prefix=f"orders/ingestion_date={day}/", MaxKeys=1).get("KeyCount"))


def ingest_through_nifi(sandbox, orders: list[dict], malformed: list[str], folder) -> tuple[datetime.date, dict]:
    """Posts the records to the ingest flow as the first user with the ingest role; the ingestion
    date NiFi stamped (today, UTC) and bronze's objects once every record is in one."""
    document = sandbox.platform_document()
    users = ingest.ingest_users(sandbox)
    if not users:
        raise RuntimeError("no user has a certificate with the ingest role (cert-requests/local/, roles: [ingest])")
    context = ingest.client_context(sandbox, users[0], folder)
    lines = ingest.order_lines(orders, malformed)
    ingest.post_records(ingest.ingest_url(document), context, lines)
    ingestion_date = datetime.datetime.now(datetime.timezone.utc).date()
    objects = ingest.wait_in_bronze(sandbox.client("s3"), document["buckets"]["bronze"],
                                    f"orders/ingestion_date={ingestion_date.isoformat()}/", lines)
    return ingestion_date, objects


def main(sandbox, orders: int, direct: bool = False) -> int:
    document = sandbox.platform_document()
    api = AirflowApi.of(sandbox)
    started = time.monotonic()
    if direct:
        ingestion_date, scheduled = next_run(api)
        land_in_bronze(sandbox.client("s3"), document["buckets"]["bronze"], ingestion_date,
                       sample_orders(ingestion_date, orders), [MALFORMED_RECORD])
        run = run_for(api, ingestion_date, scheduled)
        how = "written to bronze directly, " + ("scheduled" if scheduled else "triggered")
    else:
        today = datetime.datetime.now(datetime.timezone.utc).date()
        ingestion_date, _ = ingest_through_nifi(sandbox, sample_orders(today, orders, uuid.uuid4().hex[:6]),
                                                [MALFORMED_RECORD], sandbox.state_dir / "users")
        landed = time.monotonic() - started
        print(f"posted through {document['nifi']['ingest_url']}: in bronze after {landed:.0f}s", flush=True)
        run = run_again_or_trigger(api, ingestion_date, bronze_has_partition(sandbox))
        how = "posted to NiFi's ingest flow"
    seconds = time.monotonic() - started
    print(f"{DAG_ID} for {ingestion_date} ({how}, {orders} orders and one malformed record): "
          f"{run['state']} {seconds:.0f}s after the start")
    for task in api.task_instances(run["dag_run_id"]):
        print(f"  {task['task_id']:<28} {task['state']:<8} try {task['try_number']}  {task.get('duration') or 0:.1f}s")
    return 0 if run["state"] == "success" else 1
