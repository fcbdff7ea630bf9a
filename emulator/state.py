"""The emulator's shared state, in one place: what more than one emulation reads or changes.

* ``BACKEND_LOCK``: moto's backends are plain dicts and lists, not made for concurrent requests,
  so the server serves every AWS request under this lock (request_log.CountingMiddleware), and
  every timer of an emulation (a lifecycle action's timeout, an alarm's evaluation, an EMR
  Serverless application's auto-stop, an EventBridge retry) takes it before it changes a backend.
  Reentrant: an ABANDON applied under the lock terminates an instance, and moto's replacement
  launch comes back through the emulated launch, which takes the lock again.
* ``REQUEST_CONTEXT``: the policy condition keys of the request being served (a thread-local),
  set per request by the router (``aws:SecureTransport``) and completed by the IAM emulation (the
  resource's tags, ``iam:…``, ``acm-pca:TemplateArn``…); policy_conditions reads it.
* ``REQUEST_LOG``: every AWS request the server served, and the requests its own emulations made
  (an alarm's notification), served as ``GET /_dataplatform/requests``.

Each emulation keeps its own records (pending lifecycle actions, invocations, job runs) in its
own module; they are private to it and cleared by its ``forget()`` on moto's reset.
"""

from __future__ import annotations

import threading

BACKEND_LOCK = threading.RLock()
REQUEST_CONTEXT = threading.local()


def request_context() -> dict:
    """The condition keys of the request being served; outside a request, an empty dict nobody keeps."""
    context = getattr(REQUEST_CONTEXT, "context", None)
    return context if context is not None else {}


def begin_request(secure: bool) -> None:
    """A new request's context: ``aws:SecureTransport`` is true only over HTTPS, as in AWS."""
    REQUEST_CONTEXT.context = {"aws:SecureTransport": "true" if secure else "false"}


class RequestLog:
    """A list of recorded requests, appended to from many threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: list[dict] = []

    def append(self, entry: dict) -> None:
        with self.lock:
            self.entries.append(entry)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()

    def snapshot(self) -> list[dict]:
        with self.lock:
            return list(self.entries)


REQUEST_LOG = RequestLog()
