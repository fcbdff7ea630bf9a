"""The sandbox's AWX phase: the stand-in of AWX's job launch API (sandbox/awx_standin.py), running
jobs with ansible-runner in the execution environment's image, and the lifecycle-events token on
EventBridge's connection (awx/README.md's step in an account)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

from sandbox import accounts, infrastructure
from sandbox.awx_jobs import execution_environment_image
from sandbox.processes import port_is_free, running_pid, stop_process_group
from sandbox.settings import ROOT, SandboxError, Settings

# The stand-in runs again when one of these or its image changed.
STANDIN_SOURCES = (ROOT / "sandbox" / "awx_standin.py", ROOT / "sandbox" / "awx_jobs.py", ROOT / "awx" / "objects.yml")


def pid(sandbox: Settings) -> int | None:
    return running_pid(sandbox.awx_pid_file)


def ensure_standin(sandbox: Settings) -> str:
    """The execution environment's image built, the token on EventBridge's connection, and the
    stand-in running with that image. Returns the image."""
    image = execution_environment_image()
    outputs = infrastructure.output(sandbox, "lifecycle_events")
    if outputs:
        accounts.client(sandbox, "events").update_connection(
            Name=outputs["connection_name"], AuthorizationType="API_KEY",
            AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "Authorization",
                                                      "ApiKeyValue": f"Bearer {sandbox.awx_token.read_text().strip()}"}})
    signature = hashlib.sha256("\n".join([image, *(path.read_text() for path in STANDIN_SOURCES)]).encode()).hexdigest()
    signature_file = sandbox.awx_dir / "signature"
    if pid(sandbox) and signature_file.exists() and signature_file.read_text().strip() == signature:
        return image
    stop_standin(sandbox)
    if not port_is_free(sandbox.awx_port):
        raise SandboxError(f"port {sandbox.awx_port}, for the AWX stand-in, is taken by another program; "
                           "set SANDBOX_AWX_PORT to a free port")
    with open(sandbox.awx_dir / "standin.log", "ab") as log_file:
        process = subprocess.Popen([sys.executable, "-m", "sandbox.awx_standin", "--port", str(sandbox.awx_port),
                                    "--image", image], cwd=ROOT, env={**os.environ, **sandbox.settings()},
                                   stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
    sandbox.awx_pid_file.write_text(f"{process.pid}\n")
    signature_file.write_text(signature + "\n")
    (sandbox.awx_dir / "image").write_text(image + "\n")
    deadline = time.monotonic() + 60
    while port_is_free(sandbox.awx_port):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SandboxError(f"the AWX stand-in did not start; see {sandbox.shown(sandbox.awx_dir / 'standin.log')}")
        time.sleep(0.2)
    return image


def stop_standin(sandbox: Settings) -> None:
    stop_process_group(lambda: pid(sandbox))
    sandbox.awx_pid_file.unlink(missing_ok=True)


def jobs(sandbox: Settings) -> list[dict]:
    """The stand-in's jobs, newest last (what AWX's job list shows)."""
    found = []
    for job_id in range(1, 10_000):
        request = urllib.request.Request(f"{sandbox.awx_url}/api/v2/jobs/{job_id}/", headers={
            "Authorization": f"Bearer {sandbox.awx_token.read_text().strip()}"})
        try:
            with accounts.open_url(sandbox, request, timeout=10) as answer:
                found.append(json.loads(answer.read()))
        except urllib.error.HTTPError as error:
            if error.code == 404:
                break
            raise
    return found
