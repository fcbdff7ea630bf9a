"""The hosts' telemetry agent (roles/telemetry) against the moto server over HTTP: lines reach the
instance's stream once, in order, across rotation, restart and a failed write, and secrets do not."""

from __future__ import annotations

import os
import time

import boto3
import pytest
from botocore.config import Config

from ansible_collections.dataplatform.ops.roles.telemetry.files.dataplatform_telemetry.agent import Agent

GROUP = "/dataplatform/local/nifi"
STREAM = "i-0123456789abcdef0"
REGION = "eu-west-1"


def client(service: str, endpoint: str | None = None):
    config = Config(retries={"mode": "standard", "max_attempts": 1}, connect_timeout=1, read_timeout=5)
    return boto3.client(service, region_name=REGION, endpoint_url=endpoint or os.environ["AWS_ENDPOINT_URL"], config=config)


def agent(tmp_path, logs=None) -> Agent:
    settings = {"region": REGION, "log_group": GROUP, "log_stream": STREAM, "state_dir": str(tmp_path / "state"),
                "files": [{"path": str(tmp_path / "app.log"), "label": "nifi-app"}], "journal": {"enabled": False},
                "metrics": {}}
    return Agent(settings, logs or client("logs"), client("cloudwatch"))


def shipped() -> list[str]:
    logs = client("logs")
    try:
        events = logs.get_log_events(logGroupName=GROUP, logStreamName=STREAM, startFromHead=True)["events"]
    except logs.exceptions.ResourceNotFoundException:  # no stream before the first batch
        return []
    return [event["message"] for event in events]


def ship_all(shipper: Agent) -> None:
    while shipper.ship_once():
        pass


@pytest.fixture
def log_group(moto):
    client("logs").create_log_group(logGroupName=GROUP)
    return moto


def test_lines_reach_a_new_stream_once_and_a_part_line_waits_for_its_end(log_group, tmp_path):
    log = tmp_path / "app.log"
    log.write_text("first\nsecond\nthird without end")
    shipper = agent(tmp_path)
    ship_all(shipper)
    assert shipped() == ["[nifi-app] first", "[nifi-app] second"]
    with log.open("a") as handle:
        handle.write(" yet\n")
    ship_all(shipper)
    assert shipped() == ["[nifi-app] first", "[nifi-app] second", "[nifi-app] third without end yet"]


def test_rotation_and_restart_lose_nothing_and_repeat_nothing(log_group, tmp_path):
    log = tmp_path / "app.log"
    log.write_text("one\ntwo\n")
    ship_all(agent(tmp_path))
    # Down while the service writes on, rotates the file (rename, new file) and writes again.
    with log.open("a") as handle:
        handle.write("three\n")
    log.rename(tmp_path / "app_2026-12-07_10.0.log")
    log.write_text("four\n")
    ship_all(agent(tmp_path))
    assert shipped() == [f"[nifi-app] {word}" for word in ("one", "two", "three", "four")]


def test_a_refused_write_keeps_the_batch_and_sends_it_once_later(log_group, tmp_path):
    log = tmp_path / "app.log"
    log.write_text("kept\n")
    unreachable = client("logs", endpoint="http://127.0.0.1:9")
    shipper = agent(tmp_path, logs=unreachable)
    assert shipper.ship_once() is False
    assert shipper.pending_batch and shipper.checkpoints.get(f"file:{log}") is None
    # A restart now (the write never succeeded) starts again from the file's beginning.
    with log.open("a") as handle:
        handle.write("after\n")
    ship_all(agent(tmp_path))
    assert shipped() == ["[nifi-app] kept", "[nifi-app] after"]


def test_secrets_are_replaced_before_they_leave(log_group, tmp_path):
    (tmp_path / "app.log").write_text(
        "nifi.security.keystorePasswd=s3cr3tValue1 starting\n"
        "-----BEGIN PRIVATE KEY-----\n"
        "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKjMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvuNMoSfm76oqFvAp8Gy0iz5sxjZmSnXyCdPEovGhLa0VzMaQ8s+CLOyS56YyCFGeJZ\n"
        "-----END PRIVATE KEY-----\n"
        "GET /nifi-api/access Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.signature\n")
    ship_all(agent(tmp_path))
    stream = "\n".join(shipped())
    for secret in ("s3cr3tValue1", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7", "eyJhbGciOiJIUzI1NiJ9"):
        assert secret not in stream
    assert "keystorePasswd=[REDACTED] starting" in stream


def test_the_loop_waits_between_retries_instead_of_spinning(log_group, tmp_path):
    """While a batch waits for its retry, the agent sleeps until the next flush: its CPU stays
    near nothing through an outage."""
    import threading

    (tmp_path / "app.log").write_text("waiting\n")
    shipper = agent(tmp_path, logs=client("logs", endpoint="http://127.0.0.1:9"))
    shipper.flush_seconds = 0.5
    cpu_before = time.process_time()
    runner = threading.Thread(target=shipper.run_loop, daemon=True)
    runner.start()
    time.sleep(3)
    shipper.stop()
    runner.join(timeout=5)
    assert shipper.failures >= 1 and shipper.pending_batch
    assert time.process_time() - cpu_before < 1.0


def test_the_loop_ships_what_arrives_until_it_is_stopped(log_group, tmp_path):
    import threading

    log = tmp_path / "app.log"
    log.write_text("before\n")
    shipper = agent(tmp_path)
    shipper.flush_seconds = 0.5
    runner = threading.Thread(target=shipper.run_loop, daemon=True)
    runner.start()
    try:
        with log.open("a") as handle:
            handle.write("while running\n")
        deadline = time.monotonic() + 10
        while len(shipped()) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        shipper.stop()
        runner.join(timeout=5)
    assert shipped() == ["[nifi-app] before", "[nifi-app] while running"]
    assert not runner.is_alive()
