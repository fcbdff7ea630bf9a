"""The host image from nothing: a host of a freshly built image installs packages at once.

An image build empties apt's package lists; an emptied list must never read as a fresh one (Ansible's
``cache_valid_time`` looks at the lists' age), or every install in the hour after a build finds no
package. The image is built under a name of its own, so the run's shared image is not touched.
"""

from __future__ import annotations

import os
import subprocess

import yaml

from tests.conftest import REPO_ROOT
from sandbox.podman_hosts import SANDBOX_DIR, PodmanHosts, podman, podman_env

FRESH_IMAGE_NAME = "localhost/dataplatform-host-fresh-test"
PLAYBOOK = """
- name: Install packages on a host of the freshly built image
  hosts: hosts
  gather_facts: true
  tasks:
    - name: Install a package with a cache age limit, as many roles in the wild do
      ansible.builtin.apt:
        name: less
        update_cache: true
        cache_valid_time: 3600

    - name: The project's baseline, with a package the image lacks
      ansible.builtin.include_role:
        name: dataplatform.ops.host_baseline
      vars:
        host_baseline_packages: [ca-certificates, curl, python3, jq]
"""


def test_a_host_of_a_fresh_image_installs_packages_at_once(tmp_path):
    for image in podman("images", "--quiet", "--filter", f"reference={FRESH_IMAGE_NAME}", check=False).stdout.split():
        podman("rmi", "--force", image, check=False)
    built = subprocess.run(["bash", str(SANDBOX_DIR / "host-image.sh")],
                           env={**podman_env(), "HOST_IMAGE_NAME": FRESH_IMAGE_NAME},
                           capture_output=True, text=True, timeout=1800)
    assert built.returncode == 0, built.stderr[-4000:]
    assert "building" in built.stderr, "the image was not built from nothing"
    image = built.stdout.strip().splitlines()[-1]
    try:
        with PodmanHosts(1, prefix="fresh-image", image=image) as hosts:
            (tmp_path / "inventory.yml").write_text(yaml.safe_dump(hosts.inventory(host_vars={"dataplatform_env": "local"})))
            (tmp_path / "playbook.yml").write_text(PLAYBOOK)
            result = subprocess.run(
                ["ansible-playbook", "-i", str(tmp_path / "inventory.yml"), str(tmp_path / "playbook.yml")],
                cwd=REPO_ROOT, env=os.environ, capture_output=True, text=True, timeout=900)
            assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
            installed = podman("exec", hosts.names[0], "dpkg-query", "-W", "-f=${Package} ${Status}\\n", "less", "jq").stdout
            assert sorted(installed.splitlines()) == ["jq install ok installed", "less install ok installed"], installed
    finally:
        podman("rmi", "--force", image, check=False)
