#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

DOCUMENTATION = r"""
module: user_certificates
short_description: Reconciles the user certificates of an environment with its certificate requests
version_added: 0.1.0
description:
  - Makes the user certificates of one environment match a list of requests (usually the valid requests from
    P(dataplatform.ops.cert_requests#lookup)). Each user's certificate lives in Secrets Manager under
    C(dataplatform/<env>/users/<user>) as a PKCS#12 bundle (key, certificate and CA chain; PBES2 with
    PBKDF2-HMAC-SHA256 and AES-256-CBC, HMAC-SHA256 MAC) with a random password, and its serial, expiry,
    DN, SHA-256 fingerprint, roles and issuing CA in tags.
  - A new request gets a key and CSR made on the controller, a certificate from the CA (client authentication
    template by default) and a new secret.
  - A request with its own C(csr) (the user keeps the private key) gets its certificate issued for that CSR, and
    its secret holds the certificate and chain only (C(format) C(certificate)), no key or password. A changed CSR,
    or a switch between the two ways, is a reissue. The CSR is checked first (signature, the request's subject
    exactly, an accepted key, no subject alternative name).
  - A request whose certificate expires within O(renew_before_days), or whose subject, roles or issuing CA
    changed, gets a new certificate; the secret's value is replaced and the old serial revoked (SUPERSEDED).
  - A user with a secret but no request any more is revoked at the CA (CESSATION_OF_OPERATION) and the secret
    scheduled for deletion.
  - The state is read with paged ListSecrets calls (tags included), so a run in which nothing is due makes no
    call to the CA and no per-user read.
  - In check mode the plan is returned and no AWS API that changes anything is called.
  - Secrets under the prefix that this module did not create are left alone; if one is in the way of a
    request, the module fails before changing anything.
author: dataplatform-ops maintainers (@dataplatform-ops)
options:
  env:
    description: The environment; it names the secrets (C(dataplatform/<env>/users/<user>)).
    type: str
    required: true
    choices: [local, dev, ppd, prod]
  certificate_authority_arn:
    description: ARN of the environment's CA (C(pca.arn) of the platform parameter).
    type: str
    required: true
    aliases: [pca_arn]
  users:
    description:
      - The requests, each with at least C(user), C(subject) (C(common_name), C(organizational_unit),
        C(organization)), C(expiry_days) and C(roles), and optionally C(csr) (PEM) and C(readers) (IAM
        principal ARNs that may read the secret). Other keys (C(dn), C(email), C(file), ...) are ignored;
        the DN is always computed from the subject with the identity function.
      - An empty list would revoke every certificate of the environment; it is refused unless
        O(allow_mass_revocation) is set.
    type: list
    elements: dict
    required: true
  renew_before_days:
    description: A certificate that expires within this many days is renewed.
    type: int
    required: true
  max_revocations:
    description:
      - The most users a run may revoke (requests removed). A plan that revokes more, or that has no
        request at all and revokes any, fails before any change, with the users it would revoke, unless
        O(allow_mass_revocation) is set. Renewals do not count.
      - C(max_revocations_per_run) of the environment in the certificate policy.
    type: int
    default: 2
  allow_mass_revocation:
    description: Carry out a plan that O(max_revocations) would refuse (an explicit, reviewed decision).
    type: bool
    default: false
  template_arn:
    description: Certificate template of user certificates.
    type: str
    default: arn:aws:acm-pca:::template/EndEntityClientAuthCertificate/V1
  signing_algorithm:
    description: Algorithm the CA signs with; defaults to the CA's own (read once, only when something is issued).
    type: str
    choices: [SHA256WITHECDSA, SHA384WITHECDSA, SHA512WITHECDSA, SHA256WITHRSA, SHA384WITHRSA, SHA512WITHRSA,
              SM3WITHSM2, ML_DSA_44, ML_DSA_65, ML_DSA_87]
  key_size:
    description: Size of the users' RSA keys.
    type: int
    default: 2048
    choices: [2048, 3072, 4096]
  recovery_window_days:
    description: Days a removed user's secret stays recoverable before Secrets Manager deletes it.
    type: int
    default: 30
  kms_key_id:
    description: KMS key that encrypts new secrets (the platform document's C(secrets.kms_key_arn)); the account's default key for Secrets Manager when unset.
    type: str
  issuer_principal_arn:
    description:
      - The cert issuer role (the platform document's C(secrets.cert_issuer_role_arn)). Each user's secret gets a
        resource policy that refuses C(GetSecretValue) to every principal but this one and the request's C(readers),
        and any change of the secret or its policy to every principal but this one.
      - A secret whose policy differs is brought back to it (action C(protect)), without a new certificate.
      - Without it no resource policy is set or checked.
    type: str
  as_of:
    description:
      - Evaluate the renewal window as of this UTC time (ISO 8601, for example C(2027-01-31T00:00:00Z))
        instead of now; with check mode it shows what a later run will renew.
    type: str
  wait_timeout:
    description: Seconds to wait for each certificate to be issued.
    type: int
    default: 120
requirements:
  - cryptography
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read the requests
  ansible.builtin.set_fact:
    requests: "{{ lookup('dataplatform.ops.cert_requests') }}"

- name: Reconcile the user certificates of dev
  dataplatform.ops.user_certificates:
    env: dev
    certificate_authority_arn: "{{ pca_arn }}"
    users: "{{ requests.environments.dev.users }}"
    renew_before_days: "{{ requests.environments.dev.renew_before_days }}"
    max_revocations: "{{ requests.environments.dev.max_revocations_per_run }}"
  register: user_certs

- name: What the next month will renew (changes nothing)
  dataplatform.ops.user_certificates:
    env: dev
    certificate_authority_arn: "{{ pca_arn }}"
    users: "{{ requests.environments.dev.users }}"
    renew_before_days: "{{ requests.environments.dev.renew_before_days }}"
    as_of: "2027-01-31T00:00:00Z"
  check_mode: true
"""

