"""The AWS endpoint of the tests and the sandbox: moto's server with the emulation, as a child process.

Run it as a program (the sandbox does)::

    python -m emulator --host 127.0.0.1 --port 5000

or start it from Python with :class:`MotoServer` (the test fixtures do), which is also the
:class:`~emulator.client.EmulatorClient` of the server it started: ``requests()``,
``lifecycle_actions()``, ``reset()``… (client.py names every path of the emulator's own API).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

from emulator.client import EmulatorClient
from emulator.local_tls import LocalCa
from emulator.settings import ENDPOINT_CA_VARIABLE, EVENTS_CA_BUNDLE_VARIABLE

# Environment variables through which the AWS SDKs, the CLI and Terraform find real credentials
# or a real account; the tests and the sandbox remove them from every child's environment.
REAL_AWS_VARIABLES = (
    "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_ACCESS_KEY", "AWS_SECRET_KEY",
)
# The sandbox's server listens on every interface: its hosts (podman containers) reach it through
# their network's gateway, as EC2 instances reach AWS's endpoints.
ALL_INTERFACES = "0.0.0.0"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@dataclass
class MotoServer(EmulatorClient):
    """A moto server in a child process on a loopback port."""

    host: str = "127.0.0.1"
    port: int = 0
    log_path: Path | None = None
    # Extra environment of the server process, e.g. {"INITIAL_NO_AUTH_ACTION_COUNT": "0"}: moto
    # then checks every request's credentials against its IAM users.
    env: dict[str, str] | None = None
    # HTTPS, as every AWS endpoint: a LocalCa (local_tls.py) with a certificate for the names the
    # server is reached by; clients trust its bundle.
    tls: LocalCa | None = None
    # The instance metadata service's port (iam/instance_metadata.py), on the same interface, plain
    # HTTP as IMDS; 0 for none.
    imds_port: int = 0
    process: subprocess.Popen | None = field(default=None, repr=False)
    timeout: float = 10

    @property
    def endpoint(self) -> str:
        """The URL on this machine (a server on every interface is reached through loopback)."""
        host = "127.0.0.1" if self.host == ALL_INTERFACES else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    @property
    def ca_bundle(self) -> str | None:
        return str(self.tls.bundle) if self.tls else None

    def command(self) -> list[str]:
        """The server's command line."""
        tls_arguments = ["--certificate", str(self.tls.certificate), "--key", str(self.tls.key)] if self.tls else []
        imds_arguments = ["--imds-port", str(self.imds_port)] if self.imds_port else []
        return [sys.executable, "-m", "emulator", "--host", self.host, "--port", str(self.port),
                *tls_arguments, *imds_arguments]

    def start(self, timeout: float = 60.0) -> MotoServer:
        if not self.port:
            self.port = free_port("127.0.0.1" if self.host == ALL_INTERFACES else self.host)
        if self.log_path:
            # The child holds its own copy of the descriptor; this process closes its one at once.
            with open(self.log_path, "ab") as log:
                self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                                env=self.process_environment(), start_new_session=True)
        else:
            self.process = subprocess.Popen(self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                            env=self.process_environment(), start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"moto server exited with {self.process.returncode}; see {self.log_path}")
            try:
                self.requests()
                return self
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"moto server did not answer on {self.endpoint} within {timeout:.0f}s")

    def process_environment(self) -> dict[str, str]:
        environment = {**os.environ, **(self.env or {})}
        if self.tls:
            # EventBridge's calls to API destinations (eventbridge.py) trust what the clients trust.
            environment.setdefault(EVENTS_CA_BUNDLE_VARIABLE, str(self.tls.bundle))
            # Local Spark's JVM reaches the server over S3A (emr_serverless_spark.py) and trusts its CA.
            environment.setdefault(ENDPOINT_CA_VARIABLE, str(self.tls.ca_pem))
        return environment

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
