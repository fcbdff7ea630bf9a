"""What EC2 does for an instance at its first boot, done for a podman host: the hypervisor side.

* ``run_user_data``: the instance's user data runs once as root, as cloud-init runs it (the
  sandbox takes it from the launch template Terraform made; Molecule renders the same template).
* ``console_output``: the host's console (the container runs with a tty, so systemd and the user
  data's host-key unit write to it, as to an EC2 serial console).
* ``render_user_data``: ``terraform/modules/asg-hosts/user-data.sh.tftpl`` rendered the way
  Terraform's ``templatefile`` renders it, for hosts that no Terraform made (Molecule, tests).
* ``SshCa``: an SSH user CA of a test environment (Molecule's; the sandbox's lives in its moto
  Secrets Manager like production's), and the login material signed with it.

Molecule's scenarios call it as a program (``molecule/shared/boot.yml``)::

    python -m sandbox.host_boot molecule --dir DIR --principal P name=address …

which makes the scenario's CA, boots every host with the user data (SSH for the CA's
certificates), signs the controller's login key and pins each host's keys from its console.
"""

from __future__ import annotations

import argparse
import datetime
import re
import subprocess
import time
from pathlib import Path

from ansible_collections.dataplatform.ops.plugins.module_utils import ssh

from sandbox.podman_hosts import podman

REPO_ROOT = Path(__file__).resolve().parent.parent

USER_DATA_TEMPLATE = REPO_ROOT / "terraform" / "modules" / "asg-hosts" / "user-data.sh.tftpl"
BOOTED_MARK = "/var/lib/dataplatform-boot/user-data-done"
LOGIN_USER = "dataplatform"


def render_user_data(values: dict[str, str]) -> str:
    """The user data as Terraform renders the template: each ``${name}`` replaced, ``%%{`` made ``%{``."""
    template = USER_DATA_TEMPLATE.read_text()
    placeholders = set(re.findall(r"\$\{([a-z_]+)\}", template))
    missing = placeholders - set(values)
    if missing:
        raise KeyError(f"no value for the user data's {sorted(missing)}")
    return re.sub(r"\$\{([a-z_]+)\}", lambda match: values[match.group(1)], template).replace("%%{", "%{")


def user_data_placeholders() -> set[str]:
    return set(re.findall(r"\$\{([a-z_]+)\}", USER_DATA_TEMPLATE.read_text()))


def run_user_data(container: str, script: str, timeout: float = 300) -> bool:
    """Runs the user data once in the container, as root; False when it already ran there."""
    if podman("exec", container, "test", "-e", BOOTED_MARK, check=False).returncode == 0:
        return False
    result = subprocess.run(["podman", "exec", "-i", container, "bash", "-s"], input=script, text=True,
                            capture_output=True, timeout=timeout)
    if result.returncode != 0:
        journal = podman("exec", container, "journalctl", "-q", "-t", "dataplatform-first-boot", "--no-pager",
                         check=False).stdout
        raise RuntimeError(f"the user data failed on {container} (exit {result.returncode}):\n{journal[-3000:]}")
    podman("exec", container, "sh", "-c", f"mkdir -p {Path(BOOTED_MARK).parent} && touch {BOOTED_MARK}")
    return True


def console_output(container: str) -> str:
    return podman("logs", container, check=False).stdout


def wait_for_host_keys(container: str, timeout: float = 60) -> list[tuple[str, str]]:
    deadline = time.monotonic() + timeout
    while True:
        keys = ssh.host_keys_in_console(console_output(container))
        if keys:
            return keys
        if time.monotonic() > deadline:
            raise TimeoutError(f"{container} printed no SSH host keys to its console")
        time.sleep(0.5)


class SshCa:
    """A test environment's SSH user CA, kept as a key file (mode 0600) in ``folder``."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.key_path = self.folder / "user-ca"
        self.key, _ = ssh.ensure_login_key(str(self.key_path))

    @property
    def public_line(self) -> str:
        return ssh.private_key_public_line(self.key) + " dataplatform-test-user-ca"

    def sign_login(self, key_path: Path, principals: list[str], hours: int = 12) -> Path:
        """A login certificate for the key at ``key_path`` (made when missing), beside it."""
        key, _ = ssh.ensure_login_key(str(key_path))
        certificate = ssh.sign_user_certificate(self.key, key.public_key(), principals, "dataplatform-test-controller",
                                                datetime.timedelta(hours=hours))
        path = Path(f"{key_path}-cert.pub")
        path.write_bytes(certificate + b"\n")
        return path


def boot_molecule_hosts(folder: Path, principal: str, hosts: dict[str, str]) -> None:
    """Boots each ``{container: address}`` with the user data for the scenario's CA, signs the
    controller's login key, and writes ``known_hosts`` from the hosts' consoles."""
    ca = SshCa(folder / "ca")
    script = render_user_data({name: "" for name in user_data_placeholders()} | {
        "ssh_user": LOGIN_USER, "ssh_principals": principal, "ssh_user_ca_public_keys": ca.public_line})
    known_hosts = ssh.KnownHosts()
    for container, address in hosts.items():
        run_user_data(container, script)
        known_hosts.set_host(container, [address], wait_for_host_keys(container))
    ssh.write_private_file(str(folder / "known_hosts"), known_hosts.render().encode())
    ca.sign_login(folder / "id_ed25519", [principal])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    molecule = commands.add_parser("molecule", help="boot a Molecule scenario's hosts for SSH")
    molecule.add_argument("--dir", type=Path, required=True, help="where the CA, login key and known_hosts go")
    molecule.add_argument("--principal", required=True)
    molecule.add_argument("hosts", nargs="+", metavar="CONTAINER=ADDRESS")
    args = parser.parse_args()
    hosts = dict(item.split("=", 1) for item in args.hosts)
    boot_molecule_hosts(args.dir, args.principal, hosts)


if __name__ == "__main__":
    main()
