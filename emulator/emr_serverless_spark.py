"""EMR Serverless job runs on a local Spark, in the moto server process (emr_serverless.py starts them).

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

The S3A connector stands in for EMRFS; the driver's output is kept (the last
``OUTPUT_KEPT_CHARACTERS``) for ``GET /_dataplatform/emr-serverless/job-runs``. Not emulated:
capacity and workers (every run is ``local[2]`` on this machine), the application's image and
network configuration.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from emulator.settings import ENDPOINT_CA_VARIABLE, EVENTS_CA_BUNDLE_VARIABLE, LOCAL_SPARK_VARIABLE
from emulator.state import BACKEND_LOCK

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


def learn_endpoint(environ) -> None:
    """The server's own endpoint, from the first request it serves (the jobs call it back over S3A)."""
    if "url" not in _endpoint and environ.get("SERVER_PORT"):
        _endpoint["url"] = f"{environ.get('wsgi.url_scheme', 'http')}://127.0.0.1:{environ['SERVER_PORT']}"


def output(run_id: str) -> str:
    """The driver's output of a run (empty while it runs, or if it never ran)."""
    with _lock:
        return _outputs.get(run_id, "")


def cancel(run_id: str) -> None:
    """Stops a run's Spark, if it runs."""
    with _lock:
        process = _processes.get(run_id)
    if process and process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)


def forget() -> None:
    """moto's reset: stops the running jobs and forgets their outputs."""
    with _lock:
        processes = list(_processes.values())
        _outputs.clear()
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)


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


def submit(job_run, region: str, spark_submit: dict, jars_folder: Path, timeout: float,
           role_session) -> tuple[str, str]:
    """Runs the job driver's ``sparkSubmit`` on the local Spark as the execution role, whose session
    ``role_session(seconds)`` issues (called under the backend lock); returns the run's end state
    and its details."""
    import boto3
    from botocore.exceptions import ClientError

    endpoint = _endpoint.get("url")
    if not endpoint:
        return "FAILED", "The emulator does not know its own endpoint yet."
    jars = sorted(str(jar) for jar in jars_folder.glob("*.jar"))
    if not jars:
        return "FAILED", f"{jars_folder} holds no jar ({LOCAL_SPARK_VARIABLE})."
    with BACKEND_LOCK:
        credentials = role_session(min(int(timeout) + 900, 43200))
    folder = Path(tempfile.mkdtemp(prefix=f"{job_run.id}-", dir=_work_root))
    bundle = os.environ.get(EVENTS_CA_BUNDLE_VARIABLE)
    client = boto3.client("s3", endpoint_url=endpoint, region_name=region,
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
            "spark.hadoop.fs.s3a.endpoint.region": region}
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
    environment.update(credentials, AWS_REGION=region, PYSPARK_PYTHON=sys.executable,
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
