"""The sandbox's logs, metrics and alarms: where each host's telemetry agent ships, and a tail of it.

    python -m sandbox logs nifi [--follow] [--since 10m] [--host i-0abc...]

reads a log group of the emulated CloudWatch Logs as ``aws logs tail`` would (the same command
works with the AWS CLI in a shell with ``eval "$(python -m sandbox env)"``).
"""

from __future__ import annotations

import datetime
import re
import time

_DURATION = re.compile(r"^(\d+)([smhd])$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def summary_lines(document: dict) -> list[str]:
    telemetry = document["telemetry"]
    groups = telemetry["log_groups"]
    return ["", "Logs, metrics and alarms (each host's telemetry agent; the emulator evaluates the alarms each "
                "10 s from the metrics, as CloudWatch does each minute):",
            f"  logs           python -m sandbox logs nifi --follow   ({groups['nifi']}, {groups['airflow']}: "
            "a stream per instance, its journal and its service's logs)",
            f"                 or, with the AWS CLI: aws logs tail {groups['nifi']} --follow",
            f"  metrics        aws cloudwatch list-metrics --namespace {telemetry['metrics_namespace']}",
            "  alarms         aws cloudwatch describe-alarms --state-value ALARM --query 'MetricAlarms[].AlarmName'"]


def since_milliseconds(since: str) -> int:
    match = _DURATION.match(since)
    if not match:
        raise ValueError(f"--since {since!r}: expected a number and s, m, h or d, such as 10m")
    return int((time.time() - int(match.group(1)) * _SECONDS[match.group(2)]) * 1000)


def tail(logs, group: str, since: str, follow: bool, host: str | None = None, out=print) -> None:
    """Prints the group's events since ``since`` (``10m``), then, with ``follow``, new ones as they come."""
    start, seen = since_milliseconds(since), set()
    while True:
        arguments = {"logGroupName": group, "startTime": start}
        if host:
            arguments["logStreamNames"] = [host]
        events = [event for page in logs.get_paginator("filter_log_events").paginate(**arguments)
                  for event in page["events"]]
        for event in sorted(events, key=lambda item: (item["timestamp"], item.get("ingestionTime", 0))):
            if event["eventId"] in seen:
                continue
            seen.add(event["eventId"])
            stamp = datetime.datetime.fromtimestamp(event["timestamp"] / 1000, datetime.timezone.utc)
            out(f"{stamp:%Y-%m-%dT%H:%M:%S.%f}"[:-3] + f"Z {event['logStreamName']} {event['message']}")
            start = max(start, event["timestamp"])
        if not follow:
            return
        time.sleep(2)
