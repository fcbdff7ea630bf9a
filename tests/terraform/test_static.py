"""terraform fmt and validate for every module and both roots (platform, bootstrap), offline from the provider mirror."""

import re
import shutil
import subprocess

import pytest

from sandbox.host_boot import render_user_data, user_data_placeholders
from tests.harness.terraform import PLATFORM, TERRAFORM_DIR, modules, roots, terraform


def test_terraform_fmt():
    result = terraform(TERRAFORM_DIR, "fmt", "-check", "-recursive", "-diff", check=False)
    assert result.returncode == 0, f"run `terraform fmt -recursive terraform/`:\n{result.stdout}"


@pytest.mark.parametrize("workdir", modules() + roots(), ids=lambda path: f"{path.parent.name}/{path.name}")
def test_terraform_validate(workdir, tmp_path):
    # Its own working directory: the roots' .terraform/ belongs to whoever runs them in place.
    env = {"TF_DATA_DIR": str(tmp_path / ".terraform")}
    terraform(workdir, "init", "-backend=false", "-input=false", "-no-color", env=env)
    terraform(workdir, "validate", "-no-color", env=env)


MODULE_FILES = ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md")


def _blocks(text, kind):
    """Name and body of each top-level `kind "name" {…}` block of a formatted file."""
    return re.findall(rf'^{kind} "([^"]+)" \{{\n(.*?)^\}}', text, re.M | re.S)


@pytest.mark.parametrize("module", modules(), ids=lambda path: path.name)
def test_module_files_and_documented_interface(module):
    missing = [name for name in MODULE_FILES if not (module / name).is_file()]
    assert not missing, f"{module.name} lacks {missing}"
    readme = (module / "README.md").read_text()
    for name, body in _blocks((module / "variables.tf").read_text(), "variable"):
        assert re.search(r"^  type\s*=", body, re.M), f"{module.name}: variable {name} has no type"
        assert re.search(r"^  description\s*=", body, re.M), f"{module.name}: variable {name} has no description"
        assert f"`{name}`" in readme, f"{module.name}/README.md does not document input {name}"
    for name, body in _blocks((module / "outputs.tf").read_text(), "output"):
        assert re.search(r"^  description\s*=", body, re.M), f"{module.name}: output {name} has no description"
        assert f"`{name}`" in readme, f"{module.name}/README.md does not document output {name}"
    versions = (module / "versions.tf").read_text()
    assert 'required_version = ">= 1.10"' in versions and 'version = "~> 5.100"' in versions


def test_root_variables_and_outputs_are_typed_and_described():
    for workdir in roots():
        variables = "".join(path.read_text() for path in sorted(workdir.glob("*.tf")))
        for name, body in _blocks(variables, "variable"):
            assert re.search(r"^  type\s*=", body, re.M), f"{workdir.name}: variable {name} has no type"
            assert re.search(r"^  description\s*=", body, re.M), f"{workdir.name}: variable {name} has no description"
        for name, body in _blocks((workdir / "outputs.tf").read_text(), "output"):
            assert re.search(r"^  description\s*=", body, re.M), f"{workdir.name}: output {name} has no description"


def test_every_checkov_skip_gives_its_reason_on_the_resource():
    skips = [(path, line.strip()) for path in TERRAFORM_DIR.rglob("*.tf") if ".terraform" not in path.parts
             for line in path.read_text().splitlines() if "checkov:skip" in line]
    assert skips, "no checkov skips found: the search is broken"
    for path, line in skips:
        assert re.fullmatch(r"#checkov:skip=CKV2?_AWS_\d+:\S.{20,}", line), f"{path}: {line}"


def test_host_user_data_renders_to_valid_bash(tmp_path):
    """The first-boot script of every host (asg-hosts), rendered as Terraform renders it, parses."""
    assert user_data_placeholders() == {"ssh_user", "ssh_principals", "ssh_user_ca_public_keys", "data_volume_mount_point",
                                        "awx_callback_url", "awx_host_config_key_secret"}
    for values in ({name: "" for name in user_data_placeholders()},
                   {"ssh_user": "dataplatform", "ssh_principals": "dataplatform-dev",
                    "ssh_user_ca_public_keys": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH1e dataplatform-dev-user-ca",
                    "data_volume_mount_point": "/var/lib/nifi-data",
                    "awx_callback_url": "https://awx.example.com/api/v2/job_templates/7/callback/",
                    "awx_host_config_key_secret": "dataplatform/dev/nifi/awx-host-config-key"}):
        path = tmp_path / "user-data.sh"
        path.write_text(render_user_data(values))
        result = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", ["dev", "ppd", "prod"])
def test_an_account_refuses_to_trust_its_whole_account_with_the_automation_roles(name, tmp_path):
    """An empty automation_trusted_principal_arns would trust every principal of the account that
    may call sts:AssumeRole (the deploy role included) with the automation and cert issuer roles:
    a plan of dev, ppd or prod with it fails on the variable's validation, before any AWS call
    matters (no credentials here), and names the variable."""
    copy = tmp_path / "terraform"
    shutil.copytree(TERRAFORM_DIR, copy, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*"))
    (PLATFORM.path(copy) / "backend.tf").unlink()
    env = {"AWS_ACCESS_KEY_ID": "refused", "AWS_SECRET_ACCESS_KEY": "refused", "TF_DATA_DIR": str(tmp_path / ".terraform")}
    terraform(PLATFORM.path(copy), "init", "-input=false", "-no-color", env=env)
    result = terraform(PLATFORM.path(copy), "plan", "-input=false", "-no-color", "-refresh=false",
                       f"-var-file={copy / 'environments' / name / 'terraform.tfvars'}",
                       "-var", "automation_trusted_principal_arns=[]", check=False, env=env)
    assert result.returncode != 0
    assert "automation_trusted_principal_arns must name who may assume the automation and" in result.stderr, result.stderr
