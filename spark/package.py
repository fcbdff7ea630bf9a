"""Builds what EMR Serverless runs: the package as ``dataplatform_spark.zip`` (``--py-files``) and
the entry scripts beside it, in one folder to upload as it is.

    python spark/package.py [--output .cache/spark]

The zip is the same bytes for the same sources (sorted entries, fixed timestamps and modes, no
compiled files), so an unchanged package uploads as the same object and a changed one shows as a
new ETag. Prints each file written with its SHA-256.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import zipfile
from pathlib import Path

SPARK = Path(__file__).resolve().parent
PACKAGE = SPARK / "dataplatform_spark"
JOBS = SPARK / "jobs"
ZIP_NAME = "dataplatform_spark.zip"
DEFAULT_OUTPUT = SPARK.parent / ".cache" / "spark"

# The earliest time a zip entry can carry (DOS dates start in 1980).
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def package_files() -> list[Path]:
    return sorted(path for path in PACKAGE.rglob("*.py") if "__pycache__" not in path.parts)


def job_scripts() -> list[Path]:
    return sorted(JOBS.glob("*.py"))


def write_zip(target: Path) -> None:
    with zipfile.ZipFile(target, "w") as archive:
        for path in package_files():
            entry = zipfile.ZipInfo(path.relative_to(SPARK).as_posix(), date_time=FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 3  # Unix, so that the mode below is read as one
            entry.external_attr = 0o100644 << 16
            archive.writestr(entry, path.read_bytes(), compresslevel=9)


def build(output: Path) -> list[Path]:
    """Writes the zip and the entry scripts into ``output``; returns them, the zip first."""
    output.mkdir(parents=True, exist_ok=True)
    # Written beside and renamed, so that an interrupted build never leaves a truncated zip to upload.
    partial = output / f".{ZIP_NAME}.partial"
    write_zip(partial)
    partial.replace(output / ZIP_NAME)
    written = [output / ZIP_NAME]
    jobs = output / "jobs"
    jobs.mkdir(exist_ok=True)
    for script in job_scripts():
        shutil.copyfile(script, jobs / script.name)
        written.append(jobs / script.name)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                        help=f"folder to write into (default: {DEFAULT_OUTPUT.relative_to(SPARK.parent)})")
    arguments = parser.parse_args(argv)
    for path in build(arguments.output):
        print(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
