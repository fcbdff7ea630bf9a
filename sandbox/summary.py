"""The summary ``make sandbox`` ends with and ``python -m sandbox status`` prints: the hosts, the load
balancers, NiFi, the ingest flow, the logs and alarms, Airflow, the users and what stands in for what."""

from __future__ import annotations

from ansible_collections.dataplatform.ops.plugins.module_utils import identity

from sandbox import accounts, hosts, ingest, load_balancers, telemetry, users
from sandbox.settings import ENV, NIFI_HTTPS_PORT, Settings


def summary(sandbox: Settings, document: dict | None = None) -> str:
    instances = hosts.instances(sandbox)
    document = document or accounts.platform_document(sandbox)
    return "\n".join([
        "", "The sandbox runs the local environment (terraform/platform with terraform/environments/local, "
        "inventories/local).", "",
        *host_lines(sandbox, instances),
        *load_balancers.summary_lines(sandbox, document),
        *nifi_lines(document, instances),
        *ingest.summary_lines(sandbox, document),
        *telemetry.summary_lines(document),
        *airflow_lines(sandbox, document, instances),
        *user_lines(sandbox),
        *stand_in_lines(sandbox, document),
        "", "Converge again: make sandbox    Remove everything: make sandbox-down",
    ])


def host_lines(sandbox: Settings, instances: list[dict]) -> list[str]:
    lines = ["Hosts, by role and lifecycle state (inventory name = instance id), at their private address:"]
    for instance in instances:
        lines.append(f"  {instance['role']:<8} {instance['lifecycle_state']:<16} {instance['instance_id']:<20} "
                     f"{instance['private_ip_address']:<14} {instance['private_dns_name']:<30} "
                     f"container {sandbox.container_name(instance)}")
    lines.append(f"  SSH as Ansible does: ssh -F {sandbox.shown(sandbox.ssh_dir)}/config <address>  "
                 "(a certificate of the sandbox's SSH user CA, host keys pinned from the consoles)")
    return lines


def nifi_lines(document: dict, instances: list[dict]) -> list[str]:
    lines = ["", "NiFi 2.3.0, a cluster of the nodes below (HTTPS with a user's client certificate: the PKCS#12 of "
                 "python -m sandbox user-bundle <user>):",
             f"  load balancer  https://{document['nifi']['nlb_dns_name']}:{NIFI_HTTPS_PORT}/nifi"]
    lines += [f"  node           https://{instance['private_dns_name']}:{NIFI_HTTPS_PORT}/nifi"
              f"  ({instance['private_ip_address']})" for instance in instances if instance["role"] == "nifi"]
    return lines


def airflow_lines(sandbox: Settings, document: dict, instances: list[dict]) -> list[str]:
    airflow = [instance for instance in instances if instance["role"] == "airflow"]
    ca_file = sandbox.shown(load_balancers.stand_in(sandbox).ca_file)
    lines = ["", "Airflow:", f"  api-server     {sandbox.airflow_url(document)}  (user admin; through the load "
                             f"balancer, whose certificate the platform's CA issued: {ca_file})"]
    if airflow:
        address = airflow[0]["private_ip_address"]
        lines.append(f"  password       ssh -F {sandbox.shown(sandbox.ssh_dir)}/config {address} "
                     "sudo cat /var/lib/airflow/simple-auth-manager-passwords.json")
    return lines


def user_lines(sandbox: Settings) -> list[str]:
    lines = ["", f"Users with certificates (cert-requests/{ENV}/), in Secrets Manager:"]
    for entry in users.user_secrets(sandbox):
        tags = entry["tags"]
        dn = identity.dn_of_tag(tags["dataplatform:subject_dn"]) if "dataplatform:subject_dn" in tags else "?"
        lines.append(f"  {entry['user']:<12} {dn:<40} roles {tags.get('dataplatform:roles', '?'):<16}"
                     f" valid until {tags.get('dataplatform:not_after', '?')}")
    lines.append("  their PKCS#12 bundle and password: python -m sandbox user-bundle <user>  "
                 f"(writes {sandbox.shown(sandbox.state_dir / 'users')}/<user>.p12 and .password)")
    return lines


def stand_in_lines(sandbox: Settings, document: dict) -> list[str]:
    balancers = load_balancers.stand_in(sandbox)
    return [
        "", "Stand-ins:",
        f"  AWS            the moto server on {sandbox.endpoint}, {sandbox.hosts_endpoint} from the hosts "
        f"(log {sandbox.shown(sandbox.moto_log)}); IAM enforced: the converge as the automation role, "
        "user certificates as the cert issuer role",
        f"  IMDS           the instance metadata service emulation, {sandbox.hosts_imds_endpoint} from the "
        "hosts: each host's instance profile role",
        f"  EC2 instances  podman containers (Debian 13, systemd) on the network {sandbox.network} "
        f"({sandbox.vpc_network}), one per Auto Scaling Group instance, booted with its user data",
        f"  ELB            HAProxy at the load balancers' addresses above "
        f"({sandbox.shown(balancers.configuration_file)}), configured from their state in moto",
        f"  RDS            PostgreSQL in the container {sandbox.rds_container}, "
        f"{document['rds']['endpoint']}:{document['rds']['port']} ({sandbox.rds_address})",
        f"  AWX            its job launch API on {sandbox.awx_url} (sandbox/awx_standin.py, log "
        f"{sandbox.shown(sandbox.awx_dir / 'standin.log')}): EventBridge launches "
        f"dataplatform-{ENV}-nifi-decommission there when a NiFi node starts terminating, the certificate "
        f"pipeline dataplatform-{ENV}-nifi-users; jobs run",
        "                 with ansible-runner in the execution environment's image (execution-environment.yml)",
        "  NiFi           none: NiFi 2.3.0 itself, the distribution the project builds from Maven Central "
        "(nifi-distribution/), installed from the artifacts bucket",
    ]
