"""Bronze to silver: one ingestion date of orders, typed, checked and deduplicated.

Reads ``<bronze>/orders/ingestion_date=<date>/*.json`` (JSON lines), refuses what breaks the
contract (spark/README.md) into ``<silver>/_quarantine/orders/ingestion_date=<date>/`` with the
reason, keeps the latest version of each order and writes ``<silver>/orders/ingestion_date=<date>/``
as Parquet. Both partitions are replaced as a whole, so a rerun for the same date gives the same
result.
"""

from __future__ import annotations

from datetime import date

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from dataplatform_spark import lake, schema

# The zone is required: without one the instant would depend on the time zone of whoever reads it.
ORDERED_AT_PATTERN = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)$"

UNPARSEABLE = "unparseable JSON"


def bronze_location(bronze_root: str, ingestion_date: date) -> str:
    return schema.join_uri(bronze_root, schema.partition_path(
        schema.BRONZE_PREFIX, schema.INGESTION_DATE, ingestion_date.isoformat()))


def silver_location(silver_root: str) -> str:
    return schema.join_uri(silver_root, schema.TABLES[schema.SILVER_TABLE]["location"])


def quarantine_location(silver_root: str) -> str:
    return schema.join_uri(silver_root, schema.QUARANTINE_PREFIX)


def read_bronze(spark: SparkSession, bronze_root: str, ingestion_date: date) -> DataFrame:
    """The day's bronze records, every field as text, a line that is no JSON object kept whole in
    ``_corrupt_record``; ``source_file`` says where each came from."""
    return (spark.read.schema(schema.bronze_schema())
            .option("mode", "PERMISSIVE")
            .option("columnNameOfCorruptRecord", schema.CORRUPT_RECORD)
            # NiFi's files end in .json; anything else in the folder (a marker, a partial upload
            # under a temporary name) is no data.
            .option("pathGlobFilter", "*.json")
            .json(bronze_location(bronze_root, ingestion_date))
            .withColumn("source_file", F.input_file_name()))


def _problem(condition, reason: str):
    return F.when(condition, F.lit(reason))


def classify(raw: DataFrame) -> DataFrame:
    """The records with their typed values and ``reason``: null for a valid record, otherwise every
    rule it breaks, separated by "; "."""
    # Wider than the contract first, so that a value with more than two decimals is refused rather
    # than silently rounded by the cast to decimal(12,2).
    wide_amount = F.expr("try_cast(amount AS decimal(38,10))")
    amount = F.expr(f"try_cast(try_cast(amount AS decimal(38,10)) AS {schema.AMOUNT_TYPE})")
    ordered_at = F.expr("try_cast(ordered_at AS timestamp)")
    order_id = F.col("order_id")
    problems = F.concat_ws("; ", *[
        _problem(order_id.isNull() | (F.trim(order_id) == ""), "missing order_id"),
        _problem(F.col("amount").isNull(), "missing amount"),
        _problem(F.col("amount").isNotNull() & (amount.isNull() | (wide_amount != amount)),
                 f"amount is not a {schema.AMOUNT_TYPE}"),
        _problem(amount < 0, "amount is negative"),
        _problem(F.col("currency").isNull(), "missing currency"),
        _problem(F.col("currency").isNotNull() & ~F.col("currency").rlike(schema.CURRENCY_PATTERN),
                 "currency is not a 3-letter ISO code"),
        _problem(F.col("ordered_at").isNull(), "missing ordered_at"),
        _problem(F.col("ordered_at").isNotNull()
                 & (~F.col("ordered_at").rlike(ORDERED_AT_PATTERN) | ordered_at.isNull()),
                 "ordered_at is not an ISO 8601 timestamp with zone"),
    ])
    record = F.coalesce(F.col(schema.CORRUPT_RECORD), F.to_json(F.struct(*schema.BRONZE_FIELDS)))
    return raw.select(
        order_id,
        F.col("customer_id"),
        amount.alias("amount"),
        F.col("currency"),
        ordered_at.alias("ordered_at"),
        F.when(F.col(schema.CORRUPT_RECORD).isNotNull(), F.lit(UNPARSEABLE))
        .otherwise(F.nullif(problems, F.lit(""))).alias("reason"),
        record.alias("record"),
        F.col("source_file"),
    )


def latest_versions(orders: DataFrame, *tie_breaks) -> DataFrame:
    """One row per order_id: the latest ordered_at; then ``tie_breaks``; then the values themselves,
    so that the choice never depends on the order in which Spark read the files (rows equal on
    every one of these are the same row)."""
    order = [F.col("ordered_at").desc(), *tie_breaks, F.col("amount").desc(),
             F.col("customer_id").asc_nulls_last(), F.col("currency").asc()]
    rank = F.row_number().over(Window.partitionBy("order_id").orderBy(*order))
    return orders.withColumn("_rank", rank).where(F.col("_rank") == 1).drop("_rank")


def write_partition(frame: DataFrame, root: str, key: str, value: str, data_format: str, sort: list[str]) -> None:
    """Replaces one partition ``key=value`` under ``root`` with ``frame`` (whose rows all carry that
    value), or removes it when ``frame`` is empty."""
    if frame.isEmpty():
        lake.delete(frame.sparkSession, schema.join_uri(root, f"{key}={value}"))
        return
    (frame.sortWithinPartitions(*sort).write
     .mode("overwrite")
     .option("partitionOverwriteMode", "dynamic")
     .partitionBy(key)
     .format(data_format)
     .save(root))


def run(spark: SparkSession, bronze: str, silver: str, ingestion_date: date) -> dict:
    """Runs the job for one ingestion date; returns its summary."""
    day = F.lit(ingestion_date).cast("date").alias(schema.INGESTION_DATE)
    records = classify(read_bronze(spark, bronze, ingestion_date)).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        valid = records.where(F.col("reason").isNull())
        counts = records.agg(
            F.count(F.lit(1)).alias("read"),
            F.count("reason").alias("quarantined"),
            F.countDistinct(F.when(F.col("reason").isNull(), F.col("order_id"))).alias("written"),
        ).first()

        silver_columns = [name for name, _ in schema.columns(schema.SILVER_TABLE, with_partitions=False)]
        latest = latest_versions(valid).select(*silver_columns, day)
        write_partition(latest, silver_location(silver), schema.INGESTION_DATE, ingestion_date.isoformat(),
                        "parquet", ["order_id"])

        quarantine_columns = [name for name, _ in schema.QUARANTINE_COLUMNS]
        refused = records.where(F.col("reason").isNotNull()).select(*quarantine_columns, day)
        write_partition(refused, quarantine_location(silver), schema.INGESTION_DATE, ingestion_date.isoformat(),
                        "json", ["source_file", "record"])
    finally:
        records.unpersist()
    return {
        "job": "bronze_to_silver",
        "ingestion_date": ingestion_date.isoformat(),
        "read": counts["read"],
        "written": counts["written"],
        "duplicates": counts["read"] - counts["quarantined"] - counts["written"],
        "quarantined": counts["quarantined"],
        "silver": schema.join_uri(silver_location(silver), f"{schema.INGESTION_DATE}={ingestion_date.isoformat()}"),
        "quarantine": schema.join_uri(quarantine_location(silver),
                                      f"{schema.INGESTION_DATE}={ingestion_date.isoformat()}"),
    }
