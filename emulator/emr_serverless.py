"""EMR Serverless as the platform's pipeline uses it, emulated in the moto server process (router.py installs it).

moto 5.2.5 reports every application STARTED from its creation (AWS: CREATED, and Terraform's
provider waits for CREATED, so it never finishes) and every job run SUCCESS the moment it is
submitted, without running anything: a DAG would go green on a job that never ran. Here:

* **Application states.** A new application is CREATED; StartApplication makes it STARTED,
  StopApplication STOPPED. A job run submitted to a CREATED or STOPPED application that has
  auto-start on starts it (AWS refuses the run when auto-start is off). An application with
  auto-stop on goes back to STOPPED after its idle timeout with no job run left. Update and Delete
  keep moto's check (CREATED or STOPPED only), which now means what it does in AWS. The requested
  ``architecture`` is kept (moto drops it; AWS's default is X86_64).
* **The execution role.** EMR Serverless assumes the job's role as the service principal
  ``emr-serverless.amazonaws.com``: a role whose trust policy does not allow that (its conditions
  on ``aws:SourceAccount`` and ``aws:SourceArn`` evaluated) fails the run, as in AWS. The job then
  works with that role's session credentials (moto's STS), so the moto server checks its S3
  requests against the role's policies when IAM is enforced (the sandbox).
* **Job runs, on a local Spark behind a named switch** (``DATAPLATFORM_EMR_SERVERLESS_LOCAL_SPARK``):
  emr_serverless_spark.py runs the job driver's ``sparkSubmit`` as the execution role. Without the
  switch a run ends FAILED with a ``stateDetails`` naming the switch: nothing here pretends a job ran.
* ``GET /_dataplatform/emr-serverless/job-runs`` lists every run with its driver's output (the
  log AWS writes to the application's S3 or CloudWatch logs, not emulated).

Not emulated: capacity (initial, maximum, workers), the application's network configuration,
``applicationConfiguration`` and ``monitoringConfiguration`` overrides, EMRFS (S3A stands in for
``s3://``), the caller's ``iam:PassRole`` on the execution role at StartJobRun (the contract tests
read it from the policies), and the job's own Glue catalog calls.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from emulator import emr_serverless_spark
from emulator.iam import policy_conditions
from emulator.settings import LOCAL_SPARK_VARIABLE
from emulator.state import BACKEND_LOCK

SERVICE_PRINCIPAL = "emr-serverless.amazonaws.com"

_lock = threading.RLock()
_stop_timers: dict[str, threading.Timer] = {}


def _now():
    from moto.core.utils import utcnow

    return utcnow()


def _set_state(thing, state: str, details: str | None = None) -> None:
    thing.state = state
    if details is not None:
        thing.state_details = details
    thing.updated_at = _now()


# --- applications -------------------------------------------------------------------------


def _emulated_create_application(original):
    def create_application(self, *args, **kwargs):
        application = original(self, *args, **kwargs)
        _set_state(application, "CREATED")
        return application
    return create_application


def _emulated_start_application(original):
    def start_application(self, application_id):
        original(self, application_id)
        _cancel_auto_stop(application_id)
        _arm_auto_stop(self, application_id)
    return start_application


def _emulated_stop_application(original):
    def stop_application(self, application_id):
        original(self, application_id)
        _cancel_auto_stop(application_id)
    return stop_application


def _idle_timeout_seconds(application) -> float | None:
    configuration = application.auto_stop_configuration or {}
    if not configuration.get("enabled", True):
        return None
    return float(configuration.get("idleTimeoutMinutes", 15)) * 60


def _cancel_auto_stop(application_id: str) -> None:
    with _lock:
        timer = _stop_timers.pop(application_id, None)
    if timer:
        timer.cancel()


def _arm_auto_stop(backend, application_id: str) -> None:
    """Stops a STARTED application once it has been idle (no run submitted or running) for its timeout."""
    application = backend.applications.get(application_id)
    seconds = _idle_timeout_seconds(application) if application else None
    if seconds is None:
        return

    def stop_when_idle():
        with BACKEND_LOCK:
            busy = any(run.state in ("SUBMITTED", "PENDING", "SCHEDULED", "RUNNING")
                       for run in backend.job_runs.get(application_id, []))
            if application.state == "STARTED" and not busy:
                _set_state(application, "STOPPED")

    timer = threading.Timer(seconds, stop_when_idle)
    timer.daemon = True
    with _lock:
        previous = _stop_timers.pop(application_id, None)
        _stop_timers[application_id] = timer
    if previous:
        previous.cancel()
    timer.start()


def _keeps_the_architecture(original):
    """CreateApplication and UpdateApplication keep the requested ``architecture`` (moto drops it,
    so GetApplication answered none and Terraform planned to set it on every run); AWS's default
    is X86_64."""
    def respond(self):
        answer = original(self)
        requested = self._get_param("architecture")
        application_id = self._get_param("applicationId") or getattr(answer, "result", {}).get("applicationId")
        application = self.emrserverless_backend.applications.get(application_id) if application_id else None
        if application is not None and (requested or not getattr(application, "architecture", None)):
            application.architecture = requested or "X86_64"
        return answer
    return respond


# --- job runs -----------------------------------------------------------------------------


def _role_trusts_the_service(backend, role_arn: str, application_arn: str) -> str | None:
    """None when the role's trust policy lets EMR Serverless assume it for this application,
    else why not (AWS's job run fails the same way)."""
    from urllib.parse import unquote

    from moto.iam.models import iam_backends
    from moto.utilities.utils import get_partition

    iam = iam_backends[backend.account_id][get_partition(backend.region_name)]
    role = next((role for role in iam.roles.values() if role.arn == role_arn), None)
    if role is None:
        return f"The execution role {role_arn} does not exist."
    document = role.assume_role_policy_document
    document = json.loads(unquote(document) if isinstance(document, str) else json.dumps(document))
    statements = document.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    context = {"aws:SourceAccount": backend.account_id, "aws:SourceArn": application_arn}

    def names_the_service(statement) -> bool:
        actions = statement.get("Action", [])
        actions = actions if isinstance(actions, list) else [actions]
        services = (statement.get("Principal") or {}).get("Service", [])
        services = services if isinstance(services, list) else [services]
        return (any(action in ("sts:AssumeRole", "sts:*", "*") for action in actions)
                and SERVICE_PRINCIPAL in services)

    relevant = [statement for statement in statements
                if names_the_service(statement) and policy_conditions.statement_applies(statement, context)]
    if any(statement.get("Effect") == "Deny" for statement in relevant):
        return f"The trust policy of {role_arn} denies {SERVICE_PRINCIPAL}."
    if not any(statement.get("Effect") == "Allow" for statement in relevant):
        return f"EMR Serverless could not assume the execution role {role_arn}: its trust policy does not allow {SERVICE_PRINCIPAL}."
    return None


def _role_session(backend, role_arn: str, run_id: str, seconds: int) -> dict[str, str]:
    from moto.sts.models import sts_backends
    from moto.utilities.utils import get_partition

    assumed = sts_backends[backend.account_id][get_partition(backend.region_name)].assume_role(
        region_name=backend.region_name, role_session_name=f"emr-serverless-{run_id}", role_arn=role_arn,
        policy=None, duration=seconds, external_id=None)
    return {"AWS_ACCESS_KEY_ID": assumed.access_key_id, "AWS_SECRET_ACCESS_KEY": assumed.secret_access_key,
            "AWS_SESSION_TOKEN": assumed.session_token}


def _emulated_start_job_run(original):
    def start_job_run(self, application_id, client_token, execution_role_arn, job_driver,
                      configuration_overrides, tags, execution_timeout_minutes, name):
        from moto.emrserverless.exceptions import ValidationException

        application = self.get_application(application_id)
        auto_start = (application.auto_start_configuration or {}).get("enabled", True)
        if application.state in ("CREATED", "STOPPED") and not auto_start:
            raise ValidationException(f"Application {application_id} is not started and has auto-start disabled.")
        job_run = original(self, application_id, client_token, execution_role_arn, job_driver,
                           configuration_overrides, tags, execution_timeout_minutes, name)
        if application.state in ("CREATED", "STOPPED"):
            _set_state(application, "STARTED")
        _cancel_auto_stop(application_id)
        _set_state(job_run, "SUBMITTED", "")
        threading.Thread(target=_run, args=(self, application, job_run), daemon=True,
                         name=f"emr-serverless-{job_run.id}").start()
        return job_run
    return start_job_run


def _emulated_cancel_job_run(original):
    def cancel_job_run(self, application_id, job_run_id):
        answer = original(self, application_id, job_run_id)
        emr_serverless_spark.cancel(job_run_id)
        return answer
    return cancel_job_run


def _finish(backend, application, job_run, state: str, details: str, started: float | None) -> None:
    with BACKEND_LOCK:
        if job_run.state == "CANCELLED":
            state, details = "CANCELLED", "Job run cancelled."
        _set_state(job_run, state, details)
        if started is not None:
            job_run.total_execution_duration_seconds = int(time.time() - started)
        _arm_auto_stop(backend, application.id)


def _run(backend, application, job_run) -> None:
    try:
        folder = os.environ.get(LOCAL_SPARK_VARIABLE)
        with BACKEND_LOCK:
            reason = _role_trusts_the_service(backend, job_run.execution_role_arn, application.arn)
        if reason:
            _finish(backend, application, job_run, "FAILED", reason, None)
            return
        if not folder:
            _finish(backend, application, job_run, "FAILED",
                    f"This emulator runs no Spark: set {LOCAL_SPARK_VARIABLE} to a folder with the S3A "
                    "connector's jars (emulator/spark_connector.py) for job runs on a local Spark.", None)
            return
        spark_submit = (job_run.job_driver or {}).get("sparkSubmit")
        if not spark_submit or not spark_submit.get("entryPoint"):
            _finish(backend, application, job_run, "FAILED", "The job driver has no sparkSubmit entryPoint.", None)
            return
        with BACKEND_LOCK:
            _set_state(job_run, "RUNNING", "")
        started = time.time()
        timeout = float(job_run.execution_timeout_minutes or 720) * 60
        state, details = emr_serverless_spark.submit(
            job_run, backend.region_name, spark_submit, Path(folder), timeout,
            lambda seconds: _role_session(backend, job_run.execution_role_arn, job_run.id, seconds))
        _finish(backend, application, job_run, state, details, started)
    except Exception as error:  # noqa: BLE001 - a defect here fails the run, visibly, instead of leaving it RUNNING
        _finish(backend, application, job_run, "FAILED", f"The emulator could not run the job: {error!r}", None)


# --- the server's side ----------------------------------------------------------------------


def job_runs() -> list[dict]:
    from moto.emrserverless.models import emrserverless_backends

    runs = []
    with BACKEND_LOCK:
        for regions in emrserverless_backends.values():
            for backend in regions.values():
                for application_id, application_runs in backend.job_runs.items():
                    for run in application_runs:
                        runs.append({"applicationId": application_id, "jobRunId": run.id, "name": run.name,
                                     "state": run.state, "stateDetails": run.state_details or "",
                                     "executionRoleArn": run.execution_role_arn, "jobDriver": run.job_driver,
                                     "output": emr_serverless_spark.output(run.id)})
    return runs


def forget() -> None:
    """moto's reset: stops running jobs and auto-stop timers."""
    with _lock:
        timers = list(_stop_timers.values())
        _stop_timers.clear()
    for timer in timers:
        timer.cancel()
    emr_serverless_spark.forget()


def install() -> None:
    from moto.emrserverless.models import EMRServerlessBackend

    EMRServerlessBackend.create_application = _emulated_create_application(EMRServerlessBackend.create_application)
    EMRServerlessBackend.start_application = _emulated_start_application(EMRServerlessBackend.start_application)
    EMRServerlessBackend.stop_application = _emulated_stop_application(EMRServerlessBackend.stop_application)
    EMRServerlessBackend.start_job_run = _emulated_start_job_run(EMRServerlessBackend.start_job_run)
    EMRServerlessBackend.cancel_job_run = _emulated_cancel_job_run(EMRServerlessBackend.cancel_job_run)
    from moto.emrserverless.responses import EMRServerlessResponse

    EMRServerlessResponse.create_application = _keeps_the_architecture(EMRServerlessResponse.create_application)
    EMRServerlessResponse.update_application = _keeps_the_architecture(EMRServerlessResponse.update_application)
