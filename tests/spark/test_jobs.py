"""The orders jobs on a local Spark: bronze JSON lines to typed, deduplicated silver (malformed
records quarantined with their reason), silver to the gold daily totals, reruns that change
nothing, and a later ingestion date with late and corrected orders."""

from __future__ import annotations

import json
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

DAY_ONE = date(2026, 11, 30)
DAY_TWO = date(2026, 12, 1)

# The first day's bronze, over two files: the order of files and lines must not matter.
DAY_ONE_FILES = {
    "nifi-0001.json": [
        {"order_id": "o1", "customer_id": "c1", "amount": "10.50", "currency": "EUR",
         "ordered_at": "2026-11-29T08:00:00Z", "channel": "web"},
        # A number rather than a string; 23:30 at UTC-2 is the next day in UTC.
        {"order_id": "o2", "customer_id": "c1", "amount": 4.5, "currency": "EUR",
         "ordered_at": "2026-11-29T23:30:00-02:00"},
        {"order_id": "o3", "customer_id": "c2", "amount": "100", "currency": "USD",
         "ordered_at": "2026-11-29T12:00:00+01:00"},
        {"order_id": "o4", "customer_id": "c2", "amount": "7.00", "currency": "EUR",
         "ordered_at": "2026-11-30T09:00:00Z"},
        {"order_id": "o5", "customer_id": "c2", "amount": "1.00", "currency": "EUR",
         "ordered_at": "2026-11-30T11:00:00Z"},
        {"order_id": "m1", "customer_id": "c1", "amount": "12.345", "currency": "EUR",
         "ordered_at": "2026-11-30T10:00:00Z"},
        {"order_id": "m2", "customer_id": "c1", "amount": "abc", "currency": "EUR",
         "ordered_at": "2026-11-30T10:00:00Z"},
        {"order_id": "m3", "customer_id": "c1", "amount": "-1.00", "currency": "EUR",
         "ordered_at": "2026-11-30T10:00:00Z"},
        '{"order_id": "m4", "customer_id": "c1", "amount": "5.00", ',
    ],
    "nifi-0002.json": [
        # The latest version of o4; o5 twice at the same instant: the tie-break decides.
        {"order_id": "o4", "customer_id": "c2", "amount": "8.00", "currency": "EUR",
         "ordered_at": "2026-11-30T10:00:00Z"},
        {"order_id": "o5", "customer_id": "c2", "amount": "2.00", "currency": "EUR",
         "ordered_at": "2026-11-30T11:00:00Z"},
        {"order_id": "o6", "customer_id": "c3", "amount": "0", "currency": "GBP",
         "ordered_at": "2026-11-30T12:00:00.5Z"},
        {"order_id": "o9", "customer_id": "c4", "amount": "3.00", "currency": "JPY",
         "ordered_at": "2026-11-28T10:00:00Z"},
        {"order_id": "m5", "customer_id": "c1", "amount": "1.00", "currency": "usd",
         "ordered_at": "2026-11-30T10:00:00Z"},
        {"order_id": "m6", "customer_id": "c1", "amount": "1.00", "currency": "EURO",
         "ordered_at": "2026-11-30T10:00:00Z"},
        {"customer_id": "c1", "amount": "1.00", "currency": "EUR", "ordered_at": "2026-11-30T10:00:00Z"},
        {"order_id": "  ", "customer_id": "c1", "amount": "1.00", "currency": "EUR",
         "ordered_at": "2026-11-30T10:00:00Z"},
        {"order_id": "m7", "customer_id": "c1", "amount": "1.00", "currency": "EUR",
         "ordered_at": "2026-11-30 10:00:00"},
        {"order_id": "m8", "customer_id": "c1", "amount": "1.00", "currency": "EUR", "ordered_at": "yesterday"},
    ],
    # Not NiFi's: the job reads *.json only.
    "_upload.tmp": ['{"order_id": "x1", "customer_id": "c9", "amount": "1.00", "currency": "EUR", '
                    '"ordered_at": "2026-11-30T10:00:00Z"}'],
}

