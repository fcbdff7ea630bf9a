"""AWX's job launch, emulated: a job template's playbook run the way AWX runs it.

AWX cannot run here (it needs Kubernetes). What it does with a launched job can: it syncs the
project, writes the job's credentials into a private data directory, and has ansible-runner run the
playbook in the execution environment's image (process isolation with podman), with the job
template's inventory, extra variables and limit. This module does the same, for the job templates
of ``awx/objects.yml``, against the sandbox:

- the project is a copy of the repository's files (those git knows or would add), as a project
  sync's checkout is;
- the AWS-role credential is injected as AWX injects it: the credential type's injector of
  ``awx/objects.yml`` rendered with the credential's inputs, its file written into the job's private
  data directory and its environment variables set. Its ``credential_source`` is ``EcsContainer``
  here: the identity the job's SDKs assume the role from is that of AWX's execution node (an ECS
  task role, or the instance role with ``Ec2InstanceMetadata``), and in the sandbox a container
  credentials endpoint on loopback stands for it (``ExecutionNodeIdentity``), handing out the
  sandbox administrator's key, which the automation and cert issuer roles trust;
- the SSH credential holds no key, as in AWX: each job makes its own key and login certificate
  (roles/ssh_access) in its private data directory;
- the container shares the machine's network, as AWX's job pods reach the VPC: the moto server,
  the load balancers' loopback addresses and the hosts' podman network.

Not emulated: AWX's own API, users, roles and schedules (awx/configure.yml applies them to a real
AWX; tests/unit/test_awx_objects.py checks them offline against the awx.awx modules' specs).
"""

from __future__ import annotations

import datetime
import fcntl
import http.server
import json
import os
import shutil
import subprocess
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import ansible_runner
import jinja2
import yaml

from sandbox.podman_hosts import HOST_CA_BUNDLE, host_image
from sandbox.settings import OPERATOR_KEY
from sandbox.terraform import tfvars_scalar

ROOT = Path(__file__).resolve().parent.parent
AWX_OBJECTS = ROOT / "awx" / "objects.yml"
# The variables of the sandbox's environment a job also needs: where AWS is, the hosts' view of it
# and the Airflow wheelhouse. Everything else of the job's environment comes from its credentials.
SANDBOX_VARIABLES = ("AWS_ENDPOINT_URL", "AWS_CA_BUNDLE", "AWS_EC2_METADATA_DISABLED", "SANDBOX_HOSTS_AWS_ENDPOINT_URL",
                     "SANDBOX_HOSTS_IMDS_ENDPOINT", "SANDBOX_AIRFLOW_FIND_LINKS")


class JobError(Exception):
    """A job that could not be started (not one whose playbook failed: see ``JobResult.status``)."""


@dataclass
class JobResult:
    template: str
    status: str  # ansible-runner's: successful, failed, timeout, canceled
    rc: int
    stats: dict = field(default_factory=dict)  # ansible's recap: {"changed": {host: n}, "ok": ...}
    stdout: str = ""
    private_data_dir: Path | None = None
    # Each task result that reported a change: host, role, task, and where it ran when delegated.
    changes: list[dict] = field(default_factory=list)

    def changed(self) -> dict[str, int]:
        return {host: count for host, count in (self.stats.get("changed") or {}).items() if count}

    def failed_hosts(self) -> list[str]:
        return sorted({*(self.stats.get("failures") or {}), *(self.stats.get("dark") or {})})


def execution_environment_image() -> str:
    """The execution environment's image, built from execution-environment.yml on the project's
    host image (no registry here) when its build context changed."""
    lock_path = ROOT / ".cache" / "execution-environment.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    # One build at a time: the test tiers run side by side and may both want the image.
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        result = subprocess.run(["bash", str(ROOT / "scripts" / "build-execution-environment.sh")], cwd=ROOT,
                                env=build_environment(host_image()), capture_output=True, text=True, timeout=1800)
    if result.returncode != 0:
        raise JobError(f"the execution environment did not build:\n{result.stderr[-6000:]}")
    return result.stdout.strip().splitlines()[-1]


def build_environment(base_image: str) -> dict[str, str]:
    # The machine's CA bundle holds what pip must trust to reach the package index from here.
    return {**os.environ, "EE_BASE_IMAGE": base_image, "EE_BUILD_CA_BUNDLE": str(HOST_CA_BUNDLE)}


