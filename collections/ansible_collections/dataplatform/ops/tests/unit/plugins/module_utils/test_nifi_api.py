"""NiFi's REST API client: errors that name the request, and the TLS contexts of client
certificates. The node removal sequence runs against a real cluster in the e2e tier (scale-in)."""

from __future__ import annotations

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from ansible_collections.dataplatform.ops.plugins.module_utils import nifi_api


def test_nifi_errors_name_the_request():
    """The node removal sequence itself runs against the real cluster (the e2e tier's scale-in)."""
    def refusing(method, path, body=None):
        return 403, "Unable to view the controller. Contact the system administrator."
    with pytest.raises(nifi_api.NiFiApiError, match="GET /controller/cluster answered 403: Unable to view the controller"):
        nifi_api.remove_node(refusing, "nifi-2.internal")


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
