"""Benchmark: the aws_asg inventory against amazon.aws.aws_ec2 on the same Auto Scaling fleet.

    .venv/bin/python benchmarks/inventory.py            # 20 groups x 100 instances + 1,000 loose
    .venv/bin/python benchmarks/inventory.py --groups 5 --per-group 20 --loose 100 --runs 3

Starts its own moto server on loopback, creates the fleet through the API, then runs
``ansible-inventory --list`` for both plugins, configured to give the same hosts and the same
per-group groups (aws_ec2: a tag filter plus ``keyed_groups`` on ``aws:autoscaling:groupName``),
alternating runs. Prints the median wall time and the API requests of each plugin, their ratio,
and checks the budget of the inventory issue: aws_asg makes at most
ceil(groups/100) + ceil(instances/batch_size) + a small constant requests and takes at most
0.7x the wall time of aws_ec2. Exits non-zero when a check fails.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from emulator.client import count_actions
from emulator.server import MotoServer

REPO_ROOT = Path(__file__).resolve().parent.parent

REGION = "eu-west-1"
IMAGE_ID = "ami-12c6146b"  # an image moto knows
ENV_TAG = "bench"
ANSIBLE_INVENTORY = str(Path(sys.executable).parent / "ansible-inventory")
# Requests beyond the paged and batched ones that the budget allows (none are expected today).
REQUEST_ALLOWANCE = 2
MAX_TIME_RATIO = 0.7
# botocore gives up on a response after 60 s and sends the request again. On a loaded machine moto
# needs longer than that for aws_ec2's single 2,000-instance answer, and every retry adds the
# same work to the server. Both plugins' processes get this read timeout instead.
READ_TIMEOUT_SECONDS = 600
SITECUSTOMIZE = f"""\
# Written by benchmarks/inventory.py: a longer botocore read timeout for both plugins.
import botocore.config
botocore.config.Config.OPTION_DEFAULTS["read_timeout"] = {READ_TIMEOUT_SECONDS}
"""


def isolated_environment(endpoint: str, site_directory: Path) -> dict[str, str]:
    """The environment of every child: dummy credentials, only the moto endpoint, no real AWS."""
    (site_directory / "sitecustomize.py").write_text(SITECUSTOMIZE)
    env = {
        key: value for key, value in os.environ.items()
        if not key.startswith("AWS_") and not key.startswith("ANSIBLE_")
    }
    env.update(
        AWS_ACCESS_KEY_ID="benchmark",
        AWS_SECRET_ACCESS_KEY="benchmark",
        AWS_REGION=REGION,
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_ENDPOINT_URL=endpoint,
        ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg"),
        # Both plugins enabled in every run, so both pay the same plugin lookup.
        ANSIBLE_INVENTORY_ENABLED="dataplatform.ops.aws_asg,amazon.aws.aws_ec2",
        ANSIBLE_INVENTORY_UNPARSED_FAILED="true",
        PYTHONPATH=str(site_directory),
    )
    return env


def create_fleet(groups: int, per_group: int, loose: int) -> None:
    import boto3

    ec2 = boto3.client("ec2", region_name=REGION)
    autoscaling = boto3.client("autoscaling", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    fleet_subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/18", AvailabilityZone=f"{REGION}a")["Subnet"]["SubnetId"]
    loose_subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.64.0/18", AvailabilityZone=f"{REGION}b")["Subnet"]["SubnetId"]
    template = ec2.create_launch_template(
        LaunchTemplateName="bench", LaunchTemplateData={"ImageId": IMAGE_ID, "InstanceType": "m6i.large"}
    )["LaunchTemplate"]["LaunchTemplateId"]
    for number in range(groups):
        name = f"dataplatform-{ENV_TAG}-node-{number:02d}"
        tags = {"dataplatform:env": ENV_TAG, "dataplatform:role": "nifi", "dataplatform:cluster": f"cluster-{number:02d}", "Name": name}
        autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=name,
            MinSize=0,
            MaxSize=per_group,
            DesiredCapacity=per_group,
            LaunchTemplate={"LaunchTemplateId": template, "Version": "$Latest"},
            VPCZoneIdentifier=fleet_subnet,
            Tags=[
                {"Key": key, "Value": value, "PropagateAtLaunch": True, "ResourceId": name, "ResourceType": "auto-scaling-group"}
                for key, value in tags.items()
            ],
        )
    # Outside any group but with the same environment tag: only the group membership tells them apart.
    for start in range(0, loose, 100):
        count = min(100, loose - start)
        ec2.run_instances(
            ImageId=IMAGE_ID, MinCount=count, MaxCount=count, SubnetId=loose_subnet, InstanceType="m6i.large",
            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "dataplatform:env", "Value": ENV_TAG}]}],
        )


def write_sources(directory: Path, batch_size: int) -> dict[str, Path]:
    aws_asg = directory / "bench.aws_asg.yml"
    aws_asg.write_text(
        "plugin: dataplatform.ops.aws_asg\n"
        f"regions: [{REGION}]\n"
        "asg_tags:\n"
        f"  dataplatform:env: {ENV_TAG}\n"
        "hostnames: [instance-id]\n"
        f"batch_size: {batch_size}\n"
    )
    aws_ec2 = directory / "bench.aws_ec2.yml"
    aws_ec2.write_text(
        "plugin: amazon.aws.aws_ec2\n"
        f"regions: [{REGION}]\n"
        "filters:\n"
        f"  tag:dataplatform:env: {ENV_TAG}\n"
        "  tag-key: aws:autoscaling:groupName\n"
        "hostnames: [instance-id]\n"
        "keyed_groups:\n"
        "  - key: tags['aws:autoscaling:groupName']\n"
        "    prefix: asg\n"
    )
    return {"aws_asg": aws_asg, "aws_ec2": aws_ec2}


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_inventory(source: Path, env: dict[str, str]) -> tuple[float, float, dict]:
    """Wall time, CPU time of ansible-inventory itself (the rest is waiting for the server), output."""
    cpu_before = children_cpu_seconds()
    started = time.perf_counter()
    result = subprocess.run(
        [ANSIBLE_INVENTORY, "-i", str(source), "--list"], env=env, cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"ansible-inventory -i {source.name} failed:\n{result.stderr}")
    return elapsed, children_cpu_seconds() - cpu_before, json.loads(result.stdout)


def asg_groups(inventory: dict) -> dict[str, list[str]]:
    return {name: sorted(group.get("hosts", [])) for name, group in inventory.items() if name.startswith("asg_")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=20)
    parser.add_argument("--per-group", type=int, default=100)
    parser.add_argument("--loose", type=int, default=1000, help="instances outside any Auto Scaling group")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=200, help="aws_asg's batch_size")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="inventory-bench-") as scratch, MotoServer(log_path=Path(scratch) / "moto.log") as moto:
        site_directory = Path(scratch) / "site"
        site_directory.mkdir()
        env = isolated_environment(moto.endpoint, site_directory)
        os.environ.update({key: value for key, value in env.items() if key.startswith("AWS_")})

        started = time.perf_counter()
        create_fleet(args.groups, args.per_group, args.loose)
        setup_seconds = time.perf_counter() - started
        fleet = args.groups * args.per_group
        print(f"fleet: {args.groups} groups x {args.per_group} instances + {args.loose} outside any group "
              f"(set up in moto in {setup_seconds:.1f}s); botocore read timeout {READ_TIMEOUT_SECONDS}s for both plugins")

        sources = write_sources(Path(scratch), args.batch_size)
        times: dict[str, list[float]] = {name: [] for name in sources}
        cpu: dict[str, list[float]] = {name: [] for name in sources}
        requests: dict[str, list[dict[str, int]]] = {name: [] for name in sources}
        inventories = {}
        for _ in range(args.runs):
            for name, source in sources.items():
                moto.clear_requests()
                elapsed, cpu_seconds, inventories[name] = run_inventory(source, env)
                times[name].append(elapsed)
                cpu[name].append(cpu_seconds)
                requests[name].append(count_actions(moto.requests()))

        same_hosts = sorted(inventories["aws_asg"]["_meta"]["hostvars"]) == sorted(inventories["aws_ec2"]["_meta"]["hostvars"])
        same_groups = asg_groups(inventories["aws_asg"]) == asg_groups(inventories["aws_ec2"])
        host_count = len(inventories["aws_asg"]["_meta"]["hostvars"])

    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"hosts: {host_count} (expected {fleet}); same hosts in both: {same_hosts}; same ASG groups: {same_groups}")
    print(f"{'plugin':<10} {'median s':>9} {'client CPU s':>13}  {'runs (s)':<36} requests")
    for name in sources:
        runs = " ".join(f"{value:.2f}" for value in times[name])
        counted = requests[name][-1]
        summary = ", ".join(f"{action} {count}" for action, count in sorted(counted.items()))
        print(f"{name:<10} {medians[name]:>9.2f} {statistics.median(cpu[name]):>13.2f}  {runs:<36} {sum(counted.values())} ({summary})")
    ratio = medians["aws_asg"] / medians["aws_ec2"]
    print(f"ratio aws_asg / aws_ec2 wall time: {ratio:.2f} (budget <= {MAX_TIME_RATIO})")

    budget = math.ceil(args.groups / 100) + math.ceil(fleet / args.batch_size) + REQUEST_ALLOWANCE
    asg_requests = max(sum(counted.values()) for counted in requests["aws_asg"])
    print(f"aws_asg requests: {asg_requests} (budget ceil({args.groups}/100) + ceil({fleet}/{args.batch_size}) + {REQUEST_ALLOWANCE} = {budget})")

    failures = []
    if host_count != fleet or not same_hosts or not same_groups:
        failures.append("the two inventories differ or miss hosts")
    if asg_requests > budget:
        failures.append(f"aws_asg made {asg_requests} requests, budget {budget}")
    if ratio > MAX_TIME_RATIO:
        failures.append(f"aws_asg took {ratio:.2f}x the time of aws_ec2, budget {MAX_TIME_RATIO}x")
    print("FAIL: " + "; ".join(failures) if failures else "PASS: within the request and time budget")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
