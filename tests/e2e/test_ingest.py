"""The ingest flow end to end, on the e2e tier's sandbox (tests/e2e/conftest.py), after the
sandbox's own tests and before those that scale or stop it: records posted to NiFi's ingest
listener through the load balancer's name with a user's client certificate land in bronze and
reach silver and gold; every other client is refused and nothing of theirs lands; nothing is lost
while S3 refuses the writes; a changed flow definition is applied in place by a converge.

The instruments: HTTPS to the listener as the clients themselves, NiFi's REST API as the sandbox's
admin, S3 and IAM as the account's administrator (the deny a test puts on the NiFi hosts' role).
"""

from __future__ import annotations

import copy
import datetime
import http.client
import json
import ssl
import time
import urllib.error
import uuid
from pathlib import Path

import pytest

from sandbox import ingest, pipeline
from sandbox.sandbox import ROOT, Sandbox
from tests.e2e.instruments import (admin_context, daily_totals, foreign_certificate, hosts_of, lake_tables, nifi,
                                   nifi_pids, platform_ca, playbook, recap)

pytestmark = pytest.mark.sandbox_phase(1)

INGEST_USER = "orders-feed"
NIFI_HOST_ROLE = "dataplatform-local-nifi-host"
FLOW_DEFINITION = ROOT / "collections/ansible_collections/dataplatform/ops/roles/nifi/files/flows/orders-ingest.json"
BUDGET_SECONDS = 180


def today() -> datetime.date:
    return datetime.datetime.now(datetime.timezone.utc).date()


def marked_orders(kind: str, count: int) -> list[str]:
    """JSON lines of ``count`` valid orders whose ids say which client sent them."""
    tag = f"{kind}-{uuid.uuid4().hex[:6]}-"
    return ingest.order_lines(pipeline.sample_orders(today(), count, tag))


def bronze_of_today(sandbox: Sandbox) -> dict[str, list[str]]:
    document = sandbox.platform_document()
    return ingest.bronze_lines(sandbox.client("s3"), document["buckets"]["bronze"], f"orders/ingestion_date={today()}/")


def flow_queues(sandbox: Sandbox, folder: Path) -> dict[str, int]:
    """FlowFiles queued in each connection of the ingest flow, over the cluster."""
    nlb = sandbox.platform_document()["nifi"]["nlb_dns_name"]
    admin = admin_context(sandbox, folder)
    status, root = nifi(admin, nlb, nlb, "/flow/process-groups/root")
    assert status == 200, root
    (group,) = [entity for entity in root["processGroupFlow"]["flow"]["processGroups"]
                if entity["component"]["name"] == "orders-ingest"]
    status, flow = nifi(admin, nlb, nlb, f"/flow/process-groups/{group['id']}")
    assert status == 200, flow
    return {connection["component"]["name"] or connection["id"]: connection["status"]["aggregateSnapshot"]["flowFilesQueued"]
            for connection in flow["processGroupFlow"]["flow"]["connections"]}


class BronzeRefusesWrites:
    """An explicit deny of s3:PutObject on the bronze bucket on the NiFi hosts' role, as an
    account's administrator would put it (the hosts' own credentials are refused from then on)."""

    def __init__(self, sandbox: Sandbox):
        self.iam = sandbox.client("iam")
        self.bucket = sandbox.platform_document()["buckets"]["bronze"]
        self.name = f"e2e-bronze-refuses-writes-{uuid.uuid4().hex[:6]}"

    def __enter__(self):
        self.iam.put_role_policy(RoleName=NIFI_HOST_ROLE, PolicyName=self.name, PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Deny", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{self.bucket}/*"}]}))
        return self

    def __exit__(self, *_):
        self.iam.delete_role_policy(RoleName=NIFI_HOST_ROLE, PolicyName=self.name)


def wait_for_retries(sandbox: Sandbox, folder: Path, timeout: float = 120) -> int:
    """The batches the writer holds for a retry (penalized in its queue, or in its retry loop),
    once there are some."""
    deadline = time.monotonic() + timeout
    while True:
        queues = flow_queues(sandbox, folder)
        waiting = queues.get("batches to write", 0) + queues.get("writes to retry", 0)
        if waiting or time.monotonic() > deadline:
            return waiting
        time.sleep(3)


def landed_once(sandbox: Sandbox, lines: list[str], timeout: float = 300) -> dict[str, int]:
    """Once every line is in bronze: how many times each is there."""
    document = sandbox.platform_document()
    objects = ingest.wait_in_bronze(sandbox.client("s3"), document["buckets"]["bronze"],
                                    f"orders/ingestion_date={today()}/", lines, timeout=timeout)
    counts = {line: 0 for line in lines}
    for found in objects.values():
        for line in found:
            if line in counts:
                counts[line] += 1
    return counts


