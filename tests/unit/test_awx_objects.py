"""The AWX objects as code (awx/configure.yml with the data of awx/objects.yml), checked offline.

AWX cannot run here, so every awx.awx task is rendered the way ansible-playbook renders it (Ansible's
own Templar, per loop item, with omitted parameters dropped) and checked against the module's own
argument spec: the awx.awx modules build ``argument_spec`` in ``main()`` and hand it to
``ControllerAPIModule``; the test imports each module file, swaps that class for one that raises
with the spec (plus the controller options of ``AUTH_ARGSPEC``) and runs ``main()``. So the checks
read the installed collection's real specs, not a copy. The rendered objects are then checked
against each other (every name a template, schedule or role refers to is defined, and earlier in
the playbook), against the repository (playbooks, inventory sources, Terraform's account ids and
role names, the host config key secret), and the credential type's injector is rendered as AWX
would and parsed by botocore.
"""

from __future__ import annotations

import configparser
import copy
import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import botocore.exceptions
import botocore.session
import jinja2
import jinja2.meta
import jinja2.sandbox
import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template
from dateutil.rrule import rrulestr

from tests.conftest import REPO_ROOT

AWX_DIR = REPO_ROOT / "awx"
PLAYBOOK = AWX_DIR / "configure.yml"
OBJECTS = AWX_DIR / "objects.yml"
ENVIRONMENTS = ("dev", "ppd", "prod")

# Stand-ins for the caller's secrets.yml: the tasks that use them must render, and must not log them.
SAMPLE_SECRETS = {
    "awx_host_config_keys": {env: f"sample-host-config-key-{env}" for env in ENVIRONMENTS},
    "awx_launcher_user_passwords": {user: {env: f"sample-password-{user}-{env}" for env in ENVIRONMENTS}
                                    for user in ("lifecycle_user", "pipeline_user")},
}
SECRET_VARIABLES = tuple(SAMPLE_SECRETS)

# Credential types AWX ships (managed), which objects.yml may use without defining them, with the
# input fields the playbook may set.
AWX_MANAGED_CREDENTIAL_TYPES = {
    "Machine": {"username", "password", "ssh_key_data", "ssh_public_key_data", "ssh_key_unlock",
                "become_method", "become_username", "become_password"},
}


# --- The modules' own argument specs ---------------------------------------------------------

class _ArgumentSpec(Exception):
    def __init__(self, argument_spec, options):
        super().__init__("argument spec captured")
        self.argument_spec = argument_spec
        self.options = options


def _controller_module_stand_in(auth_argspec):
    class ControllerAPIModuleStandIn:
        def __init__(self, argument_spec=None, **options):
            spec = dict(auth_argspec)
            spec.update(argument_spec or {})
            raise _ArgumentSpec(spec, options)

    return ControllerAPIModuleStandIn


def module_spec(fqcn: str):
    """The argument spec (and AnsibleModule options such as mutually_exclusive) of an awx.awx module."""
    namespace, collection, name = fqcn.split(".")
    assert (namespace, collection) == ("awx", "awx"), fqcn
    controller_api = importlib.import_module("ansible_collections.awx.awx.plugins.module_utils.controller_api")
    module = importlib.import_module(f"ansible_collections.awx.awx.plugins.modules.{name}")
    original = module.ControllerAPIModule
    module.ControllerAPIModule = _controller_module_stand_in(controller_api.ControllerModule.AUTH_ARGSPEC)
    try:
        module.main()
    except _ArgumentSpec as captured:
        return captured.argument_spec, captured.options
    finally:
        module.ControllerAPIModule = original
    raise AssertionError(f"{fqcn}: main() never built a ControllerAPIModule")


# --- The playbook, rendered as ansible-playbook would -----------------------------------------

LOADER = DataLoader()
PLAY = LOADER.load_from_file(str(PLAYBOOK), trusted_as_template=True)[0]
OBJECT_VARS = LOADER.load_from_file(str(OBJECTS), trusted_as_template=True)