RETURN = r"""
certificates:
  description: One entry per user with a request or a certificate, sorted by user.
  returned: always
  type: list
  elements: dict
  contains:
    user:
      description: The user.
      type: str
      sample: alice
    dn:
      description: The identity NiFi compares.
      type: str
      sample: CN=alice, OU=DataEng, O=Platform
    roles:
      description: The user's roles.
      type: list
      elements: str
    serial:
      description: Serial of the user's certificate after the run; in check mode, the current one.
      type: str
    not_after:
      description: End of validity of that certificate, UTC (ISO 8601).
      type: str
    days_left:
      description: Whole days until C(not_after).
      type: int
    action:
      description: V(issue), V(renew), V(reissue), V(revoke), V(protect) (the resource policy only) or V(keep).
      type: str
    reason:
      description: Why.
      type: str
      sample: expires in 12 day(s), within the 30-day renewal window
    secret_name:
      description: The user's secret.
      type: str
      sample: dataplatform/dev/users/alice
    revoked_serial:
      description: The serial this run revoked, if any.
      type: str
summary:
  description: Number of users per action.
  returned: always
  type: dict
  sample: {issue: 1, renew: 0, reissue: 0, revoke: 1, protect: 0, keep: 12}
"""

import datetime

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.dataplatform.ops.plugins.module_utils import acmpca, pki, user_certificates
from ansible_collections.dataplatform.ops.plugins.module_utils.platform import ENVIRONMENTS

REQUIRED_USER_KEYS = ("user", "subject", "expiry_days")


def checked_users(module):
    users = []
    for index, user in enumerate(module.params["users"]):
        missing = [key for key in REQUIRED_USER_KEYS if key not in user]
        if missing:
            module.fail_json(msg="users[%d] lacks %s" % (index, ", ".join(missing)))
        if user.get("csr"):
            reason = pki.user_csr_problem(user["csr"], user["subject"])
            if reason:
                module.fail_json(msg="users[%d] (%s): csr %s" % (index, user["user"], reason))
        users.append({"user": user["user"], "subject": user["subject"], "expiry_days": int(user["expiry_days"]),
                      "roles": sorted(user.get("roles") or []), "csr": user.get("csr"),
                      "readers": sorted(user.get("readers") or [])})
    return users


