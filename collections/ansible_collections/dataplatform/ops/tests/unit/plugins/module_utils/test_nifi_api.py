"""The node removal sequence against an in-process stand-in for NiFi's cluster endpoints.

The stand-in (FakeCluster) is a stub of NiFi's REST API: a real NiFi cannot run in these tests
(see molecule/nifi/README.md). It follows NiFi 2's rules for the calls used: a node moves
DISCONNECTING -> DISCONNECTED and OFFLOADING -> OFFLOADED over a few polls, only a disconnected
node may be offloaded, only a disconnected or offloaded node may be deleted.
"""

from __future__ import annotations

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from ansible_collections.dataplatform.ops.plugins.module_utils import nifi_api


class FakeCluster:
    def __init__(self, status="CONNECTED", polls=2):
        self.nodes = {
            "id-1": {"nodeId": "id-1", "address": "nifi-1.internal", "status": "CONNECTED"},
            "id-2": {"nodeId": "id-2", "address": "nifi-2.internal", "status": status},
        }
        self.polls = polls
        # A node caught mid-transition finishes it after a few polls, as NiFi's would.
        transitions = {"DISCONNECTING": "DISCONNECTED", "OFFLOADING": "OFFLOADED"}
        self.pending = {"id-2": (transitions[status], polls)} if status in transitions else {}
        self.calls = []

    def __call__(self, method, path, body=None):
        self.calls.append((method, path, (body or {}).get("node", {}).get("status")))
        if path == "/controller/cluster" and method == "GET":
            return 200, {"cluster": {"nodes": list(self.nodes.values())}}
        node_id = path.rsplit("/", 1)[-1]
        node = self.nodes.get(node_id)
        if node is None:
            return 404, "Unable to find node with id '%s'." % node_id
        if method == "GET":
            if node_id in self.pending:
                wanted, remaining = self.pending[node_id]
                if remaining <= 1:
                    node["status"] = wanted
                    del self.pending[node_id]
                else:
                    self.pending[node_id] = (wanted, remaining - 1)
            return 200, {"node": dict(node)}
        if method == "PUT":
            wanted = body["node"]["status"]
            if wanted == "OFFLOADING" and node["status"] != "DISCONNECTED":
                return 409, "Cannot offload node %s because it is not currently disconnected" % node_id
            node["status"] = wanted
            self.pending[node_id] = ({"DISCONNECTING": "DISCONNECTED", "OFFLOADING": "OFFLOADED"}[wanted], self.polls)
            return 200, {"node": dict(node)}
        if method == "DELETE":
            if node["status"] not in ("DISCONNECTED", "OFFLOADED"):
                return 409, "Cannot remove node %s because it is not disconnected" % node_id
            del self.nodes[node_id]
            return 200, {}
        return 405, "method not allowed"


def remove(cluster, address="nifi-2.internal", **kwargs):
    return nifi_api.remove_node(cluster, address, timeout=5, interval=0, sleep=lambda _: None, **kwargs)


def test_a_connected_node_is_disconnected_offloaded_and_deleted():
    cluster = FakeCluster()
    assert remove(cluster) == {"changed": True, "steps": ["disconnect", "offload", "delete"], "status": "DELETED"}
    assert "id-2" not in cluster.nodes
    writes = [call for call in cluster.calls if call[0] != "GET"]
    assert writes == [("PUT", "/controller/cluster/nodes/id-2", "DISCONNECTING"),
                      ("PUT", "/controller/cluster/nodes/id-2", "OFFLOADING"),
                      ("DELETE", "/controller/cluster/nodes/id-2", None)]


@pytest.mark.parametrize("status, steps", [
    ("DISCONNECTED", ["offload", "delete"]),
    ("OFFLOADED", ["delete"]),
    ("DISCONNECTING", ["disconnect", "offload", "delete"]),
])
def test_a_node_part_way_out_continues_from_where_it_is(status, steps):
    cluster = FakeCluster(status=status)
    assert remove(cluster)["steps"] == steps
    assert "id-2" not in cluster.nodes


