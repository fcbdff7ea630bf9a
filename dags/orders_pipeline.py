"""The orders pipeline: bronze to silver to gold, one ingestion date per run.

NiFi's ingest flow writes the orders it receives to the bronze bucket as JSON lines under
``orders/ingestion_date=<date>/``, the UTC date each arrived on. For each day this DAG (the run
whose ``ds`` is that date starts once the day is over)

1. waits for that day's bronze partition (a run whose partition never comes fails at the sensor's
   timeout, and the failure alert says so: that is the lateness alert for missing data);
2. runs the Spark job ``bronze_to_silver`` on EMR Serverless: typed, deduplicated Parquet in
   silver, malformed records to ``_quarantine/orders/`` (spark/README.md);
3. registers the silver partition in the Glue catalog;
4. runs ``silver_to_gold``: the daily totals per customer and currency, recomputed for the order
   dates the day touched;
5. registers the gold partitions that are new.

Every step is idempotent: the Spark jobs overwrite their partitions and registering a partition
that exists changes nothing, so a rerun for the same date (a retry, a clear) gives the same
tables. Each task is retried twice; a task that still fails alerts the platform's pipeline topic
(SNS), and so does a run still unfinished six hours after it started (``dagrun_timeout``).

Each finished run publishes ``DagRunFailed`` (1 or 0) and ``DagRunLate`` 0 to CloudWatch, and a run
still unfinished two hours after it was queued (``RUN_DEADLINE``) publishes ``DagRunLate`` 1: the
alarms ``<name>-dag-orders_pipeline-failed`` and ``-late`` read them (``dataplatform_dags.metrics``).

Everything account-specific comes from the Airflow variables the airflow role defines from the
platform document (``dataplatform_*``), so the file is the same in every environment. The Spark
package and its entry scripts are published to ``dataplatform_spark_artifacts_uri`` with the DAGs
(ansible/playbooks/airflow-dags.yml).
"""

from __future__ import annotations

from datetime import timedelta

import pendulum

from airflow.providers.amazon.aws.hooks.glue_catalog import GlueCatalogHook
from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from airflow.providers.amazon.aws.hooks.sns import SnsHook
from airflow.providers.amazon.aws.operators.emr import EmrServerlessStartJobOperator
from airflow.providers.amazon.aws.sensors.s3 import S3KeySensor
from airflow.sdk import DAG, CronDataIntervalTimetable, Variable, task
from dataplatform_dags import metrics

DATASET = "orders"
GOLD_TABLE = "daily_customer_totals"
INGESTION_DATE = "{{ ds }}"
BRONZE_PREFIX = f"{DATASET}/ingestion_date={INGESTION_DATE}/"
# Six hours after a run started it should be long done: later is an incident, and the run fails.
RUN_TIMEOUT = timedelta(hours=6)
# The day's gold tables are due two hours after the run was queued (00:00 UTC): a run still
# unfinished then is late, which says so hours before the timeout fails it. Its bronze sensor alone
# may wait four hours for a partition that does not come.
RUN_DEADLINE = timedelta(hours=2)


def spark_job(task_id: str, script: str, arguments: list[str]) -> EmrServerlessStartJobOperator:
    """One Spark job on the environment's EMR Serverless application, as its Spark job role."""
    artifacts = "{{ var.value.dataplatform_spark_artifacts_uri }}"
    return EmrServerlessStartJobOperator(
        task_id=task_id,
        application_id="{{ var.value.dataplatform_emr_serverless_application_id }}",
        execution_role_arn="{{ var.value.dataplatform_spark_job_role_arn }}",
        name=f"{task_id}-{INGESTION_DATE}",
        job_driver={
            "sparkSubmit": {
                "entryPoint": f"{artifacts}jobs/{script}",
                "entryPointArguments": arguments,
                "sparkSubmitParameters": f"--py-files {artifacts}dataplatform_spark.zip",
            }
        },
        wait_for_completion=True,
        # A job run that EMR Serverless keeps queued or running longer than this is cancelled.
        waiter_max_attempts=120,
        waiter_delay=30,
    )


def alert_failure(context) -> None:
    """Publishes a failed task, or a failed run (one that outlived dagrun_timeout), to the
    pipeline's alert topic."""
    dag_run = context["dag_run"]
    task_instance = context.get("task_instance")
    what = (f"Task {task_instance.task_id} (try {task_instance.try_number}, log {task_instance.log_url})"
            if task_instance else f"The run ({context.get('reason') or 'failed'})")
    SnsHook().publish_to_target(
        target_arn=Variable.get("dataplatform_alerts_topic_arn"),
        subject=f"[{Variable.get('dataplatform_env')}] {dag_run.dag_id} failed"[:100],
        message=f"{what} of {dag_run.dag_id} failed for the ingestion date {context['ds']} (run {dag_run.run_id}).",
    )


