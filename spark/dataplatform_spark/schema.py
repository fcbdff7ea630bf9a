"""The orders data contract: where each layer keeps the dataset, and the columns of its tables.

Plain data first (``TABLES`` and the names): the Glue tables Terraform declares and the DAG are
checked against it by tests that have no pyspark, so importing this module must not import it.
``spark_schema()`` turns a table's columns into a Spark schema for the jobs, importing pyspark
only when called.

Every location is relative to a layer's root URI (``--bronze``, ``--silver``, ``--gold``):

* bronze: ``orders/ingestion_date=<YYYY-MM-DD>/<anything>.json``, JSON lines written by NiFi;
* silver: ``orders/ingestion_date=<YYYY-MM-DD>/`` Parquet, and the records refused from bronze in
  ``_quarantine/orders/ingestion_date=<YYYY-MM-DD>/`` (JSON lines, each with its reason);
* gold: ``daily_customer_totals/order_date=<YYYY-MM-DD>/`` Parquet.
"""

from __future__ import annotations

import re

DATASET = "orders"
INGESTION_DATE = "ingestion_date"
ORDER_DATE = "order_date"

BRONZE_PREFIX = DATASET
SILVER_TABLE = DATASET
QUARANTINE_PREFIX = f"_quarantine/{DATASET}"
GOLD_TABLE = "daily_customer_totals"

# The keys of a bronze record the jobs read; any other key is ignored.
BRONZE_FIELDS = ("order_id", "customer_id", "amount", "currency", "ordered_at")
CORRUPT_RECORD = "_corrupt_record"

AMOUNT_TYPE = "decimal(12,2)"
TOTAL_AMOUNT_TYPE = "decimal(14,2)"
CURRENCY_PATTERN = r"^[A-Z]{3}$"

# Table name -> its layer, location under the layer's root, format, columns and partition keys,
# each column as (name, Glue type): the types Glue and Athena use, which spark_schema() maps.
# Partition values are folder names (yyyy-MM-dd), strings to the catalog: as text they sort and
# compare like the dates they are, and registering one needs no conversion.
TABLES: dict[str, dict] = {
    SILVER_TABLE: {
        "layer": "silver",
        "location": f"{SILVER_TABLE}/",
        "format": "parquet",
        "columns": [
            ("order_id", "string"),
            ("customer_id", "string"),
            ("amount", AMOUNT_TYPE),
            ("currency", "string"),
            ("ordered_at", "timestamp"),
        ],
        "partition_keys": [(INGESTION_DATE, "string")],
    },
    GOLD_TABLE: {
        "layer": "gold",
        "location": f"{GOLD_TABLE}/",
        "format": "parquet",
        "columns": [
            ("customer_id", "string"),
            ("currency", "string"),
            ("order_count", "bigint"),
            ("total_amount", TOTAL_AMOUNT_TYPE),
        ],
        "partition_keys": [(ORDER_DATE, "string")],
    },
}

# The quarantine is no table (nothing queries it through the catalog), but its shape is part of the
# contract: the record as read (the raw line when it was no JSON object), why it was refused, and
# the bronze file it came from.
QUARANTINE_COLUMNS = [("record", "string"), ("reason", "string"), ("source_file", "string")]


def partition_path(prefix: str, key: str, value: str) -> str:
    """``orders/ingestion_date=2026-11-30``: one partition's folder under a layer's root."""
    return f"{prefix.rstrip('/')}/{key}={value}"


def join_uri(root: str, *parts: str) -> str:
    """A location under a root URI or path, with exactly one slash between the parts."""
    return "/".join([root.rstrip("/"), *(part.strip("/") for part in parts)])


def columns(table: str, with_partitions: bool = True) -> list[tuple[str, str]]:
    """A table's (column, Glue type) pairs, its partition keys last as Glue lists them."""
    spec = TABLES[table]
    return list(spec["columns"]) + (list(spec["partition_keys"]) if with_partitions else [])


_DECIMAL = re.compile(r"^decimal\((\d+),(\d+)\)$")


def spark_type(glue_type: str):
    """The Spark type of a Glue type the contract uses."""
    from pyspark.sql import types

    simple = {
        "string": types.StringType(),
        "bigint": types.LongType(),
        "date": types.DateType(),
        "timestamp": types.TimestampType(),
    }
    if glue_type in simple:
        return simple[glue_type]
    decimal = _DECIMAL.match(glue_type)
    if decimal:
        return types.DecimalType(int(decimal.group(1)), int(decimal.group(2)))
    raise ValueError(f"no Spark type for the Glue type {glue_type!r}")


def spark_schema(table: str, with_partitions: bool = True):
    """A table's Spark schema (a StructType), partition keys last."""
    from pyspark.sql import types

    return types.StructType([types.StructField(name, spark_type(glue_type), nullable=True)
                             for name, glue_type in columns(table, with_partitions)])


def bronze_schema():
    """What the jobs read from bronze: every field as text, typed and checked afterwards, so that a
    value of the wrong JSON type is refused with a reason instead of turning the line into null."""
    from pyspark.sql import types

    return types.StructType([types.StructField(name, types.StringType()) for name in BRONZE_FIELDS]
                            + [types.StructField(CORRUPT_RECORD, types.StringType())])
