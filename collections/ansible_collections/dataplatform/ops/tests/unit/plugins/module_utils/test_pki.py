from __future__ import annotations

import subprocess

from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12

from ansible_collections.dataplatform.ops.plugins.module_utils import identity, pki

SUBJECT = {"common_name": "alice", "organizational_unit": "DataEng", "organization": "Platform"}


def test_csr_subject_renders_as_the_identity():
    key = pki.generate_private_key()
    csr = x509.load_pem_x509_csr(pki.build_csr(key, SUBJECT).encode())
    assert csr.is_signature_valid
    assert identity.dn_of_name(csr.subject) == "CN=alice, OU=DataEng, O=Platform"
    assert csr.subject.rfc4514_string() == "CN=alice,OU=DataEng,O=Platform"


def test_serial_is_colon_separated_lower_case_hex():
    assert pki.serial_hex(0x4C1C0D) == "4c:1c:0d"
    assert pki.serial_hex(0x01) == "01"


def test_password_is_long_and_random():
    first, second = pki.random_password(), pki.random_password()
    assert len(first) == 32 and first != second


def test_pkcs12_bundle_is_aes_256_with_pbkdf2_sha256(tmp_path):
    key = pki.generate_private_key()
    builder = x509.CertificateBuilder().subject_name(pki.x509_name(SUBJECT)).issuer_name(pki.x509_name(SUBJECT))
    import datetime

    from cryptography.hazmat.primitives import hashes

    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (builder.public_key(key.public_key()).serial_number(7).not_valid_before(now)
                   .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    password = pki.random_password()
    bundle = pki.pkcs12_bundle("alice", key, certificate, [], password)

    loaded = pkcs12.load_pkcs12(bundle, password.encode())
    assert loaded.cert.friendly_name == b"alice"
    (tmp_path / "b.p12").write_bytes(bundle)
    (tmp_path / "pw").write_text(password)
    info = subprocess.run(["openssl", "pkcs12", "-info", "-noout", "-in", str(tmp_path / "b.p12"),
                           "-passin", f"file:{tmp_path / 'pw'}"], capture_output=True, text=True, check=True).stderr
    assert "MAC: sha256" in info
    assert info.count("PBES2, PBKDF2, AES-256-CBC, Iteration %d, PRF hmacWithSHA256" % pki.PKCS12_KDF_ROUNDS) == 2


def _own_csr(subject=None, key=None, names=None):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    builder = x509.CertificateSigningRequestBuilder().subject_name(pki.x509_name(subject or SUBJECT))
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(name) for name in names]), critical=False)
    from cryptography.hazmat.primitives import serialization

    return builder.sign(key or ec.generate_private_key(ec.SECP256R1()), hashes.SHA256()).public_bytes(
        serialization.Encoding.PEM).decode()


def test_a_users_own_csr_is_accepted_for_exactly_the_requests_subject():
    assert pki.user_csr_problem(_own_csr(), SUBJECT) is None
    assert pki.user_csr_problem(pki.build_csr(pki.generate_private_key(), SUBJECT), SUBJECT) is None
    other = dict(SUBJECT, common_name="mallory")
    assert "asks for 'CN=mallory, OU=DataEng, O=Platform', not the request's subject" in pki.user_csr_problem(
        _own_csr(other), SUBJECT)


def test_a_users_csr_with_host_names_a_weak_key_or_no_pem_is_refused():
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    assert "subject alternative names" in pki.user_csr_problem(_own_csr(names=["nifi.example.internal"]), SUBJECT)
    assert "1024-bit RSA key" in pki.user_csr_problem(
        _own_csr(key=rsa.generate_private_key(public_exponent=65537, key_size=1024)), SUBJECT)
    assert "ECDSA on P-256 or P-384" in pki.user_csr_problem(_own_csr(key=ec.generate_private_key(ec.SECP521R1())), SUBJECT)
    assert "is not a PEM certificate signing request" in pki.user_csr_problem("-----BEGIN NONSENSE-----", SUBJECT)


def test_the_key_id_of_a_csr_follows_its_key():
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    assert pki.csr_key_id(_own_csr(key=key)) == pki.csr_key_id(_own_csr(key=key))
    assert pki.csr_key_id(_own_csr(key=key)) != pki.csr_key_id(_own_csr())
