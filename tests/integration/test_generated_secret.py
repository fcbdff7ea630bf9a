"""dataplatform.ops.generated_secret against the moto server: created once, never changed or shown."""

import base64
import json
import os
import subprocess

import boto3
import pytest
import yaml

from tests.conftest import REPO_ROOT
from emulator.client import count_actions

NAME = "dataplatform/dev/airflow/config/api-secret-key"


def ensure(tmp_path, *extra_args, **params):
    """Runs the module once from a playbook; returns (returncode, task result, whole output)."""
    playbook = [{
        "name": "Generated secret",
        "hosts": "localhost",
        "gather_facts": False,
        "tasks": [{"name": "Ensure the secret", "dataplatform.ops.generated_secret": {"name": NAME, **params}}],
    }]
    path = tmp_path / "playbook.yml"
    path.write_text(yaml.safe_dump(playbook))
    result = subprocess.run(
        ["ansible-playbook", str(path), *extra_args],
        cwd=REPO_ROOT,
        env={**os.environ, "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    task = {}
    if result.stdout.startswith("{"):
        task = json.loads(result.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]
    return result.returncode, task, result.stdout + result.stderr


def secret_value():
    return boto3.client("secretsmanager").get_secret_value(SecretId=NAME)["SecretString"]


def test_first_run_creates_a_random_token_and_never_shows_it(moto, tmp_path):
    returncode, task, output = ensure(tmp_path, tags={"dataplatform:env": "dev"})

    assert returncode == 0, output
    assert task["changed"] is True and task["name"] == NAME and task["arn"].startswith("arn:aws:secretsmanager:")
    value = secret_value()
    assert len(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))) == 48
    assert value not in output
    tags = boto3.client("secretsmanager").describe_secret(SecretId=NAME)["Tags"]
    assert tags == [{"Key": "dataplatform:env", "Value": "dev"}]


def test_second_run_changes_nothing_and_only_describes(moto, tmp_path):
    ensure(tmp_path)
    value = secret_value()
    moto.clear_requests()

    returncode, task, output = ensure(tmp_path)

    assert returncode == 0, output
    assert task["changed"] is False
    assert count_actions(moto.requests()) == {"secretsmanager:DescribeSecret": 1}
    assert secret_value() == value


def test_check_mode_reports_the_creation_and_creates_nothing(moto, tmp_path):
    returncode, task, output = ensure(tmp_path, "--check")

    assert returncode == 0, output
    assert task["changed"] is True and task["arn"] is None
    assert count_actions(moto.requests()) == {"secretsmanager:DescribeSecret": 1}


def test_fernet_kind_is_a_fernet_key(moto, tmp_path):
    returncode, _, output = ensure(tmp_path, kind="fernet")

    assert returncode == 0, output
    assert len(base64.urlsafe_b64decode(secret_value())) == 32


@pytest.mark.parametrize("length", [8])
def test_short_token_is_refused_before_anything_is_created(moto, tmp_path, length):
    returncode, task, output = ensure(tmp_path, length=length)

    assert returncode != 0
    assert "a token secret needs at least 16 random bytes, not 8" in output
    assert "secretsmanager:CreateSecret" not in count_actions(moto.requests())


def test_secret_scheduled_for_deletion_is_a_clear_error(moto, tmp_path):
    client = boto3.client("secretsmanager")
    client.create_secret(Name=NAME, SecretString="old")
    client.delete_secret(SecretId=NAME, RecoveryWindowInDays=7)

    returncode, _, output = ensure(tmp_path)

    assert returncode != 0
    assert f"secret {NAME} is scheduled for deletion" in output
