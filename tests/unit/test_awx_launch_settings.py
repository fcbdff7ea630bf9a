"""What a person (or EventBridge, or the certificate pipeline) may choose when launching an AWX job
template, where the job runs, and which image it runs in: awx/configure.yml rendered with the data of
awx/objects.yml, as tests/unit/test_awx_objects.py renders it, and the AWX stand-in's reading of
the same data (sandbox/awx_jobs.py).

- No template takes variables on launch: extra vars outrank the inventory's and the roles' own, so
  whoever may launch a converge could otherwise pass nifi_authorized_users or nifi_roles and make
  any DN an admin past the review of the requests. A template may ask for a limit and a job type
  (check mode); everything else is a survey question on the allow-list next to this file, with a
  fixed list of answers.
- Each environment's jobs and inventory updates run on its own instance group, whose execution
  nodes are in the account's VPC, with no fallback to another group.
- The execution environment's image is pinned: the version execution-environment.yml gives it.
"""

from __future__ import annotations

import re

import pytest
import yaml

from tests.conftest import REPO_ROOT
from tests.unit.test_awx_objects import ENVIRONMENTS, OBJECT_VARS, module_spec, objects

ALLOW_LIST_FILE = REPO_ROOT / "tests" / "unit" / "awx_survey_allow_list.yml"
ALLOW_LIST = yaml.safe_load(ALLOW_LIST_FILE.read_text())

# What a launch may choose besides survey answers.
ALLOWED_PROMPTS = {"ask_limit_on_launch", "ask_job_type_on_launch"}

# Variables that decide who may do what, whatever the allow-list says.
AUTHORIZATION_VARIABLE = re.compile(
    r"(^nifi_authorized_users$|^nifi_roles$|_authorized_|_policies$|_policy(_file)?$|^cert_requests|_identity$|"
    r"_identities$|^pca_arn$|codeowners)")

TEMPLATES = [params for _index, params in objects("job_template")]


def template_env(params: dict) -> str:
    return params["extra_vars"]["dataplatform_env"]


# --- Launch-time choices -----------------------------------------------------------------------

def test_every_environment_has_its_templates_rendered():
    assert {template_env(params) for params in TEMPLATES} == set(ENVIRONMENTS)
    assert len(TEMPLATES) == len(ENVIRONMENTS) * (len(OBJECT_VARS["awx_job_templates"]) + 1)  # + callback


@pytest.mark.parametrize("params", TEMPLATES, ids=[params["name"] for params in TEMPLATES])
def test_no_template_asks_for_variables_on_launch(params):
    assert params["ask_variables_on_launch"] is False, params["name"]


@pytest.mark.parametrize("params", TEMPLATES, ids=[params["name"] for params in TEMPLATES])
def test_every_launch_prompt_is_set_and_only_limit_and_job_type_may_be_asked(params):
    spec, _options = module_spec("awx.awx.job_template")
    prompts = {option for option in spec if option.startswith("ask_") and option.endswith("_on_launch")}
    assert len(prompts) >= 15, prompts
    # Set explicitly, so a prompt switched on by hand in AWX is switched off by the next run.
    assert prompts <= set(params), (params["name"], sorted(prompts - set(params)))
    asked = {option for option in prompts if params[option] is True}
    assert asked <= ALLOWED_PROMPTS, (params["name"], sorted(asked - ALLOWED_PROMPTS))
    assert all(params[option] is False for option in prompts - asked), params["name"]


def test_templates_launched_from_outside_ask_only_what_their_launcher_sends():
    by_name = {params["name"]: params for params in TEMPLATES}
    for env in ENVIRONMENTS:
        # The certificate pipeline launches with nothing: users come from the reviewed requests.
        users = by_name[f"dataplatform-{env}-nifi-users"]
        assert not users["ask_limit_on_launch"] and not users["survey_enabled"]
        # EventBridge sends {"limit": "<instance id>"}.
        assert by_name[f"dataplatform-{env}-nifi-decommission"]["ask_limit_on_launch"] is True
        # A callback is limited to the calling host by AWX itself.
        callback = by_name[f"dataplatform-{env}-callback"]
        assert not callback["ask_limit_on_launch"] and not callback["ask_job_type_on_launch"]
        assert not callback["survey_enabled"]


