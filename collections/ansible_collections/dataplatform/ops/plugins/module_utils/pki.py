# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Keys, CSRs, certificate facts and PKCS#12 bundles (``cryptography``), for code on the controller.

Node keys never pass through here: they are generated on their host. This module makes the
keys of the user certificates it delivers as PKCS#12 bundles through Secrets Manager, and checks
the CSRs of the users who keep their key themselves.
"""

from __future__ import annotations

import base64
import datetime
import secrets

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover - modules report it with missing_required_lib
    HAS_CRYPTOGRAPHY = False

from ansible_collections.dataplatform.ops.plugins.module_utils import identity

# PKCS#12 protection: PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC for the key and the
# certificates, HMAC-SHA256 for the integrity MAC. Java 17's keytool, OpenSSL 3, browsers and
# the macOS and Windows key stores of the last years read it. The password is 32 random
# characters (about 190 bits), so the KDF's work factor is not what protects the bundle; a
# moderate count keeps bundles quick to open and to produce by the thousand.
PKCS12_KDF_ROUNDS = 50000
PASSWORD_BYTES = 24  # 32 URL-safe characters

_ATTRIBUTE_OIDS = {"CN": "COMMON_NAME", "OU": "ORGANIZATIONAL_UNIT_NAME", "O": "ORGANIZATION_NAME"}


def random_password():
    return secrets.token_urlsafe(PASSWORD_BYTES)


def generate_private_key(key_size=2048):
    return rsa.generate_private_key(public_exponent=65537, key_size=key_size)


def x509_name(subject):
    """A ``cryptography`` Name in certificate order, which Java renders as ``identity.subject_dn``."""
    attributes = []
    for rdn in identity.subject_rdns(subject):
        ((short_name, value),) = rdn.items()
        attributes.append(x509.NameAttribute(getattr(NameOID, _ATTRIBUTE_OIDS[short_name]), value))
    return x509.Name(attributes)


def build_csr(private_key, subject, client_auth=True):
    """A PEM CSR for ``subject`` (signed with SHA-256), asking for digital signature and client auth."""
    builder = x509.CertificateSigningRequestBuilder().subject_name(x509_name(subject))
    if client_auth:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    return builder.sign(private_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode("ascii")


# A user's own key: RSA of at least 2048 bits, or ECDSA on P-256 or P-384 (what NiFi's and the
# browsers' TLS stacks take).
_ACCEPTED_CURVES = ("secp256r1", "secp384r1")


def user_csr_problem(csr_pem, subject):
    """Why a user's CSR cannot be signed for ``subject``, or None: it must be one PEM CSR whose
    signature holds, for exactly the request's subject, with an accepted key and no subject
    alternative name (a user certificate names no host)."""
    try:
        csr = x509.load_pem_x509_csr(csr_pem.encode("ascii") if isinstance(csr_pem, str) else csr_pem)
    except (ValueError, UnicodeEncodeError) as error:
        return "is not a PEM certificate signing request (%s)" % error
    if not csr.is_signature_valid:
        return "has a signature that does not hold: it was not signed with the key it carries"
    try:
        asked = identity.dn_of_name(csr.subject)
    except ValueError:
        asked = csr.subject.rfc4514_string()
    wanted = identity.subject_dn(subject)
    if asked != wanted:
        return "asks for %r, not the request's subject %r" % (asked, wanted)
    key = csr.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < 2048:
            return "has a %d-bit RSA key; at least 2048 bits" % key.key_size
    elif not (isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name in _ACCEPTED_CURVES):
        return "has a %s key; RSA (2048 bits or more) or ECDSA on P-256 or P-384" % type(key).__name__
    try:
        csr.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        return "asks for subject alternative names; a user certificate names no host"
    except x509.ExtensionNotFound:
        return None


def csr_key_id(csr_pem):
    """A short digest of the public key a CSR carries, recorded with the certificate so that a new
    key is noticed."""
    csr = x509.load_pem_x509_csr(csr_pem.encode("ascii") if isinstance(csr_pem, str) else csr_pem)
    der = csr.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    digest = hashes.Hash(hashes.SHA256())
    digest.update(der)
    return digest.finalize().hex()[:32]


def load_certificates(pem_text):
    """Every certificate of a PEM text (a certificate, or a chain)."""
    if not pem_text:
        return []
    return x509.load_pem_x509_certificates(pem_text.encode("ascii") if isinstance(pem_text, str) else pem_text)


def serial_hex(serial_number):
    """The serial in the form ACM Private CA takes and prints: lower-case hex bytes joined by colons."""
    length = max(1, (serial_number.bit_length() + 7) // 8)
    return ":".join("%02x" % byte for byte in serial_number.to_bytes(length, "big"))


def format_time(moment):
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)


def fingerprint_sha256(certificate):
    return ":".join("%02x" % byte for byte in certificate.fingerprint(hashes.SHA256()))


def certificate_facts(certificate):
    """What the project records about a certificate (serial, validity, fingerprint, NiFi identity)."""
    try:
        subject_dn = identity.dn_of_name(certificate.subject)
    except ValueError:
        subject_dn = certificate.subject.rfc4514_string()
    return {
        "serial": serial_hex(certificate.serial_number),
        "not_before": format_time(certificate.not_valid_before_utc),
        "not_after": format_time(certificate.not_valid_after_utc),
        "fingerprint_sha256": fingerprint_sha256(certificate),
        "subject_dn": subject_dn,
    }


def pkcs12_bundle(alias, private_key, certificate, chain, password):
    """A PKCS#12 bundle of the key, its certificate and the CA chain, strongly encrypted."""
    encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(PKCS12_KDF_ROUNDS)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
        .build(password.encode("utf-8"))
    )
    return pkcs12.serialize_key_and_certificates(alias.encode("utf-8"), private_key, certificate, chain or None,
                                                 encryption)


def b64(data):
    return base64.b64encode(data).decode("ascii")
