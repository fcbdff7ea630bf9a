"""The AWX execution environment from nothing: ``ansible-builder create`` makes the build context of
execution-environment.yml and podman builds it on the project's Debian 13 host image (no registry
here), reaching only the package registries. Inside it are the pinned ansible-core, ansible-runner,
the collections of the pinned ``ansible`` package and dataplatform.ops, whose plugins ``ansible-doc``
lists. The job templates' runs in it, against the sandbox, are in tests/e2e/test_sandbox.py."""

from __future__ import annotations

import re

import pytest

from sandbox.awx_jobs import execution_environment_image
from tests.conftest import REPO_ROOT
from sandbox.podman_hosts import podman

COLLECTION = REPO_ROOT / "collections" / "ansible_collections" / "dataplatform" / "ops"


def pinned(requirement: str) -> str:
    for line in (REPO_ROOT / "requirements" / "controller.txt").read_text().splitlines():
        if line.startswith(f"{requirement}=="):
            return line.split("==", 1)[1]
    raise AssertionError(f"requirements/controller.txt pins no {requirement}")


@pytest.fixture(scope="module")
def image():
    return execution_environment_image()


def run(image: str, *command: str) -> str:
    return podman("run", "--rm", image, *command).stdout


def test_builder_creates_the_context_that_podman_builds(image):
    context = REPO_ROOT / ".cache" / "execution-environment" / "context"
    containerfile = (context / "Containerfile").read_text()
    assert "FROM $EE_BASE_IMAGE AS base" in containerfile
    assert (context / "_build" / "collection" / "dataplatform-ops.tar.gz").is_file()
    labels = podman("image", "inspect", image, "--format", "{{json .Labels}}").stdout
    assert '"ansible-execution-environment":"true"' in labels


def test_ansible_doc_lists_every_plugin_of_the_collection(image):
    listed = set(re.findall(r"^dataplatform\.ops\.(\w+)", run(image, "ansible-doc", "-l", "dataplatform.ops"), re.M))
    modules = {path.stem for path in (COLLECTION / "plugins" / "modules").glob("*.py") if path.stem != "__init__"}
    assert modules <= listed, f"missing from ansible-doc -l: {sorted(modules - listed)}"
    inventories = run(image, "ansible-doc", "-t", "inventory", "-l", "dataplatform.ops")
    assert "dataplatform.ops.aws_asg" in inventories


def test_the_image_holds_the_controllers_pins(image):
    versions = run(image, "bash", "-c", "ansible --version | head -1; ansible-runner --version; "
                                        "python3 -c 'import boto3, cryptography; print(boto3.__version__, cryptography.__version__)'; "
                                        "ansible-galaxy collection list 2>/dev/null; ssh -V 2>&1")
    assert f"core {pinned('ansible-core')}" in versions
    assert pinned("boto3") in versions and pinned("cryptography") in versions
    assert "2.4.3" in versions  # ansible-runner, execution-environment.yml
    assert re.search(r"^amazon\.aws\s+10\.", versions, re.M) and re.search(r"^community\.crypto\s", versions, re.M)
    assert re.search(r"^dataplatform\.ops\s", versions, re.M)
    assert "OpenSSH" in versions


def test_definition_pins_agree_with_the_controller():
    import yaml

    definition = yaml.safe_load((REPO_ROOT / "execution-environment.yml").read_text())
    dependencies = definition["dependencies"]
    assert dependencies["ansible_core"]["package_pip"] == f"ansible-core=={pinned('ansible-core')}"
    dev = (REPO_ROOT / "requirements" / "dev.txt").read_text()
    assert dependencies["ansible_runner"]["package_pip"] in dev
    assert dependencies["python"] == "requirements/controller.txt"

