"""The condition key ACM Private CA supplies to IAM for ``IssueCertificate``, which moto does not:
``acm-pca:TemplateArn``, the template the request names, or the one the CA applies when it names
none (``EndEntityCertificate/V1``). A policy can then let a principal issue only the kinds of
certificate it needs (an end-entity client certificate, never a CA's). The IAM emulation
(enforcement.py) adds these keys to the request's condition context.
"""

from __future__ import annotations

DEFAULT_TEMPLATE = "arn:{partition}:acm-pca:::template/EndEntityCertificate/V1"


def condition_keys(service: str, action: str, params: dict, partition: str = "aws") -> dict[str, str]:
    if service != "acm-pca" or action != "IssueCertificate":
        return {}
    return {"acm-pca:TemplateArn": params.get("TemplateArn") or DEFAULT_TEMPLATE.format(partition=partition)}
