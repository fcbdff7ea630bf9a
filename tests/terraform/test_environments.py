"""The environments' folders (terraform/environments/<env>) hold values only, for the one platform
root and the one bootstrap root: each tfvars sets what its root needs, each account keeps one S3
state, and local talks only to the emulator."""

import re

import pytest

from sandbox.terraform import BOOTSTRAP, ENVIRONMENTS_DIR, PLATFORM, backend_setting, tfvars_scalar

ENVIRONMENTS = ("local", "dev", "ppd", "prod")
ACCOUNTS = ("dev", "ppd", "prod")
VALUE_FILES = {"terraform.tfvars", "backend.hcl", "bootstrap.tfvars", "bootstrap.backend.hcl"}
LOOPBACK = r"^https?://(127\.[0-9.]+|localhost|\[::1\])(:[0-9]+)?/?$"


def _text(environment, file_name):
    return (ENVIRONMENTS_DIR / environment / file_name).read_text()


def _root_text(root):
    return "".join(path.read_text() for path in sorted(root.path().glob("*.tf")))


def _declared_variables(root):
    """Variable name -> whether it has a default, from the root's .tf files."""
    blocks = re.split(r'^variable "', _root_text(root), flags=re.MULTILINE)[1:]
    return {block.split('"', 1)[0]: bool(re.search(r"^\s*default\s*=", block, re.MULTILINE)) for block in blocks}


def _tfvars_names(environment, file_name):
    return set(re.findall(r"^([a-z_][a-z0-9_]*)\s*=", _text(environment, file_name), re.MULTILINE))


def test_an_environment_folder_holds_values_only():
    for environment in ENVIRONMENTS:
        files = {path.name for path in (ENVIRONMENTS_DIR / environment).iterdir() if path.is_file()}
        files -= {name for name in files if name.endswith((".tfstate", ".tfstate.backup", ".tfplan"))}
        assert files == VALUE_FILES, environment
    assert not list(ENVIRONMENTS_DIR.rglob("*.tf")), "no Terraform configuration lives in environments/"


def test_the_roots_keep_a_partial_s3_backend_and_their_lock_file():
    for root in (PLATFORM, BOOTSTRAP):
        assert re.search(r'backend "s3" \{\}', (root.path() / "backend.tf").read_text()), root
        assert (root.path() / ".terraform.lock.hcl").is_file(), root
        assert (root.path() / "README.md").is_file(), root


@pytest.mark.parametrize(("root", "file_name"), [(PLATFORM, "terraform.tfvars"), (BOOTSTRAP, "bootstrap.tfvars")],
                         ids=["platform", "bootstrap"])
def test_each_tfvars_sets_every_variable_without_a_default_and_nothing_else(root, file_name):
    declared = _declared_variables(root)
    required = {name for name, has_default in declared.items() if not has_default}
    for environment in ENVIRONMENTS:
        names = _tfvars_names(environment, file_name)
        assert not names - set(declared), f"{environment}/{file_name} sets undeclared {sorted(names - set(declared))}"
        assert not required - names, f"{environment}/{file_name} misses {sorted(required - names)}"
        assert tfvars_scalar(environment, "environment", file_name) == environment


def test_no_secret_passes_through_terraform_variables():
    """Secrets (the AWX host config key, database passwords) are read from Secrets Manager where
    they are used; no environment variable carries one."""
    for root in (PLATFORM, BOOTSTRAP):
        assert not re.search(r"^\s*sensitive\s*=\s*true", _root_text(root), re.MULTILINE), root


def test_each_account_keeps_one_s3_state_and_its_bootstrap_beside_it():
    for environment in ACCOUNTS:
        backend = _text(environment, "backend.hcl")
        assert re.search(r"use_lockfile\s*=\s*true", backend) and re.search(r"encrypt\s*=\s*true", backend), environment
        bucket = backend_setting(environment, "bucket")
        assert bucket == f"dataplatform-tfstate-{tfvars_scalar(environment, 'account_id')}", environment
        assert backend_setting(environment, "key") == f"dataplatform/{environment}/terraform.tfstate"
        assert backend_setting(environment, "region") == tfvars_scalar(environment, "region")
        # The bootstrap's state sits beside it, and its plan role reads that bucket.
        assert backend_setting(environment, "bucket", BOOTSTRAP) == bucket
        assert backend_setting(environment, "key", BOOTSTRAP) == f"dataplatform/{environment}/bootstrap.tfstate"
        assert tfvars_scalar(environment, "terraform_state_bucket", "bootstrap.tfvars") == bucket
        # Real AWS: no emulator, the platform's tags on every resource.
        for file_name in ("terraform.tfvars", "bootstrap.tfvars"):
            assert "aws_endpoint_url" not in _tfvars_names(environment, file_name), environment
        assert "provider_default_tags" not in _tfvars_names(environment, "terraform.tfvars"), environment
    assert len({tfvars_scalar(environment, "account_id") for environment in ENVIRONMENTS}) == len(ENVIRONMENTS)


def test_local_talks_only_to_the_emulator():
    for file_name in ("terraform.tfvars", "bootstrap.tfvars"):
        assert re.match(LOOPBACK, tfvars_scalar("local", "aws_endpoint_url", file_name)), file_name
    assert tfvars_scalar("local", "provider_default_tags") == "false"
    # Its state: the emulator's bucket, with the emulator's dummy key (no real account's bucket
    # opens to it), and no endpoint written down (the emulator's port differs per sandbox).
    assert backend_setting("local", "bucket") == f"dataplatform-tfstate-{tfvars_scalar('local', 'account_id')}"
    assert backend_setting("local", "access_key") == "sandbox" and backend_setting("local", "use_path_style") == "true"
    assert not re.search(r"^\s*endpoints?\b", _text("local", "backend.hcl"), re.MULTILINE)
    for root, services in ((PLATFORM, 15), (BOOTSTRAP, 2)):
        provider = (root.path() / "providers.tf").read_text()
        for setting in ("skip_credentials_validation", "skip_metadata_api_check", "access_key", "secret_key"):
            assert re.search(rf"{setting}\s*=\s*local\.emulated", provider), (root, setting)
        assert LOOPBACK.replace("\\", "\\\\") in provider, root
        assert len(re.findall(r"^\s*([a-z0-9]+)\s*=\s*endpoints\.value$", provider, re.MULTILINE)) >= services, root
        assert "allowed_account_ids = [var.account_id]" in provider, root


def test_every_account_has_a_bootstrap_whose_values_agree_with_its_environment():
    """The bootstrap and the environment of an account agree on the account and the state bucket."""
    for environment in ENVIRONMENTS:
        values = _text(environment, "bootstrap.tfvars")
        assert re.search(rf'^environment\s*=\s*"{environment}"$', values, re.MULTILINE), environment
        account = tfvars_scalar(environment, "account_id")
        assert re.search(rf'^account_id\s*=\s*"{account}"$', values, re.MULTILINE), environment
        assert f'"dataplatform-tfstate-{account}"' in values, environment

