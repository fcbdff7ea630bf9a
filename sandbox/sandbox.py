"""The sandbox: the whole platform on one machine, with no AWS account (sandbox/README.md).

:class:`Sandbox` is one sandbox: its settings (settings.py) and ``up``, the list of its phases, each
a module of its own: the AWS emulator (aws_emulator.py), Terraform (infrastructure.py), the SSH
user CA (ssh_ca.py), the hosts (hosts.py), the RDS stand-in (rds_standin.py), Ansible
(converge.py), the AWX stand-in (awx.py), the load balancers (load_balancers.py) and the summary
(summary.py). Who calls AWS and how is accounts.py's; ``python -m sandbox`` is cli.py.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from sandbox import (
    accounts,
    aws_emulator,
    awx,
    certificate_pipeline,
    converge,
    hosts,
    infrastructure,
    load_balancers,
    nifi_distribution,
    package_cache,
    rds_standin,
    ssh_ca,
    summary,
    users,
)
from sandbox.podman_hosts import host_image
from sandbox.settings import (
    AUTOMATION_PROFILE,
    DAGS_PUBLISHER_PROFILE,
    ENV,
    INVENTORY,
    OPERATOR_PROFILE,
    ROOT,
    SandboxError,
    Settings,
    log,
    phase,
)

__all__ = ["ROOT", "Sandbox", "SandboxError"]


class Sandbox(Settings):
    """One sandbox: its settings, what its phases do (``up`` lists them) and what tests and
    benchmarks ask of it."""

    def up(self, variables: list[str], converge: bool = True) -> None:
        total = time.monotonic()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with phase(f"moto server on {self.endpoint}"):
            if aws_emulator.ensure_running(self):
                self.forget_earlier_emulator()
        with phase(infrastructure.BOOTSTRAP_PHASE):
            deploy_role_arn = infrastructure.bootstrap(self)
        with phase(infrastructure.ENVIRONMENT_PHASE):
            infrastructure.apply(self, variables, deploy_role_arn)
        with phase("SSH user CA into Secrets Manager"):
            ssh_ca.store(self)
        document = self.platform_document()
        with phase("package caches (Debian packages, the Airflow wheelhouse)"):
            package_cache.ensure_apt_cache()
            package_cache.airflow_find_links(host_image())
        with phase("podman hosts"):
            hosts.ensure_hosts(self, document)
        with phase("RDS stand-in (PostgreSQL)"):
            rds_standin.prepare(self, document)
        if converge:
            with phase("NiFi distribution into the artifacts bucket (make nifi-distribution, ansible/playbooks/nifi-distribution.yml)"):
                try:
                    nifi_distribution.publish(self.ansible_playbook, str(INVENTORY.relative_to(ROOT)), OPERATOR_PROFILE)
                except nifi_distribution.DistributionBuildError as error:
                    raise SandboxError(str(error)) from None
            with phase("ansible-playbook site.yml -i inventories/local"):
                self.converge()
        with phase("AWX stand-in (EventBridge and the certificate pipeline launch jobs; ansible-runner in the execution environment)"):
            awx.ensure_standin(self)
        if converge:
            with phase("user certificates (ansible/playbooks/user-certs.yml, the certificate pipeline; it launches the nifi-users job)"):
                certificate_pipeline.run(self)
            with phase("DAGs into the DAGs bucket (ansible/playbooks/airflow-dags.yml, the delivery job)"):
                # No inventory, as the DAGs workflow: the publisher reaches no host and may not list them.
                self.ansible_playbook("ansible/playbooks/airflow-dags.yml", "-i", "localhost,", "-e", f"dataplatform_env={ENV}",
                                      echo=False, profile=DAGS_PUBLISHER_PROFILE)
        with phase("load balancers (HAProxy in place of the NLB and ALB)"):
            load_balancers.configure(self, document)
        print(self.summary(document), flush=True)
        log(f"total: {time.monotonic() - total:.1f}s")

    def forget_earlier_emulator(self) -> None:
        """A new emulator holds nothing: the state, hosts and SSH CA of an earlier one are stale."""
        shutil.rmtree(self.terraform_dir, ignore_errors=True)
        hosts.remove_containers(self)
        for folder in (self.ssh_dir, self.ssh_ca_key.parent):
            shutil.rmtree(folder, ignore_errors=True)

    def down(self) -> None:
        with phase("stop the AWX stand-in"):
            awx.stop_standin(self)
        with phase("stop the load balancers' stand-in (HAProxy)"):
            self.load_balancers.stop()
        with phase("remove containers and network"):
            hosts.remove_containers(self)
        with phase("stop the moto server"):
            aws_emulator.stop(self)
        with phase(f"remove {self.shown(self.state_dir)}"):
            shutil.rmtree(self.state_dir, ignore_errors=True)

    # --- what the phases' modules answer, for tests, benchmarks and the command line ------------

    @property
    def load_balancers(self) -> load_balancers.LoadBalancerStandIn:
        return load_balancers.stand_in(self)

    def environment(self, profile: str = AUTOMATION_PROFILE) -> dict[str, str]:
        return accounts.environment(self, profile)

    def client(self, service: str):
        return accounts.client(self, service)

    def platform_document(self) -> dict:
        return accounts.platform_document(self)

    def moto(self):
        """The emulator's own API: its request log, lifecycle actions, alarm deliveries."""
        return aws_emulator.client(self)

    def moto_answers(self) -> bool:
        return aws_emulator.answers(self)

    def moto_pid(self) -> int | None:
        return aws_emulator.pid(self)

    def instances(self) -> list[dict]:
        return hosts.instances(self)

    def publish_console(self, instance: dict) -> None:
        hosts.publish_console(self, instance)

    def ansible_playbook(self, *args: str, **options) -> str:
        return converge.ansible_playbook(self, *args, **options)

    def converge(self, *args: str) -> str:
        return converge.converge(self, *args)

    def awx_jobs(self) -> list[dict]:
        return awx.jobs(self)

    def user_secrets(self) -> list[dict]:
        return users.user_secrets(self)

    def user_bundle(self, user: str) -> tuple[Path, Path]:
        return users.user_bundle(self, user)

    def summary(self, document: dict | None = None) -> str:
        return summary.summary(self, document)
