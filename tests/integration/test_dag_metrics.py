"""The DAGs' metrics against the moto server over HTTP: the bronze listing of
dags/dataplatform_dags/metrics.py reads two partitions per dataset, and what PutMetricData lands
reads back from GetMetricStatistics in the namespace, under the metric's name, unit and dimension,
as the alarms of terraform/modules/monitoring query it. In Airflow the clients come from the
Amazon provider's hooks (the same boto3 clients, with the host's instance role)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import boto3
import pytest
from dataplatform_dags import metrics

from emulator.client import count_actions
from tests.conftest import TEST_REGION

pytestmark = pytest.mark.integration

NAMESPACE = "DataPlatform/local"
BRONZE = "dataplatform-local-bronze"
# The platform document's telemetry.metric_names (the Airflow variable dataplatform_metric_names).
NAMES = {"bronze_newest_object_age": "BronzeNewestObjectAgeSeconds", "dag_run_failed": "DagRunFailed",
         "dag_run_late": "DagRunLate"}


def statistics(cloudwatch, metric: metrics.Metric, value: str, around: datetime, namespace: str = NAMESPACE) -> list:
    answer = cloudwatch.get_metric_statistics(
        Namespace=namespace, MetricName=NAMES[metric.key], Dimensions=[{"Name": metric.dimension, "Value": value}],
        StartTime=around - timedelta(minutes=10), EndTime=around + timedelta(minutes=10),
        Period=300, Statistics=["Minimum", "Maximum", "SampleCount"])
    return sorted(((point["Minimum"], point["Maximum"], point["SampleCount"], point["Unit"])
                   for point in answer["Datapoints"]))


def test_bronze_ages_and_run_outcomes_land_in_the_environments_namespace(moto):
    s3 = boto3.client("s3", region_name=TEST_REGION)
    cloudwatch = boto3.client("cloudwatch", region_name=TEST_REGION)
    s3.create_bucket(Bucket=BRONZE, CreateBucketConfiguration={"LocationConstraint": TEST_REGION})
    # The data points' instant is the next period's start, after every object below was written.
    now = datetime.now(timezone.utc) + metrics.PERIOD
    measured = metrics.period_start(now)
    today, yesterday = measured.date(), measured.date() - timedelta(days=1)
    keys = {
        "orders": [f"{metrics.partition_prefix('orders', today)}part-0.json"],
        # Yesterday's records, written late: they count as written by 23:59:59 yesterday.
        "customers": [f"{metrics.partition_prefix('customers', yesterday)}part-0.json"],
        # Neither partition: outside them, nothing is listed, so the age is that of yesterday's start.
        "returns": ["returns/ingestion_date=2020-01-01/part-0.json", "returns/_manifest.json"],
    }
    for key in (key for dataset_keys in keys.values() for key in dataset_keys):
        s3.put_object(Bucket=BRONZE, Key=key, Body=b'{"id": 1}\n')
    written = s3.head_object(Bucket=BRONZE, Key=keys["orders"][0])["LastModified"]
    midnight = datetime.combine(today, datetime.min.time(), tzinfo=timezone.utc)

    points = metrics.bronze_age_points(s3, BRONZE, ["orders", "customers", "returns"], now)
    ages = {point.dimension_value: point.value for point in points}
    assert ages == {
        "orders": int((measured - written).total_seconds()),
        "customers": int((measured - min(written, midnight - timedelta(seconds=1))).total_seconds()),
        "returns": int((measured - midnight).total_seconds()) + 86400,
    }
    assert {point.timestamp for point in points} == {measured}

    outcomes = (metrics.finished_run_points("orders_pipeline", failed=True, now=measured)
                + metrics.late_run_points({"dag_id": "orders_pipeline", "state": "running"}, measured)
                + metrics.late_run_points({"dag_id": "orders_pipeline", "state": "failed"}, measured))
    sent = metrics.put_metric_data(cloudwatch, NAMESPACE, NAMES, points + outcomes)
    assert len(sent) == 6
    assert count_actions(moto.requests()).get("monitoring:PutMetricData") == 1

    for dataset, age in ages.items():
        assert statistics(cloudwatch, metrics.BRONZE_NEWEST_OBJECT_AGE, dataset, measured) == [
            (age, age, 1.0, "Seconds")], dataset
    assert statistics(cloudwatch, metrics.DAG_RUN_FAILED, "orders_pipeline", measured) == [(1.0, 1.0, 1.0, "Count")]
    # The finished run's 0 and the late run's 1 in one period: the alarm reads the Maximum.
    assert statistics(cloudwatch, metrics.DAG_RUN_LATE, "orders_pipeline", measured) == [(0.0, 1.0, 2.0, "Count")]
    # Under another dimension value, or in another environment's namespace, there is nothing.
    assert statistics(cloudwatch, metrics.DAG_RUN_FAILED, "bronze_to_silver", measured) == []
    assert statistics(cloudwatch, metrics.DAG_RUN_FAILED, "orders_pipeline", measured,
                      namespace="DataPlatform/dev") == []
    listed = {(metric["MetricName"], metric["Dimensions"][0]["Name"])
              for metric in cloudwatch.list_metrics(Namespace=NAMESPACE)["Metrics"]}
    assert listed == {("BronzeNewestObjectAgeSeconds", "Dataset"), ("DagRunFailed", "DagId"), ("DagRunLate", "DagId")}

