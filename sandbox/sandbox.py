"""The sandbox: the whole platform on one machine, with no AWS account.

    python -m sandbox up       # moto, terraform apply, podman hosts, site.yml, summary
    python -m sandbox status   # the summary again
    python -m sandbox logs nifi --follow   # the hosts' logs, as CloudWatch Logs holds them
    python -m sandbox env      # shell exports for ansible-playbook, terraform, aws against it
    python -m sandbox user-bundle <user>   # a user's PKCS#12 and password, into .sandbox/users/
    python -m sandbox down     # remove every container, process and file it made

``make sandbox`` and ``make sandbox-down`` run ``up`` and ``down``. What stands in for what:
the moto server is AWS, one podman container (Debian 13, systemd) is each EC2 instance of the
Auto Scaling Groups that Terraform created, a PostgreSQL container is the RDS instance. The
containers sit on one podman network with the VPC's range, each at its instance's private address
and DNS name; they reach the moto server through the network's gateway, as instances reach AWS's
endpoints. The sandbox plays the hypervisor: it runs each instance's user data (from its launch
template) once at first boot, and posts the container's console to the moto server, where
``ec2:GetConsoleOutput`` returns it. Ansible then reaches every host over SSH, with a certificate
of the sandbox's SSH user CA (in its Secrets Manager) and host keys pinned from the console, the
code path of every account.

Everything the sandbox makes is labelled with its name or kept in its state folder (``.sandbox/``
in the repository, ignored by git): the moto server's pid and log, Terraform's state and
working directory, the SSH CA's public key and the login material, the Ansible log. ``up`` is
safe to run again: a running moto server is reused, Terraform and Ansible converge to the same
state, existing containers are kept, and the containers of instances that left their group are
removed.

Settings (environment variables, for running a second sandbox beside the first, as the e2e
tests do): SANDBOX_NAME, SANDBOX_DIR, SANDBOX_AWS_PORT, SANDBOX_IMDS_PORT, SANDBOX_VPC_CIDR, and
SANDBOX_HOSTS_FILE (the hosts file where the load balancers' names resolve; /etc/hosts).

The load balancers forward, as AWS's do: HAProxy stands in for the NLB and the ALB
(sandbox/load_balancers.py), configured from their listeners, target groups and health checks, at
a loopback address per load balancer that their DNS names resolve to on this machine.

IAM is enforced (tests/harness/iam_emulation.py), and every principal calls AWS as it would in an
account. The sandbox's own key (``sandbox``) is the account's administrator: the account's
bootstrap (terraform/bootstrap/local: the deploy and plan roles and the permissions boundary), the
SSH CA's bootstrap, the DAG upload and the sandbox itself use it. The environment's Terraform runs
as the deploy role, which its provider assumes with that key, as the terraform workflow does in an
account: every role it makes carries the boundary. The converge (``site.yml``) runs under the
automation role Terraform made, and its user-certificate play under the cert issuer role, each
assumed from that key through the profiles of the sandbox's AWS config file
(``.sandbox/aws/config``; the SDKs renew the sessions). Every host calls AWS with the temporary
credentials of its instance profile's role, which the instance metadata service emulation hands
it at the network's gateway (``SANDBOX_IMDS_PORT``). Each call is checked against the policies of
the role that makes it.
"""

from __future__ import annotations

import argparse
import base64
import ipaddress
import json
import os
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT, ROOT / "collections"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from ansible_collections.dataplatform.ops.plugins.module_utils import identity, platform  # noqa: E402
from tests.harness import package_cache  # noqa: E402
from ansible_collections.dataplatform.ops.plugins.module_utils import ssh  # noqa: E402
from tests.harness import host_boot  # noqa: E402
from sandbox.awx_jobs import execution_environment_image  # noqa: E402
from sandbox import certificate_pipeline, ingest, nifi_distribution, telemetry  # noqa: E402
from sandbox.load_balancers import LoadBalancerError, LoadBalancerStandIn, read_listeners  # noqa: E402
from tests.harness.local_tls import LocalCa  # noqa: E402
from tests.harness.iam_emulation import OPERATOR_KEYS_VARIABLE  # noqa: E402
from tests.harness import spark_connector  # noqa: E402
from tests.harness.moto_emr_serverless import LOCAL_SPARK_VARIABLE  # noqa: E402
from tests.harness.moto_gaps import CONSOLE_OUTPUT_PATH  # noqa: E402
from tests.harness.moto_server import ALL_INTERFACES, REAL_AWS_VARIABLES, REQUESTS_PATH, MotoServer  # noqa: E402
from tests.harness.podman_hosts import HOST_CA_BUNDLE, host_image, podman, wait_booted  # noqa: E402
from tests.harness.terraform import PARALLELISM, terraform, tfvars_scalar  # noqa: E402

