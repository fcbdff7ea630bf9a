"""EMR Serverless as the platform's pipeline uses it, emulated in the moto server process (moto_gaps installs it).

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
* **Job runs, on a local Spark behind a named switch.** ``DATAPLATFORM_EMR_SERVERLESS_LOCAL_SPARK``
  names a folder holding the S3A connector's jars (spark_connector.py fetches them). With it,
  StartJobRun answers at once with the run SUBMITTED; the run is RUNNING while ``spark-submit``
  (the machine's pyspark, ``local[2]``) runs the job driver's ``sparkSubmit``: the entry point and
  the ``--py-files`` are fetched from S3 as the role, the arguments are passed as given, and
  ``s3://`` locations are read and written through S3A against this server (its own endpoint,
  HTTPS verified against the sandbox's CA when it serves HTTPS, path-style). The run ends SUCCESS
  on exit status 0, FAILED otherwise with the driver's last error lines as ``stateDetails`` (as
  AWS gives a reason), CANCELLED on CancelJobRun (the process is stopped), FAILED at its
  ``executionTimeoutMinutes``. Without the switch a run ends FAILED with a ``stateDetails`` naming
  the switch: nothing here pretends a job ran.
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
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

try:
    from tests.harness import moto_events, policy_conditions
except ImportError:  # the moto server's process, which imports the harness's modules by their own names
    import moto_events
    import policy_conditions

LOCAL_SPARK_VARIABLE = "DATAPLATFORM_EMR_SERVERLESS_LOCAL_SPARK"
# The CA certificate (PEM) of the server's HTTPS endpoint, for the JVM's trust store (MotoServer sets it).
ENDPOINT_CA_VARIABLE = "DATAPLATFORM_ENDPOINT_CA_CERTIFICATE"
JOB_RUNS_PATH = "/_dataplatform/emr-serverless/job-runs"
SERVICE_PRINCIPAL = "emr-serverless.amazonaws.com"
LOCAL_MASTER = "local[2]"
OUTPUT_KEPT_CHARACTERS = 200_000
# Settings for a laptop-sized Spark that EMR Serverless does not need: no web UI (its port would
# clash between runs), few shuffle partitions for small data.
LOCAL_SPARK_CONF = {
    "spark.ui.enabled": "false",
    "spark.sql.shuffle.partitions": "4",
    "spark.hadoop.fs.s3.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
    "spark.hadoop.fs.s3a.path.style.access": "true",
    "spark.hadoop.fs.s3a.aws.credentials.provider": "com.amazonaws.auth.EnvironmentVariableCredentialsProvider",
}

_lock = threading.RLock()
_endpoint: dict[str, str] = {}
_processes: dict[str, subprocess.Popen] = {}
_outputs: dict[str, str] = {}
_stop_timers: dict[str, threading.Timer] = {}
_backend_lock = threading.RLock()


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
        with _backend_lock:
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
        with _lock:
            process = _processes.get(job_run_id)
        if process and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        return answer
    return cancel_job_run


def _finish(backend, application, job_run, state: str, details: str, started: float | None) -> None:
    with _backend_lock:
        if job_run.state == "CANCELLED":
            state, details = "CANCELLED", "Job run cancelled."
        _set_state(job_run, state, details)
        if started is not None:
            job_run.total_execution_duration_seconds = int(time.time() - started)
        _arm_auto_stop(backend, application.id)


def _run(backend, application, job_run) -> None:
    try:
        folder = os.environ.get(LOCAL_SPARK_VARIABLE)
        with _backend_lock:
            reason = _role_trusts_the_service(backend, job_run.execution_role_arn, application.arn)
        if reason:
            _finish(backend, application, job_run, "FAILED", reason, None)
            return
        if not folder:
            _finish(backend, application, job_run, "FAILED",
                    f"This emulator runs no Spark: set {LOCAL_SPARK_VARIABLE} to a folder with the S3A "
                    "connector's jars (tests/harness/spark_connector.py) for job runs on a local Spark.", None)
            return
        spark_submit = (job_run.job_driver or {}).get("sparkSubmit")
        if not spark_submit or not spark_submit.get("entryPoint"):
            _finish(backend, application, job_run, "FAILED", "The job driver has no sparkSubmit entryPoint.", None)
            return
        with _backend_lock:
            _set_state(job_run, "RUNNING", "")
        started = time.time()
        timeout = float(job_run.execution_timeout_minutes or 720) * 60
        state, details = _spark_submit(backend, job_run, spark_submit, Path(folder), timeout)
        _finish(backend, application, job_run, state, details, started)
    except Exception as error:  # noqa: BLE001 - a defect here fails the run, visibly, instead of leaving it RUNNING
        _finish(backend, application, job_run, "FAILED", f"The emulator could not run the job: {error!r}", None)


def _download(client, uri: str, folder: Path) -> Path:
    bucket, _, key = uri[len("s3://"):].partition("/")
    target = folder / Path(key).name
    client.download_file(bucket, key, str(target))
    return target


def _trust_store(folder: Path) -> Path | None:
    """A PKCS#12 trust store with the endpoint's CA for the JVM, made once per server process."""
    certificate = os.environ.get(ENDPOINT_CA_VARIABLE)
    if not certificate:
        return None
    store = folder / "endpoint-ca.p12"
    with _lock:
        if not store.exists():
            subprocess.run(["keytool", "-importcert", "-noprompt", "-alias", "endpoint-ca", "-file", certificate,
                            "-keystore", str(store), "-storetype", "PKCS12", "-storepass", "changeit"],
                           check=True, capture_output=True)
    return store


