"""The server's record of the AWS requests it serves, and the lock they are served under.

Every AWS request is recorded as ``{"service", "action", "method", "path", "source", "status",
"seconds"}`` (with ``params`` for JSON-protocol requests, ``error`` for a refusal, ``replayed`` for
an answered retry) before moto handles it; ``GET /_dataplatform/requests`` serves the record
(router.py), so tests prove API budgets ("a cached run makes zero calls") against the server.
"""

from __future__ import annotations

import io
import json
import re
import threading
import time
import urllib.parse
from collections import OrderedDict

from emulator.state import RequestLog

# Parameters of JSON-protocol requests kept in the record (as "params"), so a test can check what
# was asked for where moto ignores it (a certificate template, a validity). Only names that never
# carry a secret or a key: never SecretString, SecretBinary, Csr or Certificate.
RECORDED_PARAMETERS = (
    "TemplateArn", "Validity", "SigningAlgorithm", "CertificateSerial", "RevocationReason", "SecretId", "Name",
    "RecoveryWindowInDays", "CertificateAuthorityArn", "CertificateArn",
)
_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")


def sdk_attempt(environ: dict) -> int:
    """The attempt number an AWS SDK puts in ``amz-sdk-request`` (``attempt=2; max=25``); 1 without it."""
    match = re.search(r"attempt=(\d+)", environ.get("HTTP_AMZ_SDK_REQUEST", ""))
    return int(match.group(1)) if match else 1


def describe_request(environ: dict, body: bytes) -> dict:
    """Service and API action of one AWS request, from its signature and protocol."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    match = _CREDENTIAL_SCOPE.search(auth)
    service = match.group(1) if match else "unknown"
    method = environ.get("REQUEST_METHOD", "GET")
    path = environ.get("PATH_INFO", "/")
    target = environ.get("HTTP_X_AMZ_TARGET")
    action = None
    if target:
        action = target.rsplit(".", 1)[-1]
    else:
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
        if "Action" in query:
            action = query["Action"][0]
        elif body and "x-www-form-urlencoded" in environ.get("CONTENT_TYPE", ""):
            form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
            if "Action" in form:
                action = form["Action"][0]
    if action is None:
        # REST protocols (S3 and others): the method and the path are the action.
        action = f"{method} {path}"
    # Where the request came from: the controller (loopback) or a host (its address), so a test can
    # tell the converge's calls from those the hosts' own agents make all along.
    described = {"service": service, "action": action, "method": method, "path": path,
                 "source": environ.get("REMOTE_ADDR", "")}
    if target and body:
        try:
            document = json.loads(body)
        except ValueError:
            document = None
        if isinstance(document, dict):
            described["params"] = {key: document[key] for key in RECORDED_PARAMETERS if key in document}
    return described


class CountingMiddleware:
    """WSGI middleware that records every AWS request before moto handles it.

    moto's backends are plain dicts and lists, not made for concurrent requests: two requests
    changing one resource at once (Terraform makes ten at a time) can fail one of them with a 500
    after its change was made, and the SDK's retry then fails as a duplicate. So requests reach
    moto one at a time, under ``backend_lock``, once their body has been read off the socket.

    A retry is answered as AWS's endpoints, which do not lose answers, leave the SDK nothing to
    retry: when the SDK sends an operation again (same ``amz-sdk-invocation-id``, ``attempt`` above
    1) after the server carried it out with success, the server gives the answer it gave then
    instead of carrying the operation out twice (marked ``"replayed": true`` in the request log).
    Under load the AWS provider sometimes never reads an answer the server sent, and its retry of
    a non-idempotent call (AuthorizeSecurityGroupEgress) would fail as a duplicate.
    """

    REPLAYABLE_ANSWERS = 2000

    def __init__(self, app, backend_lock=None, log: RequestLog | None = None):
        self.app = app
        self.lock = threading.Lock()
        self.backend_lock = backend_lock or threading.RLock()
        self.log = log if log is not None else RequestLog()
        self.answers: OrderedDict[str, tuple[str, list, bytes]] = OrderedDict()

    @property
    def requests(self) -> list[dict]:
        return self.log.snapshot()

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/moto-api"):
            return self._serve_aws_request(environ, start_response)
        if path == "/moto-api/reset":
            with self.lock:
                self.answers.clear()
        with self.backend_lock:
            return list(self.app(environ, start_response))

    def _serve_aws_request(self, environ, start_response):
        length = environ.get("CONTENT_LENGTH")
        if length:
            body = environ["wsgi.input"].read(int(length))
        elif environ.get("wsgi.input_terminated") or "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            # A chunked body (no Content-Length): the server ends the stream where the body ends.
            body = environ["wsgi.input"].read()
            environ["CONTENT_LENGTH"] = str(len(body))
            environ.pop("HTTP_TRANSFER_ENCODING", None)
        else:
            body = b""
        environ["wsgi.input"] = io.BytesIO(body)
        entry = describe_request(environ, body)
        self.log.append(entry)

        invocation = environ.get("HTTP_AMZ_SDK_INVOCATION_ID")
        if invocation and sdk_attempt(environ) > 1:
            with self.lock:
                answered = self.answers.get(invocation)
            if answered:
                status, headers, payload = answered
                entry.update(status=int(status.split(" ", 1)[0]), seconds=0.0, replayed=True)
                start_response(status, headers)
                return [payload]

        started = time.monotonic()
        answer = {}

        def recording_start_response(status, headers, exc_info=None):
            entry["status"] = int(status.split(" ", 1)[0])
            entry["seconds"] = round(time.monotonic() - started, 3)
            answer.update(status=status, headers=list(headers))
            return start_response(status, headers, exc_info)

        with self.backend_lock:
            chunks = list(self.app(environ, recording_start_response))
        if entry.get("status", 500) >= 400:
            # The refusal's own words (a signature mismatch, a missing permission), for whoever reads the log.
            entry["error"] = b"".join(chunks)[:500].decode("utf-8", "replace")
        if invocation and entry.get("status", 500) < 400 and environ.get("REQUEST_METHOD") != "GET":
            with self.lock:
                self.answers[invocation] = (answer["status"], answer["headers"], b"".join(chunks))
                while len(self.answers) > self.REPLAYABLE_ANSWERS:
                    self.answers.popitem(last=False)
        return chunks
