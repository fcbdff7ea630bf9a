"""The reconciliation plan (pure logic: requests + the secrets' tags -> actions)."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.dataplatform.ops.plugins.module_utils import pki
from ansible_collections.dataplatform.ops.plugins.module_utils import user_certificates as uc

CA = "arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/ca"
NOW = datetime.datetime(2027, 1, 1, tzinfo=datetime.timezone.utc)
ALICE = {"user": "alice", "subject": {"common_name": "alice", "organizational_unit": "DataEng",
                                      "organization": "Platform"}, "expiry_days": 90, "roles": ["viewer"]}


def secret(user="alice", days_left=200, deleted=False, **tags):
    not_after = (NOW + datetime.timedelta(days=days_left)).strftime("%Y-%m-%dT%H:%M:%SZ")
    base = {
        "dataplatform:serial": "0a:0b",
        "dataplatform:not_after": not_after,
        "dataplatform:subject_dn": "CN=%s/OU=DataEng/O=Platform" % user,
        "dataplatform:roles": "viewer",
        "dataplatform:ca_arn": CA,
        "dataplatform:managed_by": uc.MANAGED_BY,
    }
    base.update(tags)
    return {"name": "dataplatform/dev/users/%s" % user, "tags": base, "deleted": deleted}


def plan(users, state, renew_before_days=30):
    return {entry["user"]: entry for entry in uc.plan(users, state, "dev", CA, renew_before_days, NOW)}


def test_new_request_is_issued():
    entry = plan([ALICE], {})["alice"]
    assert (entry["action"], entry["secret_name"], entry["dn"]) == (
        "issue", "dataplatform/dev/users/alice", "CN=alice, OU=DataEng, O=Platform")


def test_valid_certificate_is_kept():
    entry = plan([ALICE], {"alice": secret()})["alice"]
    assert (entry["action"], entry["days_left"]) == ("keep", 200)


@pytest.mark.parametrize(("days_left", "reason"), [(30, "expires in 30 day(s)"), (1, "expires in 1 day(s)"),
                                                   (-3, "expired")])
def test_certificate_in_the_window_is_renewed(days_left, reason):
    entry = plan([ALICE], {"alice": secret(days_left=days_left)})["alice"]
    assert entry["action"] == "renew" and reason in entry["reason"]
    assert entry["previous_serial"] == "0a:0b"


@pytest.mark.parametrize(
    ("tags", "reason"),
    [
        ({"dataplatform:subject_dn": "CN=alice/OU=Analytics/O=Platform"}, "subject changed (was CN=alice, OU=Analytics"),
        ({"dataplatform:roles": "admin viewer"}, "roles changed (were admin viewer)"),
        ({"dataplatform:ca_arn": CA + "-old"}, "another certificate authority"),
        ({"dataplatform:serial": ""}, "metadata is incomplete"),
        ({"dataplatform:not_after": "soon"}, "metadata is incomplete"),
    ],
)
def test_changes_reissue(tags, reason):
    entry = plan([ALICE], {"alice": secret(**tags)})["alice"]
    assert entry["action"] == "reissue" and reason in entry["reason"]


def test_removed_request_is_revoked_once():
    assert plan([], {"bob": secret("bob")})["bob"]["action"] == "revoke"
    assert plan([], {"bob": secret("bob")})["bob"]["dn"] == "CN=bob, OU=DataEng, O=Platform"
    assert plan([], {"bob": secret("bob", deleted=True)}) == {}


def test_request_added_again_restores_the_secret():
    entry = plan([ALICE], {"alice": secret(deleted=True)})["alice"]
    assert (entry["action"], entry["secret_state"]) == ("issue", "scheduled_for_deletion")


def test_secrets_not_created_by_the_module_are_left_alone_or_stop_the_run():
    foreign = secret("bob", **{"dataplatform:managed_by": "someone"})
    assert plan([], {"bob": foreign}) == {}
    with pytest.raises(uc.ReconcileError, match="was not created by"):
        plan([dict(ALICE, user="bob")], {"bob": foreign})


def entries(users, state):
    return uc.plan(users, state, "dev", CA, 30, NOW)


def test_a_plan_without_any_request_that_revokes_is_refused():
    refusal = uc.revocation_refusal(entries([], {"alice": secret("alice")}), [], max_revocations=5)
    assert "no certificate request for this environment" in refusal and "alice" in refusal


def test_a_plan_revoking_more_than_the_limit_is_refused_with_the_users():
    state = {name: secret(name) for name in ("alice", "bob", "carol")}
    refusal = uc.revocation_refusal(entries([ALICE], state), [ALICE], max_revocations=1)
    assert refusal.startswith("2 user certificates would be revoked (bob, carol), more than the 1")


def test_a_plan_within_the_limit_or_without_revocations_passes():
    state = {name: secret(name) for name in ("alice", "bob")}
    assert uc.revocation_refusal(entries([ALICE], state), [ALICE], max_revocations=1) is None
    assert uc.revocation_refusal(entries([], {}), [], max_revocations=0) is None
    renewing = {"alice": secret("alice", days_left=3)}
    assert uc.revocation_refusal(entries([ALICE], renewing), [ALICE], max_revocations=0) is None


def test_the_key_a_request_names_decides_a_reissue():
    """A secret from before the key tag holds a generated key; a request with a CSR wants that CSR's key."""
    key = pki.generate_private_key()
    with_csr = dict(ALICE, csr=pki.build_csr(key, ALICE["subject"]))
    assert plan([ALICE], {"alice": secret()})["alice"]["action"] == "keep"
    entry = plan([with_csr], {"alice": secret()})["alice"]
    assert (entry["action"], entry["reason"]) == ("reissue", "the request's key changed (a CSR of the user's own key)")
    assert plan([with_csr], {"alice": secret(**{"dataplatform:key": uc.key_source(with_csr)})})["alice"]["action"] == "keep"
    entry = plan([ALICE], {"alice": secret(**{"dataplatform:key": uc.key_source(with_csr)})})["alice"]
    assert (entry["action"], entry["reason"]) == ("reissue", "the request's key changed (the platform makes the key again)")
