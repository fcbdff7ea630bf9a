"""The metrics the DAGs publish (dags/dataplatform_dags/metrics.py), without Airflow: the data
points' shapes against the metrics contract of terraform/modules/monitoring, the age of bronze as
the partition-empty alarm's expression reads it, which deadline callbacks report a late run, and
the DAG files' wiring (read as source, since Airflow is not installed here; the e2e tier loads
them on the sandbox's Airflow)."""

from __future__ import annotations

import ast
import re
from datetime import datetime, timedelta, timezone

import pytest
from dataplatform_dags import metrics

from tests.conftest import REPO_ROOT

DAGS = REPO_ROOT / "dags"
MONITORING = REPO_ROOT / "terraform" / "modules" / "monitoring"

pytestmark = pytest.mark.unit

UTC = timezone.utc
DAY = datetime(2026, 3, 10, tzinfo=UTC)
DEADLINE_HOUR = 6


def at(hours: int, minutes: int = 0, seconds: float = 0, day: datetime = DAY) -> datetime:
    return day + timedelta(hours=hours, minutes=minutes, seconds=seconds)


def contract() -> dict[str, tuple[str, str, list[str]]]:
    """metrics.tf's ``metrics``: key -> (name, unit, dimensions)."""
    text = (MONITORING / "metrics.tf").read_text()
    return {key: (name, unit, re.findall(r'"([^"]+)"', dimensions)) for key, name, unit, dimensions in re.findall(
        r'^\s*(\w+)\s*=\s*\{\s*name\s*=\s*"([^"]+)",\s*unit\s*=\s*"([^"]+)",\s*dimensions\s*=\s*\[([^\]]*)\]',
        text, re.MULTILINE)}


# What the platform document's telemetry.metric_names holds (the airflow role's dataplatform_metric_names).
NAMES = {key: name for key, (name, _, _) in contract().items()}


def partition_empty(datum: dict, deadline_hour: int = DEADLINE_HOUR) -> bool:
    """pipeline_alarms.tf's bronze expression on one data point, HOUR and MINUTE being those of the
    start of the five-minute period the point falls in (test_the_alarm_expression_is_the_one_modelled)."""
    assert datum["MetricName"] == "BronzeNewestObjectAgeSeconds"
    period = metrics.period_start(datum["Timestamp"])
    age = datum["Value"]
    return period.hour >= deadline_hour and age > period.hour * 3600 + period.minute * 60


class Bronze:
    """A bucket's ListObjectsV2 paginator as boto3 gives it, answering from ``{key: LastModified}``,
    recording the prefixes asked for."""

    def __init__(self, objects: dict[str, datetime]):
        self.objects, self.prefixes = objects, []

    def get_paginator(self, operation: str):
        assert operation == "list_objects_v2"
        return self

    def paginate(self, Bucket: str, Prefix: str):  # noqa: N803 - boto3's parameter names
        assert Bucket == "bronze"
        self.prefixes.append(Prefix)
        contents = [{"Key": key, "LastModified": written} for key, written in self.objects.items()
                    if key.startswith(Prefix)]
        # Two pages, the last without Contents, as S3 may answer.
        return [{"Contents": contents[:1]} if contents else {}, {"Contents": contents[1:]} if contents[1:] else {}]


def bronze_datum(now: datetime, today: list[datetime], yesterday: list[datetime]) -> dict:
    """The data point the platform_metrics task publishes at ``now`` for these objects of today's
    and yesterday's partitions (each listed only once it is written)."""
    day = metrics.period_start(now).date()
    objects = {f"{metrics.partition_prefix('orders', when)}part-{index}.json": written
               for when, times in ((day, today), (day - timedelta(days=1), yesterday))
               for index, written in enumerate(times) if written <= now}
    bronze = Bronze(objects)
    (datum,) = metrics.metric_data(metrics.bronze_age_points(bronze, "bronze", ["orders"], now), NAMES)
    assert bronze.prefixes == [metrics.partition_prefix("orders", day),
                               metrics.partition_prefix("orders", day - timedelta(days=1))]
    return datum


def test_the_metrics_are_those_of_the_contract():
    published = contract()
    assert published["bronze_newest_object_age"] == ("BronzeNewestObjectAgeSeconds", "Seconds", ["Dataset"])
    for metric in (metrics.BRONZE_NEWEST_OBJECT_AGE, metrics.DAG_RUN_FAILED, metrics.DAG_RUN_LATE):
        _, unit, dimensions = published[metric.key]
        assert (metric.unit, [metric.dimension]) == (unit, dimensions), metric
    assert 'metric_namespace = "DataPlatform/${var.environment}"' in (MONITORING / "metrics.tf").read_text()