# Silver after the first day: the latest version of each valid order, times in UTC.
DAY_ONE_SILVER = [
    ("o1", "c1", Decimal("10.50"), "EUR", "2026-11-29 08:00:00.000"),
    ("o2", "c1", Decimal("4.50"), "EUR", "2026-11-30 01:30:00.000"),
    ("o3", "c2", Decimal("100.00"), "USD", "2026-11-29 11:00:00.000"),
    ("o4", "c2", Decimal("8.00"), "EUR", "2026-11-30 10:00:00.000"),
    ("o5", "c2", Decimal("2.00"), "EUR", "2026-11-30 11:00:00.000"),
    ("o6", "c3", Decimal("0.00"), "GBP", "2026-11-30 12:00:00.500"),
    ("o9", "c4", Decimal("3.00"), "JPY", "2026-11-28 10:00:00.000"),
]

# Gold after the first day, added up by hand from DAY_ONE_SILVER:
# (order_date, customer_id, currency, order_count, total_amount).
DAY_ONE_GOLD = [
    ("2026-11-28", "c4", "JPY", 1, Decimal("3.00")),                # o9
    ("2026-11-29", "c1", "EUR", 1, Decimal("10.50")),               # o1
    ("2026-11-29", "c2", "USD", 1, Decimal("100.00")),              # o3
    ("2026-11-30", "c1", "EUR", 1, Decimal("4.50")),                # o2
    ("2026-11-30", "c2", "EUR", 2, Decimal("10.00")),               # o4 8.00 + o5 2.00
    ("2026-11-30", "c3", "GBP", 1, Decimal("0.00")),                # o6
]

# The second day: a late order for 11-29, o3 corrected, o2 and o9 moved to other dates, a new order.
DAY_TWO_FILES = {
    "nifi-0003.json": [
        {"order_id": "o7", "customer_id": "c1", "amount": "5.25", "currency": "EUR",
         "ordered_at": "2026-11-29T20:00:00Z"},
        {"order_id": "o3", "customer_id": "c2", "amount": "120.00", "currency": "USD",
         "ordered_at": "2026-11-29T12:30:00+01:00"},
        {"order_id": "o2", "customer_id": "c1", "amount": "4.50", "currency": "EUR",
         "ordered_at": "2026-12-01T00:10:00Z"},
        {"order_id": "o9", "customer_id": "c4", "amount": "3.00", "currency": "JPY",
         "ordered_at": "2026-11-29T10:00:00Z"},
        {"order_id": "o8", "customer_id": "c1", "amount": "1.00", "currency": "EUR",
         "ordered_at": "2026-12-01T06:00:00Z"},
    ],
}

# Gold after both days, by hand: 11-28 has no order left (o9 moved to 11-29), so no partition.
BOTH_DAYS_GOLD = [
    ("2026-11-29", "c1", "EUR", 2, Decimal("15.75")),               # o1 10.50 + late o7 5.25
    ("2026-11-29", "c2", "USD", 1, Decimal("120.00")),              # o3 corrected, counted once
    ("2026-11-29", "c4", "JPY", 1, Decimal("3.00")),                # o9 moved from 11-28
    ("2026-11-30", "c2", "EUR", 2, Decimal("10.00")),               # o2 moved away to 12-01
    ("2026-11-30", "c3", "GBP", 1, Decimal("0.00")),
    ("2026-12-01", "c1", "EUR", 2, Decimal("5.50")),                # o8 1.00 + o2 4.50
]

QUARANTINED_REASONS = {
    "m1": "amount is not a decimal(12,2)",
    "m2": "amount is not a decimal(12,2)",
    "m3": "amount is negative",
    "m5": "currency is not a 3-letter ISO code",
    "m6": "currency is not a 3-letter ISO code",
    "m7": "ordered_at is not an ISO 8601 timestamp with zone",
    "m8": "ordered_at is not an ISO 8601 timestamp with zone",
}


def write_bronze(root: Path, day: date, files: dict) -> None:
    folder = root / "orders" / f"ingestion_date={day.isoformat()}"
    folder.mkdir(parents=True)
    for name, lines in files.items():
        text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
        (folder / name).write_text(text + "\n")


class Lake:
    def __init__(self, root: Path):
        self.root = root
        self.bronze, self.silver, self.gold = (root / layer for layer in ("bronze", "silver", "gold"))

    def uris(self, job: str) -> dict:
        # Plain paths for one layer, file:// URIs for the others: the jobs take both.
        if job == "bronze_to_silver":
            return {"bronze": str(self.bronze), "silver": self.silver.as_uri()}
        return {"silver": str(self.silver), "gold": self.gold.as_uri() + "/"}