class ExecutionNodeIdentity:
    """The container credentials endpoint of AWX's execution node, emulated: what botocore reads
    through ``AWS_CONTAINER_CREDENTIALS_FULL_URI`` for ``credential_source = EcsContainer``. It
    answers with the sandbox administrator's key on loopback, while the process that launches jobs
    runs."""

    PATH = "/v2/credentials/awx-execution-node"

    def __init__(self):

        # The sandbox account administrator's key (OPERATOR_KEY) is the identity of AWX's execution node here.
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(handler):  # noqa: N802,N805 - http.server's name; the handler's own self
                if handler.path != self.PATH:
                    handler.send_error(404)
                    return
                expiration = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
                payload = json.dumps({"AccessKeyId": OPERATOR_KEY, "SecretAccessKey": OPERATOR_KEY, "Token": "",
                                      "Expiration": expiration.strftime("%Y-%m-%dT%H:%M:%SZ")}).encode()
                handler.send_response(200)
                handler.send_header("Content-Type", "application/json")
                handler.send_header("Content-Length", str(len(payload)))
                handler.end_headers()
                handler.wfile.write(payload)

            def log_message(handler, *args):  # noqa: N805
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True, name="awx-execution-node-identity").start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{self.PATH}"


class _ObjectsLoader(yaml.SafeLoader):
    """YAML as Ansible reads awx/objects.yml: ``!unsafe`` marks data Ansible must not template (the
    injectors, which AWX templates), and is plain data here."""


def _unsafe(loader: yaml.SafeLoader, node: yaml.Node):
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


_ObjectsLoader.add_constructor("!unsafe", _unsafe)


def awx_objects() -> dict:
    return yaml.load(AWX_OBJECTS.read_text(), Loader=_ObjectsLoader)  # noqa: S506 - a SafeLoader


def job_templates(objects: dict, environment: str, account_id: str) -> list[dict]:
    """The job templates awx/configure.yml makes for ``environment``, with every name resolved:
    name, organization, kind (its key), playbook, inventory (the source's path in the project),
    aws_credentials (credential type and inputs) and the launch settings."""
    names = objects["awx_names"]
    inventories = {entry["key"]: entry["source_path"] % environment for entry in objects["awx_inventories"]}
    roles = {entry["key"]: entry["role"] for entry in objects["awx_aws_role_credentials"]}
    region = next((entry["region"] for entry in objects["awx_environments"] if entry["name"] == environment), "eu-west-1")

    def aws_credential(key: str) -> dict:
        return {"name": names[key] % environment, "credential_type": objects["awx_aws_role_credential_type"],
                "inputs": {"role_arn": f"arn:aws:iam::{account_id}:role/{names[roles[key]] % environment}",
                           "region": region}}

    templates = []
    for entry in [*objects["awx_job_templates"], objects["awx_callback_job_template"]]:
        template = {**objects["awx_job_template_defaults"], **entry}
        templates.append({
            **{key: template[key] for key in ("allow_simultaneous", "ask_limit_on_launch", "ask_variables_on_launch")},
            "name": names["job_template"] % (environment, entry["key"]),
            "organization": objects["awx_organization"],
            "kind": entry["key"],
            "playbook": entry["playbook"],
            "inventory": inventories[entry["inventory"]],
            # As configure.yml sets them: the environment's name for plays on the implicit localhost.
            "extra_vars": {"dataplatform_env": environment, **(entry.get("extra_vars") or {})},
            "aws_credentials": [aws_credential(key) for key in entry["credentials"] if key in roles],
            # configure.yml's inventory sources read the groups as the automation role.
            "inventory_credential": aws_credential("automation_credential"),
        })
    return templates


def inject(objects: dict, credential_type: str, inputs: dict, folder: Path, folder_in_job: str) -> dict[str, str]:
    """What AWX does with a credential when a job starts: the credential type's injectors rendered
    with the credential's inputs; each file written into the job's private data directory (mode
    0600), and the environment variables returned, naming the files where they are in the job."""
    (definition,) = [entry for entry in objects["awx_credential_types"] if entry["name"] == credential_type]
    fields = {field["id"]: field.get("default") for field in definition["inputs"]["fields"]}
    values = {**fields, **inputs}
    renderer = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)  # noqa: S701 - not HTML
    filenames = {}
    for key, template in (definition["injectors"].get("file") or {}).items():
        name = key.split(".", 1)[1]
        path = folder / f"{credential_type.lower().replace(' ', '-')}-{name}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(renderer.from_string(template).render(**values))
        filenames[name] = f"{folder_in_job}/{path.name}"
    context = {**values, "tower": {"filename": filenames}}
    return {name: renderer.from_string(str(template)).render(**context)
            for name, template in (definition["injectors"].get("env") or {}).items()}


