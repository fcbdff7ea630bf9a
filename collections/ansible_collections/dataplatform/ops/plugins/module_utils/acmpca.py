# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""ACM Private CA calls shared by the modules: issue from a CSR, wait, fetch, revoke, describe.

Every function takes a client made by ``AnsibleAWSModule.client(..., retry_decorator=
AWSRetry.jittered_backoff(...))`` and asks for retries with ``aws_retry=True``.
"""

from __future__ import annotations

import hashlib

try:
    import botocore
except ImportError:  # pragma: no cover - AnsibleAWSModule reports a missing botocore
    botocore = None

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

# Certificate templates of ACM Private CA (https://docs.aws.amazon.com/privateca/latest/userguide/UsingTemplates.html).
END_ENTITY_TEMPLATE = "arn:aws:acm-pca:::template/EndEntityCertificate/V1"  # serverAuth + clientAuth
CLIENT_AUTH_TEMPLATE = "arn:aws:acm-pca:::template/EndEntityClientAuthCertificate/V1"  # clientAuth

REVOCATION_REASONS = (
    "UNSPECIFIED", "KEY_COMPROMISE", "CERTIFICATE_AUTHORITY_COMPROMISE", "AFFILIATION_CHANGED", "SUPERSEDED",
    "CESSATION_OF_OPERATION", "PRIVILEGE_WITHDRAWN", "A_A_COMPROMISE",
)
SIGNING_ALGORITHMS = (
    "SHA256WITHECDSA", "SHA384WITHECDSA", "SHA512WITHECDSA", "SHA256WITHRSA", "SHA384WITHRSA", "SHA512WITHRSA",
    "SM3WITHSM2", "ML_DSA_44", "ML_DSA_65", "ML_DSA_87",
)
# The API limits idempotency tokens to 36 characters.
IDEMPOTENCY_TOKEN_LENGTH = 36


class PcaError(Exception):
    """A PCA call failed; ``cause`` is the botocore exception, when there is one."""

    def __init__(self, message, cause=None):
        super().__init__(message)
        self.cause = cause


def idempotency_token(csr_pem):
    """A token derived from the CSR: a retried call for the same CSR returns the same certificate.

    ACM Private CA honours a token for five minutes; a new CSR (a new key) gives a new token.
    """
    return hashlib.sha256(csr_pem.encode("ascii")).hexdigest()[:IDEMPOTENCY_TOKEN_LENGTH]


def describe_certificate_authority(client, arn, with_certificate=True):
    """Status, type, usage mode, algorithms and subject of a CA, with its certificate and chain when active."""
    try:
        authority = client.describe_certificate_authority(CertificateAuthorityArn=arn, aws_retry=True)[
            "CertificateAuthority"]
    except botocore.exceptions.ClientError as error:
        raise PcaError("cannot describe the certificate authority %s" % arn, error) from error
    configuration = authority.get("CertificateAuthorityConfiguration", {})
    result = {
        "arn": authority["Arn"],
        "status": authority.get("Status"),
        "type": authority.get("Type"),
        "usage_mode": authority.get("UsageMode"),
        "key_algorithm": configuration.get("KeyAlgorithm"),
        "signing_algorithm": configuration.get("SigningAlgorithm"),
        "subject": configuration.get("Subject", {}),
        "not_before": _iso(authority.get("NotBefore")),
        "not_after": _iso(authority.get("NotAfter")),
        "failure_reason": authority.get("FailureReason"),
        "certificate": None,
        "certificate_chain": None,
    }
    if with_certificate and result["status"] == "ACTIVE":
        try:
            certificate = client.get_certificate_authority_certificate(CertificateAuthorityArn=arn, aws_retry=True)
        except botocore.exceptions.ClientError as error:
            raise PcaError("cannot read the certificate of %s" % arn, error) from error
        result["certificate"] = certificate.get("Certificate")
        result["certificate_chain"] = certificate.get("CertificateChain")
    return result


def _iso(moment):
    if moment is None:
        return None
    return moment.isoformat() if hasattr(moment, "isoformat") else str(moment)


def issue_certificate(client, authority_arn, csr_pem, validity_days, template_arn, signing_algorithm,
                      token=None, wait_seconds=120):
    """Issues a certificate for a PEM CSR and waits for it.

    Returns ``{"certificate_arn", "certificate", "certificate_chain"}`` (PEM texts).
    """
    try:
        issued = client.issue_certificate(
            CertificateAuthorityArn=authority_arn,
            Csr=csr_pem.encode("ascii"),
            SigningAlgorithm=signing_algorithm,
            TemplateArn=template_arn,
            Validity={"Type": "DAYS", "Value": int(validity_days)},
            IdempotencyToken=token or idempotency_token(csr_pem),
            aws_retry=True,
        )
    except botocore.exceptions.ClientError as error:
        raise PcaError("the certificate authority %s refused to issue the certificate" % authority_arn, error) from error
    certificate_arn = issued["CertificateArn"]
    try:
        fetched = _fetch_issued(client, authority_arn, certificate_arn, wait_seconds)
    except (botocore.exceptions.ClientError, botocore.exceptions.WaiterError) as error:
        raise PcaError("certificate %s was not issued within %s seconds" % (certificate_arn, wait_seconds),
                       error) from error
    chain = (fetched.get("CertificateChain") or "").strip()
    return {
        "certificate_arn": certificate_arn,
        "certificate": fetched["Certificate"].strip() + "\n",
        "certificate_chain": chain + "\n" if chain else "",
    }


def _fetch_issued(client, authority_arn, certificate_arn, wait_seconds):
    """The issued certificate: at once when it is ready, else after waiting for it."""
    arguments = {"CertificateAuthorityArn": authority_arn, "CertificateArn": certificate_arn}
    try:
        return client.get_certificate(aws_retry=True, **arguments)
    except is_boto3_error_code("RequestInProgressException"):
        client.get_waiter("certificate_issued").wait(
            WaiterConfig={"Delay": 1, "MaxAttempts": max(1, int(wait_seconds))}, **arguments)
    return client.get_certificate(aws_retry=True, **arguments)


def revoke_certificate(client, authority_arn, serial, reason):
    """Revokes a certificate by serial. Returns False when the CA had already revoked it."""
    try:
        client.revoke_certificate(CertificateAuthorityArn=authority_arn, CertificateSerial=serial,
                                  RevocationReason=reason, aws_retry=True)
    except is_boto3_error_code("RequestAlreadyProcessedException"):
        return False
    except botocore.exceptions.ClientError as error:  # pylint: disable=duplicate-except
        raise PcaError("cannot revoke serial %s at %s" % (serial, authority_arn), error) from error
    return True
