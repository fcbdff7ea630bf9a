# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The options of the modules that call NiFi's REST API as a client certificate's identity."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  api_url:
    description: NiFi's REST API on a connected node or the load balancer, for example C(https://nifi.example.internal:8443/nifi-api).
    type: str
    required: true
  client_pkcs12:
    description:
      - The client certificate and key as a base64-encoded PKCS#12 bundle.
      - Give either O(client_pkcs12) with O(client_pkcs12_password), or O(client_certificate) with O(client_key).
    type: str
  client_pkcs12_password:
    description: The bundle's password.
    type: str
  client_certificate:
    description:
      - The client certificate in PEM, followed by its CA chain (for example a service identity's certificate just
        issued by M(dataplatform.ops.acmpca_certificate), with its CA chain).
    type: str
  client_key:
    description: The unencrypted PEM private key of O(client_certificate).
    type: str
  ca_bundle:
    description: PEM file of the CA that issued NiFi's certificates; by default the CA certificates after the client's.
    type: path
requirements:
  - cryptography
"""
