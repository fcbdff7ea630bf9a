# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Reconciling user certificates with the requests of an environment.

The state lives in Secrets Manager: one secret per user, ``dataplatform/<env>/users/<user>``,
whose tags carry what the plan needs (serial, not_after, DN, roles, issuing CA). Reading the
state is one paged ListSecrets (tags included), never one call per user, so an environment in
which nothing is due costs a handful of reads and no PCA call.

For each user the plan is one of:

* ``issue``   a new request (or one whose secret is scheduled for deletion): new key, CSR,
              certificate, PKCS#12 bundle, secret;
* ``renew``   the certificate expires within the renewal window: the same, replacing the
              secret's value, then the old serial is revoked (SUPERSEDED);
* ``reissue`` the subject, the roles or the issuing CA changed: as ``renew``;
* ``revoke``  the request was removed: the serial is revoked (CESSATION_OF_OPERATION) and the
              secret is scheduled for deletion;
* ``keep``    nothing to do.

Order of the writes for one user: issue, store, then revoke the old serial, so that a failure
half-way never leaves a user without a valid stored certificate.
"""

from __future__ import annotations

import datetime
import hashlib
import json

try:
    import botocore
except ImportError:  # pragma: no cover - AnsibleAWSModule reports a missing botocore
    botocore = None

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.dataplatform.ops.plugins.module_utils import acmpca, identity, pki, platform

MANAGED_BY = "dataplatform.ops.user_certificates"
USERS = "users"  # dataplatform/<env>/users/<user>
GENERATED_KEY = "generated"
LIST_PAGE_SIZE = 100
ACTIONS = ("issue", "renew", "reissue", "revoke", "protect", "keep")
CHANGING_ACTIONS = ("issue", "renew", "reissue", "revoke", "protect")
# Who may change a user's secret besides reading it: only the pipeline (the cert issuer).
ISSUER_ONLY_ACTIONS = ["secretsmanager:PutSecretValue", "secretsmanager:UpdateSecret", "secretsmanager:DeleteSecret",
                       "secretsmanager:PutResourcePolicy", "secretsmanager:DeleteResourcePolicy"]


def readers(user, issuer_arn):
    """Who may read a user's secret: the cert issuer and the principals the request names."""
    return [issuer_arn] + sorted(set(user.get("readers") or []) - {issuer_arn})


def resource_policy(user, issuer_arn):
    """The secret's resource policy: whoever else an identity policy lets read or change secrets
    (an administrator, a host role, the deploy role) is refused."""
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "OnlyTheIssuerAndTheUserRead", "Effect": "Deny", "Principal": "*",
         "Action": "secretsmanager:GetSecretValue", "Resource": "*",
         "Condition": {"ArnNotEquals": {"aws:PrincipalArn": readers(user, issuer_arn)}}},
        {"Sid": "OnlyTheIssuerChangesIt", "Effect": "Deny", "Principal": "*",
         "Action": ISSUER_ONLY_ACTIONS, "Resource": "*",
         "Condition": {"ArnNotEquals": {"aws:PrincipalArn": issuer_arn}}},
    ]}


def readers_tag(user, issuer_arn):
    """The USER_SECRET_TAG_READERS value: a digest of the resource policy the secret must carry."""
    document = json.dumps(resource_policy(user, issuer_arn), sort_keys=True)
    return hashlib.sha256(document.encode()).hexdigest()


class ReconcileError(Exception):
    """The reconciliation stopped; ``done`` lists the entries completed before it did."""

    def __init__(self, message, cause=None, done=None):
        super().__init__(message)
        self.cause = cause
        self.done = done or []


def user_prefix(env):
    return platform.secrets_prefix(env) + USERS + "/"


def _roles_tag(roles):
    return " ".join(sorted(roles))


def _tags_dict(tag_list):
    return {tag["Key"]: tag["Value"] for tag in tag_list or []}


@AWSRetry.jittered_backoff()
def _list_pages(paginator, **arguments):
    return paginator.paginate(**arguments).build_full_result()


