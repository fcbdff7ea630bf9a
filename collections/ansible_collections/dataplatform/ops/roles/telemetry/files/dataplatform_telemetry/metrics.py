"""PutMetricData into the platform's namespace, holding data points back through an outage."""

from __future__ import annotations

import datetime

# PutMetricData takes up to 1,000 data points per call; the agent publishes a handful a minute.
MAX_DATUMS_PER_CALL = 500
# Data points older than this are dropped rather than held: an alarm evaluates the last minutes,
# and CloudWatch refuses points more than two weeks old.
MAX_BACKLOG = 3_000


def datum(name: str, value: float, unit: str, dimensions: dict, timestamp: datetime.datetime) -> dict:
    return {
        "MetricName": name,
        "Value": float(value),
        "Unit": unit,
        "Timestamp": timestamp,
        "Dimensions": [{"Name": key, "Value": str(val)} for key, val in sorted(dimensions.items())],
    }


class MetricPublisher:
    def __init__(self, client, namespace: str):
        self.client = client
        self.namespace = namespace
        self.backlog: list[dict] = []

    def publish(self, datums: list[dict]) -> None:
        """Sends the backlog and ``datums``; what fails stays in the backlog for the next call."""
        self.backlog = (self.backlog + datums)[-MAX_BACKLOG:]
        while self.backlog:
            chunk = self.backlog[:MAX_DATUMS_PER_CALL]
            self.client.put_metric_data(Namespace=self.namespace, MetricData=chunk)
            del self.backlog[:len(chunk)]
