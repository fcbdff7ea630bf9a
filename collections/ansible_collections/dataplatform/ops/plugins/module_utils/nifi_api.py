# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Taking a node out of a NiFi 2 cluster through NiFi's REST API.

The sequence is NiFi's own for a node that leaves for good: disconnect it, offload it (its queued
FlowFiles move to the other nodes), then delete it from the cluster. Each step is
``PUT /nifi-api/controller/cluster/nodes/{id}`` with the wanted status (``DISCONNECTING``,
``OFFLOADING``; NiFi's ``StandardNiFiServiceFacade.updateNode`` honours only the status), then
``DELETE`` of the same path; ``GET /nifi-api/controller/cluster`` lists the nodes. The caller needs
write access to ``/controller`` (the ``admin`` role).

The HTTP transport is passed in (``request(method, path, body) -> (status, document)``) so that the
sequence can be followed step by step in unit tests.
"""

from __future__ import annotations

import json
import re
import ssl
import time

# Node states of NiFi 2 (NodeConnectionState).
CONNECTED_STATES = ("CONNECTING", "CONNECTED")


class NiFiApiError(Exception):
    """NiFi answered with an error or not at all; the message says which request."""


def checked_call(request, method, path, body=None, expected=(200,), detail_limit=500):
    """``(status, document)`` of one call through the transport ``request``; NiFiApiError naming
    the request and NiFi's answer when the status is not one of ``expected``."""
    status, document = request(method, path, body)
    if status not in expected:
        detail = document if isinstance(document, str) else json.dumps(document)
        raise NiFiApiError("%s %s answered %s: %s" % (method, path, status, (detail or "")[:detail_limit]))
    return status, document


def find_node(nodes, address):
    """The node whose address is ``address`` (case-insensitive), or None."""
    matches = [node for node in nodes if str(node.get("address", "")).lower() == address.lower()]
    if len(matches) > 1:
        raise NiFiApiError("%d cluster nodes have the address %s" % (len(matches), address))
    return matches[0] if matches else None


class ClusterNodes:
    """The cluster's nodes as NiFi's REST API shows them."""

    def __init__(self, request, sleep=time.sleep, clock=time.monotonic):
        self._request = request
        self._sleep = sleep
        self._clock = clock

    def _call(self, method, path, body=None, expected=(200,)):
        return checked_call(self._request, method, path, body, expected)[1]

    def list(self):
        document = self._call("GET", "/controller/cluster")
        return document.get("cluster", {}).get("nodes", [])

    def node(self, node_id):
        return self._call("GET", "/controller/cluster/nodes/%s" % node_id)["node"]

    def request_status(self, node, status):
        body = {"node": {"nodeId": node["nodeId"], "status": status}}
        return self._call("PUT", "/controller/cluster/nodes/%s" % node["nodeId"], body)["node"]

    def delete(self, node):
        self._call("DELETE", "/controller/cluster/nodes/%s" % node["nodeId"])

    def wait_for(self, node, wanted, timeout, interval):
        deadline = self._clock() + timeout
        current = node
        while current.get("status") != wanted:
            if self._clock() >= deadline:
                raise NiFiApiError("node %s is %s after %ss, not %s" % (node.get("address"), current.get("status"), timeout, wanted))
            self._sleep(interval)
            current = self.node(node["nodeId"])
        return current


def remove_node(request, address, timeout=600, interval=5, check_mode=False, sleep=time.sleep, clock=time.monotonic):
    """Disconnects, offloads and deletes the node at ``address``; ``{changed, steps, status}``.

    A node that is no longer in the cluster is not a change. In check mode only the list of
    nodes is read and the steps that would be taken are returned.
    """
    cluster = ClusterNodes(request, sleep=sleep, clock=clock)
    node = find_node(cluster.list(), address)
    if node is None:
        return {"changed": False, "steps": [], "status": "ABSENT"}
    status = node.get("status")
    steps = []
    if status in CONNECTED_STATES or status == "DISCONNECTING":
        steps.append("disconnect")
    if status not in ("OFFLOADED",):
        steps.append("offload")
    steps.append("delete")
    if check_mode:
        return {"changed": True, "steps": steps, "status": status}

    if "disconnect" in steps:
        if status != "DISCONNECTING":
            node = cluster.request_status(node, "DISCONNECTING")
        node = cluster.wait_for(node, "DISCONNECTED", timeout, interval)
    if "offload" in steps:
        if node.get("status") != "OFFLOADING":
            node = cluster.request_status(node, "OFFLOADING")
        node = cluster.wait_for(node, "OFFLOADED", timeout, interval)
    cluster.delete(node)
    return {"changed": True, "steps": steps, "status": "DELETED"}


def _sender(base_url, context, timeout, opener):
    from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
    from ansible.module_utils.six.moves.urllib.request import HTTPSHandler, Request, build_opener

    opener = opener or build_opener(HTTPSHandler(context=context))

    def send(method, path, data, headers):
        call = Request(base_url.rstrip("/") + path, data=data, headers=dict(headers, Accept="application/json"))
        call.get_method = lambda: method
        try:
            response = opener.open(call, timeout=timeout)
            status, text = response.getcode(), response.read().decode("utf-8")
        except HTTPError as error:
            status, text = error.code, error.read().decode("utf-8", "replace")
        except (URLError, ssl.SSLError, OSError) as error:
            raise NiFiApiError("%s %s%s failed: %s" % (method, base_url, path, error))
        try:
            return status, json.loads(text) if text else {}
        except ValueError:
            return status, text

    return send


def https_request(base_url, context, timeout=30, opener=None):
    """A transport for :func:`remove_node` over HTTPS with ``context`` (client certificate, CA)."""
    send = _sender(base_url, context, timeout, opener)

    def request(method, path, body=None):
        data = json.dumps(body).encode("utf-8") if body is not None else None
        return send(method, path, data, {"Content-Type": "application/json"} if data is not None else {})

    return request


def https_upload(base_url, context, timeout=120, opener=None):
    """``upload(path, fields, filename, content)``: a multipart/form-data POST with form ``fields``
    and one file part named ``file`` (NiFi's upload endpoints)."""
    import uuid

    send = _sender(base_url, context, timeout, opener)

    def upload(path, fields, filename, content):
        boundary = "----dataplatform-%s" % uuid.uuid4().hex
        parts = []
        for name, value in fields.items():
            parts.append(('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
                          % (boundary, name, value)).encode("utf-8"))
        parts.append(('--%s\r\nContent-Disposition: form-data; name="file"; filename="%s"\r\n'
                      'Content-Type: application/json\r\n\r\n' % (boundary, filename)).encode("utf-8"))
        data = b"".join(parts) + content + ("\r\n--%s--\r\n" % boundary).encode("utf-8")
        return send("POST", path, data, {"Content-Type": "multipart/form-data; boundary=%s" % boundary})

    return upload


def client_context(pkcs12_der, password, ca_pem=None):
    """A TLS context with the client certificate of a PKCS#12 bundle.

    The server is verified against ``ca_pem`` or, when omitted, the CA certificates the bundle
    carries (the environment's chain).
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    try:
        key, certificate, additional = pkcs12.load_key_and_certificates(pkcs12_der, password.encode("utf-8"))
    except ValueError as error:
        raise NiFiApiError("the client PKCS#12 bundle cannot be opened with its password: %s" % error)
    if key is None or certificate is None:
        raise NiFiApiError("the client PKCS#12 bundle holds no key and certificate")
    return pem_client_context(
        "".join(c.public_bytes(serialization.Encoding.PEM).decode("ascii") for c in [certificate, *(additional or [])]),
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                          serialization.NoEncryption()).decode("ascii"),
        ca_pem)


def pem_client_context(certificates_pem, key_pem, ca_pem=None):
    """A TLS context with a client certificate in PEM: the certificate followed by its CA chain,
    and its unencrypted key.

    The server is verified against ``ca_pem`` or, when omitted, the chain after the certificate.
    The key only touches disk in a private temporary directory (mode 0700, file 0600) for as long
    as ``ssl`` needs to load it.
    """
    import os
    import shutil
    import tempfile

    blocks = re.findall(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", certificates_pem, re.S)
    if not blocks:
        raise NiFiApiError("the client certificate is not a PEM certificate")
    if "PRIVATE KEY-----" not in key_pem:
        raise NiFiApiError("the client key is not a PEM private key")
    trusted = ca_pem or "\n".join(blocks[1:])
    if not trusted:
        raise NiFiApiError("no CA to verify NiFi's certificate: the client certificate comes without its chain and "
                           "no CA bundle was given")
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cadata=trusted)
    directory = tempfile.mkdtemp(prefix="nifi-client-")
    try:
        path = os.path.join(directory, "client.pem")
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(key_pem.strip() + "\n" + "\n".join(blocks) + "\n")
        try:
            context.load_cert_chain(path)
        except ssl.SSLError as error:
            raise NiFiApiError("the client key does not belong to the client certificate: %s" % error)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return context


# The options every module that calls NiFi's REST API takes: where, and as whom.
CLIENT_ARGUMENT_SPEC = dict(
    api_url=dict(type="str", required=True),
    client_pkcs12=dict(type="str", no_log=True),
    client_pkcs12_password=dict(type="str", no_log=True),
    client_certificate=dict(type="str"),
    client_key=dict(type="str", no_log=True),
    ca_bundle=dict(type="path"),
)
CLIENT_ARGUMENT_RULES = dict(
    required_one_of=[("client_pkcs12", "client_certificate")],
    mutually_exclusive=[("client_pkcs12", "client_certificate")],
    required_together=[("client_pkcs12", "client_pkcs12_password"), ("client_certificate", "client_key")],
)


def module_request(module):
    """The HTTPS transport of a module's O(api_url) with its client certificate (the
    ``CLIENT_ARGUMENT_SPEC`` options); fails the module with a message on bad input or without
    the cryptography library."""
    return https_request(module.params["api_url"], module_tls_context(module))


def module_tls_context(module):
    """The TLS context of a module's ``CLIENT_ARGUMENT_SPEC`` options (its client certificate and
    the CA it verifies NiFi with); fails the module on bad input or without cryptography."""
    import base64
    import binascii

    from ansible.module_utils.basic import missing_required_lib

    try:
        import cryptography  # noqa: F401 pylint: disable=unused-import
    except ImportError:
        module.fail_json(msg=missing_required_lib("cryptography"))
    params = module.params
    if not params["api_url"].startswith("https://"):
        module.fail_json(msg="api_url must be an https:// URL, not %s" % params["api_url"])
    ca_pem = None
    if params["ca_bundle"]:
        with open(params["ca_bundle"], "r") as handle:
            ca_pem = handle.read()
    try:
        if params["client_pkcs12"]:
            try:
                bundle = base64.b64decode(params["client_pkcs12"], validate=True)
            except (binascii.Error, ValueError):
                module.fail_json(msg="client_pkcs12 is not base64")
            context = client_context(bundle, params["client_pkcs12_password"], ca_pem)
        else:
            context = pem_client_context(params["client_certificate"], params["client_key"], ca_pem)
    except NiFiApiError as error:
        module.fail_json(msg="The client certificate cannot be used: %s" % error)
    return context
