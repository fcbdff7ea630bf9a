"""The AWS endpoint of the tests and the sandbox: moto's server, counting the requests it serves.

Run it as a program (the sandbox does)::

    python tests/harness/moto_server.py --host 127.0.0.1 --port 5000

or start it from Python with :class:`MotoServer` (the test fixtures do). Besides moto's own API,
the server answers ``GET /_dataplatform/requests`` with every AWS request it has served, as JSON
``[{"service": "autoscaling", "action": "DescribeAutoScalingGroups", "status": 200, ...}]`` (with the
notifications CloudWatch's alarms publish to SNS topics, cloudwatch_alarms.py), and
``DELETE /_dataplatform/requests`` clears that list. Tests use it to prove API budgets
("a cached run makes zero calls") against a real server over HTTP.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

REQUESTS_PATH = "/_dataplatform/requests"
# Environment variables through which the AWS SDKs, the CLI and Terraform find real credentials
# or a real account; the tests and the sandbox remove them from every child's environment.
REAL_AWS_VARIABLES = (
    "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_ACCESS_KEY", "AWS_SECRET_KEY",
)
# Parameters of JSON-protocol requests kept in the record (as "params"), so a test can check what
# was asked for where moto ignores it (a certificate template, a validity). Only names that never
# carry a secret or a key: never SecretString, SecretBinary, Csr or Certificate.
RECORDED_PARAMETERS = (
    "TemplateArn", "Validity", "SigningAlgorithm", "CertificateSerial", "RevocationReason", "SecretId", "Name",
    "RecoveryWindowInDays", "CertificateAuthorityArn", "CertificateArn",
)
# The sandbox's server listens on every interface: its hosts (podman containers) reach it through
# their network's gateway, as EC2 instances reach AWS's endpoints.
ALL_INTERFACES = "0.0.0.0"
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

    def __init__(self, app, backend_lock=None):
        self.app = app
        self.lock = threading.Lock()
        self.backend_lock = backend_lock or threading.RLock()
        self.requests: list[dict] = []
        self.answers: OrderedDict[str, tuple[str, list, bytes]] = OrderedDict()

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == REQUESTS_PATH:
            return self._serve_requests(environ, start_response)
        if not path.startswith("/moto-api"):
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
            with self.lock:
                self.requests.append(entry)

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
        if path == "/moto-api/reset":
            with self.lock:
                self.answers.clear()
        with self.backend_lock:
            return list(self.app(environ, start_response))

    def record(self, entry: dict) -> None:
        """Appends a request the server's own emulation made (an alarm's notification) to the log."""
        with self.lock:
            self.requests.append(entry)

    def _serve_requests(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "DELETE":
            with self.lock:
                self.requests.clear()
            payload = b"[]"
        else:
            with self.lock:
                payload = json.dumps(self.requests).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
        return [payload]


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@dataclass
class MotoServer:
    """A moto server in a child process on a loopback port."""

    host: str = "127.0.0.1"
    port: int = 0
    log_path: Path | None = None
    # Extra environment of the server process, e.g. {"INITIAL_NO_AUTH_ACTION_COUNT": "0"}: moto
    # then checks every request's credentials against its IAM users.
    env: dict[str, str] | None = None
    # HTTPS, as every AWS endpoint: a LocalCa (local_tls.py) with a certificate for the names the
    # server is reached by; clients trust its bundle.
    tls: object | None = None
    # The instance metadata service's port (iam_emulation.py), on the same interface, plain HTTP
    # as IMDS; 0 for none.
    imds_port: int = 0
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def endpoint(self) -> str:
        """The URL on this machine (a server on every interface is reached through loopback)."""
        host = "127.0.0.1" if self.host == ALL_INTERFACES else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    def start(self, timeout: float = 60.0) -> "MotoServer":
        if not self.port:
            self.port = free_port("127.0.0.1" if self.host == ALL_INTERFACES else self.host)
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        tls_arguments = ["--certificate", str(self.tls.certificate), "--key", str(self.tls.key)] if self.tls else []
        imds_arguments = ["--imds-port", str(self.imds_port)] if self.imds_port else []
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--host", self.host, "--port", str(self.port), *tls_arguments, *imds_arguments],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.process_environment(),
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"moto server exited with {self.process.returncode}; see {self.log_path}")
            try:
                self._call("GET", REQUESTS_PATH)
                return self
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"moto server did not answer on {self.endpoint} within {timeout:.0f}s")

    def process_environment(self) -> dict[str, str]:
        environment = {**os.environ, **(self.env or {})}
        if self.tls:
            # EventBridge's calls to API destinations (moto_events.py) trust what the clients trust.
            environment.setdefault("DATAPLATFORM_EVENTS_CA_BUNDLE", str(self.tls.bundle))
            # Local Spark's JVM reaches the server over S3A (moto_emr_serverless.py) and trusts its CA.
            environment.setdefault("DATAPLATFORM_ENDPOINT_CA_CERTIFICATE", str(self.tls.ca_pem))
        return environment

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def _call(self, method: str, path: str, body: bytes | None = None) -> bytes:
        request = urllib.request.Request(self.endpoint + path, method=method, data=body)
        context = ssl.create_default_context(cafile=str(self.tls.bundle)) if self.tls else None
        with urllib.request.urlopen(request, timeout=10, context=context) as response:  # noqa: S310 - loopback only
            return response.read()

    def requests(self) -> list[dict]:
        """Every AWS request served since the last reset."""
        return json.loads(self._call("GET", REQUESTS_PATH))

    def lifecycle_actions(self) -> list[dict]:
        """Every lifecycle action completed since the last reset (moto_gaps.py's record)."""
        return json.loads(self._call("GET", "/_dataplatform/lifecycle-actions"))

    def set_lifecycle_timeout(self, seconds: float | None) -> None:
        """Caps every lifecycle hook's timeout for actions started from now (None: the server's
        own setting again); moto_gaps.py's emulation."""
        self._call("POST", "/_dataplatform/lifecycle-timeout", b"" if seconds is None else str(seconds).encode())

    def api_destination_invocations(self) -> list[dict]:
        """Every API destination invocation since the last reset (moto_events.py's record)."""
        return json.loads(self._call("GET", "/_dataplatform/api-destination-invocations"))

    def alarm_deliveries(self) -> list[dict]:
        """Every notification of an alarm's state change since the last reset, refused ones too
        (cloudwatch_alarms.py; the delivered ones are also in :meth:`requests`)."""
        return json.loads(self._call("GET", "/_dataplatform/alarm-deliveries"))

    def emr_serverless_job_runs(self) -> list[dict]:
        """Every EMR Serverless job run since the last reset, with its driver's output (moto_emr_serverless.py)."""
        return json.loads(self._call("GET", "/_dataplatform/emr-serverless/job-runs"))

    def clear_requests(self) -> None:
        self._call("DELETE", REQUESTS_PATH)

    def reset(self) -> None:
        """Forget every resource moto holds and every recorded request."""
        self._call("POST", "/moto-api/reset")
        self.clear_requests()

    def __enter__(self) -> "MotoServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def count_actions(requests: list[dict]) -> dict[str, int]:
    """``{"service:Action": count}`` of a list of recorded requests."""
    counts: dict[str, int] = {}
    for entry in requests:
        key = f"{entry['service']}:{entry['action']}"
        counts[key] = counts.get(key, 0) + 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--certificate", help="serve HTTPS with this certificate chain (PEM)")
    parser.add_argument("--key", help="the certificate's private key (PEM)")
    parser.add_argument("--imds-port", type=int, default=0,
                        help="also answer as the instance metadata service on this port (iam_emulation.py)")
    args = parser.parse_args()
    if not args.host.startswith("127.") and args.host not in ("localhost", "::1", ALL_INTERFACES):
        parser.error("the moto server listens on loopback, or on every interface for the sandbox's containers")

    # The emulated account has AWS's managed policies (ReadOnlyAccess, PowerUserAccess…)
    # like a real one, so Terraform can attach them.
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

    from cheroot import wsgi
    from cheroot.ssl.builtin import BuiltinSSLAdapter
    from moto.server import DomainDispatcherApplication, create_backend_app

    # APIs moto lacks, emulated in this process (see moto_gaps.py for what each one checks); its
    # timers change moto's backends too, so they take the same lock as the requests.
    import autoscaling_metrics
    import cloudwatch_alarms
    import cloudwatch_iam
    import iam_emulation
    import moto_gaps
    import s3_versions
    import web_identity

    counting = CountingMiddleware(DomainDispatcherApplication(create_backend_app), moto_gaps.BACKEND_LOCK)
    app = moto_gaps.install(counting)
    iam_emulation.install(moto_gaps.REQUEST_CONTEXT)
    cloudwatch_iam.install()
    web_identity.install()
    s3_versions.install()
    autoscaling_metrics.install()
    # Alarms are evaluated under the same lock; their notifications go to the request log.
    app = cloudwatch_alarms.install(app, moto_gaps.BACKEND_LOCK, counting.record,
                                    sources=(autoscaling_metrics.publish,))
    # cheroot, not werkzeug's development server: under load (a parallel terraform apply on two
    # busy cores) the development server reset connections after it had answered, so clients
    # retried requests it had already carried out (a duplicate security group rule, a rule
    # revoked twice). cheroot closes a connection only after the answer is read.
    server = wsgi.Server((args.host, args.port), app, numthreads=32, request_queue_size=128, timeout=60)
    if args.certificate:
        server.ssl_adapter = BuiltinSSLAdapter(args.certificate, args.key)
    servers = [server]
    if args.imds_port:
        servers.append(wsgi.Server((args.host, args.imds_port), iam_emulation.InstanceMetadataService(moto_gaps.BACKEND_LOCK),
                                   numthreads=8, timeout=30))
        threading.Thread(target=servers[-1].safe_start, daemon=True).start()
        print(f"instance metadata service on http://{args.host}:{args.imds_port}", flush=True)

    def stop(*_):
        for each in servers:
            threading.Thread(target=each.stop).start()

    signal.signal(signal.SIGTERM, stop)
    print(f"moto server on {'https' if args.certificate else 'http'}://{args.host}:{args.port}", flush=True)
    server.safe_start()


if __name__ == "__main__":
    main()