def evaluation_time(module):
    if not module.params["as_of"]:
        return user_certificates.utc_now()
    try:
        moment = datetime.datetime.fromisoformat(module.params["as_of"].replace("Z", "+00:00"))
    except ValueError:
        module.fail_json(msg="as_of %r is not an ISO 8601 time" % module.params["as_of"])
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


def main():
    module = AnsibleAWSModule(
        argument_spec={
            "env": {"type": "str", "required": True, "choices": list(ENVIRONMENTS)},
            "certificate_authority_arn": {"type": "str", "required": True, "aliases": ["pca_arn"]},
            "users": {"type": "list", "elements": "dict", "required": True},
            "renew_before_days": {"type": "int", "required": True},
            "max_revocations": {"type": "int", "default": 2},
            "allow_mass_revocation": {"type": "bool", "default": False},
            "template_arn": {"type": "str", "default": acmpca.CLIENT_AUTH_TEMPLATE},
            "signing_algorithm": {"type": "str", "choices": list(acmpca.SIGNING_ALGORITHMS)},
            "key_size": {"type": "int", "default": 2048, "choices": [2048, 3072, 4096]},
            "recovery_window_days": {"type": "int", "default": 30},
            "kms_key_id": {"type": "str"},
            "issuer_principal_arn": {"type": "str"},
            "as_of": {"type": "str"},
            "wait_timeout": {"type": "int", "default": 120},
        },
        supports_check_mode=True,
    )
    if not pki.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib("cryptography"))
    params = module.params
    if not 7 <= params["recovery_window_days"] <= 30:
        module.fail_json(msg="recovery_window_days must be between 7 and 30 (a Secrets Manager limit)")
    users = checked_users(module)
    now = evaluation_time(module)
    retry = AWSRetry.jittered_backoff(retries=10, delay=1, max_delay=30)
    secrets = module.client("secretsmanager", retry_decorator=retry)
    pca = module.client("acm-pca", retry_decorator=retry)
    try:
        state = user_certificates.read_state(secrets, params["env"])
        entries = user_certificates.plan(users, state, params["env"], params["certificate_authority_arn"],
                                         params["renew_before_days"], now, issuer_arn=params["issuer_principal_arn"])
        refusal = user_certificates.revocation_refusal(entries, users, params["max_revocations"])
        if refusal and not params["allow_mass_revocation"]:
            module.fail_json(msg="%s: nothing was issued, renewed or revoked. If this is intended, run again with "
                                 "allow_mass_revocation (user-certs.yml: -e user_certs_allow_mass_revocation=true)."
                                 % refusal,
                             certificates=[user_certificates.report_entry(entry) for entry in entries])
        if not module.check_mode:
            user_certificates.Reconciler(
                pca, secrets, params["env"], params["certificate_authority_arn"], params["template_arn"],
                signing_algorithm=params["signing_algorithm"], key_size=params["key_size"],
                recovery_window_days=params["recovery_window_days"], kms_key_id=params["kms_key_id"],
                wait_seconds=params["wait_timeout"], issuer_arn=params["issuer_principal_arn"],
            ).apply(entries, users, now)
    except user_certificates.ReconcileError as error:
        done = [user_certificates.report_entry(entry) for entry in error.done]
        if error.cause is not None:
            module.fail_json_aws(error.cause, msg=str(error), certificates=done)
        module.fail_json(msg=str(error), certificates=done)
    except ValueError as error:
        module.fail_json(msg="invalid request: %s" % error)
    report = [user_certificates.report_entry(entry) for entry in entries]
    summary = {action: sum(1 for entry in report if entry["action"] == action)
               for action in user_certificates.ACTIONS}
    module.exit_json(changed=any(entry["action"] in user_certificates.CHANGING_ACTIONS for entry in report),
                     certificates=report, summary=summary)


if __name__ == "__main__":
    main()
