"""The sandbox's RDS phase: PostgreSQL in a container at the address the RDS instance's DNS name
resolves to on the hosts' network, with the database, port and credentials of Terraform's RDS
instance (its RDS-managed secret in the emulator)."""

from __future__ import annotations

import json

from sandbox import accounts
from sandbox.converge import ansible_playbook
from sandbox.settings import OPERATOR_PROFILE, ROOT, Settings


def prepare(sandbox: Settings, document: dict) -> None:
    """Installs and configures PostgreSQL in the RDS stand-in's container (sandbox/rds-standin.yml)."""
    rds = document["rds"]
    secret = json.loads(accounts.client(sandbox, "secretsmanager").get_secret_value(
        SecretId=rds["credentials_secret_arn"])["SecretString"])
    variables = sandbox.state_dir / "rds-standin.json"
    variables.touch(mode=0o600)
    variables.write_text(json.dumps({
        "rds_standin_port": int(rds["port"]),
        "rds_standin_db_name": rds["db_name"],
        "rds_standin_user": secret["username"],
        "rds_standin_password": secret["password"],
        # On its own address in the VPC, for the Airflow hosts.
        "rds_standin_listen_addresses": "*",
        "rds_standin_client_cidr": str(sandbox.vpc_network),
    }))
    inventory = sandbox.state_dir / "rds-standin.yml"
    inventory.write_text(
        "# Written by the sandbox: its RDS stand-in container.\n"
        f"rds_standin:\n  hosts:\n    {sandbox.rds_container}:\n"
        "      ansible_connection: containers.podman.podman\n"
        "      ansible_python_interpreter: /usr/bin/python3\n"
    )
    ansible_playbook(sandbox, str(ROOT / "sandbox" / "rds-standin.yml"), "-i", str(inventory),
                     f"-e@{variables}", echo=False, profile=OPERATOR_PROFILE)