_work_root = Path(tempfile.mkdtemp(prefix="emr-serverless-emulation-"))


def _spark_submit(backend, job_run, spark_submit: dict, jars_folder: Path, timeout: float) -> tuple[str, str]:
    import boto3
    from botocore.exceptions import ClientError

    endpoint = _endpoint.get("url")
    if not endpoint:
        return "FAILED", "The emulator does not know its own endpoint yet."
    jars = sorted(str(jar) for jar in jars_folder.glob("*.jar"))
    if not jars:
        return "FAILED", f"{jars_folder} holds no jar ({LOCAL_SPARK_VARIABLE})."
    with _backend_lock:
        credentials = _role_session(backend, job_run.execution_role_arn, job_run.id, min(int(timeout) + 900, 43200))
    folder = Path(tempfile.mkdtemp(prefix=f"{job_run.id}-", dir=_work_root))
    bundle = os.environ.get(moto_events.CA_BUNDLE_VARIABLE)
    client = boto3.client("s3", endpoint_url=endpoint, region_name=backend.region_name,
                          verify=bundle if bundle and endpoint.startswith("https") else None,
                          aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
                          aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
                          aws_session_token=credentials["AWS_SESSION_TOKEN"])
    parameters = shlex.split(spark_submit.get("sparkSubmitParameters") or "")
    submit_arguments: list[str] = []
    try:
        entry_point = _download(client, spark_submit["entryPoint"], folder)
        index = 0
        while index < len(parameters):
            option = parameters[index]
            if option in ("--py-files", "--files") and index + 1 < len(parameters):
                local = [str(_download(client, uri, folder)) if uri.startswith("s3://") else uri
                         for uri in parameters[index + 1].split(",")]
                submit_arguments += [option, ",".join(local)]
                index += 2
                continue
            submit_arguments.append(option)
            index += 1
    except ClientError as error:
        return "FAILED", f"Could not fetch the job's files as {job_run.execution_role_arn}: {error}"

    store = _trust_store(_work_root)
    conf = {**LOCAL_SPARK_CONF, "spark.hadoop.fs.s3a.endpoint": endpoint,
            "spark.hadoop.fs.s3a.endpoint.region": backend.region_name}
    if store:
        conf["spark.driver.extraJavaOptions"] = (f"-Djavax.net.ssl.trustStore={store} "
                                                 "-Djavax.net.ssl.trustStorePassword=changeit -Djavax.net.ssl.trustStoreType=PKCS12")
    spark_home = Path(sys.executable).parent
    command = [str(spark_home / "spark-submit"), "--master", LOCAL_MASTER, "--name", job_run.name or job_run.id,
               "--jars", ",".join(jars)]
    for key, value in conf.items():
        command += ["--conf", f"{key}={value}"]
    command += [*submit_arguments, str(entry_point), *[str(argument) for argument in spark_submit.get("entryPointArguments", [])]]
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith("AWS_") and key != LOCAL_SPARK_VARIABLE}
    # The role's session, which the S3A connector reads from the environment (never the command line).
    environment.update(credentials, AWS_REGION=backend.region_name, PYSPARK_PYTHON=sys.executable,
                       SPARK_LOCAL_IP="127.0.0.1")
    log_path = folder / "driver.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=folder, env=environment, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        with _lock:
            _processes[job_run.id] = process
        try:
            status = process.wait(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGTERM)
            status = process.wait()
            timed_out = True
    output = log_path.read_text(errors="replace")
    with _lock:
        _processes.pop(job_run.id, None)
        _outputs[job_run.id] = output[-OUTPUT_KEPT_CHARACTERS:]
    if timed_out:
        return "FAILED", f"Job run timed out after {int(timeout // 60)} minutes (executionTimeoutMinutes)."
    if status == 0:
        return "SUCCESS", ""
    errors = [line for line in output.splitlines() if "Error" in line or "Exception" in line or "Traceback" in line]
    return "FAILED", f"Job failed, exit code {status}: " + " | ".join((errors or output.splitlines() or [""])[-5:])[-2000:]


