"""python -m sandbox logs: how far back --since reaches, and a clear error for what it cannot read."""

from __future__ import annotations

import time

import pytest

from sandbox import telemetry


@pytest.mark.parametrize("since, seconds", [("30s", 30), ("10m", 600), ("2h", 7200), ("1d", 86400)])
def test_since_reaches_back_that_long(since, seconds):
    assert abs(telemetry.since_milliseconds(since) - (time.time() - seconds) * 1000) < 2000


@pytest.mark.parametrize("since", ["10", "ten minutes", "5w", "-1m"])
def test_since_refuses_what_it_cannot_read_and_says_what_it_takes(since):
    with pytest.raises(ValueError, match="expected a number and s, m, h or d"):
        telemetry.since_milliseconds(since)


def test_the_summary_names_the_log_groups_and_the_namespace():
    document = {"telemetry": {"metrics_namespace": "DataPlatform/local",
                              "log_groups": {"nifi": "/dataplatform/local/nifi", "airflow": "/dataplatform/local/airflow"}}}
    text = "\n".join(telemetry.summary_lines(document))
    assert "aws logs tail /dataplatform/local/nifi --follow" in text
    assert "/dataplatform/local/airflow" in text and "--namespace DataPlatform/local" in text
