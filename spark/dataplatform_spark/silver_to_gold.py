"""Silver to gold: the daily totals per customer and currency of the order dates one ingestion
date touched.

An ingestion date may bring orders of any order date (a late record, a corrected order), so the
job finds the order dates its silver rows touch, recomputes each of them from all of silver (every
order once, in its latest version) and replaces those gold partitions: ``<gold>/daily_customer_totals/
order_date=<date>/``. A rerun for the same ingestion date gives the same partitions.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import DateType

from dataplatform_spark import lake, schema
from dataplatform_spark.bronze_to_silver import latest_versions, silver_location

# From the instant itself, not through the session's time zone: the order date is the UTC date
# whatever time zone the session runs in.
UTC_ORDER_DATE = "date_from_unix_date(CAST(floor(unix_seconds(ordered_at) / 86400) AS INT))"

# The largest total decimal(14,2) holds, plus one cent.
TOTAL_AMOUNT_LIMIT = Decimal("1000000000000.00")


def gold_location(gold_root: str) -> str:
    return schema.join_uri(gold_root, schema.TABLES[schema.GOLD_TABLE]["location"])


def read_silver(spark: SparkSession, silver_root: str) -> DataFrame:
    # The ingestion date as a date, as the folder names are written, for comparisons by value.
    columns = schema.spark_schema(schema.SILVER_TABLE, with_partitions=False).add(schema.INGESTION_DATE, DateType())
    return (spark.read.schema(columns)
            .parquet(silver_location(silver_root))
            .withColumn(schema.ORDER_DATE, F.expr(UTC_ORDER_DATE)))


def touched_order_dates(orders: DataFrame, ingestion_date: date) -> list[date]:
    """The order dates of the day's orders, and those of every other version of the same orders:
    an order that moved to another date has to leave the old one's totals."""
    day_orders = orders.where(F.col(schema.INGESTION_DATE) == F.lit(ingestion_date)).select("order_id").distinct()
    versions = orders.join(day_orders, "order_id", "left_semi")
    return sorted(row[0] for row in versions.select(schema.ORDER_DATE).distinct().collect())


def daily_totals(orders: DataFrame, order_dates: list[date]) -> DataFrame:
    """Gold rows of ``order_dates``, each order counted once in its latest version (the latest
    ordered_at, then the latest ingestion date)."""
    in_dates = F.col(schema.ORDER_DATE).isin(order_dates)
    candidates = orders.where(in_dates).select("order_id").distinct()
    latest = latest_versions(orders.join(candidates, "order_id", "left_semi"),
                             F.col(schema.INGESTION_DATE).desc())
    total = F.sum("amount")
    return (latest.where(in_dates)
            .groupBy(schema.ORDER_DATE, "customer_id", "currency")
            .agg(F.count(F.lit(1)).alias("order_count"),
                 # A cast alone would turn an overflow into null: fail the run instead.
                 F.when(total >= F.lit(TOTAL_AMOUNT_LIMIT),
                        F.raise_error(F.lit(f"a daily total exceeds {schema.TOTAL_AMOUNT_TYPE}")))
                 .otherwise(total.cast(schema.TOTAL_AMOUNT_TYPE)).alias("total_amount"))
            .select(*[name for name, _ in schema.columns(schema.GOLD_TABLE)]))


def run(spark: SparkSession, silver: str, gold: str, ingestion_date: date) -> dict:
    """Runs the job for one ingestion date; returns its summary."""
    summary = {"job": "silver_to_gold", "ingestion_date": ingestion_date.isoformat(), "order_dates": [],
               "rows": 0, "removed_partitions": [], "gold": gold_location(gold)}
    if not lake.exists(spark, silver_location(silver)):
        return summary
    orders = read_silver(spark, silver)
    order_dates = touched_order_dates(orders, ingestion_date)
    if not order_dates:
        return summary
    totals = daily_totals(orders, order_dates).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        rows_by_date = {row[0]: row[1] for row in totals.groupBy(schema.ORDER_DATE).count().collect()}
        if rows_by_date:
            # One file per order date: a day's totals are small, and many tiny files slow every reader.
            (totals.repartition(schema.ORDER_DATE)
             .sortWithinPartitions("customer_id", "currency")
             .write.mode("overwrite")
             .option("partitionOverwriteMode", "dynamic")
             .partitionBy(schema.ORDER_DATE)
             .parquet(gold_location(gold)))
    finally:
        totals.unpersist()
    removed = [day.isoformat() for day in order_dates if day not in rows_by_date
               and lake.delete(spark, schema.join_uri(gold_location(gold), f"{schema.ORDER_DATE}={day.isoformat()}"))]
    summary.update(order_dates=[day.isoformat() for day in order_dates], rows=sum(rows_by_date.values()),
                   removed_partitions=removed)
    return summary
