"""emulator/iam/web_identity.py: how AWS reads an OIDC token against a trust policy, without a
server (the round trip through the moto server is tests/contract/test_github_oidc_trust.py)."""

from __future__ import annotations

import base64
import json

import pytest

from emulator.iam.web_identity import WebIdentityRefused, check, condition_context, token_claims

pytestmark = pytest.mark.unit

PROVIDER = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
WORKFLOW = "o/r/.github/workflows/terraform.yml"
CLAIMS = {"iss": "https://token.actions.githubusercontent.com", "aud": "sts.amazonaws.com",
          "sub": f"repo:o/r:environment:dev:job_workflow_ref:{WORKFLOW}@refs/heads/feature/x",
          "environment": "dev", "ref": "refs/heads/feature/x", "exp": 2_000_000_000}
TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Federated": PROVIDER}, "Action": "sts:AssumeRoleWithWebIdentity",
    "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                  "StringLike": {"token.actions.githubusercontent.com:sub":
                                 f"repo:o/r:environment:dev:job_workflow_ref:{WORKFLOW}@refs/heads/feature/*"}}}]}


def _refusal(trust=TRUST, provider=PROVIDER, client_ids=("sts.amazonaws.com",), **changes) -> str | None:
    try:
        client_ids = list(client_ids) if client_ids is not None else None
        check(trust, provider, client_ids, {**CLAIMS, **changes}, now=1_900_000_000)
    except WebIdentityRefused as refused:
        return refused.code
    return None


def test_the_subject_and_the_audience_are_the_condition_keys_and_nothing_else():
    assert condition_context(CLAIMS, "sts.amazonaws.com") == {
        "token.actions.githubusercontent.com:sub": CLAIMS["sub"],
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}


def test_a_token_the_trust_admits_is_accepted():
    assert _refusal() is None


@pytest.mark.parametrize("changes, code", [
    ({"sub": CLAIMS["sub"].replace("environment:dev", "environment:prod")}, "AccessDenied"),
    ({"sub": CLAIMS["sub"].replace("feature/x", "main")}, "AccessDenied"),
    ({"aud": "https://github.com/o"}, "InvalidIdentityToken"),
    ({"exp": 1_800_000_000}, "ExpiredTokenException"),
    ({"iss": "http://token.actions.githubusercontent.com"}, "InvalidIdentityToken"),
])
def test_a_token_is_refused_as_aws_refuses_it(changes, code):
    assert _refusal(**changes) == code


def test_a_condition_on_a_claim_aws_does_not_offer_never_holds():
    """GitHub's `environment` claim is no condition key of AWS's: a trust relying on it admits nothing."""
    trust = json.loads(json.dumps(TRUST))
    trust["Statement"][0]["Condition"] = {"StringEquals": {"token.actions.githubusercontent.com:environment": "dev"}}
    assert _refusal(trust=trust) == "AccessDenied"


def test_no_provider_for_the_issuer_another_provider_or_no_role_is_refused():
    assert _refusal(client_ids=None) == "InvalidIdentityToken"
    assert _refusal(provider=PROVIDER.replace("123456789012", "210987654321")) == "AccessDenied"
    assert _refusal(trust=None) == "AccessDenied"


def test_a_token_that_is_no_jwt_is_refused():
    with pytest.raises(WebIdentityRefused, match="not a valid JWT"):
        token_claims("not-a-token")
    payload = base64.urlsafe_b64encode(b"[1]").rstrip(b"=").decode()
    with pytest.raises(WebIdentityRefused, match="not a JSON object"):
        token_claims(f"e30.{payload}.sig")
