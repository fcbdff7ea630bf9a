"""The promotion model's parts agree (terraform/modules/github-access/README.md): the environments'
data (.github/environments.yml), what applies it to GitHub (.github/scripts/github-environments.py),
the workflows (terraform.yml, promote.yml, cert-issuer.yml) and the refs each account's bootstrap
makes its deploy role trust (terraform/environments/<env>/bootstrap.tfvars). The trust policies
themselves are evaluated against GitHub's tokens in tests/contract/test_github_oidc_trust.py.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / ".github" / "workflows"
ACCOUNTS = ("dev", "ppd", "prod")
TERRAFORM_WORKFLOW = ".github/workflows/terraform.yml"
CERT_WORKFLOW = ".github/workflows/cert-issuer.yml"
DAGS_WORKFLOW = ".github/workflows/dags.yml"
# A ref of each kind a push or a promotion makes, and the one environment it deploys.
REFS = {
    "refs/heads/feature/x": "dev",
    "refs/heads/feature/add-orders-table": "dev",
    "refs/heads/release/1.4.0": "ppd",
    "refs/tags/v1.2.3": "prod",
    "refs/heads/main": None,
    "refs/heads/feature-x": None,
    "refs/heads/hotfix/1.4.1": None,
    "refs/tags/v1.2": None,
    "refs/tags/latest": None,
}


def _script_module():
    path = REPO / ".github" / "scripts" / "github-environments.py"
    spec = importlib.util.spec_from_file_location("github_environments", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _environments() -> dict:
    return _script_module().load(REPO / ".github" / "environments.yml")


def _workflow(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def github_admits(pattern: str, ref: str) -> bool:
    """A deployment branch or tag policy as GitHub matches it (File.fnmatch: `*` stops at `/`)."""
    expression = "".join("[^/]*" if part == "*" else re.escape(part) for part in re.split(r"(\*)", pattern))
    return re.fullmatch(expression, ref) is not None


def _refs(environment: dict, workflow: str) -> list[str]:
    return [entry["ref"] for entry in environment["deployment_refs"] if entry["workflow"] == workflow]


def _tfvars_list(environment: str, name: str) -> list[str]:
    text = (REPO / "terraform" / "environments" / environment / "bootstrap.tfvars").read_text()
    match = re.search(rf"^{name}\s*=\s*(\[[^\]]*\])", text, re.M)
    assert match, f"terraform/environments/{environment}/bootstrap.tfvars sets no {name}"
    return json.loads(match.group(1))


def test_the_file_names_every_account_and_each_account_one_terraform_ref_kind():
    environments = _environments()["environments"]
    assert sorted(environments) == sorted(ACCOUNTS)
    for name, environment in environments.items():
        for entry in environment["deployment_refs"]:
            assert entry["workflow"] in (TERRAFORM_WORKFLOW, CERT_WORKFLOW, DAGS_WORKFLOW), f"environments.{name}: {entry}"
            assert (REPO / entry["workflow"]).is_file(), entry["workflow"]
        assert _refs(environment, TERRAFORM_WORKFLOW), f"environments.{name} admits no ref of the terraform workflow"


def test_each_bootstrap_trusts_exactly_the_terraform_refs_its_environment_admits():
    environments = _environments()["environments"]
    for name in ACCOUNTS:
        assert _tfvars_list(name, "deploy_refs") == _refs(environments[name], TERRAFORM_WORKFLOW), name
    assert _tfvars_list("local", "deploy_refs") == ["refs/heads/main"]


@pytest.mark.parametrize("ref, expected", REFS.items())
def test_a_ref_is_admitted_by_one_environment_only_and_the_one_the_workflow_targets(ref, expected):
    environments = _environments()["environments"]
    admitting = [name for name, environment in environments.items()
                 if any(github_admits(pattern, ref) for pattern in _refs(environment, TERRAFORM_WORKFLOW))]
    assert admitting == ([expected] if expected else [])
    assert _terraform_target(ref) == expected


def _terraform_target(ref: str) -> str | None:
    """The environment terraform.yml's target job maps a ref to (its own step, run by bash)."""
    step = next(step for step in _workflow("terraform.yml")["jobs"]["target"]["steps"] if step.get("id") == "target")
    output = Path(os.environ.get("TMPDIR", "/tmp")) / f"target-{os.getpid()}"
    output.write_text("")
    try:
        result = subprocess.run(["bash", "-eo", "pipefail", "-c", step["run"]], env={**os.environ, "REF": ref,
                                "GITHUB_OUTPUT": str(output)}, capture_output=True, text=True)
        found = dict(line.split("=", 1) for line in output.read_text().splitlines())
    finally:
        output.unlink()
    if result.returncode:
        assert "deploys nowhere" in result.stderr
        return None
    return found["environment"]


def test_the_terraform_workflow_is_triggered_by_the_refs_the_environments_admit():
    workflow = _workflow("terraform.yml")
    # PyYAML reads the key `on` as True.
    push = (workflow.get("on") or workflow[True])["push"]
    environments = _environments()["environments"]
    refs = [ref for environment in environments.values() for ref in _refs(environment, TERRAFORM_WORKFLOW)]
    triggers = [f"refs/heads/{branch}" for branch in push["branches"]] + [f"refs/tags/{tag}" for tag in push["tags"]]
    assert sorted(triggers) == sorted(refs)


