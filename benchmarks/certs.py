"""User-certificate reconciliation at scale: 1,000 requests against a moto server of its own.

    .venv/bin/python benchmarks/certs.py [--users 1000]

Runs ``ansible/playbooks/user-certs.yml`` twice on one environment (``local``) whose requests
folder holds N generated requests: the first run issues every certificate, the second finds
nothing to do. Prints the AWS requests the server received, by API, and the wall time of each
run, then checks the budget:

* first run: at most 3 writes per user (IssueCertificate, CreateSecret, ...), any reads;
* second run: no call to the CA at all, and Secrets Manager read in pages of ListSecrets (tags
  included) instead of one GetSecretValue or DescribeSecret per user.

Exits non-zero when a budget is exceeded. Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from emulator.client import count_actions
from emulator.server import MotoServer
from tests.harness.private_ca import create_root_ca, write_platform_parameter

REPO_ROOT = Path(__file__).resolve().parent.parent

ENV = "local"
ORGANIZATIONAL_UNITS = ("DataEng", "Analytics", "Automation", "Operations")
READ_PREFIXES = ("Get", "List", "Describe")
PAGE_SIZE = 100  # module_utils/user_certificates.py LIST_PAGE_SIZE


def isolate_from_real_aws(endpoint: str) -> None:
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN",
                 "AWS_WEB_IDENTITY_TOKEN_FILE"):
        os.environ.pop(name, None)
    os.environ.update({
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_REGION": "eu-west-1", "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": endpoint,
        "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg"),
    })


def write_requests(folder: Path, users: int) -> None:
    env_dir = folder / ENV
    env_dir.mkdir(parents=True)
    for index in range(users):
        user = f"user-{index:05d}"
        unit = ORGANIZATIONAL_UNITS[index % len(ORGANIZATIONAL_UNITS)]
        (env_dir / f"{user}.yaml").write_text(
            f"user: {user}\nenv: {ENV}\n"
            f"subject: {{common_name: {user}, organizational_unit: {unit}, organization: Platform}}\n"
            f"expiry_days: 90\nroles: [viewer]\n")


def reconcile(requests_dir: Path) -> float:
    started = time.monotonic()
    result = subprocess.run(
        ["ansible-playbook", str(REPO_ROOT / "ansible" / "playbooks" / "user-certs.yml"), "-i", f"inventories/{ENV}",
         "-e", f"cert_requests_dir={requests_dir}"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=7200)
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        sys.exit("user-certs.yml failed:\n" + (result.stdout + result.stderr)[-4000:])
    return elapsed


def table(title: str, counts: dict[str, int]) -> None:
    print(f"\n{title}")
    for key, count in sorted(counts.items()):
        print(f"  {key:<45} {count:>7}")
    print(f"  {'total':<45} {sum(counts.values()):>7}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    args = parser.parse_args()

    with MotoServer() as moto, tempfile.TemporaryDirectory(prefix="certs-benchmark-") as scratch:
        isolate_from_real_aws(moto.endpoint)
        ca_arn = create_root_ca(ENV)
        write_platform_parameter(ENV, {"pca": {"arn": ca_arn}})
        requests_dir = Path(scratch) / "requests"
        write_requests(requests_dir, args.users)

        moto.clear_requests()
        first_time = reconcile(requests_dir)
        first = moto.requests()
        moto.clear_requests()
        second_time = reconcile(requests_dir)
        second = moto.requests()

    first_counts, second_counts = count_actions(first), count_actions(second)
    table(f"first run: {args.users} users issued in {first_time:.1f} s", first_counts)
    table(f"second run (nothing due) in {second_time:.1f} s", second_counts)

    writes = {key: count for key, count in first_counts.items()
              if key.split(":")[0] in ("acm-pca", "secretsmanager") and not key.split(":")[1].startswith(READ_PREFIXES)}
    pca_calls = {key: count for key, count in second_counts.items() if key.startswith("acm-pca:")}
    per_user_reads = {key: count for key, count in second_counts.items()
                      if key in ("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret")}
    pages = second_counts.get("secretsmanager:ListSecrets", 0)
    checks = [
        (f"first run: {sum(writes.values())} PCA and Secrets Manager writes for {args.users} users (at most 3 each)",
         sum(writes.values()) <= 3 * args.users),
        (f"second run: {sum(pca_calls.values())} PCA calls (none allowed)", not pca_calls),
        (f"second run: {pages} ListSecrets pages for {args.users} users (pages of {PAGE_SIZE}), "
         f"{sum(per_user_reads.values())} per-user secret reads", pages <= math.ceil(args.users / PAGE_SIZE) + 1
         and not per_user_reads),
    ]
    print(f"\nwall time: first run {first_time:.1f} s ({first_time / args.users * 1000:.0f} ms per user), "
          f"second run {second_time:.1f} s")
    for text, passed in checks:
        print(f"  [{'ok' if passed else 'OVER BUDGET'}] {text}")
    return 0 if all(passed for _, passed in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
