"""The ingest flow's S3 writer (roles/nifi/files/python-extensions), apart from NiFi: where an
object lands and how a failed write is reported. Its writes against S3 run in the e2e tier."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

# NiFi loads the extension from its folder, which is no Python package of the collection: the
# test loads the module from its file the same way.
WRITER = (Path(__file__).resolve().parents[4] / "roles" / "nifi" / "files" / "python-extensions"
          / "dataplatform_ingest" / "bronze_writer.py")
_SPEC = importlib.util.spec_from_file_location("bronze_writer", WRITER)
bronze_writer = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(bronze_writer)


def test_the_key_is_the_partition_the_dag_reads():
    assert bronze_writer.object_key("orders", "2026-12-07", "5f0c") == "orders/ingestion_date=2026-12-07/5f0c.json"
    assert bronze_writer.object_key("/bronze/orders/", "2026-01-31", "a") == "bronze/orders/ingestion_date=2026-01-31/a.json"


@pytest.mark.parametrize("prefix, day, name", [
    ("orders", "2026-13-01", "a"), ("orders", "2026-1-1", "a"), ("orders", "", "a"),
    ("../orders", "2026-12-07", "a"), ("", "2026-12-07", "a"), ("orders", "2026-12-07", "a/b"),
])
def test_a_key_outside_the_partition_is_refused(prefix, day, name):
    with pytest.raises(ValueError):
        bronze_writer.object_key(prefix, day, name)


def test_a_refusal_and_an_unreachable_endpoint_are_reported_retryable():
    from botocore.exceptions import ClientError, EndpointConnectionError

    class Refusing:
        def __init__(self, error):
            self.error = error

        def put_object(self, **_):
            raise self.error

    denied = ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "PutObject")
    with pytest.raises(bronze_writer.BronzeWriteError) as raised:
        bronze_writer.put(Refusing(denied), "b", "k", b"{}\n")
    assert raised.value.retryable and "AccessDenied" in str(raised.value)
    with pytest.raises(bronze_writer.BronzeWriteError) as raised:
        bronze_writer.put(Refusing(EndpointConnectionError(endpoint_url="https://s3")), "b", "k", b"{}\n")
    assert raised.value.retryable


def test_a_write_sends_the_body_with_its_md5():
    sent = {}

    class Recording:
        def put_object(self, **arguments):
            sent.update(arguments)
            return {"ETag": '"abc"'}

    assert bronze_writer.put(Recording(), "b", "k", b'{"a": 1}\n') == {
        "s3.bucket": "b", "s3.key": "k", "s3.etag": "abc", "record.count": "1"}
    assert sent["ContentMD5"] == bronze_writer.content_md5(b'{"a": 1}\n')


def test_record_count_is_the_non_blank_lines_malformed_ones_included():
    assert bronze_writer.record_count(b'{"a": 1}\nnot json\n\n{"b": 2}') == 3
    assert bronze_writer.record_count(b"") == 0
