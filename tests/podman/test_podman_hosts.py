"""Ansible against real podman hosts through containers.podman.podman."""

import json
import subprocess

import yaml

from tests.conftest import REPO_ROOT
from sandbox.podman_hosts import podman

PLAYBOOK = """
- name: Harness check
  hosts: hosts
  gather_facts: true
  tasks:
    - name: Record the distribution the host runs
      ansible.builtin.copy:
        dest: /etc/harness-check
        content: "{{ ansible_facts.distribution }} {{ ansible_facts.distribution_major_version }}\\n"
        mode: "0644"
"""


def run_playbook(tmp_path, inventory: dict) -> dict:
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
    (tmp_path / "playbook.yml").write_text(PLAYBOOK)
    result = subprocess.run(
        ["ansible-playbook", "-i", str(tmp_path / "inventory.yml"), str(tmp_path / "playbook.yml")],
        cwd=REPO_ROOT,
        env={**__import__("os").environ, "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return json.loads(result.stdout)["stats"]


def test_ansible_converges_two_podman_hosts_idempotently(tmp_path, podman_hosts):
    hosts = podman_hosts(2, prefix="harness")

    first = run_playbook(tmp_path, hosts.inventory())
    assert set(first) == set(hosts.names)
    assert all(stats["changed"] == 1 and stats["failures"] == 0 for stats in first.values()), first

    second = run_playbook(tmp_path, hosts.inventory())
    assert all(stats["changed"] == 0 and stats["failures"] == 0 for stats in second.values()), second

    for name in hosts.names:
        content = podman("exec", name, "cat", "/etc/harness-check").stdout
        assert content == "Debian 13\n"


def test_hosts_are_removed_afterwards(podman_host_image):
    from sandbox.podman_hosts import PodmanHosts

    with PodmanHosts(1, prefix="harness-cleanup", image=podman_host_image) as hosts:
        names = list(hosts.names)
        assert podman("container", "exists", names[0], check=False).returncode == 0
    assert podman("container", "exists", names[0], check=False).returncode == 1