def test_the_apply_runs_in_the_targeted_environment_and_the_plan_in_none_without_the_lock():
    jobs = _workflow("terraform.yml")["jobs"]
    assert jobs["apply"]["environment"] == "${{ needs.target.outputs.environment }}"
    assert jobs["apply"]["permissions"]["id-token"] == "write"
    # Without an environment a pull request's token says pull_request: the plan role's trust.
    assert "environment" not in jobs["plan"]
    plan = next(step for step in jobs["plan"]["steps"] if step.get("id") == "plan")["run"]
    assert "-lock=false" in plan and "lock-timeout" not in plan


def test_the_certificate_workflow_runs_from_main_which_every_environment_admits_for_it():
    workflow = _workflow("cert-issuer.yml")
    assert (workflow.get("on") or workflow[True])["push"]["branches"] == ["main"]
    assert workflow["jobs"]["reconcile"]["environment"] == "${{ matrix.environment }}"
    for name, environment in _environments()["environments"].items():
        assert _refs(environment, CERT_WORKFLOW) == ["refs/heads/main"], name


def test_promotion_creates_refs_only_the_next_environment_admits():
    environments = _environments()["environments"]
    steps = _workflow("promote.yml")["jobs"]["promote"]["steps"]
    assert any("promotable.sh" in step.get("run", "") for step in steps)
    script = (REPO / ".github" / "scripts" / "promotable.sh").read_text()
    assert 'ref="refs/heads/release/${version}"' in script and 'ref="refs/tags/v${version}"' in script
    for ref, environment in (("refs/heads/release/1.4.0", "ppd"), ("refs/tags/v1.4.0", "prod")):
        assert any(github_admits(pattern, ref) for pattern in _refs(environments[environment], TERRAFORM_WORKFLOW))


def test_the_role_names_are_those_the_workflows_assume():
    for name, environment in _environments()["environments"].items():
        for kind in ("deploy", "plan"):
            printed = subprocess.run(["bash", ".github/scripts/terraform-account.sh", name, kind], cwd=REPO,
                                     check=True, capture_output=True, text=True).stdout
            assert printed.splitlines()[0].endswith(f":role/{environment['roles'][kind]}"), (name, kind)
        assert environment["roles"]["cert_issuer"] == f"dataplatform-{name}-cert-issuer"


def test_the_script_applies_the_file_to_github(capsys):
    assert _script_module().main(["--dry-run"]) == 0
    calls = [line.split(" ", 2) for line in capsys.readouterr().out.splitlines()]
    document = _environments()
    repository = document["repository"]
    assert ["PUT", f"repos/{repository}/actions/oidc/customization/sub",
            json.dumps({"include_claim_keys": ["repo", "context", "job_workflow_ref"], "use_default": False})] in calls
    for name, environment in document["environments"].items():
        base = f"repos/{repository}/environments/{name}"
        settings = json.loads(next(call[2] for call in calls if call[:2] == ["PUT", base]))
        assert settings["deployment_branch_policy"] == {"protected_branches": False, "custom_branch_policies": True}
        assert settings["prevent_self_review"] is (name == "prod")
        assert bool(settings["reviewers"]) is (name == "prod"), name
        created = [json.loads(call[2]) for call in calls if call[:2] == ["POST", f"{base}/deployment-branch-policies"]]
        refs = list(dict.fromkeys(entry["ref"] for entry in environment["deployment_refs"]))
        assert created == [{"name": re.sub(r"^refs/(heads|tags)/", "", ref),
                            "type": "tag" if ref.startswith("refs/tags/") else "branch"} for ref in refs]


def test_the_file_matches_the_bootstraps_repository():
    repository = _environments()["repository"]
    for name in ACCOUNTS + ("local",):
        text = (REPO / "terraform" / "environments" / name / "bootstrap.tfvars").read_text()
        assert f'github_repository = "{repository}"' in re.sub(r" +", " ", text), name


def test_a_broken_file_is_refused_naming_the_field(tmp_path):
    broken = tmp_path / "environments.yml"
    broken.write_text("repository: o/r\nenvironments:\n  dev:\n"
                      "    deployment_refs:\n      - {ref: feature/*, workflow: x}\n")
    module = _script_module()
    with pytest.raises(module.ConfigurationError, match=r"environments\.dev\.deployment_refs\[0\]\.ref"):
        module.load(broken)


def test_the_dags_are_delivered_by_the_promotion_model_and_trusted_at_its_refs():
    """dags.yml maps refs as terraform.yml does, each environment admits it at its terraform refs,
    and the environment's DAGs publisher role trusts it there only (dags_workflow_refs)."""
    dags, terraform = _workflow("dags.yml"), _workflow("terraform.yml")
    dags_push, terraform_push = ((workflow.get("on") or workflow[True])["push"] for workflow in (dags, terraform))
    assert (dags_push["branches"], dags_push["tags"]) == (terraform_push["branches"], terraform_push["tags"])
    assert dags["jobs"]["publish"]["environment"] == "${{ needs.target.outputs.environment }}"
    for name, environment in _environments()["environments"].items():
        assert _refs(environment, DAGS_WORKFLOW) == _refs(environment, TERRAFORM_WORKFLOW), name
        tfvars = (REPO / "terraform" / "environments" / name / "terraform.tfvars").read_text()
        trusted = re.search(r"^dags_workflow_refs\s*=\s*(\[.*\])$", tfvars, re.M)
        assert trusted and json.loads(trusted.group(1)) == _refs(environment, DAGS_WORKFLOW), name