def test_the_project_branch_cannot_be_overridden_at_launch():
    (project,) = [params for _index, params in objects("project")]
    assert project["allow_override"] is False


# --- Surveys -----------------------------------------------------------------------------------

def test_the_allow_list_names_no_authorization_variable():
    assert ALLOW_LIST and isinstance(ALLOW_LIST, dict)
    for variable, answers in ALLOW_LIST.items():
        assert not AUTHORIZATION_VARIABLE.search(variable), f"{ALLOW_LIST_FILE}: {variable} decides who may do what"
        assert answers and all(isinstance(answer, str) for answer in answers), f"{ALLOW_LIST_FILE}: {variable}"


@pytest.mark.parametrize("params", TEMPLATES, ids=[params["name"] for params in TEMPLATES])
def test_every_survey_question_sets_an_allowed_variable_from_a_fixed_list(params):
    if not params["survey_enabled"]:
        # An empty spec removes a survey added by hand.
        assert params["survey_spec"] == {}, params["name"]
        return
    survey = params["survey_spec"]
    assert survey["name"] == params["name"] and survey["description"]
    assert survey["spec"], params["name"]
    variables = [question["variable"] for question in survey["spec"]]
    assert len(variables) == len(set(variables)), params["name"]
    for question in survey["spec"]:
        where = f"{params['name']}: survey question {question.get('variable')!r}"
        assert question["variable"] in ALLOW_LIST, f"{where} is not on the allow-list ({ALLOW_LIST_FILE})"
        assert not AUTHORIZATION_VARIABLE.search(question["variable"]), where
        # No free text: a multiple choice among allowed answers, with a default among them.
        assert question["type"] == "multiplechoice", where
        assert question["choices"] and set(question["choices"]) <= set(ALLOW_LIST[question["variable"]]), where
        assert question["default"] in question["choices"], where
        # Schedules and API launches send no answer: they get the default.
        assert question["required"] is False, where
        assert question["question_name"] and question["question_description"], where


@pytest.mark.parametrize("params", [params for params in TEMPLATES if params["survey_enabled"]],
                         ids=[params["name"] for params in TEMPLATES if params["survey_enabled"]])
def test_every_survey_variable_is_read_by_the_templates_playbook(params):
    playbook = (REPO_ROOT / params["playbook"]).read_text()
    for question in params["survey_spec"]["spec"]:
        assert question["variable"] in playbook, (params["name"], question["variable"], params["playbook"])


@pytest.mark.parametrize("params", TEMPLATES, ids=[params["name"] for params in TEMPLATES])
def test_the_templates_own_extra_vars_set_no_authorization_variable(params):
    assert set(params["extra_vars"]) <= {"dataplatform_env"} | set(ALLOW_LIST), params["name"]


def test_the_awx_stand_in_reads_the_same_launch_settings():
    """The sandbox's AWX stand-in accepts extra vars only where a template asks for them."""
    from sandbox.awx_jobs import awx_objects, job_templates

    for env in ("local", *ENVIRONMENTS):
        for template in job_templates(awx_objects(), env, "000000000000"):
            assert template["ask_variables_on_launch"] is False, template["name"]


# --- Where jobs run ----------------------------------------------------------------------------

def _instance_groups():
    return {params["name"]: params for _index, params in objects("instance_group")}


def test_each_environment_has_an_instance_group_of_its_own_execution_nodes():
    groups = _instance_groups()
    nodes = {params["hostname"]: params for _index, params in objects("instance")}
    seen = {}
    for env in OBJECT_VARS["awx_environments"]:
        group = groups[f"dataplatform-{env['name']}"]
        assert env["execution_nodes"], env["name"]
        assert group["instances"] == env["execution_nodes"]
        assert group["is_container_group"] is False
        # Only the nodes named: no policy adds another environment's (or AWX's own) instances.
        assert group["policy_instance_percentage"] == 0 and group["policy_instance_minimum"] == 0
        for hostname in env["execution_nodes"]:
            assert hostname not in seen, f"{hostname} is in {seen.get(hostname)} and {env['name']}"
            seen[hostname] = env["name"]
            node = nodes[hostname]
            assert node["node_type"] == "execution" and node["enabled"] is True
            # Not in any group by policy, the default group's included.
            assert node["managed_by_policy"] is False
            assert node["listener_port"] == OBJECT_VARS["awx_execution_node_listener_port"]
    assert set(groups) == {f"dataplatform-{name}" for name in ENVIRONMENTS}


