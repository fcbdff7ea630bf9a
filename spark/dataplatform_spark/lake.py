"""File-system operations on the lake that Spark's writers do not offer, through the Hadoop
file system of the session (S3 on EMR, S3A or the local disk elsewhere)."""

from __future__ import annotations


def _file_system(spark, uri: str):
    path = spark._jvm.org.apache.hadoop.fs.Path(uri)
    return path, path.getFileSystem(spark._jsc.hadoopConfiguration())


def exists(spark, uri: str) -> bool:
    path, file_system = _file_system(spark, uri)
    return bool(file_system.exists(path))


def delete(spark, uri: str) -> bool:
    """Removes a folder and what it holds; True when there was one.

    Dynamic partition overwrite only replaces the partitions a write has rows for: a partition
    that a rerun leaves empty has to be removed here, or its stale rows would stay.
    """
    path, file_system = _file_system(spark, uri)
    return bool(file_system.exists(path) and file_system.delete(path, True))