class AwxJobs:
    """The job templates of one environment in ``awx/objects.yml``, launched as AWX launches them."""

    def __init__(self, sandbox, image: str, environment: str = "local"):
        self.sandbox = sandbox
        self.image = image
        self.environment = environment
        self.objects = awx_objects()
        self.jobs_dir = sandbox.state_dir / "awx" / "jobs"
        self.identity = ExecutionNodeIdentity()

    # --- the objects of awx/objects.yml ------------------------------------------------------

    def templates(self) -> list[dict]:
        """The job templates of this environment, as awx/configure.yml makes them."""
        return job_templates(self.objects, self.environment, self.account_id())

    def template(self, kind: str) -> dict:
        """The job template of ``kind`` (a key of awx_job_templates: site, nifi, ...)."""
        for template in self.templates():
            if template["kind"] == kind:
                return template
        raise JobError(f"awx/objects.yml has no job template {kind!r}")

    def account_id(self) -> str:
        return tfvars_scalar(self.environment, "account_id")

    # --- a job -----------------------------------------------------------------------------

    def sync_project(self, destination: Path) -> None:
        """The repository's files as a project sync checks them out: tracked and not ignored."""
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                                capture_output=True, check=True).stdout.decode().split("\0")
        for name in filter(None, listed):
            source = ROOT / name
            if source.is_file():
                target = destination / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)

    def isolation(self) -> dict:
        """ansible-runner's settings for a run in the execution environment, as AWX's."""
        state_dir = str(self.sandbox.state_dir)
        return {
            "process_isolation": True,
            "process_isolation_executable": "podman",
            "container_image": self.image,
            # The machine's network (the job pods' VPC); root in the container because the sandbox's
            # podman runs as root and the private data directory is root's.
            "container_options": ["--network=host", "--user=0"],
            # The sandbox's TLS bundle (AWS_CA_BUNDLE) at the path the environment names.
            "container_volume_mounts": [f"{state_dir}:{state_dir}:ro"],
        }

    def update_inventory(self, template: dict, private_data_dir: Path, environment: dict[str, str]) -> None:
        """AWX's inventory update before a job: the inventory source (its file in the project, with
        the group_vars beside it) read by ansible-inventory in the execution environment, with the
        source's credential (the automation role's), into the job's static inventory."""
        source_environment = dict(environment)
        automation = template["inventory_credential"]
        source_environment.update(inject(self.objects, automation["credential_type"],
                                         {**automation["inputs"], "credential_source": "EcsContainer"},
                                         private_data_dir / "env" / "inventory-update", "/runner/env/inventory-update"))
        inventory_dir = private_data_dir / "inventory"
        inventory_dir.mkdir(exist_ok=True)
        output, error, rc = ansible_runner.run_command(
            executable_cmd="ansible-inventory",
            cmdline_args=["-i", template["inventory"], "--list", "--yaml", "--export", "--output", "/runner/inventory/hosts.yml"],
            private_data_dir=str(private_data_dir), project_dir=str(private_data_dir / "project"),
            container_workdir="/runner/project", envvars=source_environment, ident="inventory-update",
            quiet=True, **self.isolation())
        if rc != 0 or not (inventory_dir / "hosts.yml").exists():
            raise JobError(f"the inventory update of {template['inventory']} failed (rc {rc}):\n{output[-4000:]}{error[-2000:]}")

    def launch(self, kind: str, *, limit: str | None = None, extra_vars: dict | None = None,
               check: bool = False, diff: bool = False, timeout: float = 1800) -> JobResult:
        template = self.template(kind)
        job_id = f"{kind}-{uuid.uuid4().hex[:8]}"
        private_data_dir = self.jobs_dir / job_id
        (private_data_dir / "project").mkdir(parents=True)
        (private_data_dir / "artifacts").mkdir()
        self.sync_project(private_data_dir / "project")

        environment = {name: value for name, value in self.sandbox.environment().items() if name in SANDBOX_VARIABLES}
        environment.update(AWS_CONTAINER_CREDENTIALS_FULL_URI=self.identity.url, DATAPLATFORM_SSH_DIR="/runner/ssh")
        for credential in template["aws_credentials"]:
            inputs = {**credential["inputs"], "credential_source": "EcsContainer"}
            environment.update(inject(self.objects, credential["credential_type"], inputs,
                                      private_data_dir / "env", "/runner/env"))

        self.update_inventory(template, private_data_dir, environment)
        cmdline = [*(["--check"] if check else []), *(["--diff"] if diff else [])]
        result = ansible_runner.run(
            private_data_dir=str(private_data_dir),
            ident="job",
            playbook=template["playbook"],
            limit=limit,
            extravars={**template.get("extra_vars", {}), **(extra_vars or {})},
            envvars=environment,
            cmdline=" ".join(cmdline) or None,
            **self.isolation(),
            quiet=True,
            timeout=timeout,
        )
        stdout = result.stdout.read() if result.stdout else ""
        (private_data_dir / "stdout.txt").write_text(stdout)
        return JobResult(template=template["name"], status=result.status, rc=result.rc, stats=result.stats or {},
                         stdout=stdout, private_data_dir=private_data_dir, changes=reported_changes(result.events))


def reported_changes(events) -> list[dict]:
    """The task results of a run's events that reported a change."""
    changes = []
    for event in events:
        data = event.get("event_data") or {}
        result = data.get("res") or {}
        # A loop's items have events of their own (runner_item_on_ok); its task's one result covers them.
        if event.get("event") == "runner_on_ok" and result.get("changed"):
            changes.append({"host": data.get("host"), "role": data.get("role", ""), "task": data.get("task", ""),
                            "delegated_to": (result.get("_ansible_delegated_vars") or {}).get("ansible_host")})
    return changes

