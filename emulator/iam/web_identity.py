"""``sts:AssumeRoleWithWebIdentity`` as AWS answers it, inside the moto server process: the role's
trust policy decides (moto issued credentials for any token and any role).

What AWS does and is emulated here, for an OpenID Connect provider such as GitHub Actions'
(``https://token.actions.githubusercontent.com``):

* The call is not signed (it carries no AWS credentials): it is served without moto's signature
  check, also when moto enforces IAM (``INITIAL_NO_AUTH_ACTION_COUNT=0``).
* The token is a JWT whose claims say who asks. Its issuer (``iss``) names the identity provider:
  the role's account must have an IAM OIDC provider for that URL (else ``InvalidIdentityToken``
  "No OpenIDConnect provider found in your account for …"), and one of the token's audiences
  (``aud``) must be in the provider's client ids (else ``InvalidIdentityToken`` "Incorrect token
  audience"). A token past its ``exp`` is ``ExpiredTokenException``.
* The request is then evaluated against the role's trust policy (policy_conditions.py's evaluator)
  with the principal ``Federated`` = the provider's ARN
  (``arn:aws:iam::<role's account>:oidc-provider/<issuer without https://>``), the action
  ``sts:AssumeRoleWithWebIdentity`` and the condition keys AWS makes of the token's claims:
  ``<issuer>:sub`` and ``<issuer>:aud`` (e.g. ``token.actions.githubusercontent.com:sub``). Only
  those two: AWS offers no condition key for GitHub's other claims (``ref``, ``environment``,
  ``job_workflow_ref``…), which is why a repository puts them into its subject with a custom
  subject template. No ``Allow`` (or a ``Deny``), or a role that does not exist: ``AccessDenied``
  "Not authorized to perform sts:AssumeRoleWithWebIdentity", as from AWS (with HTTP status 400
  where AWS sends 403: moto's serializer knows no status for an error STS's model does not list).
* Allowed: moto's own answer, a session of the role whose calls moto holds to the role's policies.

Not emulated: the token's signature is NOT verified (there is no GitHub issuer here, and no
provider keys or thumbprints to check it against: anyone who can reach the server can mint any
claims; the emulation tests what a trust policy admits, not the token's authenticity); ``nbf`` and
``iat``; the session tags and ``sts:RoleSessionName`` keys; Cognito's ``amr``, Google's ``azp``
and ``oaud``; a session policy (``Policy``), which moto ignores; ``SubjectFromWebIdentityToken``
and ``Provider`` in the answer.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import urllib.parse

from emulator.iam import policy_conditions

ACTION = "sts:AssumeRoleWithWebIdentity"


class WebIdentityRefused(Exception):
    """Why AWS refuses a web identity: an error code of STS and its message."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def token_claims(token: str) -> dict:
    """The claims of a JWT (its second, base64url-encoded part); the signature is not checked."""
    parts = (token or "").split(".")
    if len(parts) != 3:
        raise WebIdentityRefused("InvalidIdentityToken", "The ID token provided is not a valid JWT.")
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except (binascii.Error, ValueError) as error:
        raise WebIdentityRefused("InvalidIdentityToken", f"The ID token's claims are not JSON: {error}") from error
    if not isinstance(claims, dict):
        raise WebIdentityRefused("InvalidIdentityToken", "The ID token's claims are not a JSON object.")
    return claims


def provider_url(issuer: str) -> str:
    """The IAM provider URL of an issuer: its host and path, without the scheme (as IAM keeps it)."""
    parsed = urllib.parse.urlparse(issuer or "")
    if parsed.scheme != "https" or not parsed.netloc:
        raise WebIdentityRefused("InvalidIdentityToken", f"The ID token's issuer is not an https URL: {issuer!r}")
    return (parsed.netloc + parsed.path).rstrip("/")


def condition_context(claims: dict, audience: str) -> dict[str, str]:
    """The condition keys AWS makes of an OIDC token: ``<provider>:sub`` and ``<provider>:aud``."""
    url = provider_url(claims.get("iss"))
    return {f"{url}:sub": str(claims.get("sub", "")), f"{url}:aud": audience}


def check(trust_policy: dict | None, provider_arn: str, client_ids: list[str] | None, claims: dict,
          now: float | None = None) -> None:
    """Raises :class:`WebIdentityRefused` unless AWS would let the token's bearer assume a role
    with this trust policy; ``client_ids`` is the provider's (None: no provider for the issuer)."""
    issuer = claims.get("iss")
    if client_ids is None:
        raise WebIdentityRefused("InvalidIdentityToken",
                                 f"No OpenIDConnect provider found in your account for {issuer}")
    audiences = claims.get("aud")
    audiences = audiences if isinstance(audiences, list) else [audiences]
    accepted = [audience for audience in audiences if audience in client_ids]
    if not accepted:
        raise WebIdentityRefused("InvalidIdentityToken", "Incorrect token audience")
    expires = claims.get("exp")
    if isinstance(expires, (int, float)) and expires <= (time.time() if now is None else now):
        raise WebIdentityRefused("ExpiredTokenException", "Token expired")
    verdict = None
    if trust_policy is not None:
        principal = policy_conditions.Principal("Federated", provider_arn)
        verdict = policy_conditions.evaluate(trust_policy, ACTION, principal, condition_context(claims, accepted[0]))
    if verdict != "Allow":
        raise WebIdentityRefused("AccessDenied", f"Not authorized to perform {ACTION}")


def _refusal(refused: WebIdentityRefused):
    from moto.sts.exceptions import STSClientError

    return STSClientError(refused.code, refused.message)


def _trusted_web_identity(original):
    def assume_role_with_web_identity(self):
        from moto.iam.models import NotFoundException, iam_backends
        from moto.utilities.utils import get_partition

        role_arn = self._get_param("RoleArn") or ""
        account = role_arn.split(":")[4] if role_arn.count(":") >= 5 else self.current_account
        partition = get_partition(self.region)
        iam = iam_backends[account][partition]
        try:
            claims = token_claims(self._get_param("WebIdentityToken"))
            url = provider_url(claims.get("iss"))
            provider_arn = f"arn:{partition}:iam::{account}:oidc-provider/{url}"
            provider = iam.open_id_providers.get(provider_arn)
            try:
                document = iam.get_role_by_arn(role_arn).assume_role_policy_document
                document = urllib.parse.unquote(document) if isinstance(document, str) else json.dumps(document)
                trust = json.loads(document)
            except NotFoundException:
                trust = None
            check(trust, provider_arn, list(provider.client_id_list) if provider else None, claims)
        except WebIdentityRefused as refused:
            raise _refusal(refused) from refused
        return original(self)

    return assume_role_with_web_identity


def _unsigned_web_identity(original):
    """AssumeRoleWithWebIdentity carries no AWS signature; every other STS call is checked as before."""
    def authenticate_and_authorize_normal_action(self, resource="*"):
        if self._get_action() == "AssumeRoleWithWebIdentity":
            return None
        return original(self, resource)

    return authenticate_and_authorize_normal_action


def install() -> None:
    """Makes moto's STS evaluate a role's trust policy on AssumeRoleWithWebIdentity."""
    from moto.sts.responses import TokenResponse

    TokenResponse.assume_role_with_web_identity = _trusted_web_identity(TokenResponse.assume_role_with_web_identity)
    TokenResponse._authenticate_and_authorize_normal_action = _unsigned_web_identity(
        TokenResponse._authenticate_and_authorize_normal_action)
