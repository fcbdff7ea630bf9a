"""The sandbox's stand-in for AWX's job launch API: what EventBridge's API destination calls.

    python -m sandbox.awx_standin --port PORT --image IMAGE   (started and stopped by the sandbox)

It answers, over HTTPS with the sandbox's certificate, the two calls of AWX's API the platform
makes without a person:

- ``POST /api/v2/job_templates/<name>++<organization>/launch/`` (AWX's named URL of a job
  template), with ``Authorization: Bearer <token>``: the token of the AWX user EventBridge's
  connection holds (``.sandbox/awx/token``; 401 otherwise). The body may carry ``limit`` and
  ``extra_vars`` where the job template asks for them on launch (``ask_limit_on_launch``,
  ``ask_variables_on_launch`` in awx/objects.yml); other fields are ignored and named in
  ``ignored_fields``, as AWX does. The answer is 201 with the job's id; the job then runs
  (sandbox/awx_jobs.py: ansible-runner in the execution environment's image), one job of a
  template at a time unless it allows simultaneous jobs.
- ``GET /api/v2/jobs/<id>/``: the job's status (pending, running, successful, failed, error).

Not emulated: the rest of AWX's API and UI, users and roles (the token stands for the
lifecycle-events user, whose only role is execute on the decommission template), schedules, the
provisioning callback, job slicing. Its log is ``.sandbox/awx/standin.log``; each job's private
data directory, with its output, is under ``.sandbox/awx/jobs/``.
"""

from __future__ import annotations

import argparse
import datetime
import hmac
import http.server
import json
import re
import ssl
import threading
import traceback

from sandbox.awx_jobs import AwxJobs
from sandbox.sandbox import Sandbox

LAUNCH_PATH = re.compile(r"^/api/v2/job_templates/(?P<name>[^/+]+)\+\+(?P<organization>[^/]+)/launch/?$")
JOB_PATH = re.compile(r"^/api/v2/jobs/(?P<id>\d+)/?$")


class JobBoard:
    """The stand-in's jobs: their status, and one lock per job template that runs one job at a time."""

    def __init__(self, jobs):
        self.jobs = jobs  # sandbox.awx_jobs.AwxJobs
        self.records: dict[int, dict] = {}
        self.template_locks: dict[str, threading.Lock] = {}
        self.lock = threading.Lock()

    def launch(self, template: dict, limit: str | None, extra_vars: dict) -> int:
        with self.lock:
            job_id = len(self.records) + 1
            self.records[job_id] = {"id": job_id, "name": template["name"], "status": "pending", "limit": limit or "",
                                    "failed": False, "result_stdout": ""}
            template_lock = self.template_locks.setdefault(template["name"], threading.Lock())
        threading.Thread(target=self._run, args=(job_id, template, limit, extra_vars, template_lock), daemon=True).start()
        return job_id

    def _run(self, job_id: int, template: dict, limit: str | None, extra_vars: dict, template_lock) -> None:
        record = self.records[job_id]
        serial = template_lock if not template.get("allow_simultaneous") else threading.Lock()
        with serial:
            record["status"] = "running"
            log(f"job {job_id} ({template['name']}, limit {limit or 'none'}) running")
            try:
                result = self.jobs.launch(template["kind"], limit=limit, extra_vars=extra_vars)
                record.update(status=result.status, failed=result.status != "successful", rc=result.rc,
                              changed=result.changed(), failed_hosts=result.failed_hosts(),
                              private_data_dir=str(result.private_data_dir))
            except Exception:  # noqa: BLE001 - any error of the job runner is the job's error, as in AWX
                record.update(status="error", failed=True, result_traceback=traceback.format_exc())
            log(f"job {job_id} ({template['name']}) {record['status']}")

    def get(self, job_id: int) -> dict | None:
        return self.records.get(job_id)


def log(message: str) -> None:
    print(f"{datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')} {message}", flush=True)


def handler_class(board: JobBoard, token: str, templates: dict[tuple[str, str], dict]):
    class Handler(http.server.BaseHTTPRequestHandler):
        server_version = "dataplatform-awx-standin"

        def answer(self, status: int, body: dict) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def authorized(self) -> bool:
            given = self.headers.get("Authorization", "")
            if given.startswith("Bearer ") and hmac.compare_digest(given[len("Bearer "):].encode(), token.encode()):
                return True
            self.answer(401, {"detail": "Authentication credentials were not provided."})
            return False

        def do_POST(self):  # noqa: N802 - http.server's name
            match = LAUNCH_PATH.match(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if not match:
                return self.answer(404, {"detail": "Not found."})
            if not self.authorized():
                return None
            template = templates.get((match["name"], match["organization"]))
            if template is None:
                return self.answer(404, {"detail": "Not found."})
            try:
                body = json.loads(raw or b"{}")
                if not isinstance(body, dict):
                    raise ValueError("not an object")
            except ValueError:
                return self.answer(400, {"detail": "JSON parse error - the body is not a JSON object."})
            accepted, ignored = {}, {}
            for field, asked in (("limit", "ask_limit_on_launch"), ("extra_vars", "ask_variables_on_launch")):
                if field in body:
                    (accepted if template.get(asked) else ignored)[field] = body[field]
            ignored.update({field: value for field, value in body.items() if field not in ("limit", "extra_vars")})
            extra_vars = accepted.get("extra_vars") or {}
            if isinstance(extra_vars, str):
                extra_vars = json.loads(extra_vars or "{}")
            job_id = board.launch(template, accepted.get("limit"), extra_vars)
            log(f"launch of {match['name']} by the API: job {job_id}, accepted {sorted(accepted)}, ignored {sorted(ignored)}")
            return self.answer(201, {"job": job_id, "id": job_id, "status": "pending", "ignored_fields": ignored})

        def do_GET(self):  # noqa: N802
            match = JOB_PATH.match(self.path)
            if not match:
                return self.answer(404, {"detail": "Not found."})
            if not self.authorized():
                return None
            record = board.get(int(match["id"]))
            return self.answer(200, record) if record else self.answer(404, {"detail": "Not found."})

        def log_message(self, format, *args):  # noqa: A002 - http.server's signature
            log(f"{self.address_string()} {format % args}")

    return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--image", required=True, help="the execution environment's image")
    args = parser.parse_args(argv)
    sandbox = Sandbox.from_environment()
    token = sandbox.awx_token.read_text().strip()
    jobs = AwxJobs(sandbox, args.image)
    templates = {(template["name"], template["organization"]): template for template in jobs.templates()}
    board = JobBoard(jobs)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler_class(board, token, templates))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(sandbox.tls.certificate, sandbox.tls.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    log(f"AWX stand-in on https://127.0.0.1:{args.port}, job templates {sorted(name for name, _ in templates)}")
    server.serve_forever()


if __name__ == "__main__":
    main()
