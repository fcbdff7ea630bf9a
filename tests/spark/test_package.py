"""The package EMR Serverless runs (spark/package.py): what the zip holds, that it is the same
bytes for the same sources, and that the data contract in it imports without pyspark."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

SPARK_FOLDER = Path(__file__).resolve().parents[2] / "spark"
MODULES = ["__init__.py", "bronze_to_silver.py", "cli.py", "lake.py", "schema.py", "silver_to_gold.py"]


def build(spark_folder: Path, output: Path) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, str(spark_folder / "package.py"), "--output", str(output)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    output = tmp_path_factory.mktemp("package")
    return output, build(SPARK_FOLDER, output)


def test_the_zip_holds_the_package_and_the_scripts_lie_beside_it(built):
    output, result = built
    with zipfile.ZipFile(output / "dataplatform_spark.zip") as archive:
        entries = archive.infolist()
        assert [entry.filename for entry in entries] == [f"dataplatform_spark/{name}" for name in MODULES]
        assert {entry.date_time for entry in entries} == {(1980, 1, 1, 0, 0, 0)}
        assert {entry.external_attr >> 16 for entry in entries} == {0o100644}
        for entry in entries:
            assert archive.read(entry) == (SPARK_FOLDER / entry.filename).read_bytes()
    assert sorted(path.name for path in (output / "jobs").iterdir()) == ["bronze_to_silver.py", "silver_to_gold.py"]
    for script in (output / "jobs").iterdir():
        assert script.read_bytes() == (SPARK_FOLDER / "jobs" / script.name).read_bytes()
    printed = [line.split("  ", 1)[1] for line in result.stdout.splitlines()]
    assert printed == [str(output / "dataplatform_spark.zip"), str(output / "jobs" / "bronze_to_silver.py"),
                       str(output / "jobs" / "silver_to_gold.py")]
    assert not [path for path in output.iterdir() if path.name.startswith(".")]


def test_the_same_sources_give_the_same_zip_whatever_their_times(built, tmp_path):
    output, _ = built
    # A copy of the sources with other modification times and a stray compiled file.
    copy = tmp_path / "spark"
    shutil.copytree(SPARK_FOLDER, copy, ignore=shutil.ignore_patterns("__pycache__"))
    for path in copy.rglob("*"):
        os.utime(path, (1_900_000_000, 1_900_000_000))
    (copy / "dataplatform_spark" / "__pycache__").mkdir()
    (copy / "dataplatform_spark" / "__pycache__" / "schema.cpython-311.pyc").write_bytes(b"\0")
    build(copy, tmp_path / "again")
    again = (tmp_path / "again" / "dataplatform_spark.zip").read_bytes()
    assert again == (output / "dataplatform_spark.zip").read_bytes()


def test_the_data_contract_imports_from_the_zip_without_pyspark(built, tmp_path):
    output, _ = built
    (tmp_path / "pyspark").mkdir()
    (tmp_path / "pyspark" / "__init__.py").write_text('raise ImportError("no pyspark here")\n')
    code = ("from dataplatform_spark import schema; "
            "print(schema.TABLES['orders']['partition_keys'], schema.TABLES['daily_customer_totals']['location'])")
    path = os.pathsep.join([str(tmp_path), str(output / "dataplatform_spark.zip")])
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=tmp_path,
                            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": path, "PYTHONDONTWRITEBYTECODE": "1"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[('ingestion_date', 'string')] daily_customer_totals/"
