"""Who owns a path under CODEOWNERS rules (the last matching line wins)."""

from __future__ import annotations

import pytest

from ansible_collections.dataplatform.ops.plugins.module_utils import codeowners

RULES = codeowners.parse("""
# comment
*                          @org/platform
/cert-requests/prod/       @org/security @org/leads
/cert-requests/policy.yml  @org/security
docs/*.md                  @org/writers
*.tf                       @org/infra
/terraform/generated/
""")


@pytest.mark.parametrize(("path", "owners"), [
    ("README.md", ["@org/platform"]),
    ("cert-requests/prod/ops-user.yaml", ["@org/security", "@org/leads"]),
    ("cert-requests/prod", ["@org/platform"]),
    ("cert-requests/dev/alice.yaml", ["@org/platform"]),
    ("cert-requests/policy.yml", ["@org/security"]),
    ("docs/guide.md", ["@org/writers"]),
    ("docs/deep/guide.md", ["@org/platform"]),
    ("terraform/modules/iam/main.tf", ["@org/infra"]),
    ("terraform/generated/x.tf", []),
])
def test_the_last_matching_rule_names_the_owners(path, owners):
    assert codeowners.owners_of(RULES, path) == owners


def test_no_rule_no_owner():
    assert codeowners.owners_of(codeowners.parse("/a/ @x\n"), "b/c") == []