# What the playbook's include_vars task reads before the awx.awx tasks.
EE_DEFINITION = yaml.safe_load((REPO_ROOT / "execution-environment.yml").read_text())


def _variables(**extra):
    variables = {"awx_execution_environment_definition": EE_DEFINITION, **OBJECT_VARS}
    variables.update(copy.deepcopy(SAMPLE_SECRETS))
    variables.update(extra)
    return variables


def _render(value, **extra):
    return Templar(loader=LOADER, variables=_variables(**extra)).template(value)


def _module_of(task):
    names = [key for key in task if isinstance(key, str) and key.startswith("awx.awx.")]
    return names[0] if names else None


def _awx_tasks():
    return [(index, task) for index, task in enumerate(PLAY["tasks"]) if _module_of(task)]


def _render_task(task):
    """[(item, parameters)] for every loop item the task runs for (its `when` applied)."""
    items = _render(task["loop"]) if "loop" in task else [None]
    rendered = []
    for item in items:
        extra = {} if item is None else {"item": item}
        when = task.get("when")
        if when is not None and not _render(trust_as_template("{{ (" + str(when) + ") | bool }}"), **extra):
            continue
        rendered.append((item, _render(task[_module_of(task)], **extra)))
    return rendered


RENDERED = [(index, task, _module_of(task), _render_task(task)) for index, task in _awx_tasks()]


def objects(module: str):
    """Every rendered parameter set of one module, with the index of the task that applies it."""
    return [(index, params) for index, _task, fqcn, runs in RENDERED if fqcn == f"awx.awx.{module}"
            for _item, params in runs]


def names(module: str, key: str = "name"):
    return {params[key]: index for index, params in objects(module)}


# --- Every task against its module's spec ----------------------------------------------------

_PYTHON_TYPES = {"str": str, "bool": bool, "int": int, "float": (int, float), "dict": dict, "list": list, "path": str}


def _check_type(where, option, spec, value):
    kind = spec.get("type", "str")
    if kind == "raw":
        return
    assert isinstance(value, _PYTHON_TYPES[kind]) and not (kind in ("int", "float") and isinstance(value, bool)), (
        f"{where}: {option} should be {kind}, is {type(value).__name__} {value!r}")
    if kind == "list" and "elements" in spec:
        for element in value:
            _check_type(where, f"{option}[]", {"type": spec["elements"]}, element)


def test_the_playbook_applies_objects_with_awx_awx_modules_only():
    modules = [fqcn for _index, _task, fqcn, _runs in RENDERED]
    assert len(modules) >= 10, modules
    for task in PLAY["tasks"]:
        module = next(key for key in task if key not in {
            "name", "loop", "loop_control", "when", "no_log", "vars", "register", "tags"})
        assert module.startswith(("awx.awx.", "ansible.builtin.")), module
    assert PLAY["hosts"] == "localhost" and PLAY["connection"] == "local" and PLAY["gather_facts"] is False
    assert PLAY["vars_files"] == ["objects.yml"]


@pytest.mark.parametrize("index", [index for index, *_ in RENDERED], ids=[task["name"] for _, task, *_ in RENDERED])
def test_every_parameter_is_in_the_modules_spec_with_a_valid_value(index):
    _index, task, fqcn, runs = next(entry for entry in RENDERED if entry[0] == index)
    spec, options = module_spec(fqcn)
    accepted = {}
    for option, option_spec in spec.items():
        accepted[option] = option
        for alias in option_spec.get("aliases", []):
            accepted[alias] = option
    assert runs, f"{task['name']}: renders no object"
    for item, params in runs:
        where = f"{task['name']} ({params.get('name', params.get('username', item))})"
        unknown = set(params) - set(accepted)
        assert not unknown, f"{where}: {sorted(unknown)} not options of {fqcn}"
        missing = [option for option, option_spec in spec.items()
                   if option_spec.get("required") and option not in params]
        assert not missing, f"{where}: required {missing} missing"
        for key, value in params.items():
            option_spec = spec[accepted[key]]
            _check_type(where, key, option_spec, value)
            if "choices" in option_spec:
                assert value in option_spec["choices"], f"{where}: {key}={value!r} not in {option_spec['choices']}"
        for group in options.get("mutually_exclusive", []):
            assert len([option for option in group if option in params]) <= 1, f"{where}: {group} are exclusive"
        assert params.get("state", "present") == "present", where


