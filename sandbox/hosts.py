"""The sandbox's hosts phase: a podman container (Debian 13, systemd) for each EC2 instance of the
Auto Scaling Groups Terraform made, at its private address and DNS name on one podman network with
the VPC's range.

The sandbox plays the hypervisor: it runs each instance's user data (from its launch template) once
at first boot, and posts the container's console to the emulator, where ``ec2:GetConsoleOutput``
returns it. The containers of instances that left their group are removed.
"""

from __future__ import annotations

import base64

from ansible_collections.dataplatform.ops.plugins.module_utils import platform

from sandbox import accounts, aws_emulator, host_boot
from sandbox.podman_hosts import HOST_CA_BUNDLE, host_image, podman, wait_booted
from sandbox.settings import CONTAINER_TAG, ENV, INSTANCE_LABEL, SandboxError, Settings


def instances(sandbox: Settings) -> list[dict]:
    """Every instance of the environment's Auto Scaling Groups, with what its host needs."""
    autoscaling = accounts.client(sandbox, "autoscaling")
    members: dict[str, dict] = {}
    for page in autoscaling.get_paginator("describe_auto_scaling_groups").paginate(
        Filters=[{"Name": f"tag:{platform.TAG_ENV}", "Values": [ENV]}]
    ):
        for group in page["AutoScalingGroups"]:
            tags = {tag["Key"]: tag["Value"] for tag in group.get("Tags", [])}
            template = group.get("LaunchTemplate", {})
            for instance in group["Instances"]:
                members[instance["InstanceId"]] = {
                    "asg": group["AutoScalingGroupName"],
                    "role": tags.get(platform.TAG_ROLE, ""),
                    "lifecycle_state": instance["LifecycleState"],
                    "launch_template": (instance.get("LaunchTemplate") or template).get("LaunchTemplateId", ""),
                }
    found = []
    ids = sorted(members)
    ec2 = accounts.client(sandbox, "ec2")
    for start in range(0, len(ids), 100):
        for reservation in ec2.describe_instances(InstanceIds=ids[start:start + 100])["Reservations"]:
            for instance in reservation["Instances"]:
                tags = {tag["Key"]: tag["Value"] for tag in instance.get("Tags", [])}
                found.append({
                    "instance_id": instance["InstanceId"],
                    "private_dns_name": instance.get("PrivateDnsName", ""),
                    "private_ip_address": instance.get("PrivateIpAddress", ""),
                    "launch_time": instance["LaunchTime"].isoformat(),
                    "container": tags.get(CONTAINER_TAG),
                    **members[instance["InstanceId"]],
                })
    return sorted(found, key=lambda item: (item["role"], item["launch_time"], item["instance_id"]))


def run_container(sandbox: Settings, name: str, image: str, *options: str) -> None:
    """Starts the container ``name``, made from ``image`` unless it exists."""
    if podman("container", "exists", name, check=False).returncode == 0:
        if podman("start", name, check=False).returncode == 0:
            return
        # Left half-made by an interrupted run: made again from scratch.
        podman("rm", "--force", name, check=False)
    args = ["run", "--detach", "--name", name, "--systemd=always", "--label", sandbox.label, *options]
    # HTTPS from inside: the machine's CA bundle (the registries' proxy included) and the sandbox's
    # AWS endpoint's CA.
    args += ["--volume", f"{sandbox.tls.bundle}:{HOST_CA_BUNDLE}:ro"]
    started = podman(*args, image, "/sbin/init", check=False)
    if started.returncode != 0:
        raise SandboxError(f"podman could not start {name}: {started.stderr.strip()}")


def ensure_network(sandbox: Settings) -> None:
    """One podman network with the VPC's range; its gateway (the VPC router's address) is the
    machine, where the emulator and the package caches answer."""
    if podman("network", "exists", sandbox.network, check=False).returncode != 0:
        created = podman("network", "create", "--label", sandbox.label, "--subnet", str(sandbox.vpc_network),
                         "--gateway", str(sandbox.vpc_network[1]), sandbox.network, check=False)
        if created.returncode != 0:
            raise SandboxError(f"podman could not make the network {sandbox.network} ({sandbox.vpc_network}): "
                               f"{created.stderr.strip()} (another sandbox with this range? SANDBOX_VPC_CIDR sets another)")


def user_data(sandbox: Settings, launch_template_id: str, cache: dict[str, str]) -> str:
    """The user data of a launch template's latest version, as EC2 hands it to the instance."""
    if launch_template_id not in cache:
        versions = accounts.client(sandbox, "ec2").describe_launch_template_versions(
            LaunchTemplateId=launch_template_id, Versions=["$Latest"])["LaunchTemplateVersions"]
        encoded = versions[0]["LaunchTemplateData"].get("UserData", "")
        cache[launch_template_id] = base64.b64decode(encoded).decode() if encoded else ""
    return cache[launch_template_id]


def publish_console(sandbox: Settings, instance: dict) -> None:
    """What the host printed to its console, for ec2:GetConsoleOutput."""
    aws_emulator.client(sandbox).post_console_output(
        instance["instance_id"], host_boot.console_output(instance["container"]))


def ensure_hosts(sandbox: Settings, document: dict) -> list[str]:
    """A container per instance at its private address, booted with its user data, its console
    published; the RDS stand-in's container; the instance tags that link them. Removes the
    containers of instances that are gone. Returns the containers."""
    image = host_image()
    ensure_network(sandbox)
    wanted: dict[str, dict] = {}
    for instance in instances(sandbox):
        name = sandbox.container_name(instance)
        hostname = instance["private_dns_name"] or name
        # -t: the container's tty is the instance's console (what GetConsoleOutput shows).
        options = ["--label", f"{INSTANCE_LABEL}={instance['instance_id']}", "--hostname", hostname, "--tty",
                   "--network", sandbox.network, "--ip", instance["private_ip_address"], "--network-alias", hostname]
        run_container(sandbox, name, image, *options)
        wanted[name] = instance
    run_container(sandbox, sandbox.rds_container, image, "--network", sandbox.network, "--ip", sandbox.rds_address,
                  "--hostname", "rds-standin", "--network-alias", document["rds"]["endpoint"])
    names = [*wanted, sandbox.rds_container]
    try:
        wait_booted(names, timeout=180)
    except TimeoutError as error:
        raise SandboxError(str(error)) from None
    ec2, launch_data = accounts.client(sandbox, "ec2"), {}
    for name, instance in wanted.items():
        if instance["container"] != name:
            ec2.create_tags(Resources=[instance["instance_id"]], Tags=[{"Key": CONTAINER_TAG, "Value": name}])
            instance["container"] = name
        try:
            host_boot.run_user_data(name, user_data(sandbox, instance["launch_template"], launch_data))
        except RuntimeError as error:
            raise SandboxError(str(error)) from None
        publish_console(sandbox, instance)
    existing = podman("ps", "--all", "--format", "{{.Names}}", "--filter", f"label={sandbox.label}",
                      "--filter", f"label={INSTANCE_LABEL}").stdout.split()
    for name in sorted(set(existing) - set(wanted)):
        podman("rm", "--force", "--time", "5", name, check=False)
    return names


def remove_containers(sandbox: Settings) -> None:
    """Every container and the network the sandbox made."""
    ids = podman("ps", "--all", "--quiet", "--filter", f"label={sandbox.label}", check=False).stdout.split()
    if ids:
        podman("rm", "--force", "--time", "5", *ids, check=False)
    if podman("network", "exists", sandbox.network, check=False).returncode == 0:
        podman("network", "rm", "--force", sandbox.network, check=False)
