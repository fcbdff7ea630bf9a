"""Pure logic of the hosts' telemetry agent: what it reads of NiFi's Prometheus metrics, how it
cuts batches, and what it redacts."""

from __future__ import annotations

from ansible_collections.dataplatform.ops.roles.telemetry.files.dataplatform_telemetry import agent, nifi_metrics
from ansible_collections.dataplatform.ops.roles.telemetry.files.dataplatform_telemetry.redaction import Redactor
from ansible_collections.dataplatform.ops.roles.telemetry.files.dataplatform_telemetry.sources import Event, Source

PROMETHEUS = """\
# HELP nifi_amount_items_queued Total number of items queued by the component
# TYPE nifi_amount_items_queued gauge
nifi_amount_items_queued{instance="n1",component_type="RootProcessGroup",component_name="NiFi Flow",component_id="r",parent_id="",source_id="",source_name="",destination_id="",destination_name="",} 42.0
nifi_amount_items_queued{instance="n1",component_type="Connection",component_name="merged",component_id="c1",parent_id="g",source_id="a",source_name="Batch",destination_id="b",destination_name="Write",} 40.0
nifi_size_content_queued_total{instance="n1",component_type="RootProcessGroup",component_name="NiFi Flow",component_id="r",parent_id="",source_id="",source_name="",destination_id="",destination_name="",} 2048.0
nifi_backpressure_enabled{instance="n1",component_type="Connection",component_name="merged",component_id="c1",parent_id="g",source_id="a",source_name="Batch",destination_id="b",destination_name="Write",} 1.0
nifi_backpressure_enabled{instance="n1",component_type="Connection",component_name="other",component_id="c2",parent_id="g",source_id="a",source_name="x",destination_id="b",destination_name="y",} 0.0
nifi_processor_counters{processor_name="Count the records written",counter_name="bronze.records",processor_id="p",instance="n1",} 1234.0
nifi_processor_counters{processor_name="Other",counter_name="other",processor_id="q",instance="n1",} 7.0
"""


def test_node_view_reads_the_root_groups_queue_back_pressure_and_the_record_counter():
    view = nifi_metrics.node_view(nifi_metrics.prometheus_samples(PROMETHEUS), {"orders": "bronze.records"})
    assert view == {"queued_flowfiles": 42.0, "queued_bytes": 2048.0, "back_pressured_connections": 1,
                    "counters": {"orders": 1234.0}}


def test_record_increments_start_at_the_second_read_and_survive_a_node_restart():
    reader = nifi_metrics.NiFiReader.__new__(nifi_metrics.NiFiReader)
    reader.counter_names, reader.last_counters = {"orders": "bronze.records"}, {}
    assert reader._increments({"orders": 100.0}) == {}
    assert reader._increments({"orders": 160.0}) == {"orders": 60.0}
    assert reader._increments({"orders": 15.0}) == {"orders": 15.0}  # the node restarted: its counter began again


class Listed(Source):
    def __init__(self, name, events):
        super().__init__(name)
        self.pending.extend(events)

    def _fill(self):
        pass


def test_a_batch_is_cut_at_the_apis_span_and_keeps_each_sources_order():
    hour = 3600 * 1000
    journal = Listed("journal", [Event(t, f"j{t}", "journal", t) for t in (0, hour, 30 * hour)])
    files = Listed("file", [Event(2 * hour, "f", "file", 1)])
    batch = agent.collect_batch([journal, files], Redactor())
    assert [event.message for event in batch] == ["j0", f"j{hour}", "f"]
    assert journal.take().message == f"j{30 * hour}"  # left for the next batch, not lost
    assert agent.positions_after(batch) == {"journal": hour, "file": 1}


def test_redaction_keeps_the_line_and_drops_the_secret():
    redact = Redactor([r"orders-feed-token-\w+"])
    assert redact('airflow.cfg fernet_key = "abc123"') == "airflow.cfg fernet_key = [REDACTED]"
    assert redact("java -Dnifi.keystore.password=hunter2 -jar x") == "java -Dnifi.keystore.password=[REDACTED] -jar x"
    assert redact("postgresql://airflow:pa55word@db:5432/airflow") == "postgresql://airflow:[REDACTED]@db:5432/airflow"
    assert redact("-----BEGIN ENCRYPTED PRIVATE KEY-----") == "[REDACTED]"
    assert redact("sent orders-feed-token-xyz") == "sent [REDACTED]"
    assert redact("2026-12-07 INFO Flow controller started with 3 nodes") == "2026-12-07 INFO Flow controller started with 3 nodes"


def test_a_refused_replicated_call_still_leaves_the_nodes_view_of_the_cluster():
    """NiFi answers 409 to a replicated call while the cluster changes (a node joins or leaves); the
    cluster summary, which the node answers alone, is still reported. A fault of a live cluster
    that cannot be produced on demand, hence the stand-in for NiFi's answers."""
    import urllib.error

    reader = nifi_metrics.NiFiReader.__new__(nifi_metrics.NiFiReader)
    reader.counter_names, reader.last_counters = {"orders": "bronze.records"}, {}
    reader.tls_context = lambda: None

    def get(path, context):
        if path == "/flow/cluster/summary":
            return b'{"clusterSummary": {"connectedNodeCount": 2}}'
        raise urllib.error.HTTPError(path, 409, "Conflict", {}, None)

    reader.get = get
    view, errors = reader.read()
    assert view == {"connected_nodes": 2}
    assert [error.split(":")[0] for error in errors] == ["status", "Prometheus metrics"]
