"""The sandbox's SSH user CA, made with the sandbox as an operator makes an environment's
(terraform/modules/ssh-user-ca/README.md): its public key goes to Terraform, its private key into
Secrets Manager with the bootstrap playbook, then it is gone from disk."""

from __future__ import annotations

from pathlib import Path

from ansible_collections.dataplatform.ops.plugins.module_utils import ssh

from sandbox.converge import ansible_playbook
from sandbox.settings import ENV, INVENTORY, OPERATOR_PROFILE, ROOT, Settings


def public_key(sandbox: Settings) -> str:
    """The CA's public key line, the key made first when there is none."""
    public = Path(f"{sandbox.ssh_ca_key}.pub")
    if not public.exists():
        sandbox.ssh_ca_key.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        key, _ = ssh.ensure_login_key(str(sandbox.ssh_ca_key))
        public.write_text(f"{ssh.private_key_public_line(key)} dataplatform-{ENV}-user-ca\n")
    return public.read_text().strip()


def store(sandbox: Settings) -> None:
    """The CA's private key into its secret (ansible/playbooks/ssh-user-ca.yml), then off the disk."""
    if sandbox.ssh_ca_key.exists():
        ansible_playbook(sandbox, "ansible/playbooks/ssh-user-ca.yml", "-i", str(INVENTORY.relative_to(ROOT)),
                         "-e", f"ssh_user_ca_private_key_file={sandbox.ssh_ca_key}", echo=False,
                         profile=OPERATOR_PROFILE)
        sandbox.ssh_ca_key.unlink()