ENV = "local"
REGION = "eu-west-1"
TERRAFORM_ROOT = ROOT / "terraform" / "environments" / ENV
BOOTSTRAP_ROOT = ROOT / "terraform" / "bootstrap" / ENV
INVENTORY = ROOT / "inventories" / ENV
# The instance tag inventories/local/aws_asg.yml composes into the podman connection settings.
CONTAINER_TAG = "dataplatform:sandbox-container"
INSTANCE_LABEL = "dataplatform.sandbox-instance"
NIFI_HTTPS_PORT = 8443
# The account administrator's key (iam_emulation.py), and the profiles of the roles the controller
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
class Sandbox:
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
    def from_environment(cls) -> "Sandbox":
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

    # --- paths and names ------------------------------------------------------------------

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

    def moto(self) -> MotoServer:
        """The running moto server of the sandbox, to read and clear its request log."""
        return MotoServer(port=self.aws_port, tls=self.tls)

    @staticmethod
    def airflow_url(document: dict) -> str:
        """Where users reach Airflow: the name of the load balancer's certificate."""
        return f"https://{document['airflow']['api_domain_name']}"

    @property
    def load_balancers(self) -> LoadBalancerStandIn:
        return LoadBalancerStandIn(self.state_dir / "load-balancers", owner=self.name)

    @property
    def vpc_network(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(self.vpc_cidr or tfvars_scalar(ENV, "vpc_cidr_block"))

    @property
    def ssh_dir(self) -> Path:
        """The controller's login key, certificate, pinned host keys and ssh config (ssh_access role)."""
        return self.state_dir / "ssh"

    @property
    def ssh_ca_key(self) -> Path:
        """The sandbox's SSH user CA key: its private half only until it is in Secrets Manager."""
        return self.state_dir / "ssh-ca" / "user-ca"

    @property
    def awx_url(self) -> str:
        """AWX's address as Terraform's awx_url names it: the stand-in, at an address its certificate
        (the AWS endpoint's) names."""
        return f"https://127.0.0.1:{self.awx_port}"

    @property
    def awx_dir(self) -> Path:
        return self.state_dir / "awx"

    @property
    def awx_token(self) -> Path:
        """The lifecycle-events user's token: the stand-in takes it, EventBridge's connection holds it."""
        path = self.awx_dir / "token"
        if not path.exists():
            import secrets

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
    def terraform_state(self) -> Path:
        return self.state_dir / "terraform.tfstate"

    @property
    def bootstrap_state(self) -> Path:
        return self.state_dir / "bootstrap.tfstate"

    @property
    def ansible_log(self) -> Path:
        return self.state_dir / "ansible.log"

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

    def shown(self, path: Path) -> str:
        """A path as the user would type it: relative to the repository when inside it."""
        try:
            return str(path.relative_to(ROOT))
        except ValueError:
            return str(path)

    # --- environment of child processes ---------------------------------------------------

    @property
    def aws_config(self) -> Path:
        """The AWS config file: the operator's key and the roles the controller assumes with it (the
        DAGs bucket admits only the publisher's writes)."""
        path = self.state_dir / "aws" / "config"
        if not path.exists() or DAGS_PUBLISHER_PROFILE not in path.read_text():
            account = tfvars_scalar(ENV, "account_id")
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            roles = {AUTOMATION_PROFILE: "automation", CERT_ISSUER_PROFILE: "cert-issuer",
                     DAGS_PUBLISHER_PROFILE: "dags-publisher"}
            path.write_text(
                f"[profile {OPERATOR_PROFILE}]\naws_access_key_id = {OPERATOR_KEY}\naws_secret_access_key = {OPERATOR_KEY}\n"
                + "".join(f"\n[profile {profile}]\nrole_arn = arn:aws:iam::{account}:role/dataplatform-{ENV}-{role}\n"
                          f"source_profile = {OPERATOR_PROFILE}\nrole_session_name = sandbox-{role}\n"
                          for profile, role in roles.items()))
        return path

    def environment(self, profile: str = AUTOMATION_PROFILE) -> dict[str, str]:
        """The environment of every child process: the sandbox's AWS endpoint, the AWS profile of
        the principal that runs it (the automation role unless told), no variable that could lead
        to a real account."""
        env = dict(os.environ)
        for variable in (*REAL_AWS_VARIABLES, "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            env.pop(variable, None)
        env.update(
            AWS_ENDPOINT_URL=self.endpoint,
            AWS_PROFILE=profile,
            AWS_REGION=REGION,
            AWS_DEFAULT_REGION=REGION,
            AWS_CONFIG_FILE=str(self.aws_config),
            AWS_SHARED_CREDENTIALS_FILE=os.devnull,
            AWS_EC2_METADATA_DISABLED="true",
            ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
            SANDBOX_HOSTS_AWS_ENDPOINT_URL=self.hosts_endpoint,
            SANDBOX_HOSTS_IMDS_ENDPOINT=self.hosts_imds_endpoint,
            SANDBOX_CERT_ISSUER_PROFILE=CERT_ISSUER_PROFILE,
            # The Airflow virtualenv from the machine's wheelhouse once `up` has built it.
            SANDBOX_AIRFLOW_FIND_LINKS=package_cache.served_find_links(host_image()),
            DATAPLATFORM_SSH_DIR=str(self.ssh_dir),
            AWS_CA_BUNDLE=str(self.tls.bundle),
        )
        return env

    def shell_exports(self) -> str:
        """``export NAME=value`` lines of what the sandbox sets for its child processes."""
        inherited = dict(os.environ)
        environment = self.environment()
        lines = [f"export {name}={shlex.quote(value)}" for name, value in sorted(environment.items())
                 if inherited.get(name) != value]
        lines += [f"unset {name}" for name in (*REAL_AWS_VARIABLES, "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
                  if name in inherited and name not in environment]
        return "\n".join(lines)

    def client(self, service: str):
        import boto3

        return boto3.client(service, endpoint_url=self.endpoint, region_name=REGION, verify=str(self.tls.bundle),
                            aws_access_key_id=OPERATOR_KEY, aws_secret_access_key=OPERATOR_KEY)

    def _open(self, request: str | urllib.request.Request, timeout: float):
        return urllib.request.urlopen(request, timeout=timeout,  # noqa: S310 - loopback
                                      context=ssl.create_default_context(cafile=str(self.tls.bundle)))

    # --- moto server ----------------------------------------------------------------------

    def moto_answers(self) -> bool:
        if not LocalCa(self.state_dir / "tls").bundle.exists():
            return False  # no sandbox made here (its endpoint's CA is made with its moto server)
        try:
            with self._open(self.endpoint + REQUESTS_PATH, timeout=2):
                return True
        except (urllib.error.URLError, ConnectionError, OSError):
            return False

    def moto_pid(self) -> int | None:
        return running_pid(self.moto_pid_file)

    def ensure_moto(self) -> bool:
        """Starts the moto server unless this sandbox's one runs; True when it was started."""
        if self.moto_pid() and self.moto_answers():
            return False
        if self.moto_answers():
            raise SandboxError(f"{self.endpoint} answers but is not this sandbox's moto server "
                               "(another sandbox?); set SANDBOX_AWS_PORT to a free port")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        if not port_is_free(self.imds_port):
            raise SandboxError(f"port {self.imds_port}, for the instance metadata service, is taken by another "
                               "program; set SANDBOX_IMDS_PORT to a free port")
        # EMR Serverless job runs (the orders pipeline's Spark jobs) run on the machine's Spark, through S3A.
        connector = spark_connector.ensure(ROOT / ".cache" / "spark-s3a")
        server = MotoServer(host=ALL_INTERFACES, port=self.aws_port, log_path=self.moto_log, tls=self.tls,
                            imds_port=self.imds_port, env={
                                "INITIAL_NO_AUTH_ACTION_COUNT": "0", OPERATOR_KEYS_VARIABLE: OPERATOR_KEY,
                                LOCAL_SPARK_VARIABLE: str(connector)}).start()
        self.moto_pid_file.write_text(f"{server.process.pid}\n")
        return True

    def stop_moto(self) -> None:
        stop_process_group(self.moto_pid)
        self.moto_pid_file.unlink(missing_ok=True)

    # --- terraform ------------------------------------------------------------------------

    def terraform(self, *args: str, root: Path = TERRAFORM_ROOT, timeout: float = 1800) -> subprocess.CompletedProcess:
        env = {key: value for key, value in self.environment(OPERATOR_PROFILE).items() if key.startswith("AWS_")}
        env["TF_DATA_DIR"] = str(self.state_dir / ("terraform" if root == TERRAFORM_ROOT else "terraform-bootstrap"))
        return terraform(root, *args, "-no-color", env=env, timeout=timeout)

    def terraform_bootstrap(self) -> str:
        """The account's bootstrap, applied with the administrator's key as an account's
        administrator applies it once; returns the deploy role's ARN."""
        self.terraform("init", "-input=false", "-reconfigure", "-lockfile=readonly",
                       f"-backend-config=path={self.bootstrap_state}", root=BOOTSTRAP_ROOT)
        self.terraform("apply", "-input=false", "-auto-approve", f"-var=aws_endpoint_url={self.endpoint}",
                       root=BOOTSTRAP_ROOT)
        return self.terraform("output", "-raw", "deploy_role_arn", root=BOOTSTRAP_ROOT).stdout.strip()

    def terraform_apply(self, variables: list[str], deploy_role_arn: str) -> None:
        """The environment, applied as the deploy role (the provider assumes it with the
        administrator's key), as the terraform workflow applies an account."""
        self.terraform("init", "-input=false", "-reconfigure", "-lockfile=readonly",
                       f"-backend-config=path={self.terraform_state}")
        own = [f"aws_endpoint_url={self.endpoint}", f"ssh_user_ca_public_keys={json.dumps([self.ssh_ca_public_key()])}",
               f"deploy_role_arn={deploy_role_arn}", f"awx_url={self.awx_url}"]
        if self.vpc_cidr:
            own.append(f"vpc_cidr_block={self.vpc_cidr}")
        self.terraform("apply", "-input=false", "-auto-approve", PARALLELISM,
                       *(f"-var={item}" for item in [*own, *variables]))

    # --- the AWX stand-in ------------------------------------------------------------------

    def awx_pid(self) -> int | None:
        return running_pid(self.awx_pid_file)

    def ensure_awx_standin(self) -> str:
        """The execution environment's image built, the lifecycle-events token on EventBridge's
        connection (awx/README.md's step in an account), and the stand-in running with that image.
        Returns the image."""
        image = execution_environment_image()
        outputs = json.loads(self.terraform("output", "-json", "lifecycle_events").stdout or "null")
        if outputs:
            self.client("events").update_connection(
                Name=outputs["connection_name"], AuthorizationType="API_KEY",
                AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "Authorization",
                                                          "ApiKeyValue": f"Bearer {self.awx_token.read_text().strip()}"}})
        # The stand-in runs again when its image, its code or the job templates changed.
        import hashlib

        signature = hashlib.sha256("\n".join(
            [image, *(path.read_text() for path in (ROOT / "sandbox" / "awx_standin.py", ROOT / "sandbox" / "awx_jobs.py",
                                                     ROOT / "awx" / "objects.yml"))]).encode()).hexdigest()
        signature_file = self.awx_dir / "signature"
        if self.awx_pid() and signature_file.exists() and signature_file.read_text().strip() == signature:
            return image
        self.stop_awx_standin()
        if not port_is_free(self.awx_port):
            raise SandboxError(f"port {self.awx_port}, for the AWX stand-in, is taken by another program; "
                               "set SANDBOX_AWX_PORT to a free port")
        log_file = open(self.awx_dir / "standin.log", "ab")
        process = subprocess.Popen([sys.executable, "-m", "sandbox.awx_standin", "--port", str(self.awx_port),
                                    "--image", image], cwd=ROOT, env={**os.environ, **self.settings()},
                                   stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
        self.awx_pid_file.write_text(f"{process.pid}\n")
        signature_file.write_text(signature + "\n")
        (self.awx_dir / "image").write_text(image + "\n")
        deadline = time.monotonic() + 60
        while port_is_free(self.awx_port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise SandboxError(f"the AWX stand-in did not start; see {self.shown(self.awx_dir / 'standin.log')}")
            time.sleep(0.2)
        return image

    def stop_awx_standin(self) -> None:
        stop_process_group(self.awx_pid)
        self.awx_pid_file.unlink(missing_ok=True)

    def awx_jobs(self) -> list[dict]:
        """The stand-in's jobs, newest last (what AWX's job list shows)."""
        jobs = []
        for job_id in range(1, 10_000):
            request = urllib.request.Request(f"{self.awx_url}/api/v2/jobs/{job_id}/", headers={
                "Authorization": f"Bearer {self.awx_token.read_text().strip()}"})
            try:
                with self._open(request, timeout=10) as answer:
                    jobs.append(json.loads(answer.read()))
            except urllib.error.HTTPError as error:
                if error.code == 404:
                    break
                raise
        return jobs

    # --- the SSH user CA ------------------------------------------------------------------

    def ssh_ca_public_key(self) -> str:
        """The public key of the sandbox's SSH user CA, made with the sandbox (as an operator makes
        an environment's; terraform/modules/ssh-user-ca/README.md)."""
        public = Path(f"{self.ssh_ca_key}.pub")
        if not public.exists():
            self.ssh_ca_key.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            key, _ = ssh.ensure_login_key(str(self.ssh_ca_key))
            public.write_text(f"{ssh.private_key_public_line(key)} dataplatform-{ENV}-user-ca\n")
        return public.read_text().strip()

    def store_ssh_ca(self) -> None:
        """The CA's private key into its secret with the bootstrap playbook, then gone from disk."""
        if self.ssh_ca_key.exists():
            self.ansible_playbook("ansible/playbooks/ssh-user-ca.yml", "-i", str(INVENTORY.relative_to(ROOT)),
                                  "-e", f"ssh_user_ca_private_key_file={self.ssh_ca_key}", echo=False,
                                  profile=OPERATOR_PROFILE)
            self.ssh_ca_key.unlink()

    # --- instances and hosts --------------------------------------------------------------

    def instances(self) -> list[dict]:
        """Every instance of the environment's Auto Scaling Groups, with what its host needs."""
        autoscaling = self.client("autoscaling")
        members: dict[str, dict] = {}
        for page in autoscaling.get_paginator("describe_auto_scaling_groups").paginate(
            Filters=[{"Name": f"tag:{platform.TAG_ENV}", "Values": [ENV]}]
        ):
            for group in page["AutoScalingGroups"]:
                tags = {tag["Key"]: tag["Value"] for tag in group.get("Tags", [])}
                template = group.get("LaunchTemplate", {})
                for instance in group["Instances"]:
                    members[instance["InstanceId"]] = {
                        "asg": group["AutoScalingGroupName"],
                        "role": tags.get(platform.TAG_ROLE, ""),
                        "lifecycle_state": instance["LifecycleState"],
                        "launch_template": (instance.get("LaunchTemplate") or template).get("LaunchTemplateId", ""),
                    }
        instances = []
        ids = sorted(members)
        ec2 = self.client("ec2")
        for start in range(0, len(ids), 100):
            for reservation in ec2.describe_instances(InstanceIds=ids[start:start + 100])["Reservations"]:
                for instance in reservation["Instances"]:
                    tags = {tag["Key"]: tag["Value"] for tag in instance.get("Tags", [])}
                    instances.append({
                        "instance_id": instance["InstanceId"],
                        "private_dns_name": instance.get("PrivateDnsName", ""),
                        "private_ip_address": instance.get("PrivateIpAddress", ""),
                        "launch_time": instance["LaunchTime"].isoformat(),
                        "container": tags.get(CONTAINER_TAG),
                        **members[instance["InstanceId"]],
                    })
        return sorted(instances, key=lambda item: (item["role"], item["launch_time"], item["instance_id"]))

    def platform_document(self) -> dict:
        parameter = self.client("ssm").get_parameter(Name=platform.platform_parameter_name(ENV))
        return json.loads(parameter["Parameter"]["Value"])

    def _run_container(self, name: str, image: str, *options: str) -> None:
        if podman("container", "exists", name, check=False).returncode == 0:
            if podman("start", name, check=False).returncode == 0:
                return
            # Left half-made by an interrupted run: made again from scratch.
            podman("rm", "--force", name, check=False)
        args = ["run", "--detach", "--name", name, "--systemd=always", "--label", self.label, *options]
        # HTTPS from inside: the machine's CA bundle (the registries' proxy included) and the sandbox's
        # AWS endpoint's CA.
        args += ["--volume", f"{self.tls.bundle}:{HOST_CA_BUNDLE}:ro"]
        started = podman(*args, image, "/sbin/init", check=False)
        if started.returncode != 0:
            raise SandboxError(f"podman could not start {name}: {started.stderr.strip()}")

    @property
    def rds_address(self) -> str:
        """The RDS stand-in's address: the VPC's last one, which no instance gets."""
        return str(self.vpc_network[-2])

    def ensure_network(self) -> None:
        """One podman network with the VPC's range; its gateway (the VPC router's address) is the
        machine, where the moto server and the package caches answer."""
        if podman("network", "exists", self.network, check=False).returncode != 0:
            created = podman("network", "create", "--label", self.label, "--subnet", str(self.vpc_network),
                             "--gateway", str(self.vpc_network[1]), self.network, check=False)
            if created.returncode != 0:
                raise SandboxError(f"podman could not make the network {self.network} ({self.vpc_network}): "
                                   f"{created.stderr.strip()} (another sandbox with this range? SANDBOX_VPC_CIDR sets another)")

    def user_data(self, launch_template_id: str, cache: dict[str, str]) -> str:
        """The user data of a launch template's latest version, as EC2 hands it to the instance."""
        if launch_template_id not in cache:
            versions = self.client("ec2").describe_launch_template_versions(
                LaunchTemplateId=launch_template_id, Versions=["$Latest"])["LaunchTemplateVersions"]
            encoded = versions[0]["LaunchTemplateData"].get("UserData", "")
            cache[launch_template_id] = base64.b64decode(encoded).decode() if encoded else ""
        return cache[launch_template_id]

    def publish_console(self, instance: dict) -> None:
        """What the host printed to its console, for ec2:GetConsoleOutput (moto_gaps.py)."""
        request = urllib.request.Request(f"{self.endpoint}{CONSOLE_OUTPUT_PATH}{instance['instance_id']}",
                                         data=host_boot.console_output(instance["container"]).encode(), method="POST")
        with self._open(request, timeout=10):
            pass

    def ensure_hosts(self, document: dict) -> list[str]:
        """A container per instance at its private address, booted with its user data, its
        console published; the RDS stand-in's container; the instance tags that link them. Removes
        the containers of instances that are gone. Returns the containers."""
        image = host_image()
        self.ensure_network()
        wanted: dict[str, dict] = {}
        instances = self.instances()
        for instance in instances:
            name = self.container_name(instance)
            hostname = instance["private_dns_name"] or name
            # -t: the container's tty is the instance's console (what GetConsoleOutput shows).
            options = ["--label", f"{INSTANCE_LABEL}={instance['instance_id']}", "--hostname", hostname, "--tty",
                       "--network", self.network, "--ip", instance["private_ip_address"], "--network-alias", hostname]
            self._run_container(name, image, *options)
            wanted[name] = instance
        self._run_container(self.rds_container, image, "--network", self.network, "--ip", self.rds_address,
                            "--hostname", "rds-standin", "--network-alias", document["rds"]["endpoint"])
        names = [*wanted, self.rds_container]
        try:
            wait_booted(names, timeout=180)
        except TimeoutError as error:
            raise SandboxError(str(error)) from None
        ec2, user_data = self.client("ec2"), {}
        for name, instance in wanted.items():
            if instance["container"] != name:
                ec2.create_tags(Resources=[instance["instance_id"]], Tags=[{"Key": CONTAINER_TAG, "Value": name}])
                instance["container"] = name
            try:
                host_boot.run_user_data(name, self.user_data(instance["launch_template"], user_data))
            except RuntimeError as error:
                raise SandboxError(str(error)) from None
            self.publish_console(instance)
        existing = podman("ps", "--all", "--format", "{{.Names}}", "--filter", f"label={self.label}",
                          "--filter", f"label={INSTANCE_LABEL}").stdout.split()
        for name in sorted(set(existing) - set(wanted)):
            podman("rm", "--force", "--time", "5", name, check=False)
        return names

    def remove_containers(self) -> None:
        ids = podman("ps", "--all", "--quiet", "--filter", f"label={self.label}", check=False).stdout.split()
        if ids:
            podman("rm", "--force", "--time", "5", *ids, check=False)
        if podman("network", "exists", self.network, check=False).returncode == 0:
            podman("network", "rm", "--force", self.network, check=False)

    # --- ansible --------------------------------------------------------------------------

    def ansible_playbook(self, *args: str, echo: bool = True, profile: str = AUTOMATION_PROFILE,
                         extra_env: dict[str, str] | None = None) -> str:
        """Runs ansible-playbook from the repository root with the sandbox's environment (and
        ``extra_env``), as the principal of ``profile`` (the automation role's unless told). The
        whole output goes to the Ansible log; the plays, failures and the recap also to the
        terminal. Returns the output."""
        command = ["ansible-playbook", *args]
        self.state_dir.mkdir(parents=True, exist_ok=True)
        output = []
        with open(self.ansible_log, "a") as log_file:
            log_file.write(f"\n# {' '.join(command)}\n")
            process = subprocess.Popen(command, cwd=ROOT, env={**self.environment(profile), **(extra_env or {})},
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            in_recap = False
            for line in process.stdout:
                log_file.write(line)
                log_file.flush()
                output.append(line)
                in_recap = in_recap or line.startswith("PLAY RECAP")
                if echo and line.strip() and (in_recap or line.startswith(("PLAY [", "fatal:", "failed:"))):
                    print(f"    {line.rstrip()}", flush=True)
        if process.wait() != 0:
            raise SandboxError(f"ansible-playbook {' '.join(args)} failed (exit {process.returncode}); "
                               f"the whole output is in {self.shown(self.ansible_log)}")
        return "".join(output)

    def prepare_rds_standin(self, document: dict) -> None:
        """PostgreSQL in the RDS stand-in's container, with the database, port and credentials
        that Terraform's RDS instance has (the RDS-managed secret in the moto server)."""
        rds = document["rds"]
        secret = json.loads(self.client("secretsmanager").get_secret_value(
            SecretId=rds["credentials_secret_arn"])["SecretString"])
        variables = self.state_dir / "rds-standin.json"
        variables.touch(mode=0o600)
        variables.write_text(json.dumps({
            "rds_standin_port": int(rds["port"]),
            "rds_standin_db_name": rds["db_name"],
            "rds_standin_user": secret["username"],
            "rds_standin_password": secret["password"],
            # On its own address in the VPC, for the Airflow hosts.
            "rds_standin_listen_addresses": "*",
            "rds_standin_client_cidr": str(self.vpc_network),
        }))
        inventory = self.state_dir / "rds-standin.yml"
        inventory.write_text(
            "# Written by the sandbox: its RDS stand-in container.\n"
            f"rds_standin:\n  hosts:\n    {self.rds_container}:\n"
            "      ansible_connection: containers.podman.podman\n"
            "      ansible_python_interpreter: /usr/bin/python3\n"
        )
        self.ansible_playbook(str(ROOT / "sandbox" / "rds-standin.yml"), "-i", str(inventory),
                              f"-e@{variables}", echo=False, profile=OPERATOR_PROFILE)

    def converge(self, *args: str) -> str:
        return self.ansible_playbook("site.yml", "-i", str(INVENTORY.relative_to(ROOT)), *args)

    # --- users ----------------------------------------------------------------------------

    def user_secrets(self) -> list[dict]:
        prefix = platform.secret_name(ENV, "users") + "/"
        found = []
        paginator = self.client("secretsmanager").get_paginator("list_secrets")
        for page in paginator.paginate(Filters=[{"Key": "name", "Values": [prefix]}]):
            for entry in page["SecretList"]:
                if entry.get("DeletedDate") or not entry["Name"].startswith(prefix):
                    continue
                tags = {tag["Key"]: tag["Value"] for tag in entry.get("Tags", [])}
                found.append({"user": entry["Name"][len(prefix):], "name": entry["Name"], "tags": tags})
        return sorted(found, key=lambda item: item["user"])

    def user_bundle(self, user: str) -> tuple[Path, Path]:
        """Writes a user's PKCS#12 bundle and its password (mode 0600) under the state folder."""
        secret_id = platform.secret_name(ENV, "users", user)
        try:
            value = json.loads(self.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"])
        except self.client("secretsmanager").exceptions.ResourceNotFoundException:
            raise SandboxError(f"no certificate for {user!r} ({secret_id} does not exist); "
                               f"add cert-requests/{ENV}/{user}.yaml and run make sandbox") from None
        if value.get("format") == "certificate":
            raise SandboxError(f"{user!r} keeps their own key (their request has a csr): {secret_id} holds their "
                               "certificate and chain only, in its certificate and certificate_chain fields")
        folder = self.state_dir / "users"
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        bundle, password = folder / f"{user}.p12", folder / f"{user}.password"
        for path, content in ((bundle, base64.b64decode(value["pkcs12"])), (password, value["password"].encode())):
            path.touch(mode=0o600)
            path.write_bytes(content)
        return bundle, password

    # --- summary --------------------------------------------------------------------------

    def summary(self, document: dict | None = None) -> str:
        instances = self.instances()
        document = document or self.platform_document()
        nlb = document["nifi"]["nlb_dns_name"]
        lines = ["", "The sandbox runs the local environment (terraform/environments/local, inventories/local).", ""]
        lines.append("Hosts, by role and lifecycle state (inventory name = instance id), at their private address:")
        for instance in instances:
            lines.append(f"  {instance['role']:<8} {instance['lifecycle_state']:<16} {instance['instance_id']:<20} "
                         f"{instance['private_ip_address']:<14} {instance['private_dns_name']:<30} "
                         f"container {self.container_name(instance)}")
        lines.append(f"  SSH as Ansible does: ssh -F {self.shown(self.ssh_dir)}/config <address>  "
                     "(a certificate of the sandbox's SSH user CA, host keys pinned from the consoles)")
        lines += self.load_balancer_lines(document)
        lines += ["", "NiFi 2.3.0, a cluster of the nodes below (HTTPS with a user's client certificate: the PKCS#12 of "
                      "python -m sandbox user-bundle <user>):",
                  f"  load balancer  https://{nlb}:{NIFI_HTTPS_PORT}/nifi"]
        for instance in instances:
            if instance["role"] == "nifi":
                lines.append(f"  node           https://{instance['private_dns_name']}:{NIFI_HTTPS_PORT}/nifi"
                             f"  ({instance['private_ip_address']})")
        lines += ingest.summary_lines(self, document)
        lines += telemetry.summary_lines(document)
        airflow = [instance for instance in instances if instance["role"] == "airflow"]
        lines += ["", "Airflow:", f"  api-server     {self.airflow_url(document)}  (user admin; through the load "
                                    f"balancer, whose certificate the platform's CA issued: {self.shown(self.load_balancers.ca_file)})"]
        if airflow:
            lines.append(f"  password       ssh -F {self.shown(self.ssh_dir)}/config {airflow[0]['private_ip_address']} "
                         "sudo cat /var/lib/airflow/simple-auth-manager-passwords.json")
        users = self.user_secrets()
        lines += ["", f"Users with certificates (cert-requests/{ENV}/), in Secrets Manager:"]
        for entry in users:
            tags = entry["tags"]
            dn = identity.dn_of_tag(tags["dataplatform:subject_dn"]) if "dataplatform:subject_dn" in tags else "?"
            lines.append(f"  {entry['user']:<12} {dn:<40} roles {tags.get('dataplatform:roles', '?'):<16}"
                         f" valid until {tags.get('dataplatform:not_after', '?')}")
        lines.append("  their PKCS#12 bundle and password: python -m sandbox user-bundle <user>  "
                     f"(writes {self.shown(self.state_dir / 'users')}/<user>.p12 and .password)")
        lines += ["", "Stand-ins:",
                  f"  AWS            the moto server on {self.endpoint}, {self.hosts_endpoint} from the hosts "
                  f"(log {self.shown(self.moto_log)}); IAM enforced: the converge as the automation role, "
                  "user certificates as the cert issuer role",
                  f"  IMDS           the instance metadata service emulation, {self.hosts_imds_endpoint} from the "
                  "hosts: each host's instance profile role",
                  f"  EC2 instances  podman containers (Debian 13, systemd) on the network {self.network} "
                  f"({self.vpc_network}), one per Auto Scaling Group instance, booted with its user data",
                  f"  ELB            HAProxy at the load balancers' addresses above "
                  f"({self.shown(self.load_balancers.configuration_file)}), configured from their state in moto",
                  f"  RDS            PostgreSQL in the container {self.rds_container}, "
                  f"{document['rds']['endpoint']}:{document['rds']['port']} ({self.rds_address})",
                  f"  AWX            its job launch API on {self.awx_url} (sandbox/awx_standin.py, log "
                  f"{self.shown(self.awx_dir / 'standin.log')}): EventBridge launches "
                  f"dataplatform-{ENV}-nifi-decommission there when a NiFi node starts terminating, the certificate "
                  f"pipeline dataplatform-{ENV}-nifi-users; jobs run",
                  "                 with ansible-runner in the execution environment's image (execution-environment.yml)",
                  "  NiFi           none: NiFi 2.3.0 itself, the distribution the project builds from Maven Central "
                  "(nifi-distribution/), installed from the artifacts bucket",
                  "", "Converge again: make sandbox    Remove everything: make sandbox-down"]
        return "\n".join(lines)

    def load_balancer_lines(self, document: dict) -> list[str]:
        """The load balancers' listeners and their targets' health, unhealthy targets named."""
        stand_in = self.load_balancers
        listeners = read_listeners(self.client("elbv2"), self.client("ec2"), self.client("autoscaling"), self.name)
        health = stand_in.health() if stand_in.pid() else []
        lines = ["", f"Load balancers (HAProxy stands in for them; their names resolve to it in {stand_in.hosts_file()}):"]
        if not stand_in.pid():
            lines.append("  not running (make sandbox starts it)")
        for listener in listeners:
            group = listener.target_group
            if group is None:
                lines.append(f"  {listener.dns_name}:{listener.port}  {listener.protocol}, {listener.action}: not emulated")
                continue
            states = [item for item in health if item.target_group == group.name]
            counts = ", ".join(f"{sum(item.state == state for item in states)} {state}"
                               for state in ("healthy", "unhealthy", "initial") if any(item.state == state for item in states))
            lines.append(f"  {listener.dns_name}:{listener.port} ({listener.address})  {listener.protocol} -> "
                         f"{group.protocol} {group.port}, target group {group.name}: {counts or 'no targets'}")
            lines += [f"    unhealthy target {item.instance_id} {item.address}  {item.reason}"
                      for item in states if item.state == "unhealthy"]
        lines.append(f"  {document['airflow']['api_domain_name']} resolves to the Airflow load balancer too (the DNS "
                     "record an account points at it)")
        return lines

    # --- commands -------------------------------------------------------------------------

    def up(self, variables: list[str], converge: bool = True) -> None:
        total = time.monotonic()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with phase(f"moto server on {self.endpoint}"):
            if self.ensure_moto():
                # A new moto server holds nothing: state, hosts and the SSH CA of an earlier one are stale.
                self.terraform_state.unlink(missing_ok=True)
                self.bootstrap_state.unlink(missing_ok=True)
                self.remove_containers()
                for folder in (self.ssh_dir, self.ssh_ca_key.parent):
                    shutil.rmtree(folder, ignore_errors=True)
        with phase("terraform apply terraform/bootstrap/local (the account's administrator)"):
            deploy_role_arn = self.terraform_bootstrap()
        with phase("terraform apply terraform/environments/local (the deploy role)"):
            self.terraform_apply(variables, deploy_role_arn)
        with phase("SSH user CA into Secrets Manager"):
            self.store_ssh_ca()
        document = self.platform_document()
        with phase("package caches (Debian packages, the Airflow wheelhouse)"):
            package_cache.ensure_apt_cache()
            package_cache.airflow_find_links(host_image())
        with phase("podman hosts"):
            self.ensure_hosts(document)
        with phase("RDS stand-in (PostgreSQL)"):
            self.prepare_rds_standin(document)
        if converge:
            with phase("NiFi distribution into the artifacts bucket (make nifi-distribution, ansible/playbooks/nifi-distribution.yml)"):
                try:
                    nifi_distribution.publish(self.ansible_playbook, str(INVENTORY.relative_to(ROOT)), OPERATOR_PROFILE)
                except nifi_distribution.DistributionBuildError as error:
                    raise SandboxError(str(error)) from None
            with phase("ansible-playbook site.yml -i inventories/local"):
                self.converge()
        with phase("AWX stand-in (EventBridge and the certificate pipeline launch jobs; ansible-runner in the execution environment)"):
            self.ensure_awx_standin()
        if converge:
            with phase("user certificates (ansible/playbooks/user-certs.yml, the certificate pipeline; it launches the nifi-users job)"):
                certificate_pipeline.run(self)
            with phase("DAGs into the DAGs bucket (ansible/playbooks/airflow-dags.yml, the delivery job)"):
                # No inventory, as the DAGs workflow: the publisher reaches no host and may not list them.
                self.ansible_playbook("ansible/playbooks/airflow-dags.yml", "-i", "localhost,", "-e", f"dataplatform_env={ENV}",
                                      echo=False, profile=DAGS_PUBLISHER_PROFILE)
        with phase("load balancers (HAProxy in place of the NLB and ALB)"):
            self.configure_load_balancers(document)
        print(self.summary(document), flush=True)
        log(f"total: {time.monotonic() - total:.1f}s")

    def configure_load_balancers(self, document: dict) -> None:
        """HAProxy from the load balancers' state; the Airflow load balancer also answers to the name
        of its certificate. Returns once every target has had its first health check."""
        stand_in = self.load_balancers
        try:
            listeners = stand_in.configure(self.client("elbv2"), self.client("ec2"), self.client("autoscaling"),
                                           self.client("acm"), aliases={
                                               document["airflow"]["alb_dns_name"]: [document["airflow"]["api_domain_name"]]})
        except LoadBalancerError as error:
            raise SandboxError(str(error)) from None
        checks = [listener.target_group.health_check for listener in listeners if listener.target_group]
        stand_in.wait_for_first_checks(timeout=max((check.interval + check.timeout for check in checks), default=0) + 5)

    def down(self) -> None:
        with phase("stop the AWX stand-in"):
            self.stop_awx_standin()
        with phase("stop the load balancers' stand-in (HAProxy)"):
            self.load_balancers.stop()
        with phase("remove containers and network"):
            self.remove_containers()
        with phase("stop the moto server"):
            self.stop_moto()
        with phase(f"remove {self.shown(self.state_dir)}"):
            shutil.rmtree(self.state_dir, ignore_errors=True)


def running_pid(pid_file: Path) -> int | None:
    """The process id in ``pid_file`` while that process runs."""
    try:
        pid = int(pid_file.read_text().split()[0])
        os.kill(pid, 0)
        return pid
    except (FileNotFoundError, ValueError, IndexError, ProcessLookupError, PermissionError):
        return None


def stop_process_group(running) -> None:
    """Stops the process group of ``running()``'s process: SIGTERM, then SIGKILL after 10 seconds."""
    pid = running()
    if pid:
        os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while running() and time.monotonic() < deadline:
            time.sleep(0.1)
        if running():
            os.killpg(pid, signal.SIGKILL)


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="create the sandbox, or converge it again")
    up.add_argument("--var", action="append", default=[], metavar="NAME=VALUE",
                    help="a Terraform variable of the local environment, e.g. nifi_desired_capacity=4")
    up.add_argument("--no-converge", action="store_true",
                    help="stop after the hosts exist (then run ansible-playbook yourself, e.g. with --limit)")
    commands.add_parser("status", help="print the summary")
    commands.add_parser("env", help="print the shell exports that point ansible-playbook, terraform and the AWS CLI at "
                                    "the sandbox: eval \"$(python -m sandbox env)\"")
    bundle = commands.add_parser("user-bundle", help="write a user's PKCS#12 bundle and its password")
    bundle.add_argument("user")
    commands.add_parser("down", help="remove everything the sandbox made")
    logs = commands.add_parser("logs", help="print a log group's lines (a stream per host), as aws logs tail does")
    logs.add_argument("role", choices=["nifi", "airflow"], help="whose log group")
    logs.add_argument("--since", default="10m", help="how far back to start, such as 30s, 10m, 2h (default 10m)")
    logs.add_argument("--follow", action="store_true", help="keep printing new lines")
    logs.add_argument("--host", help="one instance's stream (its instance id)")
    orders = commands.add_parser("pipeline", help="post sample orders to NiFi's ingest flow and run the orders pipeline DAG "
                                                  "for their date")
    orders.add_argument("--orders", type=int, default=40, help="how many valid orders (one malformed record is added)")
    orders.add_argument("--direct", action="store_true",
                        help="write the orders to bronze directly (not through NiFi), for the next date the DAG has not run")
    args = parser.parse_args(argv)

    sandbox = Sandbox.from_environment()
    try:
        if args.command == "up":
            require_system_tools()
            sandbox.up(args.var, converge=not args.no_converge)
        elif args.command == "down":
            sandbox.down()
        elif not sandbox.moto_answers():
            raise SandboxError("the sandbox is not running (make sandbox starts it)")
        elif args.command == "status":
            print(sandbox.summary())
        elif args.command == "env":
            print(sandbox.shell_exports())
        elif args.command == "logs":
            group = sandbox.platform_document()["telemetry"]["log_groups"][args.role]
            try:
                telemetry.tail(sandbox.client("logs"), group, args.since, args.follow, args.host)
            except ValueError as error:
                raise SandboxError(str(error)) from None
            except KeyboardInterrupt:
                pass
        elif args.command == "pipeline":
            from sandbox import pipeline

            sys.exit(pipeline.main(sandbox, args.orders, direct=args.direct))
        else:
            bundle_path, password_path = sandbox.user_bundle(args.user)
            print(f"{sandbox.shown(bundle_path)}\n{sandbox.shown(password_path)}")
    except FileNotFoundError as error:
        # A program the sandbox runs (podman, terraform, ansible-playbook) is not installed.
        raise SandboxError(f"{error.filename} is not installed; make setup says what is missing and installs "
                           "it on Debian as root") from None


def require_system_tools() -> None:
    """The set-up step's check (scripts/setup.sh, as make sandbox runs it): exits 2 with its message
    when a system tool is missing."""
    result = subprocess.run(["bash", str(ROOT / "scripts" / "setup.sh")], check=False)
    if result.returncode != 0:
        sys.exit(result.returncode)
