#!/usr/bin/env python3
"""Applies .github/environments.yml to the repository on GitHub, with the gh CLI, as an
administrator of the repository (python3 with PyYAML, gh logged in with the repo and
read:org scopes):

    python3 .github/scripts/github-environments.py --dry-run   # print the calls, change nothing
    python3 .github/scripts/github-environments.py

Each call, printed as it is made (``METHOD path body``):

1. ``PUT repos/<repo>/actions/oidc/customization/sub``: the OIDC subject template
   (``oidc_subject_claims``), which every account's trust policies are written against.
2. Per environment, ``PUT repos/<repo>/environments/<env>``: its reviewers (team and user ids,
   read with ``GET orgs/<owner>/teams/<slug>`` and ``GET users/<login>``), ``prevent_self_review``
   and custom deployment policies (only the refs named, not every protected branch).
3. Its deployment branch and tag policies (``deployment_refs``): those on GitHub that the file does
   not name are deleted (``DELETE …/deployment-branch-policies/<id>``), the missing ones created
   (``POST …/deployment-branch-policies`` with ``name`` and ``type`` branch or tag).
4. Its variables ``AWS_REGION`` and ``CERT_ISSUER_ROLE_ARN`` (cert-issuer.yml reads them), from the
   account's terraform/environments/<env>/terraform.tfvars and the role names of the file.

Running it again changes nothing that already matches.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_FILE = REPO_ROOT / ".github" / "environments.yml"
_REF = re.compile(r"^refs/(heads|tags)/(.+)$")


class ConfigurationError(Exception):
    """The environments file is not what this script applies; the message names file and field."""


def load(path: Path) -> dict:
    document = yaml.safe_load(path.read_text())
    where = f"{path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path}"
    if not isinstance(document, dict) or not isinstance(document.get("environments"), dict):
        raise ConfigurationError(f"{where}: needs a mapping 'environments'")
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", str(document.get("repository", ""))):
        raise ConfigurationError(f"{where}: 'repository' must be owner/name")
    for name, environment in document["environments"].items():
        for index, entry in enumerate(environment.get("deployment_refs") or []):
            if not _REF.match(str(entry.get("ref", ""))):
                raise ConfigurationError(f"{where}: environments.{name}.deployment_refs[{index}].ref must be "
                                         "refs/heads/<branch> or refs/tags/<tag>")
        if not environment.get("deployment_refs"):
            raise ConfigurationError(f"{where}: environments.{name}.deployment_refs names no ref")
        if not (environment.get("roles") or {}).get("cert_issuer"):
            raise ConfigurationError(f"{where}: environments.{name}.roles.cert_issuer is missing")
    return document


def deployment_policies(environment: dict) -> list[dict]:
    """GitHub's deployment branch and tag policies of an environment: ``{"name", "type"}``."""
    policies = []
    for entry in environment["deployment_refs"]:
        kind, name = _REF.match(entry["ref"]).groups()
        policy = {"name": name, "type": "branch" if kind == "heads" else "tag"}
        if policy not in policies:
            policies.append(policy)
    return policies


def tfvars_value(environment: str, name: str) -> str:
    path = REPO_ROOT / "terraform" / "environments" / environment / "terraform.tfvars"
    match = re.search(rf'^{name}\s*=\s*"([^"]*)"', path.read_text(), re.M)
    if not match:
        raise ConfigurationError(f"{path.relative_to(REPO_ROOT)}: sets no {name}")
    return match.group(1)


class GitHub:
    """The calls, through ``gh api``; with ``dry_run`` printed and not made (reads answer placeholders)."""

    def __init__(self, dry_run: bool):
        self.dry_run = dry_run

    def call(self, method: str, path: str, body: dict | None = None, read: bool = False):
        print(f"{method} {path}" + (f" {json.dumps(body, sort_keys=True)}" if body is not None else ""), flush=True)
        if self.dry_run:
            return None
        command = ["gh", "api", "--method", method, path]
        if body is not None:
            command += ["--input", "-"]
        result = subprocess.run(command, input=json.dumps(body) if body is not None else None,
                                capture_output=True, text=True)
        if result.returncode != 0:
            if read and "Not Found" in result.stdout + result.stderr:
                return None
            why = result.stderr.strip() or result.stdout.strip()
            raise SystemExit(f"gh api --method {method} {path} failed: {why}")
        return json.loads(result.stdout) if result.stdout.strip() else None


def reviewer_ids(github: GitHub, owner: str, reviewers: dict) -> list[dict]:
    found = []
    for slug in reviewers.get("teams") or []:
        team = github.call("GET", f"orgs/{owner}/teams/{slug}", read=True)
        found.append({"type": "Team", "id": team["id"] if team else f"<id of team {slug}>"})
    for login in reviewers.get("users") or []:
        user = github.call("GET", f"users/{login}", read=True)
        found.append({"type": "User", "id": user["id"] if user else f"<id of user {login}>"})
    return found


def apply(document: dict, github: GitHub) -> None:
    repository = document["repository"]
    owner = repository.split("/")[0]
    github.call("PUT", f"repos/{repository}/actions/oidc/customization/sub",
                {"use_default": False, "include_claim_keys": list(document["oidc_subject_claims"])})
    for name, environment in document["environments"].items():
        base = f"repos/{repository}/environments/{name}"
        github.call("PUT", base, {
            "wait_timer": 0,
            "prevent_self_review": bool(environment.get("prevent_self_review")),
            "reviewers": reviewer_ids(github, owner, environment.get("reviewers") or {}),
            "deployment_branch_policy": {"protected_branches": False, "custom_branch_policies": True},
        })
        wanted = deployment_policies(environment)
        present = github.call("GET", f"{base}/deployment-branch-policies?per_page=100", read=True) or {}
        for policy in present.get("branch_policies", []):
            if {"name": policy["name"], "type": policy.get("type", "branch")} in wanted:
                wanted.remove({"name": policy["name"], "type": policy.get("type", "branch")})
            else:
                github.call("DELETE", f"{base}/deployment-branch-policies/{policy['id']}")
        for policy in wanted:
            github.call("POST", f"{base}/deployment-branch-policies", policy)
        account = tfvars_value(name, "account_id")
        variables = {
            "AWS_REGION": tfvars_value(name, "region"),
            "CERT_ISSUER_ROLE_ARN": f"arn:aws:iam::{account}:role/{environment['roles']['cert_issuer']}",
        }
        for variable, value in variables.items():
            if github.call("GET", f"{base}/variables/{variable}", read=True) is None and not github.dry_run:
                github.call("POST", f"{base}/variables", {"name": variable, "value": value})
            else:
                github.call("PATCH", f"{base}/variables/{variable}", {"name": variable, "value": value})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE, help="the environments file (default: %(default)s)")
    parser.add_argument("--dry-run", action="store_true", help="print the calls without making them")
    args = parser.parse_args(argv)
    try:
        apply(load(args.file.resolve()), GitHub(args.dry_run))
    except ConfigurationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
