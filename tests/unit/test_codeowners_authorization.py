"""Everything that decides who may do what is owned by the security team in .github/CODEOWNERS.

A request in cert-requests/ is reviewed by its owners, but what a request means (the roles and
their NiFi policies, the identity a certificate becomes, the validation, the jobs that issue and
apply) and what the accounts trust (IAM, KMS, bucket policies, the CAs, GitHub's roles, the
bootstrap) decide as much. Ownership is read with the code host's semantics: gitignore-style
patterns, and the last matching line wins (module_utils/codeowners.py, the reader the validation
job uses).
"""

from __future__ import annotations

import subprocess

import pytest

from ansible_collections.dataplatform.ops.plugins.module_utils import codeowners
from tests.conftest import REPO_ROOT

CODEOWNERS = REPO_ROOT / ".github" / "CODEOWNERS"
RULES = codeowners.parse(CODEOWNERS.read_text())

SECURITY = "@dataplatform-ops/platform-security"
LEADS = "@dataplatform-ops/platform-leads"
COLLECTION = "collections/ansible_collections/dataplatform/ops"

# Single files whose content is authorization meaning.
SECURITY_FILES = (
    f"{COLLECTION}/roles/nifi/defaults/main.yml",  # nifi_roles (role -> policies), service identities
    f"{COLLECTION}/roles/nifi/tasks/access.yml",
    f"{COLLECTION}/plugins/module_utils/identity.py",
    f"{COLLECTION}/plugins/module_utils/nifi_access.py",
    f"{COLLECTION}/plugins/module_utils/nifi_authorization.py",
    f"{COLLECTION}/plugins/module_utils/cert_requests.py",
    f"{COLLECTION}/plugins/module_utils/codeowners.py",
    f"{COLLECTION}/plugins/module_utils/requests_location.py",
    f"{COLLECTION}/plugins/module_utils/user_certificates.py",
    f"{COLLECTION}/plugins/module_utils/pki.py",
    f"{COLLECTION}/plugins/module_utils/acmpca.py",
    f"{COLLECTION}/plugins/modules/nifi_access.py",
    f"{COLLECTION}/plugins/modules/user_certificates.py",
    f"{COLLECTION}/plugins/modules/acmpca_certificate.py",
    f"{COLLECTION}/plugins/filter/identity.py",
    f"{COLLECTION}/plugins/filter/nifi_authorization_files.py",
    f"{COLLECTION}/plugins/filter/subject_dn.yml",
    f"{COLLECTION}/plugins/filter/subject_rdns.yml",
    f"{COLLECTION}/plugins/filter/certificate_subject_dn.yml",
    f"{COLLECTION}/plugins/lookup/authorized_users.py",
    f"{COLLECTION}/plugins/lookup/cert_requests.py",
    f"{COLLECTION}/plugins/inventory/aws_asg.py",
    f"{COLLECTION}/plugins/plugin_utils/asg_inventory.py",
    "ansible/playbooks/validate-cert-requests.yml",
    "ansible/playbooks/user-certs.yml",
    "ansible/playbooks/nifi-users.yml",
    "cert-requests/policy.yml",
    "cert-requests/schema.json",
    ".github/workflows/cert-issuer.yml",
    ".github/CODEOWNERS",
)

# Folders whose every file is authorization meaning (checked file by file, as git lists them).
SECURITY_FOLDERS = (
    "terraform/modules/iam",
    "terraform/modules/kms",
    "terraform/modules/s3-datalake",  # the buckets' policies
    "terraform/modules/pki-acm-ca",
    "terraform/modules/ssh-user-ca",
    "terraform/modules/github-access",
    "terraform/bootstrap",
    # Every account's bootstrap values and state (the one bootstrap root takes them).
    "terraform/environments/dev/bootstrap.tfvars",
    "terraform/environments/ppd/bootstrap.tfvars",
    "terraform/environments/prod/bootstrap.tfvars",
    "terraform/environments/local/bootstrap.tfvars",
    "terraform/environments/dev/bootstrap.backend.hcl",
    "terraform/environments/prod/bootstrap.backend.hcl",
    "awx",  # who may launch what, surveys, credentials, instance groups
    "inventories/terminating",
    # The accounts' requests (cert-requests/local/ is the sandbox's).
    "cert-requests/dev",
    "cert-requests/ppd",
    "cert-requests/prod",
)

# Where production is concerned, the leads may approve too.
PROD_PATHS = (
    "terraform/environments/prod/bootstrap.tfvars",
    "cert-requests/prod/new-admin.yaml",
)

# Files another change adds: owned before they exist, so the first version is reviewed too.
NOT_YET_PRESENT = (".github/environments.yml",)


def tracked(folder: str) -> list[str]:
    listed = subprocess.run(["git", "ls-files", "--", folder], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    return listed.stdout.split()


def owners(path: str) -> list[str]:
    return codeowners.owners_of(RULES, path)


def test_the_reader_has_the_code_hosts_semantics():
    rules = codeowners.parse("*  @a\n/terraform/  @b\n/terraform/modules/iam/  @c\niam/  @d\n")
    assert codeowners.owners_of(rules, "README.md") == ["@a"]
    assert codeowners.owners_of(rules, "terraform/environments/dev/main.tf") == ["@b"]
    # The last matching line wins, and an unanchored folder pattern matches at any depth.
    assert codeowners.owners_of(rules, "terraform/modules/iam/main.tf") == ["@d"]
    assert codeowners.owners_of(rules, "terraform/modules/iamx/main.tf") == ["@b"]


@pytest.mark.parametrize("path", SECURITY_FILES)
def test_each_authorization_file_is_owned_by_the_security_team(path):
    assert (REPO_ROOT / path).is_file(), f"{path} moved: update CODEOWNERS and this list"
    assert SECURITY in owners(path), (path, owners(path))


@pytest.mark.parametrize("folder", SECURITY_FOLDERS)
def test_every_file_of_an_authorization_folder_is_owned_by_the_security_team(folder):
    files = tracked(folder)
    assert files, f"git lists nothing under {folder}"
    unowned = [path for path in files if SECURITY not in owners(path)]
    assert not unowned, f"not owned by {SECURITY}: {unowned}"


@pytest.mark.parametrize("path", [path for path in tracked("inventories") if path.endswith("aws_asg.yml")])
def test_every_inventory_source_is_owned_by_the_security_team(path):
    assert SECURITY in owners(path), (path, owners(path))


@pytest.mark.parametrize("path", PROD_PATHS)
def test_production_paths_are_owned_by_security_and_the_leads(path):
    assert {SECURITY, LEADS} <= set(owners(path)), (path, owners(path))


@pytest.mark.parametrize("path", NOT_YET_PRESENT)
def test_files_being_added_are_owned_already(path):
    assert {SECURITY, LEADS} <= set(owners(path)), (path, owners(path))


def test_the_default_owner_is_not_the_security_team():
    # Otherwise every check above would pass by the catch-all line.
    assert SECURITY not in owners("README.md")
    assert SECURITY not in owners("terraform/modules/networking/main.tf")


def test_every_rule_names_something_in_the_repository():
    """A rule for a renamed file silently stops protecting it: every pattern must match a file git
    knows, or one another change is adding."""
    files = tracked(".") + list(NOT_YET_PRESENT)
    for pattern, _owners in RULES:
        single = codeowners.parse(f"{pattern} @x\n")
        assert any(codeowners.owners_of(single, path) for path in files), f"{CODEOWNERS}: {pattern} matches no file"
