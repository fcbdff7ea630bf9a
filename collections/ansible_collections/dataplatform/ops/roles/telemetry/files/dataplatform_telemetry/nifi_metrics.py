"""The NiFi cluster's health, read from the node's own REST API as the node's identity.

Each node reports what it sees: the cluster's connected nodes and processors (the same on every
node, read by the alarms as their lowest or highest view), and its own queues, back-pressured
connections and records written to bronze from its Prometheus endpoint (summed over the nodes).
Metric names, units and dimensions come from the settings, which the role takes from the
monitoring module's metrics contract.
"""

from __future__ import annotations

import json
import re
import ssl
import urllib.request

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def prometheus_samples(text: str):
    """(name, labels, value) of every sample of Prometheus's text format."""
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = _SAMPLE.match(line)
        if not match:
            continue
        name, labels, value = match.groups()
        try:
            number = float(value)
        except ValueError:
            continue
        yield name, dict(_LABEL.findall(labels or "")), number


def node_view(samples, counter_names: dict) -> dict:
    """What this node's Prometheus metrics say: its root group's queue, back-pressured
    connections, and the cumulative value of each dataset's record counter."""
    view = {"queued_flowfiles": 0.0, "queued_bytes": 0.0, "back_pressured_connections": 0, "counters": {}}
    wanted = {counter: dataset for dataset, counter in counter_names.items()}
    for name, labels, value in samples:
        component = labels.get("component_type")
        if name == "nifi_amount_items_queued" and component == "RootProcessGroup":
            view["queued_flowfiles"] = value
        elif name == "nifi_size_content_queued_total" and component == "RootProcessGroup":
            view["queued_bytes"] = value
        elif name == "nifi_backpressure_enabled" and component == "Connection" and value >= 1:
            view["back_pressured_connections"] += 1
        elif name == "nifi_processor_counters" and labels.get("counter_name") in wanted:
            dataset = wanted[labels["counter_name"]]
            view["counters"][dataset] = view["counters"].get(dataset, 0.0) + value
    return view


class NiFiReader:
    def __init__(self, settings: dict):
        self.api_url = settings["api_url"].rstrip("/")
        self.timeout = settings.get("timeout_seconds", 10)
        self.files = (settings["ca_file"], settings["certificate_file"], settings["key_file"])
        self.counter_names = settings.get("record_counters", {})
        self.last_counters: dict[str, float] = {}

    def tls_context(self) -> ssl.SSLContext:
        """Read for every round of calls: the node's certificate is renewed in place, and the agent
        is not restarted for it."""
        ca_file, certificate_file, key_file = self.files
        context = ssl.create_default_context(cafile=ca_file)
        context.load_cert_chain(certificate_file, key_file)
        return context

    def get(self, path: str, context: ssl.SSLContext) -> bytes:
        request = urllib.request.Request(self.api_url + path, headers={"Accept": "*/*"})
        with urllib.request.urlopen(request, timeout=self.timeout, context=context) as answer:  # nosec B310 - the node's own https URL
            return answer.read()

    def read(self) -> tuple[dict, list[str]]:
        """What the node can tell now, and what it could not: each call stands alone, so a replicated
        call NiFi refuses while the cluster changes (409) still lets the node report its view of the
        connected nodes, which it answers by itself."""
        context, view, errors = self.tls_context(), {}, []
        try:
            view["connected_nodes"] = json.loads(self.get("/flow/cluster/summary", context))["clusterSummary"].get(
                "connectedNodeCount", 0)
        except (OSError, ValueError, KeyError) as error:
            errors.append(f"cluster summary: {error}")
        try:
            status = json.loads(self.get("/flow/status", context))["controllerStatus"]
            view["invalid_or_stopped_processors"] = status.get("invalidCount", 0) + status.get("stoppedCount", 0)
        except (OSError, ValueError, KeyError) as error:
            errors.append(f"status: {error}")
        try:
            text = self.get("/flow/metrics/prometheus", context).decode("utf-8", "replace")
        except OSError as error:
            errors.append(f"Prometheus metrics: {error}")
        else:
            view.update(node_view(prometheus_samples(text), self.counter_names))
            view["records_ingested"] = self._increments(view.pop("counters"))
        return view, errors

    def _increments(self, counters: dict) -> dict:
        """Records written since the last read; a counter that went back started again with its node."""
        increments = {}
        for dataset in self.counter_names:
            value = counters.get(dataset, 0.0)
            previous = self.last_counters.get(dataset)
            if previous is not None:
                increments[dataset] = value - previous if value >= previous else value
            self.last_counters[dataset] = value
        return increments
