"""What PutBronzeObject does, apart from NiFi: where an object lands in bronze and one write of it.

Kept free of NiFi's API so that it is tested alone (tests/unit of the collection).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import re

# What the orders DAG and the Spark job read: <prefix>/<partition key>=<yyyy-MM-dd>/<name>.json
PARTITION_KEY = "ingestion_date"
OBJECT_SUFFIX = ".json"
_SEGMENT = re.compile(r"^[A-Za-z0-9._-]+$")


class BronzeWriteError(Exception):
    """A write that did not happen; ``retryable`` says whether trying again can succeed."""

    def __init__(self, message: str, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


def object_key(prefix: str, ingestion_date: str, name: str) -> str:
    """``<prefix>/ingestion_date=<date>/<name>.json``; refuses what would land anywhere else."""
    parts = [part for part in prefix.strip("/").split("/") if part]
    if not parts or not all(_SEGMENT.match(part) and part not in (".", "..") for part in parts):
        raise ValueError(f"the key prefix {prefix!r} is not one or more path segments of letters, digits, '.', '_' or '-'")
    try:
        day = datetime.date.fromisoformat(ingestion_date)
    except (TypeError, ValueError):
        raise ValueError(f"the ingestion date {ingestion_date!r} is not a date as yyyy-MM-dd") from None
    if day.isoformat() != ingestion_date:
        raise ValueError(f"the ingestion date {ingestion_date!r} is not a date as yyyy-MM-dd")
    if not _SEGMENT.match(name or ""):
        raise ValueError(f"the object name {name!r} is not letters, digits, '.', '_' or '-'")
    return "/".join([*parts, f"{PARTITION_KEY}={ingestion_date}", name + OBJECT_SUFFIX])


def content_md5(body: bytes) -> str:
    """The Content-MD5 header of ``body``: S3 refuses a body that arrived different."""
    return base64.b64encode(hashlib.md5(body, usedforsecurity=False).digest()).decode()


# Error codes S3 answers for a request that can never succeed as it is.
_PERMANENT_CODES = {"NoSuchBucket", "InvalidBucketName", "InvalidArgument", "InvalidRequest",
                    "KeyTooLongError", "EntityTooLarge", "InvalidDigest", "BadDigest"}


def record_count(body: bytes) -> int:
    """The records of a JSON-lines object: its lines that are not blank (a malformed one counts)."""
    return sum(1 for line in body.split(b"\n") if line.strip())


def put(client, bucket: str, key: str, body: bytes) -> dict:
    """Writes one object; the same key written twice holds the same bytes (a retry after a write
    whose answer was lost lands once). Returns the attributes of the written FlowFile; raises
    BronzeWriteError."""
    from botocore.exceptions import BotoCoreError, ClientError  # pylint: disable=import-outside-toplevel

    try:
        answer = client.put_object(Bucket=bucket, Key=key, Body=body, ContentMD5=content_md5(body),
                                   ContentType="application/x-ndjson")
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        message = f"S3 refused s3://{bucket}/{key}: {code} {error.response.get('Error', {}).get('Message', '')}".strip()
        raise BronzeWriteError(message, retryable=code not in _PERMANENT_CODES) from None
    except BotoCoreError as error:
        raise BronzeWriteError(f"writing s3://{bucket}/{key} failed: {error}", retryable=True) from None
    # record.count feeds the flow's counter of records written to bronze (BronzeRecordsIngested).
    return {"s3.bucket": bucket, "s3.key": key, "s3.etag": answer.get("ETag", "").strip('"'),
            "record.count": str(record_count(body))}