def test_the_module_specs_are_read_from_the_installed_collection():
    # A spec the stand-in could not have made up: the job template's callback and launch options.
    spec, _options = module_spec("awx.awx.job_template")
    assert {"host_config_key", "ask_limit_on_launch", "execution_environment"} <= set(spec)
    assert spec["controller_oauthtoken"]["no_log"] is True  # AUTH_ARGSPEC of module_utils


def _strings(value):
    if isinstance(value, dict):
        return [text for key, item in value.items() for text in (str(key), *_strings(item))]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return [str(value)]


def test_tasks_that_carry_secrets_do_not_log():
    for _index, task, _fqcn, _runs in RENDERED:
        text = " ".join(_strings(task[_module_of(task)]))
        if any(variable in text for variable in SECRET_VARIABLES):
            assert task.get("no_log") is True, task["name"]
    # And the secrets are nowhere in the repository's data.
    for path in (PLAYBOOK, OBJECTS):
        assert "sample-" not in path.read_text()


# --- The objects against each other and against the repository -------------------------------

def test_every_environment_and_its_account_comes_from_terraform():
    environments = {env["name"]: env for env in OBJECT_VARS["awx_environments"]}
    assert set(environments) == set(ENVIRONMENTS)
    for name, env in environments.items():
        tfvars = (REPO_ROOT / "terraform" / "environments" / name / "terraform.tfvars").read_text()
        assert re.search(r'^account_id\s*=\s*"([0-9]+)"', tfvars, re.MULTILINE).group(1) == env["account_id"], name
        region = re.search(r'^region\s*=\s*"([^"]+)"', tfvars, re.MULTILINE).group(1)
        assert env["region"] == region == "eu-west-1", name


def test_the_credentials_assume_the_roles_terraform_makes():
    iam = (REPO_ROOT / "terraform" / "modules" / "iam" / "main.tf").read_text()
    assert 'name       = "dataplatform-${var.environment}"' in iam
    role_names = set(re.findall(r'name\s*=\s*"\$\{local\.name\}-([a-z-]+)"', iam))
    credentials = {params["name"]: params for _index, params in objects("credential")}
    for env in OBJECT_VARS["awx_environments"]:
        account, name = env["account_id"], env["name"]
        automation = credentials[f"dataplatform-{name}-automation"]["inputs"]
        issuer = credentials[f"dataplatform-{name}-cert-issuer"]["inputs"]
        assert automation["role_arn"] == f"arn:aws:iam::{account}:role/dataplatform-{name}-automation"
        assert issuer["role_arn"] == f"arn:aws:iam::{account}:role/dataplatform-{name}-cert-issuer"
        assert {"automation", "cert-issuer"} <= role_names
        assert automation["region"] == issuer["region"] == env["region"]
        ssh = credentials[f"dataplatform-{name}-ssh"]
        # No key: each job signs its own short-lived certificate (ssh-access.yml).
        assert ssh["credential_type"] == "Machine" and ssh["inputs"] == {"username": "dataplatform"}


def test_the_ssh_login_name_is_the_inventories():
    for env in ENVIRONMENTS:
        group_vars = yaml.safe_load((REPO_ROOT / "inventories" / env / "group_vars" / "all.yml").read_text())
        assert group_vars["ansible_user"] == OBJECT_VARS["awx_ssh_username"]