@task
def register_partitions(database: str, table: str, bucket: str, prefix: str, key: str) -> list[str]:
    """Registers in the Glue catalog every ``key=value`` folder under ``prefix`` that the table lacks,
    with the table's own storage (Parquet); returns the values registered."""
    values = set()
    for object_key in S3Hook().list_keys(bucket_name=bucket, prefix=f"{prefix}{key}="):
        folder = object_key[len(prefix):].split("/", 1)[0]
        values.add(folder.split("=", 1)[1])
    catalog = GlueCatalogHook()
    glue = catalog.get_conn()
    existing = {tuple(partition["Values"]) for page in glue.get_paginator("get_partitions").paginate(
        DatabaseName=database, TableName=table) for partition in page["Partitions"]}
    missing = sorted(value for value in values if (value,) not in existing)
    if missing:
        storage = glue.get_table(DatabaseName=database, Name=table)["Table"]["StorageDescriptor"]
        entries = [{"Values": [value],
                    "StorageDescriptor": {**storage, "Location": f"s3://{bucket}/{prefix}{key}={value}/"}}
                   for value in missing]
        # BatchCreatePartition takes 100 at a time; it answers per partition instead of failing.
        for start in range(0, len(entries), 100):
            answer = glue.batch_create_partition(DatabaseName=database, TableName=table,
                                                 PartitionInputList=entries[start:start + 100])
            errors = [error for error in answer.get("Errors", [])
                      if error["ErrorDetail"]["ErrorCode"] != "AlreadyExistsException"]
            if errors:
                raise RuntimeError(f"Glue refused partitions of {database}.{table}: {errors}")
    return missing


with DAG(
    dag_id="orders_pipeline",
    description="Orders from bronze to silver and gold with Spark on EMR Serverless, cataloged in Glue",
    # ds is the day whose records the run reads: the run for a day starts once that day is over
    # (00:00 UTC of the next), so every record NiFi stamped with it (its UTC date of arrival) is in.
    schedule=CronDataIntervalTimetable("@daily", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=RUN_TIMEOUT,
    deadline=metrics.late_run_alert(RUN_DEADLINE),
    # Each callback runs on its own: a failed publication does not keep the alert from the topic.
    on_failure_callback=[alert_failure, metrics.report_run_failed],
    on_success_callback=metrics.report_run_succeeded,
    default_args={
        # The first retry waits the environment's [core] default_task_retry_delay (the airflow role's
        # airflow_task_retry_delay_seconds: 5 minutes in an account), the second twice that.
        "retries": 2,
        "retry_exponential_backoff": True,
        "on_failure_callback": alert_failure,
    },
    tags=["dataplatform", "datalake", "orders"],
) as dag:
    bronze_partition = S3KeySensor(
        task_id="wait_for_bronze_partition",
        bucket_name="{{ var.value.dataplatform_bronze_bucket }}",
        bucket_key=f"{BRONZE_PREFIX}*",
        wildcard_match=True,
        mode="reschedule",
        poke_interval=300,
        timeout=int(timedelta(hours=4).total_seconds()),
        retries=0,
    )
    to_silver = spark_job("bronze_to_silver", "bronze_to_silver.py", [
        "--bronze", "s3://{{ var.value.dataplatform_bronze_bucket }}/",
        "--silver", "s3://{{ var.value.dataplatform_silver_bucket }}/",
        "--ingestion-date", INGESTION_DATE,
    ])
    silver_partition = register_partitions.override(task_id="register_silver_partition")(
        database="{{ var.value.dataplatform_glue_silver_database }}", table=DATASET,
        bucket="{{ var.value.dataplatform_silver_bucket }}", prefix=f"{DATASET}/", key="ingestion_date")
    to_gold = spark_job("silver_to_gold", "silver_to_gold.py", [
        "--silver", "s3://{{ var.value.dataplatform_silver_bucket }}/",
        "--gold", "s3://{{ var.value.dataplatform_gold_bucket }}/",
        "--ingestion-date", INGESTION_DATE,
    ])
    gold_partitions = register_partitions.override(task_id="register_gold_partitions")(
        database="{{ var.value.dataplatform_glue_gold_database }}", table=GOLD_TABLE,
        bucket="{{ var.value.dataplatform_gold_bucket }}", prefix=f"{GOLD_TABLE}/", key="order_date")

    bronze_partition >> to_silver >> silver_partition >> to_gold >> gold_partitions
