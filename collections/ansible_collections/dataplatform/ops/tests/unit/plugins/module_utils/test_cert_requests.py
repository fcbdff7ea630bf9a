from __future__ import annotations

import textwrap

import pytest

from ansible_collections.dataplatform.ops.plugins.module_utils import cert_requests

POLICY = textwrap.dedent("""
    environments:
      dev:
        max_expiry_days: 365
        renew_before_days: 30
        organizations: [Platform]
        organizational_units: [DataEng, Analytics]
        roles: {allowed: [admin, operator, viewer], default: [viewer]}
""")
ALICE = "user: alice\nenv: dev\nsubject: {common_name: alice, organizational_unit: DataEng, organization: Platform}\nexpiry_days: 180\n"


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "policy.yml").write_text(POLICY)
    (tmp_path / "requests" / "dev").mkdir(parents=True)

    def make(files):
        for name, content in files.items():
            (tmp_path / "requests" / "dev" / name).write_text(content)
        return cert_requests.load_requests(str(tmp_path / "requests"), str(tmp_path / "policy.yml"))

    return make


def test_a_valid_request_gets_its_dn_and_the_default_roles(tree):
    result = tree({"alice.yaml": ALICE})
    assert result["problems"] == []
    (alice,) = result["environments"]["dev"]["users"]
    assert alice["dn"] == "CN=alice, OU=DataEng, O=Platform"
    assert alice["roles"] == ["viewer"]
    assert result["environments"]["dev"]["renew_before_days"] == 30


def test_requested_roles_replace_the_defaults(tree):
    result = tree({"alice.yaml": ALICE + "roles: [operator, admin]\nemail: alice@example.org\n"})
    assert result["environments"]["dev"]["users"][0]["roles"] == ["admin", "operator"]
    assert result["environments"]["dev"]["users"][0]["email"] == "alice@example.org"


def test_every_problem_of_a_file_is_reported(tree):
    result = tree({"alice.yaml": ALICE.replace("env: dev", "env: prod").replace("180", "999") + "admin: true\n"})
    fields = sorted(problem["field"] for problem in result["problems"])
    assert fields == ["admin", "env", "expiry_days"]
    assert result["environments"]["dev"]["users"] == []


def test_authorized_users_refuses_a_partially_valid_set(tree):
    result = tree({"alice.yaml": ALICE, "bob.yaml": ALICE.replace("alice", "bob").replace("DataEng", "Nope")})
    with pytest.raises(cert_requests.InvalidRequests, match="bob.yaml: subject.organizational_unit"):
        cert_requests.authorized_users(result, "dev")


def test_authorized_users_of_a_valid_set(tree):
    result = tree({"alice.yaml": ALICE})
    assert cert_requests.authorized_users(result, "dev") == [{
        "user": "alice", "dn": "CN=alice, OU=DataEng, O=Platform", "roles": ["viewer"], "email": None,
        "subject": {"common_name": "alice", "organizational_unit": "DataEng", "organization": "Platform"},
        "expiry_days": 180}]


def test_hidden_files_are_ignored(tree):
    assert tree({"alice.yaml": ALICE, ".gitkeep": ""})["problems"] == []


@pytest.mark.parametrize(
    ("policy", "field"),
    [
        ("environments: {staging: {}}", "environments"),
        (POLICY.replace("default: [viewer]", "default: [root]"), "environments.dev.roles.default"),
        (POLICY.replace("max_expiry_days: 365", "max_expiry_days: '365'"), "environments.dev.max_expiry_days"),
        (POLICY.replace("organizations: [Platform]", "organizations: ['Evil, O=Corp']"), "environments.dev.organizations"),
        (POLICY + "extra: 1\n", "extra"),
        ("environments: [", "<document>"),
    ],
)
def test_policy_problems_name_the_field(tmp_path, policy, field):
    (tmp_path / "policy.yml").write_text(policy)
    loaded, problems = cert_requests.load_policy(str(tmp_path / "policy.yml"))
    assert loaded is None
    assert field in [problem["field"] for problem in problems], problems