# --- the tests, in order -------------------------------------------------------------------

def test_orders_posted_through_the_load_balancer_reach_silver_and_gold(sandbox, report, tmp_path):
    """40 orders and one malformed record, posted through the load balancer's ingest listener with
    the certificate of the user with the ingest role, are in bronze under today's ingestion date,
    then, after the DAG's run for that date, 40 rows in silver, the malformed record in the
    quarantine, the day's totals in gold and the Glue partitions registered, within the 3-minute
    budget from the first POST. Cleared and run again, the run changes nothing."""
    document = sandbox.platform_document()
    api = pipeline.AirflowApi.of(sandbox)
    batch = uuid.uuid4().hex[:6]
    orders = pipeline.sample_orders(today(), 40, batch)
    started = time.monotonic()
    ingestion_date, objects = pipeline.ingest_through_nifi(sandbox, orders, [pipeline.MALFORMED_RECORD], tmp_path / "users")
    landed = time.monotonic() - started
    assert all(key.startswith(f"orders/ingestion_date={ingestion_date}/") and key.endswith(".json") for key in objects), objects
    run = pipeline.run_again_or_trigger(api, ingestion_date, pipeline.bronze_has_partition(sandbox))
    seconds = time.monotonic() - started
    tasks = {task["task_id"]: task for task in api.task_instances(run["dag_run_id"])}
    assert run["state"] == "success", {task_id: task["state"] for task_id, task in tasks.items()}
    report(f"ingest to gold: 40 orders and one malformed record posted through {document['nifi']['ingest_url']}, "
           f"in bronze after {landed:.0f}s, the orders DAG's run done {seconds:.0f}s after the first POST "
           f"(budget {BUDGET_SECONDS}s)")
    assert seconds < BUDGET_SECONDS, f"{seconds:.0f}s from the first POST to gold, over the {BUDGET_SECONDS}s budget"

    ids = {order["order_id"] for order in orders}
    tables = lake_tables(sandbox, document, ingestion_date, tmp_path / "first")
    assert sorted(row["order_id"] for row in tables["silver"] if row["order_id"] in ids) == sorted(ids)
    assert pipeline.MALFORMED_RECORD in [record["record"] for record in tables["quarantine"]]
    order_date = str(ingestion_date - datetime.timedelta(days=1))
    expected = daily_totals(orders)
    gold = {(row["customer_id"], row["currency"]): (row["order_count"], row["total_amount"])
            for row in tables["gold"] if row["order_date"] == order_date and row["customer_id"].startswith(f"c{batch}")}
    assert gold == expected
    assert (str(ingestion_date),) in tables["partitions"]["orders"]
    assert (order_date,) in tables["partitions"]["daily_customer_totals"]

    rerun = pipeline.run_again_or_trigger(api, ingestion_date, pipeline.bronze_has_partition(sandbox))
    assert rerun["state"] == "success"
    again = lake_tables(sandbox, document, ingestion_date, tmp_path / "again")
    for name in ("silver", "gold"):
        assert sorted(map(repr, again[name])) == sorted(map(repr, tables[name])), name
    assert again["quarantine"] == tables["quarantine"] and again["partitions"] == tables["partitions"]


def refused(url: str, context: ssl.SSLContext, body: bytes) -> str:
    """How the listener refused the request: its HTTP status, or the TLS handshake that failed."""
    try:
        return f"HTTP {ingest.post(url, context, body, unavailable_for=0)}"
    except (ssl.SSLError, urllib.error.URLError, ConnectionError, http.client.RemoteDisconnected) as error:
        return f"TLS refused ({getattr(error, 'reason', error)})"


