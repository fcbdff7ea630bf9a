"""The sandbox: the whole platform on one machine, with no AWS account.

    python -m sandbox up       # moto, terraform apply, podman hosts, site.yml, summary
    python -m sandbox status   # the summary again
    python -m sandbox user-bundle <user>   # a user's PKCS#12 and password, into .sandbox/users/
    python -m sandbox down     # remove every container, process and file it made

``make sandbox`` and ``make sandbox-down`` run ``up`` and ``down``. What stands in for what:
the moto server on 127.0.0.1 is AWS, one podman container (Debian 13, systemd) is each EC2
instance of the Auto Scaling Groups that Terraform created, a PostgreSQL container is the RDS
instance. NiFi hosts sit on a podman network of their own and answer to their private DNS names;
Airflow hosts and the database share the machine's network namespace, because Airflow's own
processes call AWS (the moto server on loopback) and serve the API on a loopback port.

Everything the sandbox makes is labelled with its name or kept in its state folder (``.sandbox/``
in the repository, ignored by git): the moto server's pid and log, Terraform's state and
working directory, the Ansible log. ``up`` is safe to run again: a running moto server is
reused, Terraform and Ansible converge to the same state, existing containers are kept, and the
containers of instances that left their group are removed.

Settings (environment variables, for running a second sandbox beside the first, as the e2e
tests do): SANDBOX_NAME, SANDBOX_DIR, SANDBOX_AWS_PORT, SANDBOX_AIRFLOW_PORT.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import signal
import socket
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
from tests.harness.moto_server import REAL_AWS_VARIABLES, REQUESTS_PATH, MotoServer  # noqa: E402
from tests.harness.podman_hosts import HOST_CA_BUNDLE, host_image, podman, wait_booted  # noqa: E402
from tests.harness.terraform import PARALLELISM, terraform  # noqa: E402

ENV = "local"
REGION = "eu-west-1"
TERRAFORM_ROOT = ROOT / "terraform" / "environments" / ENV
INVENTORY = ROOT / "inventories" / ENV
# The instance tag inventories/local/aws_asg.yml composes into the podman connection settings.
CONTAINER_TAG = "dataplatform:sandbox-container"
INSTANCE_LABEL = "dataplatform.sandbox-instance"
# Roles whose hosts share the machine's network namespace (see the module docstring).
HOST_NETWORK_ROLES = {"airflow"}
NIFI_HTTPS_PORT = 8443


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
    airflow_port: int = 8080

    @classmethod
    def from_environment(cls) -> "Sandbox":
        return cls(
            name=os.environ.get("SANDBOX_NAME", cls.name),
            state_dir=Path(os.environ.get("SANDBOX_DIR", str(cls.state_dir))).resolve(),
            aws_port=int(os.environ.get("SANDBOX_AWS_PORT", cls.aws_port)),
            airflow_port=int(os.environ.get("SANDBOX_AIRFLOW_PORT", cls.airflow_port)),
        )

    # --- paths and names ------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.aws_port}"

    @property
    def airflow_url(self) -> str:
        return f"http://127.0.0.1:{self.airflow_port}"

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

    def environment(self) -> dict[str, str]:
        """The environment of every child process: the sandbox's AWS endpoint, dummy credentials,
        no profile that could lead to a real account."""
        env = dict(os.environ)
        for variable in REAL_AWS_VARIABLES:
            env.pop(variable, None)
        env.update(
            AWS_ENDPOINT_URL=self.endpoint,
            AWS_ACCESS_KEY_ID="sandbox",
            AWS_SECRET_ACCESS_KEY="sandbox",
            AWS_REGION=REGION,
            AWS_DEFAULT_REGION=REGION,
            AWS_CONFIG_FILE=os.devnull,
            AWS_SHARED_CREDENTIALS_FILE=os.devnull,
            AWS_EC2_METADATA_DISABLED="true",
            ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
            SANDBOX_AIRFLOW_PORT=str(self.airflow_port),
        )
        return env

    def client(self, service: str):
        import boto3

        return boto3.client(service, endpoint_url=self.endpoint, region_name=REGION,
                            aws_access_key_id="sandbox", aws_secret_access_key="sandbox")

    # --- moto server ----------------------------------------------------------------------

    def moto_answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.endpoint + REQUESTS_PATH, timeout=2):  # noqa: S310 - loopback
                return True
        except (urllib.error.URLError, ConnectionError, OSError):
            return False

    def moto_pid(self) -> int | None:
        try:
            pid = int(self.moto_pid_file.read_text())
            os.kill(pid, 0)
            return pid
        except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
            return None

    def ensure_moto(self) -> bool:
        """Starts the moto server unless this sandbox's one runs; True when it was started."""
        if self.moto_pid() and self.moto_answers():
            return False
        if self.moto_answers():
            raise SandboxError(f"{self.endpoint} answers but is not this sandbox's moto server "
                               "(another sandbox?); set SANDBOX_AWS_PORT to a free port")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        server = MotoServer(port=self.aws_port, log_path=self.moto_log).start()
        self.moto_pid_file.write_text(f"{server.process.pid}\n")
        return True

    def stop_moto(self) -> None:
        pid = self.moto_pid()
        if pid:
            os.killpg(pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while self.moto_pid() and time.monotonic() < deadline:
                time.sleep(0.1)
            if self.moto_pid():
                os.killpg(pid, signal.SIGKILL)
        self.moto_pid_file.unlink(missing_ok=True)

    # --- terraform ------------------------------------------------------------------------

    def terraform(self, *args: str, timeout: float = 1800) -> subprocess.CompletedProcess:
        env = {key: value for key, value in self.environment().items() if key.startswith("AWS_")}
        env["TF_DATA_DIR"] = str(self.state_dir / "terraform")
        return terraform(TERRAFORM_ROOT, *args, "-no-color", env=env, timeout=timeout)

    def terraform_apply(self, variables: list[str]) -> None:
        self.terraform("init", "-input=false", "-reconfigure", "-lockfile=readonly",
                       f"-backend-config=path={self.terraform_state}")
        self.terraform("apply", "-input=false", "-auto-approve", PARALLELISM,
                       f"-var=aws_endpoint_url={self.endpoint}", *(f"-var={item}" for item in variables))

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
                for instance in group["Instances"]:
                    members[instance["InstanceId"]] = {
                        "asg": group["AutoScalingGroupName"],
                        "role": tags.get(platform.TAG_ROLE, ""),
                        "lifecycle_state": instance["LifecycleState"],
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
        # HTTPS from inside (apt, pip) goes through the machine's CA bundle, proxy included.
        if HOST_CA_BUNDLE.exists():
            args += ["--volume", f"{HOST_CA_BUNDLE}:{HOST_CA_BUNDLE}:ro"]
        started = podman(*args, image, "/sbin/init", check=False)
        if started.returncode != 0:
            raise SandboxError(f"podman could not start {name}: {started.stderr.strip()}")

    @staticmethod
    def _require_free_port(container: str, port: int, purpose: str) -> None:
        """A host-network container about to be made needs its loopback port free."""
        if podman("container", "exists", container, check=False).returncode != 0 and not port_is_free(port):
            raise SandboxError(f"127.0.0.1:{port}, for {purpose}, is taken by another program "
                               "(another sandbox? make sandbox-down removes this one)")

    def ensure_network(self) -> None:
        if podman("network", "exists", self.network, check=False).returncode != 0:
            podman("network", "create", "--label", self.label, self.network)

    def ensure_hosts(self, document: dict) -> list[str]:
        """A container per instance, the RDS stand-in's container, and the instance tags that
        link them; removes the containers of instances that are gone. Returns the containers."""
        image = host_image()
        self.ensure_network()
        rds_endpoint = document["rds"]["endpoint"]
        wanted: dict[str, dict] = {}
        instances = self.instances()
        sharing = [instance["instance_id"] for instance in instances if instance["role"] in HOST_NETWORK_ROLES]
        if len(sharing) > 1:
            raise SandboxError(f"{len(sharing)} Airflow instances ({', '.join(sharing)}), but the sandbox's Airflow "
                               "host shares the machine's network and its ports: keep airflow_desired_capacity = 1")
        for instance in instances:
            name = self.container_name(instance)
            hostname = instance["private_dns_name"] or name
            options = ["--label", f"{INSTANCE_LABEL}={instance['instance_id']}", "--hostname", hostname]
            if instance["role"] in HOST_NETWORK_ROLES:
                self._require_free_port(name, self.airflow_port, "the Airflow API (SANDBOX_AIRFLOW_PORT)")
                options += ["--network", "host", "--add-host", f"{rds_endpoint}:127.0.0.1"]
            else:
                options += ["--network", self.network, "--network-alias", hostname]
            self._run_container(name, image, *options)
            wanted[name] = instance
        self._require_free_port(self.rds_container, int(document["rds"]["port"]), "the RDS stand-in (the RDS instance's port)")
        self._run_container(self.rds_container, image, "--network", "host", "--hostname", "rds-standin")
        names = [*wanted, self.rds_container]
        try:
            wait_booted(names, timeout=180)
        except TimeoutError as error:
            raise SandboxError(str(error)) from None
        ec2 = self.client("ec2")
        for name, instance in wanted.items():
            if instance["container"] != name:
                ec2.create_tags(Resources=[instance["instance_id"]], Tags=[{"Key": CONTAINER_TAG, "Value": name}])
                instance["container"] = name
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

    def ansible_playbook(self, *args: str, echo: bool = True) -> str:
        """Runs ansible-playbook from the repository root with the sandbox's environment. The whole
        output goes to the Ansible log; the plays, failures and the recap also to the terminal.
        Returns the output."""
        command = ["ansible-playbook", *args]
        self.state_dir.mkdir(parents=True, exist_ok=True)
        output = []
        with open(self.ansible_log, "a") as log_file:
            log_file.write(f"\n# {' '.join(command)}\n")
            process = subprocess.Popen(command, cwd=ROOT, env=self.environment(), stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, text=True)
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
        }))
        inventory = self.state_dir / "rds-standin.yml"
        inventory.write_text(
            "# Written by the sandbox: its RDS stand-in container.\n"
            f"rds_standin:\n  hosts:\n    {self.rds_container}:\n"
            "      ansible_connection: containers.podman.podman\n"
            "      ansible_python_interpreter: /usr/bin/python3\n"
        )
        self.ansible_playbook(str(ROOT / "sandbox" / "rds-standin.yml"), "-i", str(inventory),
                              f"-e@{variables}", echo=False)

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
        lines.append("Hosts, by role and lifecycle state (inventory name = instance id):")
        for instance in instances:
            lines.append(f"  {instance['role']:<8} {instance['lifecycle_state']:<10} {instance['instance_id']:<20} "
                         f"{instance['private_dns_name']:<44} podman container {self.container_name(instance)}")
        lines += ["", "NiFi (HTTPS with a client certificate; NiFi itself is not installed, see below):",
                  f"  load balancer  https://{nlb}:{NIFI_HTTPS_PORT}/nifi"]
        for instance in instances:
            if instance["role"] == "nifi":
                address = self.container_address(self.container_name(instance))
                lines.append(f"  node           https://{instance['private_dns_name']}:{NIFI_HTTPS_PORT}/nifi"
                             f"  (container address {address or '?'})")
        airflow = [instance for instance in instances if instance["role"] == "airflow"]
        lines += ["", "Airflow:", f"  api-server     {self.airflow_url}  (user admin)"]
        if airflow:
            lines.append(f"  password       podman exec {self.container_name(airflow[0])} "
                         "cat /var/lib/airflow/simple-auth-manager-passwords.json")
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
                  f"  AWS            the moto server on {self.endpoint} (log {self.shown(self.moto_log)})",
                  "  EC2 instances  podman containers (Debian 13, systemd), one per Auto Scaling Group instance",
                  f"  RDS            PostgreSQL in the container {self.rds_container}, on "
                  f"{document['rds']['endpoint']}:{document['rds']['port']} (resolved to 127.0.0.1)",
                  "  NiFi           not installed: its distribution cannot be downloaded offline. Its TLS material,",
                  "                 nifi.properties and authorization files are in place on every NiFi host.",
                  "", "Converge again: make sandbox    Remove everything: make sandbox-down"]
        return "\n".join(lines)

    @staticmethod
    def container_address(name: str) -> str:
        result = podman("inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}",
                        name, check=False)
        return result.stdout.strip().split(" ")[0] if result.returncode == 0 else ""

    # --- commands -------------------------------------------------------------------------

    def up(self, variables: list[str], converge: bool = True) -> None:
        total = time.monotonic()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with phase(f"moto server on {self.endpoint}"):
            if self.ensure_moto():
                # A new moto server holds nothing: state and hosts of an earlier one are stale.
                self.terraform_state.unlink(missing_ok=True)
                self.remove_containers()
        with phase("terraform apply terraform/environments/local"):
            self.terraform_apply(variables)
        document = self.platform_document()
        with phase("podman hosts"):
            self.ensure_hosts(document)
        with phase("RDS stand-in (PostgreSQL)"):
            self.prepare_rds_standin(document)
        if converge:
            with phase("ansible-playbook site.yml -i inventories/local"):
                self.converge()
        print(self.summary(document), flush=True)
        log(f"total: {time.monotonic() - total:.1f}s")

    def down(self) -> None:
        with phase("remove containers and network"):
            self.remove_containers()
        with phase("stop the moto server"):
            self.stop_moto()
        with phase(f"remove {self.shown(self.state_dir)}"):
            shutil.rmtree(self.state_dir, ignore_errors=True)


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
    bundle = commands.add_parser("user-bundle", help="write a user's PKCS#12 bundle and its password")
    bundle.add_argument("user")
    commands.add_parser("down", help="remove everything the sandbox made")
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
