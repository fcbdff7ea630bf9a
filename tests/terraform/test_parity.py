"""The four environments call the same modules with the same arguments and declare the same
variables; only their terraform.tfvars values differ (plus how local reaches its emulator)."""

import re

import pytest

from tests.harness.terraform import ENVIRONMENTS_DIR, TERRAFORM_DIR, tfvars_scalar

ENVIRONMENTS = ("local", "dev", "ppd", "prod")
ACCOUNTS = ("dev", "ppd", "prod")
BOOTSTRAP_DIR = TERRAFORM_DIR / "bootstrap"
SHARED_FILES = ("main.tf", "variables.tf", "outputs.tf", "versions.tf")
ROOT_FILES = {".terraform.lock.hcl", "backend.tf", "main.tf", "outputs.tf", "provider.tf", "terraform.tfvars",
              "variables.tf", "versions.tf"}


def _text(environment, file_name):
    return (ENVIRONMENTS_DIR / environment / file_name).read_text()


def _declared_variables(environment):
    """Variable name -> whether it has a default, from variables.tf."""
    blocks = re.split(r'^variable "', _text(environment, "variables.tf"), flags=re.M)[1:]
    return {block.split('"', 1)[0]: bool(re.search(r"^\s*default\s*=", block, re.M)) for block in blocks}


def _tfvars_names(environment):
    return set(re.findall(r"^([a-z_][a-z0-9_]*)\s*=", _text(environment, "terraform.tfvars"), re.M))


def test_every_environment_has_the_same_files():
    for environment in ENVIRONMENTS:
        files = {path.name for path in (ENVIRONMENTS_DIR / environment).iterdir() if path.is_file()}
        files -= {name for name in files if name.endswith((".tfstate", ".tfstate.backup"))}
        assert files == ROOT_FILES, environment


@pytest.mark.parametrize("file_name", SHARED_FILES)
def test_shared_files_are_identical(file_name):
    reference = _text("dev", file_name)
    for environment in ENVIRONMENTS:
        assert _text(environment, file_name) == reference, f"{environment}/{file_name} differs from dev/{file_name}"


def test_each_tfvars_sets_every_variable_without_a_default_and_nothing_else():
    declared = _declared_variables("dev")
    required = {name for name, has_default in declared.items() if not has_default}
    for environment in ENVIRONMENTS:
        names = _tfvars_names(environment)
        assert not names - set(declared), f"{environment}/terraform.tfvars sets undeclared {sorted(names - set(declared))}"
        assert not required - names, f"{environment}/terraform.tfvars misses {sorted(required - names)}"
        assert tfvars_scalar(environment, "environment") == environment


def test_no_secret_passes_through_terraform_variables():
    """Secrets (the AWX host config key, database passwords) are read from Secrets Manager where
    they are used; no environment variable carries one."""
    for environment in ENVIRONMENTS:
        assert not re.search(r"^\s*sensitive\s*=\s*true", _text(environment, "variables.tf"), re.M), environment


def test_account_roots_share_their_provider_and_keep_one_s3_state_per_account():
    reference = _text("dev", "provider.tf")
    for environment in ACCOUNTS:
        assert _text(environment, "provider.tf") == reference, environment
        backend = _text(environment, "backend.tf")
        assert 'backend "s3"' in backend and re.search(r"use_lockfile\s*=\s*true", backend), environment
        bucket = re.search(r'bucket\s*=\s*"([^"]+)"', backend).group(1)
        assert bucket == f"dataplatform-tfstate-{tfvars_scalar(environment, 'account_id')}", environment
        # The bootstrap's state sits beside it, and its plan role reads that bucket.
        bootstrap = (BOOTSTRAP_DIR / environment / "backend.tf").read_text()
        assert re.search(r'bucket\s*=\s*"([^"]+)"', bootstrap).group(1) == bucket, environment
        assert f'terraform_state_bucket = "{bucket}"' in (BOOTSTRAP_DIR / environment / "terraform.tfvars").read_text()
        assert f"/{environment}/" in re.search(r'key\s*=\s*"([^"]+)"', backend).group(1), environment
        assert re.search(r'region\s*=\s*"([^"]+)"', backend).group(1) == tfvars_scalar(environment, "region")
    assert len({tfvars_scalar(environment, "account_id") for environment in ENVIRONMENTS}) == len(ENVIRONMENTS)


def test_local_talks_only_to_the_emulator():
    provider = _text("local", "provider.tf")
    assert 'backend "local"' in _text("local", "backend.tf")
    for setting in ("skip_credentials_validation", "skip_metadata_api_check", "s3_use_path_style"):
        assert re.search(rf"{setting}\s*=\s*true", provider), setting
    endpoints = re.findall(r"^\s*([a-z0-9]+)\s*=\s*var\.aws_endpoint_url", provider, re.M)
    assert len(endpoints) >= 15
    assert "allowed_account_ids = [var.account_id]" in provider


def test_every_account_has_a_bootstrap_with_the_same_files_and_configuration():
    """terraform/bootstrap/<env>: the roots an administrator applies before the environment's first
    apply are alike too: the same files, identical but for their values, backend and provider."""
    for environment in ENVIRONMENTS:
        folder = BOOTSTRAP_DIR / environment
        files = {path.name for path in folder.iterdir() if path.is_file() and not path.name.endswith((".tfstate", ".backup"))}
        assert files == ROOT_FILES, environment
        for file_name in SHARED_FILES:
            assert (folder / file_name).read_text() == (BOOTSTRAP_DIR / "dev" / file_name).read_text(), \
                f"bootstrap/{environment}/{file_name} differs from bootstrap/dev/{file_name}"
        values = (folder / "terraform.tfvars").read_text()
        assert re.search(rf'^environment\s*=\s*"{environment}"$', values, re.M), environment
        # The bootstrap and the environment of an account agree on the account and the state bucket.
        account = tfvars_scalar(environment, "account_id")
        assert re.search(rf'^account_id\s*=\s*"{account}"$', values, re.M), environment
        assert f'"dataplatform-tfstate-{account}"' in values, environment