def test_a_node_already_gone_is_not_a_change():
    cluster = FakeCluster()
    assert remove(cluster, address="nifi-9.internal") == {"changed": False, "steps": [], "status": "ABSENT"}
    assert [call[0] for call in cluster.calls] == ["GET"]


def test_addresses_compare_case_insensitively():
    assert remove(FakeCluster(), address="NIFI-2.internal")["status"] == "DELETED"


def test_check_mode_only_reads():
    cluster = FakeCluster()
    assert remove(cluster, check_mode=True) == {"changed": True, "steps": ["disconnect", "offload", "delete"], "status": "CONNECTED"}
    assert {call[0] for call in cluster.calls} == {"GET"}
    assert cluster.nodes["id-2"]["status"] == "CONNECTED"


def test_a_step_that_never_finishes_times_out_with_the_state_named():
    clock = iter(range(0, 10000, 10))
    with pytest.raises(nifi_api.NiFiApiError, match="nifi-2.internal is DISCONNECTING after 30s, not DISCONNECTED"):
        nifi_api.remove_node(FakeCluster(polls=10**6), "nifi-2.internal", timeout=30, interval=0,
                             sleep=lambda _: None, clock=lambda: next(clock))


def test_nifi_errors_name_the_request():
    def refusing(method, path, body=None):
        return 403, "Unable to view the controller. Contact the system administrator."
    with pytest.raises(nifi_api.NiFiApiError, match="GET /controller/cluster answered 403: Unable to view the controller"):
        remove(refusing)


def _bundle(password):
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
    now = datetime.datetime.now(datetime.timezone.utc)
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "admin")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(2).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1)).sign(ca_key, hashes.SHA256()))
    encryption = serialization.BestAvailableEncryption(password.encode())
    return pkcs12.serialize_key_and_certificates(b"admin", key, cert, [ca], encryption)


def test_client_context_loads_the_bundle_and_trusts_its_ca(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    context = nifi_api.client_context(_bundle("s3cret-pass"), "s3cret-pass")
    assert context.verify_mode.name == "CERT_REQUIRED" and context.check_hostname
    assert [c["subject"] for c in context.get_ca_certs()] == [((("commonName", "Test CA"),),)]
    assert list(tmp_path.iterdir()) == [], "the key file is removed once loaded"


def test_client_context_with_a_wrong_password_says_so():
    with pytest.raises(nifi_api.NiFiApiError, match="cannot be opened with its password"):
        nifi_api.client_context(_bundle("right-password"), "wrong-password")


def _pem(password="pem-pass"):
    """The bundle's key, certificate and CA in PEM, as a service identity's issuance returns them."""
    key, certificate, chain = pkcs12.load_key_and_certificates(_bundle(password), password.encode())
    return (certificate.public_bytes(serialization.Encoding.PEM).decode() + chain[0].public_bytes(serialization.Encoding.PEM).decode(),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode())


def test_pem_client_context_trusts_the_chain_after_the_certificate(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    certificates, key = _pem()
    context = nifi_api.pem_client_context(certificates, key)
    assert [c["subject"] for c in context.get_ca_certs()] == [((("commonName", "Test CA"),),)]
    assert list(tmp_path.iterdir()) == [], "the key file is removed once loaded"


def test_pem_client_context_refuses_a_key_of_another_certificate_or_no_ca():
    certificates = _pem()[0]
    other_key = _pem()[1]
    with pytest.raises(nifi_api.NiFiApiError, match="does not belong to the client certificate"):
        nifi_api.pem_client_context(certificates, other_key)
    leaf_only = certificates.split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n"
    with pytest.raises(nifi_api.NiFiApiError, match="no CA to verify"):
        nifi_api.pem_client_context(leaf_only, other_key)
    with pytest.raises(nifi_api.NiFiApiError, match="not a PEM private key"):
        nifi_api.pem_client_context(certificates, "not a key")
