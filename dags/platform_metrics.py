"""Publishes the age of the newest object of each dataset in bronze, every five minutes.

``BronzeNewestObjectAgeSeconds`` (dimension ``Dataset``) in the environment's namespace
(``dataplatform_metrics_namespace``): the alarm ``<name>-bronze-<dataset>-partition-empty`` reads it
as "today's partition (UTC) is still empty" once the age exceeds the time since midnight. Each run
lists two partitions per dataset, today's and yesterday's ``<dataset>/ingestion_date=<date>/`` in
``dataplatform_bronze_bucket``, never the whole bucket (``dataplatform_dags.metrics`` says how the
age is reckoned).

Unlike the pipelines it starts unpaused: the alarm takes silence for an empty partition, so a
paused monitor would raise it every day. It reads bronze and writes metrics, nothing else.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum

from airflow.sdk import DAG, CronTriggerTimetable, task
from dataplatform_dags import metrics

# The datasets whose bronze partitions are watched: the monitoring module's bronze_datasets.
BRONZE_DATASETS = ["orders"]

with DAG(
    dag_id="platform_metrics",
    description="The age of each dataset's newest bronze object, for the partition-empty alarms",
    schedule=CronTriggerTimetable("*/5 * * * *", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    is_paused_upon_creation=False,
    # A run that overlaps the next would only report a period the next one reports anyway.
    dagrun_timeout=timedelta(minutes=5),
    default_args={"retries": 0, "execution_timeout": timedelta(minutes=4)},
    tags=["dataplatform", "monitoring"],
) as dag:

    @task
    def bronze_newest_object_age() -> None:
        metrics.publish_bronze_newest_object_ages(BRONZE_DATASETS)

    bronze_newest_object_age()
