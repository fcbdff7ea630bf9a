"""The sandbox's certificate pipeline: what the cert-issuer workflow runs on a merge to main.

``ansible/playbooks/user-certs.yml`` issues, renews and revokes the users' certificates (its AWS
calls as the cert issuer role, user_certs_aws_profile), then launches the environment's
nifi-users job template in AWX (here the stand-in, with its token) and waits for it: the users
and policies reach NiFi through its REST API, and a removed user is locked out, with no command
typed after the pipeline's run.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLAYBOOK = "ansible/playbooks/user-certs.yml"
INVENTORY = "inventories/local"


def run(sandbox, *args: str) -> str:
    """Runs the pipeline's playbook against ``sandbox`` with extra ``args`` (e.g. ``-e
    cert_requests_dir=…``); returns its output."""
    return sandbox.ansible_playbook(PLAYBOOK, "-i", INVENTORY, *args, echo=False, extra_env={
        "AWX_TOKEN": sandbox.awx_token.read_text().strip(),
        "SANDBOX_AWX_URL": sandbox.awx_url,
    })