def test_clients_without_the_ingest_role_or_the_platforms_certificate_are_refused(sandbox, report, tmp_path):
    """No client certificate, a certificate of a CA the nodes do not trust (with a platform user's
    subject), and the platform's certificate of a user without the ingest role are refused; none of
    their records lands in bronze, while the ingest user's record sent after them does."""
    url = ingest.ingest_url(sandbox.platform_document())
    ca = platform_ca(sandbox)
    certificate, key = foreign_certificate(INGEST_USER)
    clients = {
        "no certificate": ingest.pem_context(None, None, ca, tmp_path),
        "a foreign CA's certificate": ingest.pem_context(certificate, key, ca, tmp_path),
        "the platform's certificate without the ingest role": ingest.client_context(sandbox, "admin", tmp_path),
    }
    sent, answers = [], {}
    for name, context in clients.items():
        lines = marked_orders("refused", 3)
        answers[name] = refused(url, context, ("\n".join(lines) + "\n").encode())
        sent += lines
    assert answers["the platform's certificate without the ingest role"] == "HTTP 403", answers
    assert all(answer.startswith("TLS refused") for name, answer in answers.items() if "without" not in name), answers

    control = marked_orders("allowed", 1)
    assert ingest.post(url, ingest.client_context(sandbox, INGEST_USER, tmp_path), (control[0] + "\n").encode()) == 200
    landed_once(sandbox, control)
    in_bronze = {line for found in bronze_of_today(sandbox).values() for line in found}
    assert not in_bronze & set(sent)
    report("ingest refusals: " + "; ".join(f"{name}: {answer}" for name, answer in answers.items()))


def test_nothing_is_lost_while_the_bucket_refuses_writes(sandbox, report, tmp_path):
    """With the NiFi hosts' role denied s3:PutObject on bronze, posts are still accepted (the
    records are in NiFi's repositories) and wait in the writer's retry loop, nothing in bronze;
    once the deny is lifted, every record lands, exactly once."""
    url = ingest.ingest_url(sandbox.platform_document())
    context = ingest.client_context(sandbox, INGEST_USER, tmp_path)
    lines = marked_orders("outage", 200)
    with BronzeRefusesWrites(sandbox):
        ingest.post_records(url, context, lines, per_request=20)
        waiting = wait_for_retries(sandbox, tmp_path)
        assert waiting > 0, flow_queues(sandbox, tmp_path)
        time.sleep(15)
        in_bronze = {line for found in bronze_of_today(sandbox).values() for line in found}
        assert not in_bronze & set(lines)
        lifted = time.monotonic()
    counts = landed_once(sandbox, lines)
    assert set(counts.values()) == {1}, {line: count for line, count in counts.items() if count != 1}
    report(f"ingest while S3 refused writes: 200 records accepted, {waiting} batches waiting to be retried, all landed "
           f"once {time.monotonic() - lifted:.0f}s after writes were allowed again")


def test_a_changed_flow_definition_is_applied_in_place_without_a_restart(sandbox, report, tmp_path):
    """A converge with a changed flow definition (the batch's number of bins) updates the process
    group in place: the records queued in it meanwhile all land once, no node's NiFi restarted,
    and the next converge with the same definition reports nothing changed."""
    nodes = [{**host, "container": sandbox.container_name(host)} for host in hosts_of(sandbox, "nifi")]
    definition = json.loads(FLOW_DEFINITION.read_text())
    changed = copy.deepcopy(definition)
    (batch,) = [processor for processor in changed["flowContents"]["processors"] if processor["name"] == "Batch into JSON lines"]
    batch["properties"]["Maximum number of Bins"] = "7"
    changed_file = tmp_path / "orders-ingest.json"
    changed_file.write_text(json.dumps(changed, indent=2))
    url = ingest.ingest_url(sandbox.platform_document())
    context = ingest.client_context(sandbox, INGEST_USER, tmp_path)
    lines = marked_orders("replaced", 60)
    pids = nifi_pids(nodes)

    with BronzeRefusesWrites(sandbox):
        ingest.post_records(url, context, lines, per_request=10)
        assert wait_for_retries(sandbox, tmp_path) > 0
        started = time.monotonic()
        applied = playbook(sandbox, "ansible/playbooks/nifi.yml", "-i", "inventories/local",
                           "-e", f"nifi_ingest_flow_definition={changed_file}")
        seconds = time.monotonic() - started
    assert "replaced in place" in applied.stdout and "Maximum number of Bins" in applied.stdout, applied.stdout[-3000:]
    counts = landed_once(sandbox, lines)
    assert set(counts.values()) == {1}, {line: count for line, count in counts.items() if count != 1}
    assert nifi_pids(nodes) == pids, "a NiFi restarted"

    again = playbook(sandbox, "ansible/playbooks/nifi.yml", "-i", "inventories/local",
                     "-e", f"nifi_ingest_flow_definition={changed_file}")
    assert all(host["changed"] == 0 for host in recap(again.stdout).values()), again.stdout[-3000:]
    restored = playbook(sandbox, "ansible/playbooks/nifi.yml", "-i", "inventories/local")
    assert "replaced in place" in restored.stdout
    report(f"flow definition changed in place by a converge ({seconds:.0f}s), 60 queued records landed once, no restart")