def test_the_alarm_expression_is_the_one_modelled():
    text = (MONITORING / "pipeline_alarms.tf").read_text()
    assert ('expression  = "IF(HOUR(age) >= ${var.bronze_deadline_hour_utc} AND age > HOUR(age) * 3600 '
            '+ MINUTE(age) * 60, 1, 0)"') in text
    assert re.search(r'period\s*=\s*300\s+stat\s*=\s*"Minimum"', text)
    assert metrics.PERIOD == timedelta(seconds=300)


def test_a_datum_has_the_shape_put_metric_data_takes_and_the_contracts_name():
    moment = at(7, 3, 12)
    assert metrics.metric_data([metrics.Point(metrics.DAG_RUN_FAILED, "orders_pipeline", 1, moment)], NAMES) == [{
        "MetricName": "DagRunFailed", "Dimensions": [{"Name": "DagId", "Value": "orders_pipeline"}],
        "Timestamp": moment, "Value": 1.0, "Unit": "Count"}]
    assert (metrics.NAMESPACE_VARIABLE, metrics.NAMES_VARIABLE) == (
        "dataplatform_metrics_namespace", "dataplatform_metric_names")


def test_a_name_the_document_lacks_is_named():
    point = metrics.Point(metrics.DAG_RUN_LATE, "orders_pipeline", 1, at(2))
    with pytest.raises(KeyError, match="dataplatform_metric_names names no metric dag_run_late"):
        metrics.metric_data([point], {"dag_run_failed": "DagRunFailed"})


@pytest.mark.parametrize("failed, value", [(True, 1.0), (False, 0.0)])
def test_a_finished_run_reports_whether_it_failed_and_that_it_is_not_late(failed, value):
    moment = at(1, 30)
    data = metrics.metric_data(metrics.finished_run_points("orders_pipeline", failed=failed, now=moment), NAMES)
    assert [(entry["MetricName"], entry["Dimensions"], entry["Value"], entry["Unit"], entry["Timestamp"])
            for entry in data] == [
        ("DagRunFailed", [{"Name": "DagId", "Value": "orders_pipeline"}], value, "Count", moment),
        ("DagRunLate", [{"Name": "DagId", "Value": "orders_pipeline"}], 0.0, "Count", moment)]


@pytest.mark.parametrize("state, late", [("running", True), ("queued", True), ("failed", False), ("success", False)])
def test_a_missed_deadline_is_a_late_run_only_while_the_run_is_unfinished(state, late):
    # As Deadline.handle_miss describes the run (DAGRunResponse, dumped to JSON).
    run = {"dag_id": "orders_pipeline", "dag_run_id": "scheduled__2026-03-09T00:00:00+00:00", "state": state}
    data = metrics.metric_data(metrics.late_run_points(run, at(2)), NAMES)
    assert data == ([{"MetricName": "DagRunLate", "Dimensions": [{"Name": "DagId", "Value": "orders_pipeline"}],
                      "Timestamp": at(2), "Value": 1.0, "Unit": "Count"}] if late else [])


def test_the_period_start_is_the_five_minute_boundary_in_utc():
    assert metrics.period_start(at(6, 7, 42.5)) == at(6, 5)
    assert metrics.period_start(at(6, 5)) == at(6, 5)
    assert metrics.period_start(at(23, 59, 59.999)) == at(23, 55)
    paris = timezone(timedelta(hours=1))
    assert metrics.period_start(datetime(2026, 3, 10, 0, 3, tzinfo=paris)) == at(-1, 0)


def test_the_partitions_are_the_ingestion_dates_nifi_writes():
    assert metrics.partition_prefix("orders", DAY.date()) == "orders/ingestion_date=2026-03-10/"


def test_the_age_is_that_of_todays_newest_object_at_the_period_start():
    written = [at(0, 10), at(5, 59, 30), at(3)]
    assert metrics.newest_object_age(at(6, 5), written, [at(-2)]) == 5 * 60 + 30
    # Written after the data point's instant: not there yet.
    assert metrics.newest_object_age(at(6, 5), [at(0, 10), at(6, 5, 1)], []) == 5 * 3600 + 55 * 60


def test_an_empty_day_reads_older_than_midnight_whatever_yesterday_holds():
    measured = at(6, 5)
    since_midnight = 6 * 3600 + 5 * 60
    assert metrics.newest_object_age(measured, [], [at(-1, 0, 0)]) == since_midnight + 3600
    # NiFi wrote yesterday's records after midnight (S3 refused writes until then): still yesterday's.
    assert metrics.newest_object_age(measured, [], [at(-3), at(0, 20)]) == since_midnight + 1
    # Nothing in either partition: as old as yesterday's start, all the two listings can tell.
    assert metrics.newest_object_age(measured, [], []) == since_midnight + 86400


