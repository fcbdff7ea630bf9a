"""The ingest flow on the sandbox: from the first POST to gold against the 3-minute budget, and
the throughput of the ingest listener through the load balancer.

    make sandbox && .venv/bin/python benchmarks/ingest.py [--orders 40] [--runs 1]
                                                         [--records 20000] [--per-request 100] [--clients 4]

Against the running sandbox (SANDBOX_* settings as for ``make sandbox``):

* **to gold**: the sample orders (and one malformed record) posted through the load balancer's
  ingest listener as the user with the ingest role, the time until the flow has written them to
  bronze, and until the orders DAG's run for their date (today, UTC) has succeeded, for each run;
* **throughput**: ``--records`` orders posted by ``--clients`` concurrent clients, ``--per-request``
  to a request: records per second accepted (each 200 means the records are in NiFi's
  repositories), and until the last of them is in bronze.

Not part of ``make test`` (the e2e tier asserts the budget and reports the same figures).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sandbox import ingest, pipeline
from sandbox.sandbox import Sandbox

REPO_ROOT = Path(__file__).resolve().parent.parent

BUDGET_SECONDS = 180


def to_gold(sandbox: Sandbox, orders: int, folder: Path) -> float:
    api = pipeline.AirflowApi.of(sandbox)
    today = datetime.datetime.now(datetime.timezone.utc).date()
    started = time.monotonic()
    ingestion_date, _ = pipeline.ingest_through_nifi(sandbox, pipeline.sample_orders(today, orders, uuid.uuid4().hex[:6]),
                                                     [pipeline.MALFORMED_RECORD], folder)
    landed = time.monotonic() - started
    run = pipeline.run_again_or_trigger(api, ingestion_date, pipeline.bronze_has_partition(sandbox))
    seconds = time.monotonic() - started
    print(f"to gold: {orders} orders and one malformed record in bronze after {landed:.0f}s, the DAG's run "
          f"{run['state']} {seconds:.0f}s after the first POST", flush=True)
    return seconds if run["state"] == "success" else float("inf")


def throughput(sandbox: Sandbox, records: int, per_request: int, clients: int, folder: Path) -> None:
    document = sandbox.platform_document()
    url = ingest.ingest_url(document)
    context = ingest.client_context(sandbox, ingest.ingest_users(sandbox)[0], folder)
    today = datetime.datetime.now(datetime.timezone.utc).date()
    lines = ingest.order_lines(pipeline.sample_orders(today, records, f"bench-{uuid.uuid4().hex[:6]}-"))
    shares = [lines[number::clients] for number in range(clients)]
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=clients) as pool:
        requests = sum(pool.map(lambda share: ingest.post_records(url, context, share, per_request), shares))
    accepted = time.monotonic() - started
    ingest.wait_in_bronze(sandbox.client("s3"), document["buckets"]["bronze"], f"orders/ingestion_date={today}/",
                          lines, timeout=600)
    landed = time.monotonic() - started
    print(f"throughput: {records} records in {requests} requests from {clients} clients through {url}: accepted in "
          f"{accepted:.1f}s ({records / accepted:.0f} records/s), all in bronze after {landed:.1f}s "
          f"({records / landed:.0f} records/s end to end)", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=40)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--per-request", type=int, default=100)
    parser.add_argument("--clients", type=int, default=4)
    arguments = parser.parse_args()
    sandbox = Sandbox.from_environment()
    if not sandbox.moto_answers():
        sys.exit("the sandbox is not running: make sandbox first")
    with tempfile.TemporaryDirectory() as folder:
        seconds = [to_gold(sandbox, arguments.orders, Path(folder)) for _ in range(arguments.runs)]
        print(f"first POST to gold: median {statistics.median(seconds):.0f}s, worst {max(seconds):.0f}s over "
              f"{len(seconds)} runs (budget {BUDGET_SECONDS}s)", flush=True)
        if arguments.records:
            throughput(sandbox, arguments.records, arguments.per_request, arguments.clients, Path(folder))
    return 0 if max(seconds) <= BUDGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