def test_every_credential_fits_its_credential_type():
    types = {params["name"]: params for _index, params in objects("credential_type")}
    for index, params in objects("credential"):
        type_name = params["credential_type"]
        if type_name in AWX_MANAGED_CREDENTIAL_TYPES:
            assert set(params["inputs"]) <= AWX_MANAGED_CREDENTIAL_TYPES[type_name], params["name"]
            continue
        assert names("credential_type")[type_name] < index, f"{params['name']}: its type comes later"
        fields = {field["id"]: field for field in types[type_name]["inputs"]["fields"]}
        assert set(params["inputs"]) <= set(fields), params["name"]
        assert set(types[type_name]["inputs"]["required"]) <= set(params["inputs"]), params["name"]
        for key, value in params["inputs"].items():
            if "choices" in fields[key]:
                assert value in fields[key]["choices"], (params["name"], key, value)


def _defined_before(module, name, index, what):
    defined = names(module, "username" if module == "user" else "name")
    assert name in defined, f"{what}: {module} {name!r} is not defined"
    assert defined[name] < index, f"{what}: {module} {name!r} is applied later"


def test_references_between_objects_are_defined_and_applied_first():
    organization = OBJECT_VARS["awx_organization"]
    for module in ("execution_environment", "project", "credential", "inventory", "inventory_source",
                   "job_template", "schedule"):
        for index, params in objects(module):
            _defined_before("organization", params["organization"], index, params["name"])
            assert params["organization"] == organization
    for index, params in objects("project"):
        _defined_before("execution_environment", params["default_environment"], index, params["name"])
    for index, params in objects("inventory_source"):
        _defined_before("inventory", params["inventory"], index, params["name"])
        _defined_before("project", params["source_project"], index, params["name"])
        _defined_before("credential", params["credential"], index, params["name"])
        _defined_before("execution_environment", params["execution_environment"], index, params["name"])
    credential_types = {params["name"]: params["credential_type"] for _index, params in objects("credential")}
    for index, params in objects("job_template"):
        _defined_before("project", params["project"], index, params["name"])
        _defined_before("inventory", params["inventory"], index, params["name"])
        _defined_before("execution_environment", params["execution_environment"], index, params["name"])
        for credential in params["credentials"]:
            _defined_before("credential", credential, index, params["name"])
        # AWX attaches at most one credential of each type to a template.
        kinds = [credential_types[credential] for credential in params["credentials"]]
        assert len(kinds) == len(set(kinds)), (params["name"], kinds)
    for index, params in objects("schedule"):
        _defined_before("job_template", params["unified_job_template"], index, params["name"])
    for index, params in objects("role"):
        _defined_before("user", params["user"], index, str(params))
        _defined_before("job_template", params["job_template"], index, str(params))


def test_every_playbook_and_inventory_source_is_in_the_repository():
    for _index, params in objects("job_template"):
        assert (REPO_ROOT / params["playbook"]).is_file(), params["name"]
    for _index, params in objects("inventory_source"):
        path = REPO_ROOT / params["source_path"]
        assert path.is_file(), params["name"]
        assert yaml.safe_load(path.read_text())["plugin"] == "dataplatform.ops.aws_asg", path
        assert params["source"] == "scm" and params["overwrite"] is True and params["update_on_launch"] is True