def _applied_before(module, key, name, index):
    applied = {params[key]: position for position, params in objects(module)}
    assert name in applied, f"{module} {name} is not defined"
    assert applied[name] < index, f"{module} {name} is applied after it is used"


@pytest.mark.parametrize("params", TEMPLATES, ids=[params["name"] for params in TEMPLATES])
def test_every_template_runs_on_its_environments_instance_group_only(params):
    group = f"dataplatform-{template_env(params)}"
    assert params["instance_groups"] == [group], params["name"]
    assert params["prevent_instance_group_fallback"] is True, params["name"]
    index = next(position for position, rendered in objects("job_template") if rendered["name"] == params["name"])
    _applied_before("instance_group", "name", group, index)


def test_every_inventory_updates_on_its_environments_instance_group_only():
    inventories = objects("inventory")
    assert len(inventories) == len(ENVIRONMENTS) * len(OBJECT_VARS["awx_inventories"])
    for index, params in inventories:
        env = re.fullmatch(r"dataplatform-([a-z]+)(?:-terminating)?", params["name"]).group(1)
        assert params["instance_groups"] == [f"dataplatform-{env}"], params["name"]
        assert params["prevent_instance_group_fallback"] is True, params["name"]
        _applied_before("instance_group", "name", f"dataplatform-{env}", index)
    for index, params in objects("instance_group"):
        for hostname in params["instances"]:
            _applied_before("instance", "hostname", hostname, index)


def test_the_readme_says_how_an_execution_node_registers():
    readme = (REPO_ROOT / "awx" / "README.md").read_text()
    for fragment in ("## Execution nodes", "install_bundle", "dataplatform-<env>", "managed_by_policy",
                     "automation_trusted_principal_arns"):
        assert fragment in readme, fragment


# --- The execution environment's image ---------------------------------------------------------

def _ee_version():
    definition = yaml.safe_load((REPO_ROOT / "execution-environment.yml").read_text())
    (tag,) = definition["options"]["tags"]
    return tag.rsplit(":", 1)[1]


def test_the_image_is_the_version_execution_environment_yml_gives_it():
    version = _ee_version()
    assert re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", version), version
    (params,) = [params for _index, params in objects("execution_environment")]
    assert params["image"] == f"{OBJECT_VARS['awx_execution_environment_registry']}:{version}"
    assert params["pull"] == "missing"


@pytest.mark.parametrize("folder", ["awx", "inventories", "execution-environment"])
def test_no_moving_image_tag_remains(folder):
    files = [path for path in (REPO_ROOT / folder).rglob("*") if path.is_file()]
    files += [REPO_ROOT / "execution-environment.yml"]
    for path in files:
        text = path.read_text(errors="replace")
        assert not re.search(r":latest\b", text), f"{path.relative_to(REPO_ROOT)} names an image :latest"


# --- The provisioning callback ----------------------------------------------------------------

def test_every_environment_gets_a_provisioning_callback_reachable_by_name():
    callbacks = {template_env(params): params for params in TEMPLATES if params.get("host_config_key")}
    assert set(callbacks) == set(ENVIRONMENTS)
    for env, params in callbacks.items():
        assert params["name"] == f"dataplatform-{env}-callback" and params["playbook"] == "site.yml"
    # Terraform can compute the URL from AWX's address alone: the template's named URL.
    readme = (REPO_ROOT / "awx" / "README.md").read_text()
    assert "/api/v2/job_templates/dataplatform-<env>-callback++dataplatform/callback/" in readme
