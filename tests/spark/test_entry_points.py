"""The entry scripts' command line: a wrong or missing argument fails at once, before Spark,
naming the option, with argparse's exit status 2 and no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

JOBS = Path(__file__).resolve().parents[2] / "spark" / "jobs"
VALID = {"bronze": "s3://bronze-bucket/", "silver": "s3://silver-bucket/", "gold": "s3://gold-bucket/"}
OPTIONS = {"bronze_to_silver": ("bronze", "silver"), "silver_to_gold": ("silver", "gold")}


@pytest.fixture(scope="module")
def no_pyspark(tmp_path_factory):
    """A PYTHONPATH on which importing pyspark fails: proof that a refused argument needs no Spark."""
    folder = tmp_path_factory.mktemp("no-pyspark")
    (folder / "pyspark").mkdir()
    (folder / "pyspark" / "__init__.py").write_text(
        'raise ImportError("pyspark imported before the arguments were checked")\n')
    return str(folder)


def run(job: str, arguments: list[str], pythonpath: str, cwd: Path) -> subprocess.CompletedProcess:
    # From another folder, without the package on the path: the script finds it beside itself.
    environment = {"PATH": "/usr/bin:/bin", "PYTHONPATH": pythonpath, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, str(JOBS / f"{job}.py"), *arguments], capture_output=True, text=True,
                          timeout=60, cwd=cwd, env=environment)


def arguments(job: str, **changes) -> list[str]:
    values = {**{layer: VALID[layer] for layer in OPTIONS[job]}, "ingestion-date": "2026-11-30", **changes}
    return [item for key, value in values.items() if value is not None for item in (f"--{key}", value)]


@pytest.mark.parametrize("job", sorted(OPTIONS))
@pytest.mark.parametrize("changes, option, message", [
    ({"ingestion-date": "2026-13-01"}, "--ingestion-date", "is not a date"),
    ({"ingestion-date": "30/11/2026"}, "--ingestion-date", "YYYY-MM-DD"),
    ({"ingestion-date": None}, "--ingestion-date", "required"),
    ({"silver": None}, "--silver", "required"),
    ({"silver": "http://silver-bucket/"}, "--silver", "scheme"),
    ({"silver": "s3://"}, "--silver", "names no bucket"),
], ids=["month-13", "not-iso", "date-missing", "silver-missing", "http", "no-bucket"])
def test_a_bad_argument_exits_2_naming_the_option(job, changes, option, message, no_pyspark, tmp_path):
    result = run(job, arguments(job, **changes), no_pyspark, tmp_path)
    assert result.returncode == 2, result
    assert option in result.stderr and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("job, option", [("bronze_to_silver", "--bronze"), ("silver_to_gold", "--gold")])
def test_each_job_asks_for_its_own_layers(job, option, no_pyspark, tmp_path):
    result = run(job, arguments(job, **{option[2:]: None}), no_pyspark, tmp_path)
    assert result.returncode == 2 and option in result.stderr, result
    help_text = run(job, ["--help"], no_pyspark, tmp_path)
    assert help_text.returncode == 0 and option in help_text.stdout and "--ingestion-date" in help_text.stdout
