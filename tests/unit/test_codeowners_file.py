"""The repository's CODEOWNERS covers what decides who may do what: the production requests, the
certificate policy, the workflows and the IAM module."""

from __future__ import annotations

import pytest

from ansible_collections.dataplatform.ops.plugins.module_utils import codeowners
from tests.conftest import REPO_ROOT

RULES = codeowners.parse((REPO_ROOT / ".github" / "CODEOWNERS").read_text())


@pytest.mark.parametrize("path", [
    "cert-requests/prod/ops-user.yaml", "cert-requests/policy.yml", ".github/workflows/cert-issuer.yml",
    ".github/CODEOWNERS", "terraform/modules/iam/main.tf",
])
def test_sensitive_paths_have_owners_other_than_the_default(path):
    owners = codeowners.owners_of(RULES, path)
    assert owners and owners != codeowners.owners_of(RULES, "README.md"), (path, owners)


def test_a_production_request_needs_the_security_team():
    assert "@dataplatform-ops/platform-security" in codeowners.owners_of(RULES, "cert-requests/prod/new-admin.yaml")
