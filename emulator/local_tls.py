"""TLS for the sandbox's AWS endpoint: every AWS endpoint speaks HTTPS only, and the platform's
bucket policies deny anything else (``aws:SecureTransport``), so the moto server that plays AWS for
the sandbox serves HTTPS too.

``LocalCa(folder).server(names)`` makes (once) a CA and a server certificate for the names and
addresses the endpoint is reached by, and ``bundle.pem``: the machine's CA bundle plus that CA, for
every client (``AWS_CA_BUNDLE`` on the controller, the hosts' ``/etc/ssl/certs/ca-certificates.crt``).
"""

from __future__ import annotations

import datetime
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

MACHINE_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
VALIDITY = datetime.timedelta(days=30)


def _write_private(path: Path, data: bytes) -> None:
    path.touch(mode=0o600)
    path.write_bytes(data)


class LocalCa:
    def __init__(self, folder: Path):
        self.folder = Path(folder)

    @property
    def ca_pem(self) -> Path:
        return self.folder / "ca.pem"

    @property
    def certificate(self) -> Path:
        return self.folder / "server.pem"

    @property
    def key(self) -> Path:
        return self.folder / "server-key.pem"

    @property
    def bundle(self) -> Path:
        """The machine's CA bundle and this CA: what every client of the endpoint trusts."""
        return self.folder / "bundle.pem"

    def server(self, names: list[str]) -> LocalCa:
        """The CA and a server certificate for ``names`` (DNS names or IP addresses), made once."""
        if self.bundle.exists():
            return self
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        now = datetime.datetime.now(datetime.UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dataplatform sandbox AWS endpoint CA")])
        ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
              .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
              .not_valid_after(now + VALIDITY)
              .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
              .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                           data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                           crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
              .sign(ca_key, hashes.SHA256()))
        key = ec.generate_private_key(ec.SECP256R1())
        alternative_names = []
        for name in names:
            try:
                alternative_names.append(x509.IPAddress(ipaddress.ip_address(name)))
            except ValueError:
                alternative_names.append(x509.DNSName(name))
        certificate = (x509.CertificateBuilder()
                       .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
                       .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
                       .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + VALIDITY)
                       .add_extension(x509.SubjectAlternativeName(alternative_names), critical=False)
                       .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                       .sign(ca_key, hashes.SHA256()))
        ca_bytes = ca.public_bytes(serialization.Encoding.PEM)
        self.ca_pem.write_bytes(ca_bytes)
        self.certificate.write_bytes(certificate.public_bytes(serialization.Encoding.PEM) + ca_bytes)
        _write_private(self.key, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                   serialization.NoEncryption()))
        machine = MACHINE_CA_BUNDLE.read_bytes() if MACHINE_CA_BUNDLE.exists() else b""
        self.bundle.write_bytes(machine + b"\n" + ca_bytes)
        return self
