"""The spark tier: the jobs of spark/ on a real Spark in local mode, one session for the whole run.

pyspark comes from requirements/spark.txt and needs Java 17 on the PATH (or JAVA_HOME).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SPARK_FOLDER = REPO_ROOT / "spark"


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """A local Spark session on one core, set as the jobs expect (cli.JOB_CONF) and small: one
    shuffle partition, no UI, its scratch space in the test's temporary folder."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        pytest.fail("pyspark is not installed: .venv/bin/pip install -r requirements/spark.txt")
    from dataplatform_spark.cli import JOB_CONF

    scratch = tmp_path_factory.mktemp("spark")
    # Python workers, should Spark start any, run the interpreter of the tests.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = (SparkSession.builder.master("local[1]").appName("dataplatform-spark-tests")
               .config("spark.sql.shuffle.partitions", "1")
               .config("spark.default.parallelism", "1")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.driver.host", "127.0.0.1")
               .config("spark.driver.bindAddress", "127.0.0.1")
               .config("spark.local.dir", str(scratch / "local"))
               .config("spark.sql.warehouse.dir", str(scratch / "warehouse")))
    for key, value in JOB_CONF.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    assert session.conf.get("spark.sql.session.timeZone") == "UTC"
    assert session.conf.get("spark.sql.sources.partitionOverwriteMode") == "dynamic"
    yield session
    session.stop()
