# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Certificate requests from Git: reading, validating and applying the policy.

A requests folder holds one folder per environment and one YAML file per user in it::

    cert-requests/
      policy.yml          per environment: expiry limit, organisations, OUs, roles, renewal window
      schema.json         the JSON Schema of one request (for editors; REQUEST_SCHEMA below)
      dev/alice.yaml      user: alice, env: dev, subject: {...}, expiry_days: 180 [, roles, email]

:func:`load_requests` reads every request, checks it against the schema, the naming rules and
the policy, and returns every problem (file, field, reason) in one pass together with the
requests that are valid, defaults applied. Everything that needs "who may log in to an
environment" (the user-certificate reconciliation, the NiFi role through the
``dataplatform.ops.authorized_users`` lookup) reads requests through this module.
"""

from __future__ import annotations

import os
import re

try:
    import yaml
except ImportError:  # pragma: no cover - reported by the callers with missing_required_lib
    yaml = None

try:
    import jsonschema
except ImportError:  # pragma: no cover - reported by the callers with missing_required_lib
    jsonschema = None

from ansible_collections.dataplatform.ops.plugins.module_utils import codeowners, identity, pki
from ansible_collections.dataplatform.ops.plugins.module_utils.platform import ENVIRONMENTS

REQUESTS_FOLDER = "cert-requests"
POLICY_FILE_NAME = "policy.yml"
REQUEST_SUFFIXES = (".yaml", ".yml")
MAX_REQUEST_BYTES = 4096
# Revocations a reconcile may make without an explicit override, where the policy sets none.
DEFAULT_MAX_REVOCATIONS_PER_RUN = 2
USER_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
ROLE_PATTERN = r"^[a-z][a-z0-9_-]{0,63}$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
READER_PATTERN = r"^arn:aws[a-z-]*:iam::[0-9]{12}:(root|role/[A-Za-z0-9+=,.@_/-]+|user/[A-Za-z0-9+=,.@_/-]+)$"

# A problem about a whole file rather than one of its fields.
DOCUMENT = "<document>"

_SAFE_VALUE_SCHEMA = {
    "type": "string",
    "minLength": 1,
    "maxLength": identity.MAX_VALUE_LENGTH,
    "pattern": identity.SAFE_VALUE_PATTERN,
}

REQUEST_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://github.com/dataplatform-ops/dataplatform-ops/blob/main/cert-requests/schema.json",
    "title": "NiFi login certificate request",
    "description": (
        "One file per user: cert-requests/<env>/<user>.yaml. The file name is the user and the folder is "
        "the environment. cert-requests/policy.yml sets the limits of each environment."
    ),
    "type": "object",
    "additionalProperties": False,
    "required": ["user", "env", "subject", "expiry_days"],
    "properties": {
        "user": {
            "description": "The user name; equal to the file name without .yaml. Lower-case letters, digits, '.', '_' and '-'.",
            "type": "string",
            "pattern": USER_PATTERN,
        },
        "env": {
            "description": "The environment; equal to the name of the folder the file is in.",
            "type": "string",
            "enum": list(ENVIRONMENTS),
        },
        "subject": {
            "description": (
                "The certificate subject. NiFi identifies the user by the DN 'CN=<common_name>, "
                "OU=<organizational_unit>, O=<organization>'. Values use %s." % identity.SAFE_CHARACTERS_TEXT
            ),
            "type": "object",
            "additionalProperties": False,
            "required": ["common_name", "organizational_unit", "organization"],
            "properties": {
                "common_name": dict(_SAFE_VALUE_SCHEMA, description="CN, usually the user name."),
                "organizational_unit": dict(_SAFE_VALUE_SCHEMA, description="OU; one the policy allows."),
                "organization": dict(_SAFE_VALUE_SCHEMA, description="O; one the policy allows."),
            },
        },
        "expiry_days": {
            "description": "Validity of the certificate in days; at most the policy's max_expiry_days.",
            "type": "integer",
            "minimum": 1,
        },
        "roles": {
            "description": "NiFi roles of the user; without it the environment's default roles apply.",
            "type": "array",
            "minItems": 1,
            "uniqueItems": True,
            "items": {"type": "string", "pattern": ROLE_PATTERN},
        },
        "csr": {
            "description": (
                "The user's own certificate signing request (PEM), when they keep their private key themselves: "
                "for exactly the request's subject, RSA of 2048 bits or more or ECDSA on P-256 or P-384, no "
                "subject alternative name. The certificate is then issued for it, and Secrets Manager holds the "
                "certificate only. Without it the platform makes the key and delivers a PKCS#12 bundle."
            ),
            "type": "string",
            "maxLength": 3072,
        },
        "readers": {
            "description": (
                "The IAM principals (role or user ARNs of the environment's account; the account's root user as "
                "arn:aws:iam::<account>:root) that may read the user's secret besides the certificate pipeline: "
                "the user's own. Its resource policy refuses everyone else, administrators included. Without "
                "it only the pipeline reads it."
            ),
            "type": "array",
            "minItems": 1,
            "maxItems": 5,
            "uniqueItems": True,
            "items": {"type": "string", "pattern": READER_PATTERN},
        },
        "email": {
            "description": "Contact address of the certificate holder (informational).",
            "type": "string",
            "maxLength": 254,
            "pattern": EMAIL_PATTERN,
        },
    },
}

_NAME_LIST = {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"type": "string", "minLength": 1}}

POLICY_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["environments"],
    "properties": {
        "environments": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"enum": list(ENVIRONMENTS)},
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "required": ["max_expiry_days", "renew_before_days", "organizations", "organizational_units", "roles"],
                "properties": {
                    "max_expiry_days": {"type": "integer", "minimum": 1},
                    "renew_before_days": {"type": "integer", "minimum": 1},
                    "max_revocations_per_run": {"type": "integer", "minimum": 0},
                    "privileged_roles": dict(_NAME_LIST, minItems=0, items={"type": "string", "pattern": ROLE_PATTERN}),
                    "organizations": _NAME_LIST,
                    "organizational_units": _NAME_LIST,
                    "roles": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["allowed", "default"],
                        "properties": {
                            "allowed": dict(_NAME_LIST, items={"type": "string", "pattern": ROLE_PATTERN}),
                            "default": dict(_NAME_LIST, items={"type": "string", "pattern": ROLE_PATTERN}),
                        },
                    },
                },
            },
        }
    },
}

_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "object": "a mapping",
    "array": "a list",
}


class RequestsUnavailable(Exception):
    """The requests cannot be read at all (missing folder, missing libraries)."""


def require_libraries():
    missing = [name for name, module in (("PyYAML", yaml), ("jsonschema", jsonschema)) if module is None]
    if not pki.HAS_CRYPTOGRAPHY:
        missing.append("cryptography")
    if missing:
        raise RequestsUnavailable("reading certificate requests needs the Python packages %s on the controller"
                                  % " and ".join(missing))


def find_requests_dir(start):
    """The ``cert-requests`` folder (one holding ``policy.yml``) at or above ``start``, or ``None``."""
    current = os.path.abspath(start)
    while True:
        candidate = os.path.join(current, REQUESTS_FOLDER)
        if os.path.isfile(os.path.join(candidate, POLICY_FILE_NAME)):
            return candidate
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def format_problem(problem):
    return "%s: %s: %s" % (problem["file"], problem["field"], problem["reason"])


def _problem(path, field, reason):
    return {"file": path, "field": field, "reason": reason}


def _field_name(path):
    name = ""
    for part in path:
        if isinstance(part, int):
            name += "[%d]" % part
        else:
            name += ("." if name else "") + str(part)
    return name or DOCUMENT


def _describe_type(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "a %s" % type(value).__name__


class _DuplicateKey(Exception):
    def __init__(self, key, line):
        super().__init__(key, line)
        self.key = key
        self.line = line


if yaml is not None:

    class _StrictLoader(yaml.SafeLoader):
        """SafeLoader that refuses duplicate keys instead of keeping the last one."""

    def _construct_unique_mapping(loader, node, deep=False):
        loader.flatten_mapping(node)
        mapping = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=deep)
            try:
                duplicate = key in mapping
            except TypeError:
                raise yaml.constructor.ConstructorError(None, None, "a key must be a plain value", key_node.start_mark)
            if duplicate:
                raise _DuplicateKey(key, key_node.start_mark.line + 1)
            mapping[key] = loader.construct_object(value_node, deep=deep)
        return mapping

    _StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping)


def _parse_yaml(text, path):
    """``(document, problems)``: the parsed YAML, or the reason it cannot be used."""
    try:
        for event in yaml.parse(text, Loader=_StrictLoader):
            if isinstance(event, yaml.AliasEvent):
                return None, [_problem(path, DOCUMENT, "uses a YAML alias (line %d); requests are plain YAML"
                                       % (event.start_mark.line + 1))]
        return yaml.load(text, Loader=_StrictLoader), []  # noqa: S506 - _StrictLoader is a SafeLoader
    except _DuplicateKey as error:
        return None, [_problem(path, str(error.key), "is given twice (line %d)" % error.line)]
    except yaml.constructor.ConstructorError as error:
        mark = error.problem_mark
        return None, [_problem(path, DOCUMENT, "cannot be read as plain data at line %d: %s; requests use no YAML tags"
                               % (mark.line + 1, error.problem))]
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = " at line %d, column %d" % (mark.line + 1, mark.column + 1) if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        return None, [_problem(path, DOCUMENT, "is not valid YAML%s: %s" % (where, problem))]


def _schema_problems(document, schema, path, describe_pattern):
    validator = jsonschema.Draft202012Validator(schema)
    problems = []
    for error in sorted(validator.iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path]):
        location = list(error.absolute_path)
        if error.validator == "required":
            for key in error.validator_value:
                if isinstance(error.instance, dict) and key not in error.instance:
                    problems.append(_problem(path, _field_name(location + [key]), "is required"))
        elif error.validator == "additionalProperties":
            known = sorted(error.schema.get("properties", {}))
            for key in error.instance:
                if key not in known:
                    reason = "is not a known field" + (" (known: %s)" % ", ".join(known) if known else "")
                    problems.append(_problem(path, _field_name(location + [key]), reason))
        elif error.validator == "type":
            expected = _TYPE_NAMES.get(error.validator_value, error.validator_value)
            problems.append(_problem(path, _field_name(location), "must be %s, not %s (%r)"
                                     % (expected, _describe_type(error.instance), error.instance)))
        elif error.validator == "pattern":
            problems.append(_problem(path, _field_name(location), describe_pattern(location, error.instance)))
        elif error.validator == "enum":
            problems.append(_problem(path, _field_name(location), "is %r; it must be one of %s"
                                     % (error.instance, ", ".join(map(str, error.validator_value)))))
        elif error.validator == "uniqueItems":
            problems.append(_problem(path, _field_name(location), "lists the same value twice"))
        elif error.validator == "minimum":
            problems.append(_problem(path, _field_name(location), "is %r; it must be at least %r"
                                     % (error.instance, error.validator_value)))
        else:
            problems.append(_problem(path, _field_name(location), error.message))
    return problems


def _describe_request_pattern(location, value):
    if location and location[0] == "subject":
        return identity.unsafe_value_reason(value) or "is not allowed"
    if location == ["user"]:
        return "is %r; user names are 1 to 64 lower-case letters, digits, '.', '_' and '-', starting with a letter or digit" % value
    if location and location[0] == "roles":
        return "is %r; role names are lower-case letters, digits, '_' and '-', starting with a letter" % value
    if location == ["email"]:
        return "is %r, which is not an e-mail address" % value
    return "has an unexpected format"


def _describe_policy_pattern(location, value):
    return "is %r; role names are lower-case letters, digits, '_' and '-', starting with a letter" % value


def load_policy(policy_file):
    """``(policy, problems)`` of the policy file; the policy is ``None`` when it has problems."""
    require_libraries()
    try:
        with open(policy_file, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        return None, [_problem(policy_file, DOCUMENT, "cannot be read: %s" % error.strerror)]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, [_problem(policy_file, DOCUMENT, "is not UTF-8 text")]
    document, problems = _parse_yaml(text, policy_file)
    if problems:
        return None, problems
    problems = _schema_problems(document, POLICY_SCHEMA, policy_file, _describe_policy_pattern)
    if problems:
        return None, problems
    for env, rules in sorted(document["environments"].items()):
        for role in rules["roles"]["default"]:
            if role not in rules["roles"]["allowed"]:
                problems.append(_problem(policy_file, "environments.%s.roles.default" % env,
                                         "default role %r is not among the allowed roles" % role))
        for reserved in identity.RESERVED_ORGANIZATIONAL_UNITS:
            if reserved in rules["organizational_units"]:
                problems.append(_problem(policy_file, "environments.%s.organizational_units" % env,
                                         "%r is the organizational unit of machine identities (nodes, services); "
                                         "users may not use it" % reserved))
        for key in ("organizations", "organizational_units"):
            for value in rules[key]:
                reason = identity.unsafe_value_reason(value)
                if reason:
                    problems.append(_problem(policy_file, "environments.%s.%s" % (env, key), "%r %s" % (value, reason)))
    return (None if problems else document), problems


def _check_request(document, env, file_user, rules, path):
    """Problems of one parsed request beyond the schema, with the policy of its environment."""
    problems = []
    user = document.get("user")
    if isinstance(user, str) and user != file_user:
        problems.append(_problem(path, "user", "is %r but the file is named %r; the file name is the user"
                                 % (user, file_user)))
    doc_env = document.get("env")
    if isinstance(doc_env, str) and doc_env != env:
        problems.append(_problem(path, "env", "is %r but the file is in the %r folder; the folder is the environment"
                                 % (doc_env, env)))
    expiry = document.get("expiry_days")
    if isinstance(expiry, int) and not isinstance(expiry, bool) and expiry > rules["max_expiry_days"]:
        problems.append(_problem(path, "expiry_days", "is %d; the policy allows at most %d days in %s"
                                 % (expiry, rules["max_expiry_days"], env)))
    subject = document.get("subject")
    if isinstance(subject, dict):
        for key, policy_key, label in (("organization", "organizations", "organization"),
                                       ("organizational_unit", "organizational_units", "organizational unit")):
            value = subject.get(key)
            if isinstance(value, str) and value not in rules[policy_key]:
                problems.append(_problem(path, "subject.%s" % key, "%r is not an %s the policy allows in %s (allowed: %s)"
                                         % (value, label, env, ", ".join(rules[policy_key]))))
    csr = document.get("csr")
    if isinstance(csr, str) and isinstance(subject, dict) and all(
            isinstance(subject.get(key), str) for key in ("common_name", "organizational_unit", "organization")):
        reason = pki.user_csr_problem(csr, subject)
        if reason:
            problems.append(_problem(path, "csr", reason))
    roles = document.get("roles")
    if isinstance(roles, list):
        for role in roles:
            if isinstance(role, str) and role not in rules["roles"]["allowed"]:
                problems.append(_problem(path, "roles", "role %r is not allowed in %s (allowed: %s)"
                                         % (role, env, ", ".join(rules["roles"]["allowed"]))))
    return problems


def _read_request(path, display, env, file_user, rules):
    """``(request, problems)`` of one request file."""
    problems = []
    if not re.match(USER_PATTERN, file_user):
        problems.append(_problem(display, "user", "the file name %r is not a user name: user names are lower-case "
                                 "letters, digits, '.', '_' and '-', starting with a letter or digit" % file_user))
    size = os.path.getsize(path)
    if size > MAX_REQUEST_BYTES:
        return None, problems + [_problem(display, DOCUMENT, "is %d bytes; a request is at most %d bytes"
                                          % (size, MAX_REQUEST_BYTES))]
    with open(path, "rb") as handle:
        raw = handle.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return None, problems + [_problem(display, DOCUMENT, "is not UTF-8 text (byte %d)" % error.start)]
    document, parse_problems = _parse_yaml(text, display)
    if parse_problems:
        return None, problems + parse_problems
    if document is None:
        return None, problems + [_problem(display, DOCUMENT, "is empty")]
    if not isinstance(document, dict):
        return None, problems + [_problem(display, DOCUMENT, "must be a mapping of request fields, not %s"
                                          % _describe_type(document))]
    problems += _schema_problems(document, REQUEST_SCHEMA, display, _describe_request_pattern)
    problems += _check_request(document, env, file_user, rules, display)
    if problems:
        return None, problems
    request = {
        "user": document["user"],
        "env": env,
        "subject": dict(document["subject"]),
        "dn": identity.subject_dn(document["subject"]),
        "roles": sorted(document.get("roles") or rules["roles"]["default"]),
        "email": document.get("email"),
        "expiry_days": document["expiry_days"],
        "csr": document.get("csr"),
        "readers": list(document.get("readers") or []),
        "file": display,
    }
    return request, []


def approvals(result, policy, codeowners_text):
    """Who must approve each request that asks for a privileged role of its environment (the
    policy's ``privileged_roles``): the CODEOWNERS owners of the file where it lands,
    ``cert-requests/<env>/<user>.yaml``. Adds a problem for such a request that no owner covers."""
    rules = codeowners.parse(codeowners_text or "")
    found = []
    for env, data in result["environments"].items():
        privileged = set(policy["environments"][env].get("privileged_roles") or [])
        for request in data["users"]:
            asked = sorted(privileged & set(request["roles"]))
            if not asked:
                continue
            landing = "%s/%s/%s.yaml" % (REQUESTS_FOLDER, env, request["user"])
            owners = codeowners.owners_of(rules, landing)
            found.append({"file": request["file"], "env": env, "user": request["user"], "roles": asked, "owners": owners})
            if not owners:
                result["problems"].append(_problem(request["file"], "roles", "asks for the privileged role(s) %s of %s, "
                                                   "but no CODEOWNERS rule names who must approve %s"
                                                   % (", ".join(asked), env, landing)))
    return found


def load_requests(requests_dir, policy_file, codeowners_text=None):
    """Every request under ``requests_dir`` checked against ``policy_file``.

    ``codeowners_text`` is the repository's CODEOWNERS, which names who must approve a request for
    a privileged role (``approvals``; see :func:`approvals`).

    Returns ``{"environments": {env: {"users": [...], "renew_before_days": n, "max_expiry_days": m,
    "max_revocations_per_run": r}}, "approvals": [{"file", "env", "user", "roles", "owners"}],
    "problems": [{"file", "field", "reason"}], "requests_dir", "policy_file", "files"}``. Users are
    the valid requests of each environment of the policy, roles defaulted, sorted by user name.
    """
    require_libraries()
    if not os.path.isdir(requests_dir):
        raise RequestsUnavailable("the requests folder %s does not exist" % requests_dir)
    policy, problems = load_policy(policy_file)
    result = {"requests_dir": requests_dir, "policy_file": policy_file, "environments": {}, "problems": problems,
              "files": 0, "approvals": []}
    if policy is None:
        return result
    environments = policy["environments"]
    for env, rules in environments.items():
        result["environments"][env] = {"users": [], "renew_before_days": rules["renew_before_days"],
                                       "max_expiry_days": rules["max_expiry_days"],
                                       "max_revocations_per_run": rules.get("max_revocations_per_run",
                                                                            DEFAULT_MAX_REVOCATIONS_PER_RUN)}

    for entry in sorted(os.listdir(requests_dir)):
        full = os.path.join(requests_dir, entry)
        if entry.startswith(".") or not os.path.isdir(full):
            continue
        if entry not in environments:
            problems.append(_problem(os.path.join(requests_dir, entry), "env", "folder %r names no environment of the "
                                     "policy (%s)" % (entry, ", ".join(sorted(environments)))))
            continue
        users = result["environments"][entry]["users"]
        for name in sorted(os.listdir(full)):
            path = os.path.join(full, name)
            if name.startswith("."):
                continue
            if os.path.isdir(path):
                problems.append(_problem(path, DOCUMENT, "is a folder; requests are files directly in %s" % full))
                continue
            stem, suffix = os.path.splitext(name)
            if suffix not in REQUEST_SUFFIXES:
                problems.append(_problem(path, DOCUMENT, "is not a request: request files are named <user>.yaml"))
                continue
            result["files"] += 1
            request, file_problems = _read_request(path, path, entry, stem, environments[entry])
            problems += file_problems
            if request:
                users.append(request)
        problems += _duplicate_problems(users)
    for env in result["environments"].values():
        env["users"].sort(key=lambda request: request["user"])
    result["approvals"] = approvals(result, policy, codeowners_text)
    return result


def _duplicate_problems(users):
    """Problems for a second request of the same user, or of the same DN, within one environment.

    The duplicates stay in the user list; callers act only when there are no problems.
    """
    problems = []
    seen_users = {}
    seen_dns = {}
    for request in users:
        first = seen_users.setdefault(request["user"], request)
        if first is not request:
            problems.append(_problem(request["file"], "user", "%r is also requested by %s"
                                     % (request["user"], first["file"])))
        # Directory string matching is case-insensitive: DNs differing only in case are the same person.
        first = seen_dns.setdefault(request["dn"].lower(), request)
        if first is not request:
            problems.append(_problem(request["file"], "subject", "%r is also the identity requested by %s"
                                     % (request["dn"], first["file"])))
    return problems


class InvalidRequests(Exception):
    """The requests have problems; nothing may be derived from them."""

    def __init__(self, problems):
        super().__init__("%d problem(s) in the certificate requests:\n%s"
                         % (len(problems), "\n".join(format_problem(p) for p in problems)))
        self.problems = problems


def authorized_users(result, env):
    """The users allowed to log in to ``env``: one entry per request, with DN and roles.

    Raises :class:`InvalidRequests` when any request (of any environment) has a problem, so a
    consumer never works from a partially valid set.
    """
    if result["problems"]:
        raise InvalidRequests(result["problems"])
    if env not in result["environments"]:
        raise InvalidRequests([_problem(result["policy_file"], "environments", "has no environment %r" % env)])
    return [
        {"user": r["user"], "dn": r["dn"], "roles": r["roles"], "email": r["email"], "subject": r["subject"],
         "expiry_days": r["expiry_days"]}
        for r in result["environments"][env]["users"]
    ]
