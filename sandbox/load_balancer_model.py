"""The load balancers as the emulator holds them: listeners, target groups, their health checks and
the targets in service, read with the administrator's key (sandbox/load_balancers.py runs them)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

FORWARDING_PROTOCOLS = {"TCP": "tcp", "TLS": "tcp", "UDP": None, "TCP_UDP": "tcp", "HTTP": "http", "HTTPS": "http"}


@dataclass(frozen=True)
class HealthCheck:
    protocol: str
    port: str  # "traffic-port" or a number
    path: str
    matcher: str
    interval: int
    timeout: int
    healthy_threshold: int
    unhealthy_threshold: int


@dataclass(frozen=True)
class Target:
    instance_id: str
    address: str
    port: int


@dataclass
class TargetGroup:
    name: str
    protocol: str
    port: int
    health_check: HealthCheck
    sticky_by_source: bool = False
    targets: list[Target] = field(default_factory=list)


@dataclass
class Listener:
    balancer: str
    dns_name: str
    address: str
    port: int
    protocol: str
    certificate_arn: str = ""
    action: str = "forward"
    target_group: TargetGroup | None = None

    @property
    def key(self) -> str:
        return f"{self.balancer}-{self.port}"

    @property
    def ends_tls(self) -> bool:
        return self.protocol in ("HTTPS", "TLS")


@dataclass(frozen=True)
class TargetHealth:
    target_group: str
    instance_id: str
    address: str
    state: str  # healthy, unhealthy, initial
    reason: str


# --- what the moto server holds ---------------------------------------------------------------

def loopback_address(sandbox_name: str, index: int) -> str:
    """The load balancer's address on the machine: one /24 of 127.0.0.0/8 per sandbox."""
    digest = hashlib.sha256(sandbox_name.encode()).digest()
    return f"127.{1 + digest[0] % 250}.{digest[1]}.{index + 1}"


def status_matcher(codes: str) -> str:
    """A target group's matcher ("200", "200-299", "200,202") as an anchored regular expression."""
    wanted: list[int] = []
    for part in codes.split(","):
        low, _, high = part.strip().partition("-")
        wanted += range(int(low), int(high or low) + 1)
    return "^(" + "|".join(str(code) for code in sorted(set(wanted))) + ")$"


def read_listeners(elbv2, ec2, autoscaling, sandbox_name: str) -> list[Listener]:
    """Every listener of every load balancer, with its target group and the targets in service."""
    in_service = {
        instance["InstanceId"]
        for page in autoscaling.get_paginator("describe_auto_scaling_groups").paginate()
        for group in page["AutoScalingGroups"]
        for instance in group["Instances"]
        if instance["LifecycleState"] == "InService"
    }
    balancers = sorted(
        (balancer for page in elbv2.get_paginator("describe_load_balancers").paginate()
         for balancer in page["LoadBalancers"]),
        key=lambda balancer: balancer["LoadBalancerName"])
    groups: dict[str, TargetGroup] = {}
    listeners = []
    for index, balancer in enumerate(balancers):
        address = loopback_address(sandbox_name, index)
        for described in elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]:
            actions = described.get("DefaultActions", [])
            forward = next((action for action in actions if action["Type"] == "forward"), None)
            listener = Listener(
                balancer=balancer["LoadBalancerName"], dns_name=balancer["DNSName"], address=address,
                port=described["Port"], protocol=described["Protocol"],
                certificate_arn=(described.get("Certificates") or [{}])[0].get("CertificateArn", ""),
                action=forward["Type"] if forward else ",".join(action["Type"] for action in actions) or "none")
            if forward:
                arn = forward.get("TargetGroupArn") or forward["ForwardConfig"]["TargetGroups"][0]["TargetGroupArn"]
                if arn not in groups:
                    groups[arn] = _target_group(elbv2, ec2, arn, in_service)
                listener.target_group = groups[arn]
            listeners.append(listener)
    return listeners


def _target_group(elbv2, ec2, arn: str, in_service: set[str]) -> TargetGroup:
    described = elbv2.describe_target_groups(TargetGroupArns=[arn])["TargetGroups"][0]
    attributes = {item["Key"]: item["Value"] for item in elbv2.describe_target_group_attributes(
        TargetGroupArn=arn)["Attributes"]}
    health = HealthCheck(
        protocol=described.get("HealthCheckProtocol") or described["Protocol"],
        port=str(described.get("HealthCheckPort") or "traffic-port"),
        path=described.get("HealthCheckPath") or "/",
        matcher=(described.get("Matcher") or {}).get("HttpCode") or "200",
        interval=int(described.get("HealthCheckIntervalSeconds") or 30),
        timeout=int(described.get("HealthCheckTimeoutSeconds") or 5),
        healthy_threshold=int(described.get("HealthyThresholdCount") or 5),
        unhealthy_threshold=int(described.get("UnhealthyThresholdCount") or 2))
    group = TargetGroup(
        name=described["TargetGroupName"], protocol=described["Protocol"], port=described["Port"], health_check=health,
        sticky_by_source=attributes.get("stickiness.enabled") == "true"
        and attributes.get("stickiness.type") == "source_ip")
    registered = [(item["Target"]["Id"], item["Target"].get("Port") or group.port)
                  for item in elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]]
    wanted = [(instance_id, port) for instance_id, port in registered if instance_id in in_service]
    if wanted:
        addresses = {
            instance["InstanceId"]: instance.get("PrivateIpAddress", "")
            for reservation in ec2.describe_instances(InstanceIds=sorted({item for item, _ in wanted}))["Reservations"]
            for instance in reservation["Instances"]
            if instance["State"]["Name"] == "running"
        }
        group.targets = [Target(instance_id, addresses[instance_id], port)
                         for instance_id, port in sorted(wanted) if addresses.get(instance_id)]
    return group