@pytest.mark.parametrize("written", [at(0, 0, 0.5), at(0, 4, 59), at(5, 58), at(6, 4, 59)])
@pytest.mark.parametrize("delay", [timedelta(0), timedelta(seconds=40), timedelta(minutes=4, seconds=59)])
def test_a_partition_with_an_object_never_reads_empty(written, delay):
    """Whenever in its period the task runs, and however early after midnight the only object of
    the day was written: the age is taken at the period's start, which the alarm compares with."""
    for minutes in range(0, 24 * 60, 5):
        now = at(0, minutes) + delay
        datum = bronze_datum(now, [written], [at(-1)])
        assert datum["Timestamp"] == metrics.period_start(now)
        # Before the period's start the partition was still empty, and says so.
        assert partition_empty(datum) == (datum["Timestamp"] < written and now.hour >= DEADLINE_HOUR), (now, datum)


@pytest.mark.parametrize("yesterday", [[], [at(-12)], [at(-1, 0, 0.5)], [at(0, 0, 1)], [at(5, 30)]])
def test_an_empty_partition_reads_empty_from_the_deadline_until_midnight(yesterday):
    for minutes in range(0, 24 * 60, 5):
        now = at(0, minutes, 17)
        datum = bronze_datum(now, [], yesterday)
        assert partition_empty(datum) == (now.hour >= DEADLINE_HOUR), (now, datum)


def test_at_midnight_the_new_days_partition_is_the_one_waited_for():
    measured = metrics.period_start(at(0, 2))
    assert measured == at(0, 0)
    assert metrics.newest_object_age(measured, [], [at(0, 0, -30)]) == 30


def dag_source(name: str) -> ast.Module:
    return ast.parse((DAGS / name).read_text())


def assigned(module: ast.Module, name: str):
    (value,) = [node.value for node in module.body if isinstance(node, ast.Assign)
                and any(isinstance(target, ast.Name) and target.id == name for target in node.targets)]
    return value


def dag_keywords(module: ast.Module) -> dict[str, str]:
    (call,) = [node for node in ast.walk(module) if isinstance(node, ast.Call)
               and isinstance(node.func, ast.Name) and node.func.id == "DAG"]
    return {keyword.arg: ast.unparse(keyword.value) for keyword in call.keywords}


def test_the_orders_pipeline_reports_finished_and_late_runs():
    module = dag_source("orders_pipeline.py")
    keywords = dag_keywords(module)
    assert keywords["dag_id"] == "'orders_pipeline'"
    assert keywords["on_success_callback"] == "metrics.report_run_succeeded"
    assert "metrics.report_run_failed" in keywords["on_failure_callback"]
    assert "alert_failure" in keywords["on_failure_callback"]
    assert keywords["deadline"] == "metrics.late_run_alert(RUN_DEADLINE)"
    assert keywords["dagrun_timeout"] == "RUN_TIMEOUT"
    # The deadline comes first: a run past its timeout is failed, and never reported late.
    deadline, timeout = (eval(ast.unparse(assigned(module, name)), {"timedelta": timedelta})
                         for name in ("RUN_DEADLINE", "RUN_TIMEOUT"))
    assert timedelta(0) < deadline < timeout


def test_the_dags_cover_what_the_alarms_watch():
    variables = (MONITORING / "variables.tf").read_text()

    def default(variable: str) -> list[str]:
        block = re.search(r'variable "%s" \{.*?default\s*=\s*\[([^\]]*)\]' % variable, variables, re.DOTALL)
        return re.findall(r'"([^"]+)"', block.group(1))

    module = dag_source("platform_metrics.py")
    assert ast.literal_eval(assigned(module, "BRONZE_DATASETS")) == default("bronze_datasets")
    keywords = dag_keywords(module)
    assert (keywords["dag_id"], keywords["catchup"], keywords["max_active_runs"]) == (
        "'platform_metrics'", "False", "1")
    assert keywords["schedule"] == "CronTriggerTimetable('*/5 * * * *', timezone='UTC')"
    assert keywords["is_paused_upon_creation"] == "False"
    assert default("pipeline_dag_ids") == ["orders_pipeline"]


def test_the_shared_code_is_shipped_but_not_parsed_as_dags():
    """Airflow's safe mode parses every file holding "airflow" and "dag": the helpers do, so the
    published .airflowignore keeps their folder out; the DAGs import it by the bundle's path."""
    package = DAGS / "dataplatform_dags"
    assert "dataplatform_dags/" in (DAGS / ".airflowignore").read_text().split()
    assert any(b"airflow" in path.read_bytes().lower() and b"dag" in path.read_bytes().lower()
               for path in package.glob("*.py"))
    for name in ("orders_pipeline.py", "platform_metrics.py"):
        assert "from dataplatform_dags import metrics" in (DAGS / name).read_text(), name
    playbook = (REPO_ROOT / "ansible" / "playbooks" / "airflow-dags.yml").read_text()
    assert '".airflowignore"' in playbook and "hidden: true" in playbook
