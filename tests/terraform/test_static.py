"""terraform fmt and validate for every module and environment, offline from the provider mirror."""

import pytest

from tests.harness.terraform import TERRAFORM_DIR, environments, modules, terraform


def test_terraform_fmt():
    result = terraform(TERRAFORM_DIR, "fmt", "-check", "-recursive", "-diff", check=False)
    assert result.returncode == 0, f"run `terraform fmt -recursive terraform/`:\n{result.stdout}"


@pytest.mark.parametrize("workdir", modules() + environments(), ids=lambda path: f"{path.parent.name}/{path.name}")
def test_terraform_validate(workdir):
    terraform(workdir, "init", "-backend=false", "-input=false", "-no-color")
    terraform(workdir, "validate", "-no-color")
