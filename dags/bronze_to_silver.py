"""Moves one object from the bronze layer of the data lake to the silver layer.

The sample DAG of the platform, published to the DAGs bucket and loaded by every Airflow host
through the S3 DAG bundle. Trigger it with the key of an object in the bronze bucket:

    {"key": "incoming/orders.csv"}

The object is copied to the same key in the silver bucket, then removed from bronze. Bucket
names come from the Airflow variables the airflow role defines from the platform document
(``dataplatform_bronze_bucket``, ``dataplatform_silver_bucket``), so the DAG is the same file in
every environment.
"""

from __future__ import annotations

import pendulum

from airflow.providers.amazon.aws.operators.s3 import S3CopyObjectOperator, S3DeleteObjectsOperator
from airflow.sdk import DAG, Param

with DAG(
    dag_id="bronze_to_silver",
    description="Move one object from the bronze to the silver bucket",
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=4,
    params={
        "key": Param(
            "incoming/sample.csv",
            type="string",
            minLength=1,
            description="Key of the object in the bronze bucket (kept as is in silver)",
        )
    },
    tags=["dataplatform", "sample", "datalake"],
) as dag:
    copy_to_silver = S3CopyObjectOperator(
        task_id="copy_to_silver",
        source_bucket_name="{{ var.value.dataplatform_bronze_bucket }}",
        source_bucket_key="{{ params.key }}",
        dest_bucket_name="{{ var.value.dataplatform_silver_bucket }}",
        dest_bucket_key="{{ params.key }}",
    )
    # Only after the copy succeeded: a failed run leaves the object in bronze for a retry.
    remove_from_bronze = S3DeleteObjectsOperator(
        task_id="remove_from_bronze",
        bucket="{{ var.value.dataplatform_bronze_bucket }}",
        keys="{{ params.key }}",
    )
    copy_to_silver >> remove_from_bronze