def test_each_environment_has_its_inventories_and_templates():
    templates = {params["name"]: params for _index, params in objects("job_template")}
    sources = {params["inventory"]: params["source_path"] for _index, params in objects("inventory_source")}
    for env in ENVIRONMENTS:
        assert sources[f"dataplatform-{env}"] == f"inventories/{env}/aws_asg.yml"
        assert sources[f"dataplatform-{env}-terminating"] == f"inventories/terminating/{env}.aws_asg.yml"
        expected = {
            "site": "site.yml", "nifi": "ansible/playbooks/nifi.yml", "airflow": "ansible/playbooks/airflow.yml",
            "user-certificates": "ansible/playbooks/user-certs.yml",
            "node-certificates": "ansible/playbooks/node-certificates.yml",
            "nifi-decommission": "ansible/playbooks/nifi-decommission.yml", "callback": "site.yml",
        }
        for key, playbook in expected.items():
            template = templates[f"dataplatform-{env}-{key}"]
            assert template["playbook"] == playbook
            assert template["become_enabled"] is False
            assert template["extra_vars"]["dataplatform_env"] == env
            if key == "user-certificates":
                assert template["credentials"] == [f"dataplatform-{env}-cert-issuer"]
            else:
                assert template["credentials"] == [f"dataplatform-{env}-automation", f"dataplatform-{env}-ssh"]
            inventory = f"dataplatform-{env}-terminating" if key == "nifi-decommission" else f"dataplatform-{env}"
            assert template["inventory"] == inventory, key
        decommission = templates[f"dataplatform-{env}-nifi-decommission"]
        assert decommission["ask_limit_on_launch"] and not decommission["ask_variables_on_launch"]
        assert decommission["allow_simultaneous"] is False
        callback = templates[f"dataplatform-{env}-callback"]
        assert callback["host_config_key"] == SAMPLE_SECRETS["awx_host_config_keys"][env]


def test_templates_launched_from_outside_have_url_safe_names():
    for _index, params in objects("job_template"):
        assert re.fullmatch(r"[A-Za-z0-9._-]+", params["name"]), params["name"]
    for _index, params in objects("user"):
        assert re.fullmatch(r"[A-Za-z0-9._-]+", params["username"]), params["username"]


def test_the_launcher_users_may_only_launch_their_one_template():
    roles = [params for _index, params in objects("role")]
    assert {(role["user"], role["role"], role["job_template"]) for role in roles} == {
        (f"dataplatform-{env}-{user}", "execute", f"dataplatform-{env}-{template}") for env in ENVIRONMENTS
        for user, template in (("lifecycle-events", "nifi-decommission"), ("certificate-pipeline", "nifi-users"))}
    for _index, params in objects("user"):
        assert params["update_secrets"] is False and not params.get("is_superuser")


def test_every_schedule_parses_and_runs_daily():
    schedules = [params for _index, params in objects("schedule")]
    assert {params["unified_job_template"] for params in schedules} == {
        f"dataplatform-{env}-{key}" for env in ENVIRONMENTS for key in ("node-certificates", "user-certificates")}
    for params in schedules:
        # AWX's rrule form: DTSTART and RRULE separated by a space, in UTC.
        rule = rrulestr(params["rrule"].replace(" RRULE:", "\nRRULE:"))
        first, second = rule[0], rule[1]
        assert (second - first).total_seconds() == 86400, params["name"]
        assert first.tzinfo is not None and first.utcoffset().total_seconds() == 0, params["name"]


def test_the_host_config_key_secret_is_the_one_the_hosts_read():
    asg_hosts = (REPO_ROOT / "terraform" / "modules" / "asg-hosts" / "main.tf").read_text()
    secret = re.search(
        r'awx_host_config_key_secret = "(dataplatform/\$\{var\.environment\}/\$\{var\.role\}/[^"]+)"', asg_hosts)
    assert secret, "asg-hosts no longer names the host config key secret"
    readme = (AWX_DIR / "README.md").read_text()
    documented = secret.group(1).replace("${var.environment}", "<env>").replace("${var.role}", "<role>")
    assert documented in readme
    # Where the callback URL goes: the environments' variables that feed asg-hosts' awx_callback_url.
    variables = (REPO_ROOT / "terraform" / "platform" / "variables.tf").read_text()
    for role in ("nifi", "airflow"):
        assert f'variable "{role}_awx_callback_url"' in variables
        assert f"`{role}_awx_callback_url`" in readme
    assert "/api/v2/job_templates/<id>/callback/" in readme


