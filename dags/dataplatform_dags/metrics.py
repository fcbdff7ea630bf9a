"""The metrics the DAGs publish to CloudWatch, as terraform/modules/monitoring defines them
(metrics.tf, README.md "Metrics contract") and its alarms read them (pipeline_alarms.tf).

* ``bronze_newest_object_age`` (Seconds, ``Dataset``): the ``platform_metrics`` DAG, every five
  minutes, for each dataset's bronze partitions of today and yesterday (UTC).
* ``dag_run_failed`` (Count, ``DagId``): 1 or 0 when a run finishes, from the DAG's own
  ``on_failure_callback`` / ``on_success_callback``; ``dag_run_late`` 0 with it.
* ``dag_run_late`` 1: from the DAG's deadline alert, when a run is still unfinished at its deadline.

A metric is known here by its key in the contract: its name comes from the platform document
(``telemetry.metric_names``, the Airflow variable ``dataplatform_metric_names``), never from a
copy. Everything goes to the namespace of ``dataplatform_metrics_namespace`` (``DataPlatform/<env>``,
the only one the hosts' role may publish to), with the hosts' instance role through the Amazon
provider's hooks. Airflow is imported where it is used: the rest is plain Python, tested without
Airflow (tests/unit/test_dag_metrics.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

log = logging.getLogger(__name__)

NAMESPACE_VARIABLE = "dataplatform_metrics_namespace"
NAMES_VARIABLE = "dataplatform_metric_names"
BRONZE_BUCKET_VARIABLE = "dataplatform_bronze_bucket"

# The alarms' period: they read one data point (or the lowest, or the highest) per five minutes.
PERIOD = timedelta(minutes=5)

# Runs that have not finished. A deadline Airflow finds missed may belong to a run that failed
# before it (Airflow drops the deadlines of a run that succeeds, not of one that fails): that run
# is finished, not late.
UNFINISHED_RUN_STATES = frozenset({"queued", "running"})


@dataclass(frozen=True)
class Metric:
    key: str
    unit: str
    dimension: str


BRONZE_NEWEST_OBJECT_AGE = Metric("bronze_newest_object_age", "Seconds", "Dataset")
DAG_RUN_FAILED = Metric("dag_run_failed", "Count", "DagId")
DAG_RUN_LATE = Metric("dag_run_late", "Count", "DagId")


@dataclass(frozen=True)
class Point:
    """One value of a metric, for one value of its dimension, at one instant."""

    metric: Metric
    dimension_value: str
    value: float
    timestamp: datetime


def metric_data(points: list[Point], names: dict[str, str]) -> list[dict]:
    """PutMetricData's ``MetricData`` for the points, each metric under the name the contract
    gives its key."""
    missing = sorted({point.metric.key for point in points} - names.keys())
    if missing:
        raise KeyError(f"{NAMES_VARIABLE} names no metric {', '.join(missing)}: the platform document's "
                       "telemetry.metric_names lacks what the monitoring module's metrics contract defines")
    return [{
        "MetricName": names[point.metric.key],
        "Dimensions": [{"Name": point.metric.dimension, "Value": point.dimension_value}],
        "Timestamp": point.timestamp,
        "Value": float(point.value),
        "Unit": point.metric.unit,
    } for point in points]


def finished_run_points(dag_id: str, failed: bool, now: datetime) -> list[Point]:
    """A run that finished: whether it failed, and that it is not late (any more)."""
    return [Point(DAG_RUN_FAILED, dag_id, 1 if failed else 0, now), Point(DAG_RUN_LATE, dag_id, 0, now)]


def late_run_points(dag_run: dict, now: datetime) -> list[Point]:
    """The run whose deadline passed, as the deadline alert's context describes it (``dag_id``,
    ``state``): late if it is still unfinished, nothing to say otherwise."""
    if str(dag_run["state"]) not in UNFINISHED_RUN_STATES:
        return []
    return [Point(DAG_RUN_LATE, dag_run["dag_id"], 1, now)]


def period_start(now: datetime) -> datetime:
    """The start (UTC) of the five-minute period ``now`` is in."""
    now = now.astimezone(timezone.utc)
    midnight = datetime.combine(now.date(), time(), tzinfo=timezone.utc)
    return midnight + (now - midnight) // PERIOD * PERIOD


def partition_prefix(dataset: str, day: date) -> str:
    """The bronze prefix of a dataset's records that arrived on ``day`` (UTC), as NiFi writes them."""
    return f"{dataset}/ingestion_date={day.isoformat()}/"


