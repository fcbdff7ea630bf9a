"""The bad-request corpus (tests/fixtures/bad-requests/<kind>/) through the real playbooks.

Each fixture folder is a requests folder with one kind of mistake and an ``expect.yml`` naming
the file and the field the error must point at. For each kind, user-certs.yml must fail naming
them, with an active CA and platform parameter in place, and the moto server must have received
no call to the CA and no call to Secrets Manager: nothing is issued, revoked or stored.
"""

from __future__ import annotations

import shutil

import pytest
import yaml

from tests.conftest import REPO_ROOT
from tests.integration.certs import REQUESTS, activate_environments, output, run_playbook

CORPUS = REPO_ROOT / "tests" / "fixtures" / "bad-requests"
KINDS = sorted(path.name for path in CORPUS.iterdir() if (path / "expect.yml").is_file())


def expected_problem(kind: str) -> str:
    expect = yaml.safe_load((CORPUS / kind / "expect.yml").read_text())
    return f"{CORPUS / kind / expect['file']}: {expect['field']}: "


def test_the_corpus_has_at_least_fifteen_kinds():
    assert len(KINDS) >= 15, KINDS


@pytest.mark.parametrize("kind", KINDS)
def test_bad_request_is_refused_before_any_aws_write(kind, moto):
    activate_environments("dev", "prod")
    moto.clear_requests()

    result = run_playbook("user-certs.yml", "-i", "inventories/dev", "-e", f"cert_requests_dir={CORPUS / kind}",
                          unfolded=True)

    assert result.returncode != 0
    assert expected_problem(kind) in output(result), output(result)[-4000:]
    assert "nothing was issued, revoked or stored" in output(result)
    touched = [f"{r['service']}:{r['action']}" for r in moto.requests()
               if r["service"] in ("acm-pca", "secretsmanager")]
    assert touched == []


def test_validation_reports_every_problem_in_one_run(tmp_path):
    """Several bad files at once, with no AWS endpoint reachable: all of them are reported."""
    requests_dir = tmp_path / "requests"
    for kind in ("dn-injection", "expiry-over-policy", "unknown-environment-folder"):
        shutil.copytree(CORPUS / kind, requests_dir, dirs_exist_ok=True, ignore=shutil.ignore_patterns("expect.yml"))
    (requests_dir / "dev" / "carol.yaml").write_text(
        (REQUESTS / "dev" / "bob.yaml").read_text().replace("bob", "carol") + "admin: true\n")

    result = run_playbook("validate-cert-requests.yml", "-e", f"cert_requests_dir={requests_dir}", unfolded=True)

    text = output(result)
    assert result.returncode != 0
    for problem in (
        f"{requests_dir}/dev/alice.yaml: subject.common_name: contains ','",
        f"{requests_dir}/prod/ops-user.yaml: expiry_days: is 365; the policy allows at most 90 days in prod",
        f"{requests_dir}/staging: env: folder 'staging' names no environment",
        f"{requests_dir}/dev/carol.yaml: admin: is not a known field",
    ):
        assert problem in text, text[-4000:]
    assert f"policy {REQUESTS / 'policy.yml'}" in text  # the repository's, although the requests came from elsewhere


def test_validation_passes_on_the_repository_requests_without_aws():
    result = run_playbook("validate-cert-requests.yml")
    assert result.returncode == 0, output(result)[-4000:]
    assert "local 2 valid, dev 2 valid, ppd 1 valid, prod 1 valid" in output(result)


def test_validation_names_the_owners_who_must_approve_a_privileged_request(tmp_path):
    """A production admin request lands in cert-requests/prod/: its CODEOWNERS owners approve it."""
    requests_dir = tmp_path / "requests"
    shutil.copytree(REQUESTS, requests_dir, ignore=shutil.ignore_patterns("*.md", "*.json", "policy.yml"))
    (requests_dir / "prod" / "new-admin.yaml").write_text(
        "user: new-admin\nenv: prod\nsubject: {common_name: new-admin, organizational_unit: Operations, organization: Platform}\n"
        "expiry_days: 30\nroles: [admin]\n")
    result = run_playbook("validate-cert-requests.yml", "-e", f"cert_requests_dir={requests_dir}", unfolded=True)
    assert result.returncode == 0, output(result)[-4000:]
    assert (f"{requests_dir}/prod/new-admin.yaml asks for admin in prod: needs the approval of "
            "@dataplatform-ops/platform-security or @dataplatform-ops/platform-leads") in output(result)

    unowned = tmp_path / "CODEOWNERS"
    unowned.write_text("/docs/ @dataplatform-ops/writers\n")
    result = run_playbook("validate-cert-requests.yml", "-e", f"cert_requests_dir={requests_dir}",
                          "-e", f"cert_codeowners_file={unowned}", unfolded=True)
    assert result.returncode != 0
    assert (f"{requests_dir}/prod/new-admin.yaml: roles: asks for the privileged role(s) admin of prod, but no CODEOWNERS "
            "rule names who must approve cert-requests/prod/new-admin.yaml") in output(result)
