"""The dataplatform.ops.platform lookup against the moto server: one GetParameter, clear errors."""

import json
import os
import subprocess

import boto3

from tests.conftest import REPO_ROOT
from tests.harness.moto_server import count_actions

import ansible_collections.dataplatform.ops.plugins.module_utils.platform as platform


def complete_document(env):
    document = {}
    for key in platform.PLATFORM_KEYS:
        node = document
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = f"{env}-{key}"
    document["env"] = env
    return document


def lookup(env):
    """Runs the lookup in an ad-hoc Ansible command; returns (returncode, stdout, stderr)."""
    result = subprocess.run(
        ["ansible", "localhost", "-m", "ansible.builtin.debug",
         "-a", "msg={{ lookup('dataplatform.ops.platform', '%s') | to_json }}" % env],
        cwd=REPO_ROOT,
        env={**os.environ, "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1", "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    return result.returncode, result.stdout, result.stderr


def test_lookup_returns_the_document_with_one_get_parameter(moto):
    document = complete_document("dev")
    boto3.client("ssm").put_parameter(Name="/dataplatform/dev/platform", Type="String", Value=json.dumps(document))
    moto.clear_requests()

    returncode, stdout, stderr = lookup("dev")

    assert returncode == 0, stdout + stderr
    message = json.loads(stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]["msg"]
    assert json.loads(message) == document
    assert count_actions(moto.requests()) == {"ssm:GetParameter": 1}


def test_missing_parameter_is_an_error_naming_it(moto):
    returncode, stdout, stderr = lookup("ppd")
    assert returncode != 0
    assert "the SSM parameter /dataplatform/ppd/platform does not exist" in stdout + stderr


def test_incomplete_document_is_an_error_naming_the_missing_keys(moto):
    document = complete_document("prod")
    del document["rds"]["credentials_secret_arn"]
    document["buckets"]["dags"] = ""
    boto3.client("ssm").put_parameter(Name="/dataplatform/prod/platform", Type="String", Value=json.dumps(document))

    returncode, stdout, stderr = lookup("prod")

    assert returncode != 0
    assert "/dataplatform/prod/platform lacks the keys buckets.dags, rds.credentials_secret_arn" in stdout + stderr