def newest_object_age(at: datetime, today: list[datetime], yesterday: list[datetime]) -> int:
    """Whole seconds from the newest object of a dataset to ``at``, a period's start (UTC), given
    when the objects of its partitions of that day and of the day before were written.

    The bronze alarm reads "older than the time since midnight" as "today's partition is empty",
    comparing the age with the hour and minute of the data point's timestamp. So the age is the one
    at that timestamp (the period's start, never the later moment the task ran at, which would make
    an object written minutes after midnight read as older than the day), objects written after it
    do not count yet, and an object of yesterday's partition counts as written by 23:59:59 at the
    latest: its records arrived yesterday, even when NiFi could only write them after midnight. With
    neither partition holding anything, the age is the time since the start of yesterday, which is
    all the two listings prove.
    """
    midnight = datetime.combine(at.date(), time(), tzinfo=timezone.utc)
    end_of_yesterday = midnight - timedelta(seconds=1)
    todays = [written for written in today if written <= at]
    yesterdays = [min(written, end_of_yesterday) for written in yesterday if written <= at]
    newest = max(todays) if todays else max(yesterdays) if yesterdays else midnight - timedelta(days=1)
    return int((at - newest).total_seconds())


def written_times(s3_client, bucket: str, prefix: str) -> list[datetime]:
    """When each object under the prefix was written (S3's LastModified)."""
    return [entry["LastModified"]
            for page in s3_client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            for entry in page.get("Contents", [])]


def bronze_age_points(s3_client, bucket: str, datasets: list[str], now: datetime) -> list[Point]:
    """The age of each dataset's newest object, stamped with the start of the period ``now`` is
    in, listing two partitions of each, never the whole bucket."""
    at = period_start(now)
    yesterday = at.date() - timedelta(days=1)
    return [Point(BRONZE_NEWEST_OBJECT_AGE, dataset, newest_object_age(
        at, written_times(s3_client, bucket, partition_prefix(dataset, at.date())),
        written_times(s3_client, bucket, partition_prefix(dataset, yesterday))), at)
        for dataset in datasets]


def put_metric_data(cloudwatch_client, namespace: str, names: dict[str, str], points: list[Point]) -> list[dict]:
    """One call: a run reports two points, a platform_metrics run one per dataset (a call takes up
    to 1000). Returns what it sent."""
    data = metric_data(points, names)
    cloudwatch_client.put_metric_data(Namespace=namespace, MetricData=data)
    return data


# ---- In Airflow: tasks and callbacks ----------------------------------------------------------

def _now() -> datetime:
    return datetime.now(timezone.utc)


def publish(points: list[Point]) -> None:
    """Publishes to the environment's namespace with the ``aws_default`` connection (the host's
    instance role, the environment's region)."""
    if not points:
        return
    from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook
    from airflow.sdk import Variable

    namespace = Variable.get(NAMESPACE_VARIABLE)
    data = put_metric_data(AwsBaseHook(client_type="cloudwatch").get_conn(), namespace,
                           Variable.get(NAMES_VARIABLE, deserialize_json=True), points)
    log.info("Published to %s: %s", namespace, ", ".join(
        f"{entry['MetricName']} {entry['Dimensions'][0]['Value']}={entry['Value']:g} at {entry['Timestamp']:%H:%M:%S}"
        for entry in data))


def publish_bronze_newest_object_ages(datasets: list[str]) -> None:
    """The ``platform_metrics`` task: the age of each dataset's newest bronze object, at the start
    of the current period."""
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook
    from airflow.sdk import Variable

    publish(bronze_age_points(S3Hook().get_conn(), Variable.get(BRONZE_BUCKET_VARIABLE), datasets, _now()))


# A DAG's callbacks run in Airflow's DAG processor, whose context always has the DAG (the run
# only when a task instance of it is known).
def report_run_succeeded(context) -> None:
    """DAG ``on_success_callback``."""
    publish(finished_run_points(context["dag"].dag_id, failed=False, now=_now()))


def report_run_failed(context) -> None:
    """DAG ``on_failure_callback``: a failed task, or a run that outlived its ``dagrun_timeout``."""
    publish(finished_run_points(context["dag"].dag_id, failed=True, now=_now()))


def report_late_run(context) -> None:
    """The callback of a DAG's deadline alert (``late_run_alert``), which the executor runs with a
    context holding the run as the REST API describes it (``context["dag_run"]``)."""
    publish(late_run_points(context["dag_run"], _now()))


def late_run_alert(deadline: timedelta):
    """The deadline alert of a DAG whose runs must be finished ``deadline`` after they were queued
    (the scheduler's own clock: a run waiting behind another is already on it, and a cleared run
    starts over)."""
    from airflow.sdk import DeadlineAlert, DeadlineReference, SyncCallback

    return DeadlineAlert(reference=DeadlineReference.DAGRUN_QUEUED_AT, interval=deadline,
                         callback=SyncCallback(report_late_run), name="late run")