def read_state(secrets_client, env):
    """The user secrets of ``env`` as ``{user: {"name", "tags", "deleted"}}``, with paged ListSecrets."""
    prefix = user_prefix(env)
    try:
        listed = _list_pages(
            secrets_client.get_paginator("list_secrets"),
            Filters=[{"Key": "name", "Values": [prefix]}],
            IncludePlannedDeletion=True,
            PaginationConfig={"PageSize": LIST_PAGE_SIZE},
        )
    except botocore.exceptions.ClientError as error:
        raise ReconcileError("cannot list the secrets under %s" % prefix, error) from error
    state = {}
    for secret in listed.get("SecretList", []):
        name = secret["Name"]
        user = name[len(prefix):]
        # The name filter matches prefixes: dataplatform/dev/users/alice also lists .../alice/old.
        if not name.startswith(prefix) or not user or "/" in user:
            continue
        state[user] = {"name": name, "tags": _tags_dict(secret.get("Tags")), "deleted": bool(secret.get("DeletedDate"))}
    return state


def _days_left(not_after, now):
    return (not_after - now).total_seconds() / 86400.0


def plan(users, state, env, authority_arn, renew_before_days, now, issuer_arn=None):
    """One entry per user with a request or a live secret, sorted by user; pure logic. With
    ``issuer_arn``, a kept secret whose resource policy is not the wanted one is protected."""
    entries = []
    wanted = {user["user"]: user for user in users}
    for name in sorted(set(wanted) | set(state)):
        user = wanted.get(name)
        secret = state.get(name)
        tags = secret["tags"] if secret else {}
        entry = {
            "user": name,
            "secret_name": platform.secret_name(env, USERS, name),
            "dn": identity.subject_dn(user["subject"]) if user else None,
            "roles": sorted(user.get("roles") or []) if user else (tags.get(platform.USER_SECRET_TAG_ROLES) or "").split(),
            "serial": tags.get(platform.USER_SECRET_TAG_SERIAL),
            "not_after": tags.get(platform.USER_SECRET_TAG_NOT_AFTER),
            "days_left": None,
            "previous_serial": None,
            "previous_ca": tags.get(platform.USER_SECRET_TAG_CA),
            "secret_state": "absent" if not secret else "scheduled_for_deletion" if secret["deleted"] else "present",
        }
        not_after = None
        if entry["not_after"]:
            try:
                not_after = pki.parse_time(entry["not_after"])
                entry["days_left"] = int(_days_left(not_after, now) // 1)
            except ValueError:
                not_after = None
        if secret and tags.get(platform.USER_SECRET_TAG_MANAGED_BY) != MANAGED_BY:
            if user:
                raise ReconcileError("secret %s exists but was not created by %s; move it away or tag it %s=%s"
                                     % (entry["secret_name"], MANAGED_BY, platform.USER_SECRET_TAG_MANAGED_BY,
                                        MANAGED_BY))
            continue  # not ours, and nobody asks for it: leave it alone
        if user is None:
            if secret["deleted"]:
                continue  # revoked and scheduled for deletion by an earlier run
            entry.update(action="revoke", reason="request removed")
            entry["dn"] = (tags.get(platform.USER_SECRET_TAG_SUBJECT_DN) or "").replace(identity.TAG_SEPARATOR, ", ")
        elif secret is None:
            entry.update(action="issue", reason="new request")
        elif secret["deleted"]:
            entry.update(action="issue", reason="request added again; the secret scheduled for deletion is restored")
        else:
            entry.update(_decide(user, tags, authority_arn, renew_before_days, not_after, now))
            if (entry["action"] == "keep" and issuer_arn
                    and tags.get(platform.USER_SECRET_TAG_READERS) != readers_tag(user, issuer_arn)):
                entry.update(action="protect", reason="who may read the secret is not what the request says")
        if entry["action"] in ("renew", "reissue"):
            entry["previous_serial"] = entry["serial"]
        entries.append(entry)
    return entries


def revocation_refusal(entries, users, max_revocations):
    """Why a plan revokes too much to be carried out without an explicit override, or None; pure logic.

    A plan with no request at all that revokes (the environment's folder missing or empty, a
    wrong checkout) and one that revokes more users than ``max_revocations`` are refused whole:
    nothing is issued, renewed or revoked.
    """
    revoked = sorted(entry["user"] for entry in entries if entry["action"] == "revoke")
    if not revoked:
        return None
    if not users:
        return ("no certificate request for this environment, so every one of its %d user certificate(s) would be "
                "revoked (%s); is the environment's folder missing or empty?" % (len(revoked), ", ".join(revoked)))
    if len(revoked) > max_revocations:
        return ("%d user certificates would be revoked (%s), more than the %d a run may revoke "
                "(max_revocations_per_run of the policy)" % (len(revoked), ", ".join(revoked), max_revocations))
    return None


def key_source(user):
    """Where a user's certificate key is (the USER_SECRET_TAG_KEY value)."""
    return "csr:%s" % pki.csr_key_id(user["csr"]) if user.get("csr") else GENERATED_KEY


def _decide(user, tags, authority_arn, renew_before_days, not_after, now):
    if not_after is None or not tags.get(platform.USER_SECRET_TAG_SERIAL):
        return {"action": "reissue", "reason": "the secret's certificate metadata is incomplete"}
    # Secrets from before the tag hold a generated key.
    if tags.get(platform.USER_SECRET_TAG_KEY, GENERATED_KEY) != key_source(user):
        return {"action": "reissue", "reason": "the request's key changed (%s)"
                % ("a CSR of the user's own key" if user.get("csr") else "the platform makes the key again")}
    if tags.get(platform.USER_SECRET_TAG_SUBJECT_DN) != identity.tag_safe_dn(user["subject"]):
        return {"action": "reissue", "reason": "subject changed (was %s)"
                % tags.get(platform.USER_SECRET_TAG_SUBJECT_DN, "").replace(identity.TAG_SEPARATOR, ", ")}
    if tags.get(platform.USER_SECRET_TAG_ROLES, "") != _roles_tag(user.get("roles") or []):
        return {"action": "reissue", "reason": "roles changed (were %s)"
                % (tags.get(platform.USER_SECRET_TAG_ROLES) or "none")}
    if tags.get(platform.USER_SECRET_TAG_CA) != authority_arn:
        return {"action": "reissue", "reason": "issued by another certificate authority"}
    days_left = _days_left(not_after, now)
    if days_left <= renew_before_days:
        if days_left <= 0:
            return {"action": "renew", "reason": "expired"}
        return {"action": "renew", "reason": "expires in %d day(s), within the %d-day renewal window"
                % (int(days_left), renew_before_days)}
    return {"action": "keep", "reason": "valid for %d more day(s)" % int(days_left)}


class Reconciler:
    """Carries out a plan against ACM Private CA and Secrets Manager."""

    def __init__(self, pca_client, secrets_client, env, authority_arn, template_arn, signing_algorithm=None,
                 key_size=2048, recovery_window_days=30, kms_key_id=None, wait_seconds=120, issuer_arn=None):
        self.pca = pca_client
        self.secrets = secrets_client
        self.env = env
        self.authority_arn = authority_arn
        self.template_arn = template_arn
        self.signing_algorithm = signing_algorithm
        self.key_size = key_size
        self.recovery_window_days = recovery_window_days
        self.kms_key_id = kms_key_id
        self.wait_seconds = wait_seconds
        self.issuer_arn = issuer_arn

    def _signing_algorithm(self):
        # The CA's own algorithm unless one is given: it must match the CA's key type.
        if not self.signing_algorithm:
            self.signing_algorithm = acmpca.describe_certificate_authority(
                self.pca, self.authority_arn, with_certificate=False)["signing_algorithm"]
        return self.signing_algorithm

    def apply(self, entries, users, now):
        wanted = {user["user"]: user for user in users}
        done = []
        for entry in entries:
            try:
                if entry["action"] in ("issue", "renew", "reissue"):
                    self._issue(entry, wanted[entry["user"]], now)
                elif entry["action"] == "revoke":
                    self._revoke(entry, now)
                elif entry["action"] == "protect":
                    self._protect(entry["secret_name"], wanted[entry["user"]])
            except (acmpca.PcaError, botocore.exceptions.ClientError) as error:
                cause = getattr(error, "cause", None) or error
                raise ReconcileError("user %s (%s): %s" % (entry["user"], entry["action"], error), cause, done) from error
            done.append(entry)
        return done

    def _issue(self, entry, user, now):
        # A user's own CSR keeps their key with them; otherwise the platform makes one for the bundle.
        key = None if user.get("csr") else pki.generate_private_key(self.key_size)
        csr = user.get("csr") or pki.build_csr(key, user["subject"])
        issued = acmpca.issue_certificate(self.pca, self.authority_arn, csr, user["expiry_days"], self.template_arn,
                                          self._signing_algorithm(), wait_seconds=self.wait_seconds)
        certificate = pki.load_certificates(issued["certificate"])[0]
        chain = pki.load_certificates(issued["certificate_chain"])
        facts = pki.certificate_facts(certificate)
        content = {"format": "certificate"}
        if key is not None:
            password = pki.random_password()
            content = {"format": "pkcs12", "pkcs12": pki.b64(pki.pkcs12_bundle(user["user"], key, certificate, chain, password)),
                       "password": password}
        value = json.dumps(dict(content, certificate=issued["certificate"], certificate_chain=issued["certificate_chain"],
                                subject_dn=entry["dn"]))
        tags = self._tags(user, facts)
        description = "NiFi login certificate of %s: %s (serial %s)" % (user["user"], entry["dn"], facts["serial"])
        self._store(entry, value, description, tags)
        self._protect(entry["secret_name"], user)
        old_serial, old_ca = entry.get("previous_serial"), entry.get("previous_ca")
        entry.update(serial=facts["serial"], not_after=facts["not_after"],
                     days_left=int(_days_left(pki.parse_time(facts["not_after"]), now) // 1),
                     fingerprint_sha256=facts["fingerprint_sha256"])
        if old_serial and old_ca:
            entry["revoked_serial"] = old_serial if acmpca.revoke_certificate(
                self.pca, old_ca, old_serial, "SUPERSEDED") else None

    def _store(self, entry, value, description, tags):
        name = entry["secret_name"]
        if entry["secret_state"] == "absent":
            arguments = {"Name": name, "Description": description, "SecretString": value, "Tags": tags}
            if self.kms_key_id:
                arguments["KmsKeyId"] = self.kms_key_id
            try:
                self.secrets.create_secret(aws_retry=True, **arguments)
                return
            except is_boto3_error_code("ResourceExistsException"):
                pass  # created since the listing (a concurrent run): replace its value below
        elif entry["secret_state"] == "scheduled_for_deletion":
            self.secrets.restore_secret(SecretId=name, aws_retry=True)
        self.secrets.update_secret(SecretId=name, Description=description, SecretString=value, aws_retry=True)
        self.secrets.tag_resource(SecretId=name, Tags=tags, aws_retry=True)

    def _protect(self, name, user):
        if not self.issuer_arn:
            return
        policy = json.dumps(resource_policy(user, self.issuer_arn))
        self.secrets.put_resource_policy(SecretId=name, ResourcePolicy=policy, BlockPublicPolicy=True, aws_retry=True)
        self.secrets.tag_resource(SecretId=name, Tags=[{"Key": platform.USER_SECRET_TAG_READERS,
                                                        "Value": readers_tag(user, self.issuer_arn)}], aws_retry=True)

    def _tags(self, user, facts):
        tags = {
            platform.USER_SECRET_TAG_ENV: self.env,
            platform.USER_SECRET_TAG_USER: user["user"],
            platform.USER_SECRET_TAG_SERIAL: facts["serial"],
            platform.USER_SECRET_TAG_NOT_AFTER: facts["not_after"],
            platform.USER_SECRET_TAG_SUBJECT_DN: identity.tag_safe_dn(user["subject"]),
            platform.USER_SECRET_TAG_FINGERPRINT: facts["fingerprint_sha256"],
            platform.USER_SECRET_TAG_ROLES: _roles_tag(user.get("roles") or []),
            platform.USER_SECRET_TAG_CA: self.authority_arn,
            platform.USER_SECRET_TAG_MANAGED_BY: MANAGED_BY,
            platform.USER_SECRET_TAG_KEY: key_source(user),
        }
        return [{"Key": key, "Value": value} for key, value in sorted(tags.items())]

    def _revoke(self, entry, now):
        serial, authority = entry.get("serial"), entry.get("previous_ca")
        expired = entry.get("days_left") is not None and entry["days_left"] < 0
        if serial and authority and not expired:
            entry["revoked_serial"] = serial if acmpca.revoke_certificate(
                self.pca, authority, serial, "CESSATION_OF_OPERATION") else None
        self.secrets.delete_secret(SecretId=entry["secret_name"], RecoveryWindowInDays=self.recovery_window_days,
                                   aws_retry=True)


def report_entry(entry):
    """The public form of a plan entry (what the module returns and the report prints)."""
    return {
        "user": entry["user"],
        "dn": entry["dn"],
        "roles": entry["roles"],
        "serial": entry.get("serial"),
        "not_after": entry.get("not_after"),
        "days_left": entry.get("days_left"),
        "action": entry["action"],
        "reason": entry["reason"],
        "secret_name": entry["secret_name"],
        "revoked_serial": entry.get("revoked_serial"),
    }


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc)