def test_the_node_certificates_playbook_converges_nifi_and_airflow():
    plays = yaml.safe_load((REPO_ROOT / "ansible" / "playbooks" / "node-certificates.yml").read_text())
    assert [play["ansible.builtin.import_playbook"] for play in plays] == ["nifi.yml", "airflow.yml"]


# --- The credential type's injectors, rendered as AWX renders them -----------------------------

def _aws_role_type():
    return next(params for _index, params in objects("credential_type")
                if params["name"] == OBJECT_VARS["awx_aws_role_credential_type"])


def _inject(injectors, inputs, directory: Path):
    """Files and environment of a job, as AWX makes them from a credential (its sandboxed Jinja)."""
    environment = jinja2.sandbox.ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined)
    filenames = {}
    for key, template in injectors.get("file", {}).items():
        name = key.split(".", 1)[1]
        path = directory / f"{name}.cfg"
        path.write_text(environment.from_string(template).render(**inputs))
        filenames[name] = str(path)
    tower = {"filename": filenames}
    env = {key: environment.from_string(value).render(tower=tower, **inputs) for key, value in injectors["env"].items()}
    return filenames, env


def test_the_injectors_reach_ansible_unrendered():
    injectors = _aws_role_type()["injectors"]
    assert "{{ role_arn }}" in injectors["file"]["template.aws_config"]
    assert injectors["env"]["AWS_CONFIG_FILE"] == "{{ tower.filename.aws_config }}"


def test_the_injector_templates_use_only_the_types_inputs():
    credential_type = _aws_role_type()
    inputs = {field["id"] for field in credential_type["inputs"]["fields"]}
    parser = jinja2.Environment()
    templates = list(credential_type["injectors"]["file"].values()) + list(credential_type["injectors"]["env"].values())
    for template in templates:
        assert jinja2.meta.find_undeclared_variables(parser.parse(template)) <= inputs | {"tower"}, template


@pytest.mark.parametrize("source", ["Ec2InstanceMetadata", "EcsContainer", "Environment"])
def test_the_injected_aws_config_is_a_role_profile_botocore_accepts(tmp_path, monkeypatch, source):
    credential_type = _aws_role_type()
    source_field = next(field for field in credential_type["inputs"]["fields"] if field["id"] == "credential_source")
    assert source in source_field["choices"]
    inputs = {"role_arn": "arn:aws:iam::111111111111:role/dataplatform-dev-automation",
              "credential_source": source, "region": "eu-west-1"}
    filenames, env = _inject(credential_type["injectors"], inputs, tmp_path)

    config = configparser.ConfigParser()
    config.read(env["AWS_CONFIG_FILE"])
    profile = config[f"profile {env['AWS_PROFILE']}"]
    assert profile["role_arn"] == inputs["role_arn"] and profile["credential_source"] == source
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert env["AWS_CONFIG_FILE"] == filenames["aws_config"]

    # botocore itself: the profile is an assume-role profile with a source it knows. Nothing is
    # called: the role is assumed on first use, and the instance metadata service is disabled for
    # the tests (tests/conftest.py), so those sources find no identity here.
    monkeypatch.setenv("AWS_CONFIG_FILE", env["AWS_CONFIG_FILE"])
    session = botocore.session.Session(profile=env["AWS_PROFILE"])
    assert session.get_scoped_config()["role_arn"] == inputs["role_arn"]
    try:
        credentials = session.get_credentials()
    except botocore.exceptions.CredentialRetrievalError as error:
        assert source != "Environment" and "credential_source" in str(error), error
    else:
        assert source == "Environment" and credentials.method == "assume-role"


# --- ansible-playbook itself ------------------------------------------------------------------

def test_ansible_playbook_accepts_the_playbook():
    bin_dir = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
               ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg"), ANSIBLE_COLLECTIONS_PATH=str(REPO_ROOT / "collections"))
    result = subprocess.run([str(bin_dir / "ansible-playbook"), "awx/configure.yml", "--syntax-check"],
                            cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
