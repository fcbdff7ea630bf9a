"""The sandbox's first phase: the AWS emulator (emulator/README.md), started once and reused.

It listens on every interface, so the hosts (podman containers) reach it through their network's
gateway as EC2 instances reach AWS's endpoints; IAM is enforced with the sandbox's key as the
account's administrator. EMR Serverless job runs run on the machine's Spark, through S3A.
"""

from __future__ import annotations

from emulator import spark_connector
from emulator.client import EmulatorClient
from emulator.local_tls import LocalCa
from emulator.server import ALL_INTERFACES, MotoServer
from emulator.settings import LOCAL_SPARK_VARIABLE, OPERATOR_KEYS_VARIABLE
from sandbox.processes import port_is_free, running_pid, stop_process_group
from sandbox.settings import OPERATOR_KEY, ROOT, SandboxError, Settings


def answers(sandbox: Settings) -> bool:
    """Whether this sandbox's emulator answers (False when no sandbox was made here)."""
    if not LocalCa(sandbox.state_dir / "tls").bundle.exists():
        return False  # its endpoint's CA is made with its emulator
    return client(sandbox).answers()


def pid(sandbox: Settings) -> int | None:
    return running_pid(sandbox.moto_pid_file)


def ensure_running(sandbox: Settings) -> bool:
    """Starts the emulator unless this sandbox's one runs; True when it was started."""
    if pid(sandbox) and answers(sandbox):
        return False
    if answers(sandbox):
        raise SandboxError(f"{sandbox.endpoint} answers but is not this sandbox's moto server "
                           "(another sandbox?); set SANDBOX_AWS_PORT to a free port")
    sandbox.state_dir.mkdir(parents=True, exist_ok=True)
    if not port_is_free(sandbox.imds_port):
        raise SandboxError(f"port {sandbox.imds_port}, for the instance metadata service, is taken by another "
                           "program; set SANDBOX_IMDS_PORT to a free port")
    connector = spark_connector.ensure(ROOT / ".cache" / "spark-s3a")
    server = MotoServer(host=ALL_INTERFACES, port=sandbox.aws_port, log_path=sandbox.moto_log, tls=sandbox.tls,
                        imds_port=sandbox.imds_port, env={
                            "INITIAL_NO_AUTH_ACTION_COUNT": "0", OPERATOR_KEYS_VARIABLE: OPERATOR_KEY,
                            LOCAL_SPARK_VARIABLE: str(connector)}).start()
    sandbox.moto_pid_file.write_text(f"{server.process.pid}\n")
    return True


def stop(sandbox: Settings) -> None:
    stop_process_group(lambda: pid(sandbox))
    sandbox.moto_pid_file.unlink(missing_ok=True)


def client(sandbox: Settings) -> EmulatorClient:
    """The emulator's own API (``/_dataplatform/*``): its request log, lifecycle actions, alarm deliveries."""
    return EmulatorClient(sandbox.endpoint, ca_bundle=sandbox.tls.bundle)
