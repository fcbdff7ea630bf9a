"""The S3A connector for a local Spark: the jars that let the machine's pyspark read and write
``s3://`` locations on the moto server, as EMR Serverless reads and writes S3
(emr_serverless_spark.py runs job runs with them).

    python -m emulator.spark_connector .cache/spark-s3a

fetches them from Maven Central into the folder once, each checked against its pinned SHA-256, and
prints the folder. The versions are those of the Hadoop client that pyspark bundles: hadoop-aws of
the same Hadoop release, and the AWS SDK bundle that release was built with.
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
import urllib.request
from pathlib import Path

MAVEN_CENTRAL = "https://repo1.maven.org/maven2"
HADOOP_VERSION = "3.3.4"
JARS = {
    # (group path, artifact, version): SHA-256
    ("org/apache/hadoop", "hadoop-aws", HADOOP_VERSION):
        "53f9ae03c681a30a50aa17524bd9790ab596b28481858e54efd989a826ed3a4a",
    ("com/amazonaws", "aws-java-sdk-bundle", "1.12.262"):
        "873fe7cf495126619997bec21c44de5d992544aea7e632fdc77adb1a0915bae5",
}


def bundled_hadoop_version() -> str | None:
    """The Hadoop client version of the installed pyspark (None without pyspark)."""
    import importlib.util

    spec = importlib.util.find_spec("pyspark")
    if spec is None or not spec.submodule_search_locations:
        return None
    jars = Path(next(iter(spec.submodule_search_locations))) / "jars"
    for jar in jars.glob("hadoop-client-api-*.jar"):
        return jar.stem[len("hadoop-client-api-"):]
    return None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ensure(folder: Path) -> Path:
    """The folder, holding every connector jar (fetched when missing or not as pinned)."""
    folder = Path(folder)
    bundled = bundled_hadoop_version()
    if bundled and bundled != HADOOP_VERSION:
        raise RuntimeError(f"pyspark bundles Hadoop {bundled}, the S3A connector pinned here is for {HADOOP_VERSION}: "
                           "update JARS in emulator/spark_connector.py with pyspark")
    folder.mkdir(parents=True, exist_ok=True)
    for (group, artifact, version), sha256 in JARS.items():
        target = folder / f"{artifact}-{version}.jar"
        if target.exists() and _sha256(target) == sha256:
            continue
        url = f"{MAVEN_CENTRAL}/{group}/{artifact}/{version}/{artifact}-{version}.jar"
        with (tempfile.NamedTemporaryFile(dir=folder, delete=False, suffix=".part") as partial,
              urllib.request.urlopen(url, timeout=300) as response):
            while block := response.read(1 << 20):
                partial.write(block)
        fetched = Path(partial.name)
        if _sha256(fetched) != sha256:
            fetched.unlink()
            raise RuntimeError(f"{url} does not have the pinned SHA-256 {sha256}")
        fetched.replace(target)
    return folder


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} FOLDER")
    print(ensure(Path(sys.argv[1])))