# --- the server's side ----------------------------------------------------------------------


def job_runs() -> list[dict]:
    from moto.emrserverless.models import emrserverless_backends

    runs = []
    with _backend_lock:
        for account, regions in emrserverless_backends.items():
            for region, backend in regions.items():
                for application_id, application_runs in backend.job_runs.items():
                    for run in application_runs:
                        runs.append({"applicationId": application_id, "jobRunId": run.id, "name": run.name,
                                     "state": run.state, "stateDetails": run.state_details or "",
                                     "executionRoleArn": run.execution_role_arn, "jobDriver": run.job_driver,
                                     "output": _outputs.get(run.id, "")})
    return runs


def serve(environ, start_response):
    """Learns the server's own endpoint; answers JOB_RUNS_PATH (None for any other path)."""
    if "url" not in _endpoint and environ.get("SERVER_PORT"):
        _endpoint["url"] = f"{environ.get('wsgi.url_scheme', 'http')}://127.0.0.1:{environ['SERVER_PORT']}"
    if environ.get("PATH_INFO", "") != JOB_RUNS_PATH:
        return None
    payload = json.dumps(job_runs(), default=str).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]


def forget() -> None:
    """moto's reset: stops running jobs and auto-stop timers."""
    with _lock:
        processes = list(_processes.values())
        timers = list(_stop_timers.values())
        _stop_timers.clear()
        _outputs.clear()
    for timer in timers:
        timer.cancel()
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)


def install(backend_lock) -> None:
    global _backend_lock
    from moto.emrserverless.models import EMRServerlessBackend

    _backend_lock = backend_lock
    EMRServerlessBackend.create_application = _emulated_create_application(EMRServerlessBackend.create_application)
    EMRServerlessBackend.start_application = _emulated_start_application(EMRServerlessBackend.start_application)
    EMRServerlessBackend.stop_application = _emulated_stop_application(EMRServerlessBackend.stop_application)
    EMRServerlessBackend.start_job_run = _emulated_start_job_run(EMRServerlessBackend.start_job_run)
    EMRServerlessBackend.cancel_job_run = _emulated_cancel_job_run(EMRServerlessBackend.cancel_job_run)
    from moto.emrserverless.responses import EMRServerlessResponse

    EMRServerlessResponse.create_application = _keeps_the_architecture(EMRServerlessResponse.create_application)
    EMRServerlessResponse.update_application = _keeps_the_architecture(EMRServerlessResponse.update_application)
