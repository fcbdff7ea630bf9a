"""The orders pipeline's run in the sandbox, against its 3-minute budget.

    make sandbox && .venv/bin/python benchmarks/pipeline.py [--orders 40] [--runs 3]

Against the running sandbox (SANDBOX_* settings as for ``make sandbox``): each run lands the sample
orders and one malformed record in bronze for a new ingestion date, runs the ``orders_pipeline``
DAG for it through Airflow's API (the scheduler's run when one is due, else a triggered one), and
prints the time from unpausing the DAG to the run's success, with each task's duration. Both Spark
jobs run as EMR Serverless job runs on the machine's Spark (the sandbox's emulation). The budget is
for the sample data: 40 orders.

Not part of ``make test`` (the e2e test asserts the budget and reports the same figure).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from sandbox import pipeline
from sandbox.sandbox import Sandbox

REPO_ROOT = Path(__file__).resolve().parent.parent

BUDGET_SECONDS = 180


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=40)
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    sandbox = Sandbox.from_environment()
    if not sandbox.moto_answers():
        sys.exit("the sandbox is not running: make sandbox first")
    document = sandbox.platform_document()
    api = pipeline.AirflowApi.of(sandbox)
    seconds = []
    for number in range(arguments.runs):
        ingestion_date, scheduled = pipeline.next_run(api)
        pipeline.land_in_bronze(sandbox.client("s3"), document["buckets"]["bronze"], ingestion_date,
                                pipeline.sample_orders(ingestion_date, arguments.orders), [pipeline.MALFORMED_RECORD])
        started = time.monotonic()
        run = pipeline.run_for(api, ingestion_date, scheduled)
        seconds.append(time.monotonic() - started)
        tasks = ", ".join(f"{task['task_id']} {task.get('duration') or 0:.0f}s"
                          for task in api.task_instances(run["dag_run_id"]))
        print(f"run {number + 1} ({ingestion_date}, {'scheduled' if scheduled else 'triggered'}): {run['state']} "
              f"in {seconds[-1]:.0f}s; {tasks}", flush=True)
        if run["state"] != "success":
            return 1
    print(f"orders pipeline, {arguments.orders} orders and one malformed record: median {statistics.median(seconds):.0f}s, "
          f"worst {max(seconds):.0f}s over {len(seconds)} runs (budget {BUDGET_SECONDS}s)")
    return 0 if max(seconds) <= BUDGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