def run_jobs(spark, lake: Lake, day: date) -> tuple[dict, dict]:
    from dataplatform_spark import bronze_to_silver, silver_to_gold

    return (bronze_to_silver.run(spark, ingestion_date=day, **lake.uris("bronze_to_silver")),
            silver_to_gold.run(spark, ingestion_date=day, **lake.uris("silver_to_gold")))


def silver_rows(spark, lake: Lake) -> list[tuple]:
    from pyspark.sql import functions as F

    frame = spark.read.parquet(str(lake.silver / "orders"))
    return sorted((row.order_id, row.customer_id, row.amount, row.currency, row.at, row.ingestion_date.isoformat())
                  for row in frame.select("*", F.date_format("ordered_at", "yyyy-MM-dd HH:mm:ss.SSS").alias("at"))
                  .collect())


def gold_rows(spark, lake: Lake) -> list[tuple]:
    return sorted((row.order_date.isoformat(), row.customer_id, row.currency, row.order_count, row.total_amount)
                  for row in spark.read.parquet(str(lake.gold / "daily_customer_totals")).collect())


def quarantine_records(lake: Lake, day: date) -> list[dict]:
    folder = lake.silver / "_quarantine" / "orders" / f"ingestion_date={day.isoformat()}"
    return [json.loads(line) for path in sorted(folder.glob("part-*.json")) for line in path.read_text().splitlines()]


def data_files(folder: Path) -> dict[str, list[str]]:
    """Partition folder -> names of its data files (no checksums, no markers)."""
    files: dict[str, list[str]] = {}
    for path in sorted(folder.rglob("part-*")):
        files.setdefault(path.parent.relative_to(folder).as_posix(), []).append(path.name)
    return files


@pytest.fixture(scope="module")
def day_one(spark, tmp_path_factory):
    """A lake after both jobs ran for the first day: the lake and the two summaries."""
    lake = Lake(tmp_path_factory.mktemp("lake"))
    write_bronze(lake.bronze, DAY_ONE, DAY_ONE_FILES)
    to_silver, to_gold = run_jobs(spark, lake, DAY_ONE)
    return lake, to_silver, to_gold


def test_valid_records_become_typed_silver_rows_one_per_order(spark, day_one):
    from dataplatform_spark import schema

    lake, summary, _ = day_one
    assert [row[:5] for row in silver_rows(spark, lake)] == DAY_ONE_SILVER
    assert {row[5] for row in silver_rows(spark, lake)} == {DAY_ONE.isoformat()}
    assert (summary["read"], summary["written"], summary["duplicates"], summary["quarantined"]) == (19, 7, 2, 10)

    partition = lake.silver / "orders" / f"ingestion_date={DAY_ONE.isoformat()}"
    parquet_files = sorted(partition.glob("part-*.parquet"))
    assert parquet_files, f"no Parquet file in {partition}"
    # The file's own schema, as Glue and Athena see it: the partition column lives in the path only.
    file_schema = spark.read.parquet(str(parquet_files[0])).schema
    assert [(field.name, field.dataType.simpleString()) for field in file_schema] == [
        ("order_id", "string"), ("customer_id", "string"), ("amount", "decimal(12,2)"),
        ("currency", "string"), ("ordered_at", "timestamp")]
    assert [(field.name, field.dataType) for field in file_schema] == [
        (field.name, field.dataType) for field in schema.spark_schema(schema.SILVER_TABLE, with_partitions=False)]


