"""One log stream of CloudWatch Logs, written in PutLogEvents batches within the API's limits."""

from __future__ import annotations

# PutLogEvents: at most 10,000 events and 1,048,576 bytes, counting 26 bytes per event besides its
# message, spanning at most 24 hours. A little is kept in hand under each.
MAX_BATCH_EVENTS = 9_000
MAX_BATCH_BYTES = 1_000_000
EVENT_OVERHEAD_BYTES = 26
MAX_BATCH_SPAN_MS = 23 * 3600 * 1000


def event_size(message: str) -> int:
    return len(message.encode("utf-8")) + EVENT_OVERHEAD_BYTES


class LogStream:
    def __init__(self, client, group: str, stream: str):
        self.client = client
        self.group = group
        self.stream = stream
        self.stream_exists = False

    def put(self, events: list) -> dict:
        """Writes ``events`` (in time order) as one batch; returns what CloudWatch rejected.

        The stream is created the first time it is missing (a new instance's first batch). An error
        leaves everything as it was, for the caller to try the same batch again.
        """
        records = [{"timestamp": event.timestamp, "message": event.message} for event in events]
        try:
            answer = self.client.put_log_events(logGroupName=self.group, logStreamName=self.stream, logEvents=records)
        except self.client.exceptions.ResourceNotFoundException:
            self._create_stream()
            answer = self.client.put_log_events(logGroupName=self.group, logStreamName=self.stream, logEvents=records)
        return answer.get("rejectedLogEventsInfo") or {}

    def _create_stream(self) -> None:
        try:
            self.client.create_log_stream(logGroupName=self.group, logStreamName=self.stream)
        except self.client.exceptions.ResourceAlreadyExistsException:
            pass