def test_a_missing_requests_folder_is_unavailable(tmp_path):
    (tmp_path / "policy.yml").write_text(POLICY)
    with pytest.raises(cert_requests.RequestsUnavailable):
        cert_requests.load_requests(str(tmp_path / "nope"), str(tmp_path / "policy.yml"))


def test_the_repository_folder_is_found_upwards(tmp_path):
    (tmp_path / "cert-requests").mkdir()
    (tmp_path / "cert-requests" / "policy.yml").write_text(POLICY)
    (tmp_path / "ansible" / "playbooks").mkdir(parents=True)
    assert cert_requests.find_requests_dir(str(tmp_path / "ansible" / "playbooks")) == str(tmp_path / "cert-requests")
    assert cert_requests.find_requests_dir("/") is None


@pytest.mark.parametrize("machine_ou", ["Nodes", "NiFiNodes", "Services"])
def test_the_policy_may_not_give_users_a_machine_identity_ou(tmp_path, machine_ou):
    (tmp_path / "policy.yml").write_text(POLICY.replace("[DataEng, Analytics]", "[DataEng, %s]" % machine_ou))
    loaded, problems = cert_requests.load_policy(str(tmp_path / "policy.yml"))
    assert loaded is None
    assert problems[0]["field"] == "environments.dev.organizational_units"
    assert repr(machine_ou) in problems[0]["reason"] and "machine identities" in problems[0]["reason"]


def test_a_privileged_request_names_its_approvers_or_is_a_problem_without_any(tmp_path):
    (tmp_path / "policy.yml").write_text(POLICY.replace("renew_before_days: 30", "renew_before_days: 30\n    privileged_roles: [admin]"))
    (tmp_path / "requests" / "dev").mkdir(parents=True)
    (tmp_path / "requests" / "dev" / "alice.yaml").write_text(ALICE + "roles: [admin]\n")
    (tmp_path / "requests" / "dev" / "bob.yaml").write_text(ALICE.replace("alice", "bob"))
    owners = "*  @org/all\n/cert-requests/dev/  @org/security\n"
    result = cert_requests.load_requests(str(tmp_path / "requests"), str(tmp_path / "policy.yml"), owners)
    assert result["problems"] == []
    assert [(item["user"], item["roles"], item["owners"]) for item in result["approvals"]] == [
        ("alice", ["admin"], ["@org/security"])]
    assert result["environments"]["dev"]["max_revocations_per_run"] == cert_requests.DEFAULT_MAX_REVOCATIONS_PER_RUN

    unowned = cert_requests.load_requests(str(tmp_path / "requests"), str(tmp_path / "policy.yml"), "/docs/ @org/writers\n")
    assert [(problem["field"], problem["reason"]) for problem in unowned["problems"]] == [(
        "roles", "asks for the privileged role(s) admin of dev, but no CODEOWNERS rule names who must approve "
                 "cert-requests/dev/alice.yaml")]
    assert cert_requests.load_requests(str(tmp_path / "requests"), str(tmp_path / "policy.yml"))["problems"]


def _csr(common_name):
    from ansible_collections.dataplatform.ops.plugins.module_utils import pki

    subject = {"common_name": common_name, "organizational_unit": "DataEng", "organization": "Platform"}
    return pki.build_csr(pki.generate_private_key(), subject)


def _with_csr(request, csr):
    return request + "csr: |\n" + textwrap.indent(csr, "  ")


def test_a_request_may_carry_the_users_own_csr(tree):
    csr = _csr("alice")
    result = tree({"alice.yaml": _with_csr(ALICE, csr)})
    assert result["problems"] == []
    assert result["environments"]["dev"]["users"][0]["csr"] == csr


def test_a_csr_for_another_subject_is_a_problem_of_the_file_and_field(tree):
    result = tree({"alice.yaml": _with_csr(ALICE, _csr("mallory"))})
    assert [(problem["file"].rsplit("/", 1)[-1], problem["field"]) for problem in result["problems"]] == [
        ("alice.yaml", "csr")]
    assert "CN=mallory, OU=DataEng, O=Platform" in result["problems"][0]["reason"]
