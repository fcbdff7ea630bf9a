"""What makes one sandbox: its name, state folder and ports, and every path and name derived from them.

Settings come from environment variables, so a second sandbox can run beside the first (the e2e
tests do): SANDBOX_NAME, SANDBOX_DIR, SANDBOX_AWS_PORT, SANDBOX_IMDS_PORT, SANDBOX_VPC_CIDR,
SANDBOX_AWX_PORT, and SANDBOX_HOSTS_FILE (the hosts file where the load balancers' names resolve).
Nothing here calls AWS or starts a process.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from emulator.local_tls import LocalCa
from sandbox.terraform import tfvars_scalar

ROOT = Path(__file__).resolve().parent.parent
ENV = "local"
REGION = "eu-west-1"
INVENTORY = ROOT / "inventories" / ENV
# The instance tag inventories/local/aws_asg.yml composes into the podman connection settings.
CONTAINER_TAG = "dataplatform:sandbox-container"
INSTANCE_LABEL = "dataplatform.sandbox-instance"
NIFI_HTTPS_PORT = 8443
# The account administrator's key (the emulator's IAM), and the profiles of the roles the controller
# assumes with it (the sandbox's AWS config file).
OPERATOR_KEY = "sandbox"
OPERATOR_PROFILE = f"dataplatform-{ENV}-operator"
AUTOMATION_PROFILE = f"dataplatform-{ENV}-automation"
CERT_ISSUER_PROFILE = f"dataplatform-{ENV}-cert-issuer"
DAGS_PUBLISHER_PROFILE = f"dataplatform-{ENV}-dags-publisher"
# How the hosts name the machine (podman's name for their network's gateway).
MACHINE_FROM_HOSTS = "host.containers.internal"


def log(message: str) -> None:
    print(f"[sandbox] {message}", flush=True)


@contextmanager
def phase(name: str):
    """One line per phase, with its elapsed time."""
    started = time.monotonic()
    try:
        yield
    except BaseException:
        log(f"{name}: FAILED after {time.monotonic() - started:.1f}s")
        raise
    log(f"{name}: {time.monotonic() - started:.1f}s")


class SandboxError(SystemExit):
    """A failure with a message for the user and no traceback."""

    def __init__(self, message: str):
        super().__init__(f"[sandbox] error: {message}")


@dataclass
class Settings:
    name: str = "dataplatform-sandbox"
    state_dir: Path = ROOT / ".sandbox"
    aws_port: int = 5000
    # The instance metadata service emulation's port (plain HTTP, at the hosts' gateway).
    imds_port: int = 5001
    # The VPC's range (the podman network's), the local environment's unless set.
    vpc_cidr: str = ""
    # The AWX stand-in's port (sandbox/awx_standin.py), on loopback: EventBridge's API destination.
    awx_port: int = 5443

    @classmethod
    def from_environment(cls):
        return cls(
            name=os.environ.get("SANDBOX_NAME", cls.name),
            state_dir=Path(os.environ.get("SANDBOX_DIR", str(cls.state_dir))).resolve(),
            aws_port=int(os.environ.get("SANDBOX_AWS_PORT", cls.aws_port)),
            imds_port=int(os.environ.get("SANDBOX_IMDS_PORT", cls.imds_port)),
            vpc_cidr=os.environ.get("SANDBOX_VPC_CIDR", ""),
            awx_port=int(os.environ.get("SANDBOX_AWX_PORT", cls.awx_port)),
        )

    def settings(self) -> dict[str, str]:
        """The SANDBOX_* settings that make ``from_environment`` this sandbox, for its own processes."""
        return {"SANDBOX_NAME": self.name, "SANDBOX_DIR": str(self.state_dir), "SANDBOX_AWS_PORT": str(self.aws_port),
                "SANDBOX_IMDS_PORT": str(self.imds_port), "SANDBOX_VPC_CIDR": self.vpc_cidr,
                "SANDBOX_AWX_PORT": str(self.awx_port)}

    # --- endpoints ------------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        return f"https://127.0.0.1:{self.aws_port}"

    @property
    def hosts_endpoint(self) -> str:
        """The AWS endpoint as the hosts reach it: the moto server at their network's gateway. An
        address, not a name: S3 clients then address buckets by path, as the emulator needs."""
        return f"https://{self.vpc_network[1]}:{self.aws_port}"

    @property
    def hosts_imds_endpoint(self) -> str:
        """The instance metadata service as the hosts' SDKs reach it (AWS_EC2_METADATA_SERVICE_ENDPOINT)."""
        return f"http://{self.vpc_network[1]}:{self.imds_port}/"

    @property
    def tls(self) -> LocalCa:
        """The AWS endpoint's TLS (HTTPS only, as AWS): its CA and the bundle every client trusts."""
        return LocalCa(self.state_dir / "tls").server(
            ["localhost", "127.0.0.1", MACHINE_FROM_HOSTS, str(self.vpc_network[1])])

    @property
    def awx_url(self) -> str:
        """AWX's address as Terraform's awx_url names it: the stand-in, at an address its certificate
        (the AWS endpoint's) names."""
        return f"https://127.0.0.1:{self.awx_port}"

    @staticmethod
    def airflow_url(document: dict) -> str:
        """Where users reach Airflow: the name of the load balancer's certificate."""
        return f"https://{document['airflow']['api_domain_name']}"

    # --- the network and its names ----------------------------------------------------------

    @property
    def vpc_network(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(self.vpc_cidr or tfvars_scalar(ENV, "vpc_cidr_block"))

    @property
    def rds_address(self) -> str:
        """The RDS stand-in's address: the VPC's last one, which no instance gets."""
        return str(self.vpc_network[-2])

    @property
    def label(self) -> str:
        return f"dataplatform.sandbox={self.name}"

    @property
    def network(self) -> str:
        return self.name

    @property
    def rds_container(self) -> str:
        return f"{self.name}-rds"

    def container_name(self, instance: dict) -> str:
        return f"{self.name}-{instance['role'] or 'host'}-{instance['instance_id']}"

    # --- the state folder ---------------------------------------------------------------------

    @property
    def ssh_dir(self) -> Path:
        """The controller's login key, certificate, pinned host keys and ssh config (ssh_access role)."""
        return self.state_dir / "ssh"

    @property
    def ssh_ca_key(self) -> Path:
        """The sandbox's SSH user CA key: its private half only until it is in Secrets Manager."""
        return self.state_dir / "ssh-ca" / "user-ca"

    @property
    def awx_dir(self) -> Path:
        return self.state_dir / "awx"

    @property
    def awx_token(self) -> Path:
        """The lifecycle-events user's token: the stand-in takes it, EventBridge's connection holds it."""
        path = self.awx_dir / "token"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(32) + "\n")
        return path

    @property
    def awx_pid_file(self) -> Path:
        return self.awx_dir / "standin.pid"

    @property
    def moto_pid_file(self) -> Path:
        return self.state_dir / "moto.pid"

    @property
    def moto_log(self) -> Path:
        return self.state_dir / "moto.log"

    @property
    def terraform_dir(self) -> Path:
        """Terraform's working directories (TF_DATA_DIR) of the environment and the bootstrap."""
        return self.state_dir / "terraform"

    @property
    def ansible_log(self) -> Path:
        return self.state_dir / "ansible.log"

    def shown(self, path: Path) -> str:
        """A path as the user would type it: relative to the repository when inside it."""
        try:
            return str(path.relative_to(ROOT))
        except ValueError:
            return str(path)
