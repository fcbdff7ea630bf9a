"""ACM certificates requested from the private CA are signed by it (emulator/acm_private_signing.py),
so what trusts the platform's CA trusts the load balancer that serves them: over HTTP to moto."""

import secrets

import boto3
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from cryptography.x509.oid import ExtendedKeyUsageOID

from tests.harness.private_ca import create_root_ca

pytestmark = pytest.mark.integration


def test_a_certificate_requested_from_the_private_ca_is_signed_by_it(moto):
    authority_arn = create_root_ca("local")
    acm = boto3.client("acm")
    arn = acm.request_certificate(DomainName="airflow.local.internal", CertificateAuthorityArn=authority_arn,
                                  SubjectAlternativeNames=["airflow.local.internal", "api.local.internal"])[
        "CertificateArn"]
    authority = x509.load_pem_x509_certificate(boto3.client("acm-pca").get_certificate_authority_certificate(
        CertificateAuthorityArn=authority_arn)["Certificate"].encode())

    passphrase = secrets.token_hex(16).encode()
    exported = acm.export_certificate(CertificateArn=arn, Passphrase=passphrase)
    certificate = x509.load_pem_x509_certificate(exported["Certificate"].encode())
    certificate.verify_directly_issued_by(authority)
    assert x509.load_pem_x509_certificates(exported["CertificateChain"].encode()) == [authority]
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sorted(names.get_values_for_type(x509.DNSName)) == ["airflow.local.internal", "api.local.internal"]
    assert ExtendedKeyUsageOID.SERVER_AUTH in certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    key = load_pem_private_key(exported["PrivateKey"].encode(), passphrase)
    assert key.public_key().public_numbers() == certificate.public_key().public_numbers()

    described = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert (described["Type"], described["Status"], described["CertificateAuthorityArn"]) == (
        "PRIVATE", "ISSUED", authority_arn)
    assert acm.get_certificate(CertificateArn=arn)["Certificate"] == exported["Certificate"]


def test_a_public_certificate_request_is_left_to_moto(moto):
    acm = boto3.client("acm")
    arn = acm.request_certificate(DomainName="public.example.org", ValidationMethod="DNS")["CertificateArn"]
    assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["Type"] == "AMAZON_ISSUED"