def test_malformed_records_are_quarantined_with_their_reason_and_kept_out_of_silver(spark, day_one):
    lake, summary, _ = day_one
    records = quarantine_records(lake, DAY_ONE)
    assert len(records) == summary["quarantined"] == 10
    # The date is the partition's, in the path, as in silver.
    assert all(set(record) == {"record", "reason", "source_file"} for record in records)
    assert all(record["source_file"].endswith(("nifi-0001.json", "nifi-0002.json")) for record in records)

    by_order = {json.loads(record["record"]).get("order_id"): record["reason"]
                for record in records if record["reason"] != "unparseable JSON"}
    assert {order: by_order[order] for order in QUARANTINED_REASONS} == QUARANTINED_REASONS
    assert by_order[None] == "missing order_id"
    assert by_order["  "] == "missing order_id"

    unparseable = [record for record in records if record["reason"] == "unparseable JSON"]
    # Kept as the line was, for whoever fixes the producer.
    assert [record["record"] for record in unparseable] == [DAY_ONE_FILES["nifi-0001.json"][-1]]

    silver_ids = {row[0] for row in silver_rows(spark, lake)}
    assert not silver_ids & {"m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "", "  ", "x1"}


def test_gold_holds_the_daily_totals_per_customer_and_currency(spark, day_one):
    lake, _, summary = day_one
    assert gold_rows(spark, lake) == DAY_ONE_GOLD
    assert summary["order_dates"] == ["2026-11-28", "2026-11-29", "2026-11-30"]
    assert summary["rows"] == len(DAY_ONE_GOLD)
    assert sorted(path.name for path in (lake.gold / "daily_customer_totals").glob("order_date=*")) == [
        "order_date=2026-11-28", "order_date=2026-11-29", "order_date=2026-11-30"]
    file_schema = spark.read.parquet(str(next((lake.gold / "daily_customer_totals").rglob("part-*.parquet")))).schema
    assert [(field.name, field.dataType.simpleString()) for field in file_schema] == [
        ("customer_id", "string"), ("currency", "string"), ("order_count", "bigint"),
        ("total_amount", "decimal(14,2)")]


def test_rerunning_both_jobs_for_the_same_date_changes_nothing(spark, day_one, capsys):
    from dataplatform_spark import cli

    lake, first_silver, first_gold = day_one
    before = (silver_rows(spark, lake), quarantine_records(lake, DAY_ONE), gold_rows(spark, lake))
    files_before = {layer: data_files(folder) for layer, folder in (("silver", lake.silver), ("gold", lake.gold))}
    capsys.readouterr()

    # Through the command line this time, as spark-submit runs it: the summary is one JSON line.
    for job in ("bronze_to_silver", "silver_to_gold"):
        arguments = [item for key, value in lake.uris(job).items() for item in (f"--{key}", value)]
        assert cli.main(job, [*arguments, "--ingestion-date", DAY_ONE.isoformat()]) == 0
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert printed == [first_silver, first_gold]

    assert (silver_rows(spark, lake), quarantine_records(lake, DAY_ONE), gold_rows(spark, lake)) == before
    # The partitions were replaced, not added to: as many data files as before, in the same folders.
    files_after = {layer: data_files(folder) for layer, folder in (("silver", lake.silver), ("gold", lake.gold))}
    assert {layer: {folder: len(names) for folder, names in files.items()} for layer, files in files_after.items()} \
        == {layer: {folder: len(names) for folder, names in files.items()} for layer, files in files_before.items()}
    assert len(silver_rows(spark, lake)) == len({row[0] for row in silver_rows(spark, lake)})


def test_a_later_date_with_late_and_corrected_orders_updates_the_earlier_gold_partitions(spark, day_one, tmp_path):
    lake = Lake(tmp_path / "lake")
    shutil.copytree(day_one[0].root, lake.root)
    write_bronze(lake.bronze, DAY_TWO, DAY_TWO_FILES)

    to_silver, to_gold = run_jobs(spark, lake, DAY_TWO)
    assert (to_silver["read"], to_silver["written"], to_silver["quarantined"]) == (5, 5, 0)
    assert to_gold["order_dates"] == ["2026-11-28", "2026-11-29", "2026-11-30", "2026-12-01"]
    assert to_gold["removed_partitions"] == ["2026-11-28"]
    assert gold_rows(spark, lake) == BOTH_DAYS_GOLD
    assert not (lake.gold / "daily_customer_totals" / "order_date=2026-11-28").exists()
    # The first day's silver partition is left as it was; the second has the five orders.
    assert [row[:5] for row in silver_rows(spark, lake) if row[5] == DAY_ONE.isoformat()] == DAY_ONE_SILVER
    assert sorted(row[0] for row in silver_rows(spark, lake) if row[5] == DAY_TWO.isoformat()) == [
        "o2", "o3", "o7", "o8", "o9"]
    # A day without malformed records leaves no quarantine partition.
    assert not (lake.silver / "_quarantine" / "orders" / f"ingestion_date={DAY_TWO.isoformat()}").exists()

    # Rerunning either day, in any order, gives the same gold: each order once, in its latest version.
    silver_before = silver_rows(spark, lake)
    run_jobs(spark, lake, DAY_TWO)
    run_jobs(spark, lake, DAY_ONE)
    assert gold_rows(spark, lake) == BOTH_DAYS_GOLD
    assert silver_rows(spark, lake) == silver_before
