"""The agent's loop: ship what the sources have, publish the metrics when due, back off on failure."""

from __future__ import annotations

import datetime
import logging
import os
import select
import signal
import time

from .checkpoints import Checkpoints
from .cloudwatch_logs import MAX_BATCH_BYTES, MAX_BATCH_EVENTS, MAX_BATCH_SPAN_MS, LogStream, event_size
from .metrics import MetricPublisher, datum
from .nifi_metrics import NiFiReader
from .redaction import Redactor
from .sources import FileSource, JournalSource

LOG = logging.getLogger("dataplatform_telemetry")
MAX_BACKOFF_SECONDS = 60

# The metrics contract's keys (terraform/modules/monitoring/metrics.tf) the NiFi reader fills, with
# the unit of each and the view's field it comes from.
NIFI_CLUSTER_METRICS = (
    ("nifi_connected_nodes", "Count", "connected_nodes"),
    ("nifi_queued_flowfiles", "Count", "queued_flowfiles"),
    ("nifi_queued_bytes", "Bytes", "queued_bytes"),
    ("nifi_back_pressured_connections", "Count", "back_pressured_connections"),
    ("nifi_invalid_or_stopped_processors", "Count", "invalid_or_stopped_processors"),
)


def collect_batch(sources: list, redact) -> list:
    """As many events as one PutLogEvents takes, in time order, taken from every source in turn."""
    batch, size, earliest, latest = [], 0, None, None
    for source in sources:
        while len(batch) < MAX_BATCH_EVENTS:
            event = source.take()
            if event is None:
                break
            event.message = redact(event.message)
            grown = size + event_size(event.message)
            if batch and (grown > MAX_BATCH_BYTES
                          or max(latest, event.timestamp) - min(earliest, event.timestamp) > MAX_BATCH_SPAN_MS):
                source.unread(event)
                break
            batch.append(event)
            size = grown
            earliest = event.timestamp if earliest is None else min(earliest, event.timestamp)
            latest = event.timestamp if latest is None else max(latest, event.timestamp)
    batch.sort(key=lambda event: event.timestamp)  # stable: each source's events keep their order
    return batch


def positions_after(batch: list) -> dict:
    positions = {}
    for event in batch:
        positions[event.source] = event.position
    return positions


class Agent:
    def __init__(self, settings: dict, logs_client, metrics_client):
        self.settings = settings
        state_dir = settings["state_dir"]
        os.makedirs(state_dir, exist_ok=True)
        self.checkpoints = Checkpoints(os.path.join(state_dir, "checkpoints.json"))
        self.sources = [FileSource(f"file:{item['path']}", item["path"], self.checkpoints.get(f"file:{item['path']}"),
                                   label=item.get("label"))
                        for item in settings.get("files", [])]
        journal = settings.get("journal") or {}
        if journal.get("enabled", True):
            self.sources.append(JournalSource("journal", self.checkpoints.get("journal"),
                                              exclude_units=journal.get("exclude_units", [])))
        self.redact = Redactor(settings.get("redact_patterns"))
        self.stream = LogStream(logs_client, settings["log_group"], settings["log_stream"])
        self.flush_seconds = float(settings.get("flush_seconds", 5))
        metrics = settings.get("metrics") or {}
        self.metric_names = metrics.get("names", {})
        self.metrics_interval = float(metrics.get("interval_seconds", 60))
        self.publisher = MetricPublisher(metrics_client, metrics["namespace"]) if metrics.get("namespace") else None
        self.nifi = NiFiReader(metrics["nifi"]) if metrics.get("nifi") else None
        self.nifi_dimensions = (metrics.get("nifi") or {}).get("dimensions", {})
        self.pending_batch: list = []
        self.last_batch_full = False
        self.failures = 0
        self.retry_at = 0.0
        self.next_metrics = time.monotonic()
        self.stopping = False

    def stop(self, *_):
        self.stopping = True

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        LOG.info("shipping to %s/%s", self.settings["log_group"], self.settings["log_stream"])
        self.run_loop()

    def run_loop(self) -> None:
        while not self.stopping:
            started = time.monotonic()
            backlog = self.ship_once() and self.last_batch_full
            self.metrics_once()
            # A full batch means more is waiting (a backlog after an outage): send on at once.
            # Otherwise, and while a failed batch waits for its retry, wait for the next flush.
            if not backlog:
                self._wait(self.flush_seconds - (time.monotonic() - started))
        # What was read and not yet accepted is read again at the next start, from the checkpoint.
        for source in self.sources:
            source.close()

    def _wait(self, seconds: float) -> None:
        if seconds <= 0:
            return
        end = time.monotonic() + seconds
        while not self.stopping and (left := end - time.monotonic()) > 0:
            select.select([], [], [], min(left, 1.0))

    def ship_once(self) -> bool:
        """Sends one batch (the one that failed last, else a new one); True when one was accepted."""
        if time.monotonic() < self.retry_at:
            return False
        if not self.pending_batch:
            self.pending_batch = collect_batch(self.sources, self.redact)
        if not self.pending_batch:
            return False
        try:
            rejected = self.stream.put(self.pending_batch)
        except Exception as error:  # pylint: disable=broad-except
            self._failed("log batch", error)
            return False
        if rejected:
            LOG.warning("CloudWatch Logs rejected part of a batch: %s", rejected)
        self.checkpoints.advance(positions_after(self.pending_batch))
        self.last_batch_full = (len(self.pending_batch) >= MAX_BATCH_EVENTS
                                or sum(event_size(event.message) for event in self.pending_batch) > MAX_BATCH_BYTES // 2)
        self.pending_batch = []
        self._recovered()
        return True

    def metrics_once(self) -> None:
        if self.publisher is None or time.monotonic() < self.next_metrics:
            return
        self.next_metrics = time.monotonic() + self.metrics_interval
        now = datetime.datetime.now(datetime.timezone.utc)
        datums = []
        if self.nifi is not None:
            try:
                view, errors = self.nifi.read()
            except (OSError, ValueError) as error:  # the node's certificate or CA cannot be read
                view, errors = {}, [str(error)]
            if errors:
                # What the node cannot say is not published: the alarm on connected nodes reads
                # silence as a node that is not connected.
                LOG.warning("NiFi did not answer: %s", "; ".join(errors))
            datums += [datum(self.metric_names[key], view[field], unit, self.nifi_dimensions, now)
                       for key, unit, field in NIFI_CLUSTER_METRICS if key in self.metric_names and field in view]
            if "bronze_records_ingested" in self.metric_names:
                datums += [datum(self.metric_names["bronze_records_ingested"], count, "Count", {"Dataset": dataset}, now)
                           for dataset, count in view.get("records_ingested", {}).items()]
        try:
            self.publisher.publish(datums)
        except Exception as error:  # pylint: disable=broad-except
            self._failed("metric data", error, backoff=False)

    def _failed(self, what: str, error: Exception, backoff: bool = True) -> None:
        self.failures += 1
        # The first failure and then every tenth: the journal is shipped too, and a flood of the
        # same message would be all it holds once the writes work again.
        if self.failures == 1 or self.failures % 10 == 0:
            LOG.error("sending %s failed (%d in a row): %s", what, self.failures, error)
        if backoff:
            self.retry_at = time.monotonic() + min(MAX_BACKOFF_SECONDS, 2 ** min(self.failures, 6))

    def _recovered(self) -> None:
        if self.failures:
            LOG.info("sending works again after %d failures", self.failures)
        self.failures = 0
        self.retry_at = 0.0
