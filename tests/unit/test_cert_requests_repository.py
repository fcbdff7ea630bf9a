"""The repository's requests, policy and schema, and the bad-request corpus (pure logic, no server)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from ansible_collections.dataplatform.ops.plugins.module_utils import cert_requests
from ansible_collections.dataplatform.ops.plugins.module_utils.platform import ENVIRONMENTS
from tests.conftest import REPO_ROOT

REQUESTS = REPO_ROOT / "cert-requests"
POLICY = REQUESTS / "policy.yml"
CORPUS = REPO_ROOT / "tests" / "fixtures" / "bad-requests"


def test_schema_file_is_the_schema_the_code_applies():
    """cert-requests/schema.json is for editors; the validation uses REQUEST_SCHEMA. They must not drift."""
    assert json.loads((REQUESTS / "schema.json").read_text()) == cert_requests.REQUEST_SCHEMA


def test_repository_requests_are_valid_and_cover_every_environment():
    result = cert_requests.load_requests(str(REQUESTS), str(POLICY))
    assert result["problems"] == []
    assert set(result["environments"]) == set(ENVIRONMENTS)
    users = {env: [u["user"] for u in data["users"]] for env, data in result["environments"].items()}
    assert users == {"local": ["admin", "orders-feed"], "dev": ["alice", "bob"], "ppd": ["ci-user"], "prod": ["ops-user"]}
    assert result["environments"]["local"]["users"][0]["roles"] == ["admin"]


@pytest.mark.parametrize("kind", sorted(p.name for p in CORPUS.iterdir() if (p / "expect.yml").is_file()))
def test_each_bad_request_names_its_file_and_field(kind):
    expect = yaml.safe_load((CORPUS / kind / "expect.yml").read_text())
    result = cert_requests.load_requests(str(CORPUS / kind), str(POLICY))
    located = {(Path(p["file"]).relative_to(CORPUS / kind).as_posix(), p["field"]) for p in result["problems"]}
    assert (expect["file"], expect["field"]) in located, result["problems"]
