"""The command line of the jobs: ``spark-submit spark/jobs/<job>.py --option value …``.

Arguments are checked before Spark starts (a wrong date fails in a second, naming the option, with
exit status 2), so this module imports pyspark only once they are valid. At the end the job prints
its summary as one line of JSON, which the driver's log (and so the DAG task's) shows.

Locations are URIs: ``s3://`` on EMR, ``s3a://`` on a Spark of one's own (the S3A connector and its
``spark.hadoop.fs.s3a.*`` settings, endpoint and credentials, are the caller's: ``--conf``), and
``file://`` or plain paths on a local disk.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
from datetime import date

SCHEMES = ("s3", "s3a", "file", "hdfs")

# Settings every run needs, whoever submits it. Dynamic partition overwrite is also asked for on
# each write; Parquet timestamps as INT64 microseconds (not the legacy INT96) are what Glue and
# Athena read as timestamps without conversion flags.
JOB_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
}

# Job -> (description, its location options).
JOBS = {
    "bronze_to_silver": ("Orders of one ingestion date from bronze JSON lines to silver Parquet.",
                         ("bronze", "silver")),
    "silver_to_gold": ("Daily totals per customer and currency of the order dates one ingestion date touched.",
                       ("silver", "gold")),
}


def iso_date(value: str) -> date:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date: {error}") from None


def location(value: str) -> str:
    scheme, separator, rest = value.partition("://")
    if not separator:
        if not value.strip() or ":" in value:
            raise argparse.ArgumentTypeError(f"{value!r} is neither a path nor a URI such as s3://bucket/")
        return value
    if scheme not in SCHEMES:
        raise argparse.ArgumentTypeError(f"{value!r}: the scheme must be one of {', '.join(SCHEMES)}")
    if not rest.strip("/") and scheme != "file":
        raise argparse.ArgumentTypeError(f"{value!r} names no bucket")
    return value


def parser(job: str) -> argparse.ArgumentParser:
    description, layers = JOBS[job]
    parser = argparse.ArgumentParser(prog=f"{job}.py", description=description)
    for layer in layers:
        parser.add_argument(f"--{layer}", required=True, type=location, metavar="URI",
                            help=f"root of the {layer} layer (s3://bucket/, s3a://…, file://… or a path)")
    parser.add_argument("--ingestion-date", required=True, type=iso_date, metavar="YYYY-MM-DD",
                        help="the ingestion date to process")
    return parser


def build_session(app_name: str):
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app_name)
    for key, value in JOB_CONF.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def main(job: str, argv: list[str] | None = None) -> int:
    arguments = vars(parser(job).parse_args(argv))
    module = importlib.import_module(f"dataplatform_spark.{job}")
    # Not stopped here: spark-submit stops the session when the script ends, and a caller that
    # brought its own session keeps it.
    spark = build_session(f"dataplatform-{job.replace('_', '-')}")
    summary = module.run(spark, **arguments)
    print(json.dumps(summary), flush=True)
    return 0
