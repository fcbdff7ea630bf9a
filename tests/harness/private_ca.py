"""An environment's private CA and platform parameter on the moto server, as Terraform would make them.

    arn = create_root_ca("dev")                       # ACTIVE root CA with its own certificate
    write_platform_parameter("dev", {"pca": {"arn": arn}})

Uses boto3 with the process's ``AWS_ENDPOINT_URL`` (the moto server of the test or benchmark).
"""

from __future__ import annotations

import json

import boto3

from ansible_collections.dataplatform.ops.plugins.module_utils.platform import platform_parameter_name

ROOT_CA_TEMPLATE = "arn:aws:acm-pca:::template/RootCACertificate/V1"


def create_root_ca(env: str, common_name: str | None = None) -> str:
    """Creates a root CA, self-signs it and activates it; returns its ARN."""
    pca = boto3.client("acm-pca")
    arn = pca.create_certificate_authority(
        CertificateAuthorityConfiguration={
            "KeyAlgorithm": "RSA_2048",
            "SigningAlgorithm": "SHA256WITHRSA",
            "Subject": {"CommonName": common_name or f"Data Platform {env} CA", "Organization": "Platform"},
        },
        CertificateAuthorityType="ROOT",
        Tags=[{"Key": "dataplatform:env", "Value": env}],
    )["CertificateAuthorityArn"]
    csr = pca.get_certificate_authority_csr(CertificateAuthorityArn=arn)["Csr"]
    certificate_arn = pca.issue_certificate(
        CertificateAuthorityArn=arn,
        Csr=csr.encode(),
        SigningAlgorithm="SHA256WITHRSA",
        TemplateArn=ROOT_CA_TEMPLATE,
        Validity={"Type": "YEARS", "Value": 10},
    )["CertificateArn"]
    certificate = pca.get_certificate(CertificateAuthorityArn=arn, CertificateArn=certificate_arn)["Certificate"]
    pca.import_certificate_authority_certificate(CertificateAuthorityArn=arn, Certificate=certificate.encode())
    return arn


def ca_certificate(arn: str) -> str:
    return boto3.client("acm-pca").get_certificate_authority_certificate(CertificateAuthorityArn=arn)["Certificate"]


def write_platform_parameter(env: str, document: dict) -> str:
    """Writes the environment's platform document (only the keys a test needs); returns its name."""
    name = platform_parameter_name(env)
    boto3.client("ssm").put_parameter(Name=name, Type="String", Value=json.dumps({"env": env, **document}),
                                      Overwrite=True)
    return name


def revoked_serials(moto_endpoint: str) -> dict[str, str]:
    """``{serial: reason}`` of every certificate the moto server's CAs revoked.

    moto publishes no CRL; its model state, served over HTTP at /moto-api/data.json, holds the
    revocations the RevokeCertificate calls recorded.
    """
    import urllib.request

    with urllib.request.urlopen(moto_endpoint + "/moto-api/data.json", timeout=30) as response:  # noqa: S310
        data = json.loads(response.read())
    revoked = {}
    for authority in data.get("acmpca", {}).get("CertificateAuthority", []):
        for serial, details in (authority.get("revoked_certificates") or {}).items():
            revoked[serial] = details.get("revocation_reason")
    return revoked
