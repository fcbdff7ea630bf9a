"""ACM private certificates as AWS issues them, emulated inside the moto server process.

moto makes a certificate requested with a ``CertificateAuthorityArn`` self-signed by "Amazon", so
nothing that trusts the private CA trusts it. Here RequestCertificate with a CA signs the
certificate with that CA (moto's ACM PCA), as AWS does: the requested name and alternative names,
serverAuth and clientAuth, the CA's certificate as its chain (ExportCertificate and GetCertificate
return it). A CA that has no certificate yet leaves moto's answer (AWS refuses the request). Not
emulated: the CA's permission for ACM, renewal, the CA's audit of issued certificates.
"""

from __future__ import annotations


def _emulated_request_certificate(original):
    def request_certificate(self, domain_name, idempotency_token, subject_alt_names, tags,
                            cert_authority_arn=None, cert_options=None):
        arn = original(self, domain_name, idempotency_token, subject_alt_names, tags,
                       cert_authority_arn=cert_authority_arn, cert_options=cert_options)
        if cert_authority_arn:
            _sign_with_private_ca(self, arn, cert_authority_arn)
        return arn

    return request_certificate


def _sign_with_private_ca(acm_backend, arn: str, authority_arn: str) -> None:
    """Replaces moto's self-signed certificate ``arn`` by one the private CA signs for its key."""
    from cryptography import x509
    from cryptography.x509.oid import ExtendedKeyUsageOID
    from moto.acm.models import CertBundle
    from moto.acmpca.models import acmpca_backends

    bundle = acm_backend._certificates[arn]
    authority = acmpca_backends[acm_backend.account_id][acm_backend.region_name].certificate_authorities.get(
        authority_arn)
    if authority is None or not authority.certificate_bytes:
        return
    requested = x509.load_pem_x509_certificate(bundle.cert)
    extensions = [
        (requested.extensions.get_extension_for_class(x509.SubjectAlternativeName).value, False),
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (x509.KeyUsage(digital_signature=True, key_encipherment=True, content_commitment=False,
                       data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                       encipher_only=False, decipher_only=False), True),
        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), False),
    ]
    subject = x509.Name([attribute for attribute in requested.subject if attribute.oid == x509.NameOID.COMMON_NAME])
    signed = CertBundle(account_id=acm_backend.account_id, region=acm_backend.region_name, arn=arn,
                        certificate=authority.generate_cert(subject, requested.public_key(), extensions),
                        private_key=bundle.key, cert_type="PRIVATE", cert_status="ISSUED",
                        cert_authority_arn=authority_arn, cert_options=bundle.cert_options)
    # The chain is the issuing CA's certificate alone (moto appends a public root to any chain).
    signed.chain = authority.certificate_bytes.rstrip(b"\n") + b"\n"
    signed.tags = bundle.tags
    acm_backend._certificates[arn] = signed


def install() -> None:
    from moto.acm.models import AWSCertificateManagerBackend

    AWSCertificateManagerBackend.request_certificate = _emulated_request_certificate(
        AWSCertificateManagerBackend.request_certificate)
