"""Consecutive ``terraform apply`` + ``destroy`` cycles of the local environment (``terraform/platform``
with ``terraform/environments/local``'s values) against
the moto server, as the sandbox and the tests run them: how many pass in a row, and how long each
step takes.

    .venv/bin/python benchmarks/terraform_cycles.py [--cycles 10] [--keep-going]

Each cycle runs on a new moto server, with a new state bucket there (local's state lives in the
emulator's S3), on one copy of ``terraform/`` (initialised each cycle, from the provider mirror). A failed step prints Terraform's error and, with ``--keep-going``, the next cycle
starts; the summary counts the clean cycles, the requests the provider had to send again (from its
debug log: a retry of a request the server already carried out is how a duplicate rule arises)
and the moto server's 5xx answers and slowest requests. Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

import boto3

from emulator.local_tls import LocalCa
from emulator.server import MotoServer
from sandbox.terraform import ensure_state_bucket
from tests.harness.terraform import EmulatedEnvironment, copy_terraform_tree

REPO_ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=10)
    parser.add_argument("--keep-going", action="store_true", help="go on after a failed cycle")
    parser.add_argument("--https", action="store_true", help="the server speaks HTTPS, as the sandbox's does")
    args = parser.parse_args()

    timings: dict[str, list[float]] = {"apply": [], "destroy": []}
    server_errors: dict[str, int] = {}
    replayed: dict[str, int] = {}
    retries: list[int] = []
    slowest: dict[str, float] = {}
    clean = 0
    with tempfile.TemporaryDirectory(prefix="terraform-cycles-") as folder:
        copy = copy_terraform_tree(Path(folder))
        for cycle in range(1, args.cycles + 1):
            tls = LocalCa(Path(folder) / "tls").server(["127.0.0.1", "localhost"]) if args.https else None
            if tls:
                os.environ["AWS_CA_BUNDLE"] = str(tls.bundle)
            with MotoServer(log_path=Path(folder) / f"moto-{cycle}.log", tls=tls) as server:
                environment = EmulatedEnvironment("local", copy, server.endpoint)
                ensure_state_bucket(boto3.client("s3", endpoint_url=server.endpoint))
                failed = None
                provider_log = Path(folder) / f"provider-{cycle}.log"
                os.environ.update(TF_LOG_PROVIDER="DEBUG", TF_LOG_PATH=str(provider_log))
                for step in ("init", "apply", "destroy"):
                    run = getattr(environment, step)
                    try:
                        result = run()
                    except AssertionError as error:
                        failed = f"{step}: {str(error)[-3000:]}"
                        break
                    if step in timings:
                        timings[step].append(result.seconds)
                if provider_log.exists():
                    retried = [line for line in provider_log.open(errors="replace") if "retrying request" in line]
                    retries.append(len(retried))
                    for line in retried[:5]:
                        print(f"  retried: {line.strip()[:400]}", flush=True)
                    if failed or retried:
                        kept_log = Path(tempfile.gettempdir()) / f"terraform-cycles-provider-{cycle}.log"
                        provider_log.replace(kept_log)
                        print(f"  the provider's debug log is kept in {kept_log}", flush=True)
                    else:
                        provider_log.unlink()
                for entry in server.requests():
                    key = f"{entry['service']}:{entry['action']}"
                    if entry.get("replayed"):
                        replayed[key] = replayed.get(key, 0) + 1
                    if entry.get("status", 200) >= 500:
                        server_errors[key] = server_errors.get(key, 0) + 1
                    if entry.get("seconds", 0) > slowest.get(key, 0):
                        slowest[key] = entry["seconds"]
                if failed:
                    print(f"cycle {cycle}: FAILED at {failed}", flush=True)
                    kept = Path(tempfile.gettempdir()) / f"terraform-cycles-moto-{cycle}.json"
                    kept.write_text(json.dumps(server.requests()))
                    print(f"  the moto server's request log is kept in {kept}", flush=True)
                    if not args.keep_going:
                        break
                else:
                    clean += 1
                    print(f"cycle {cycle}: clean (apply {timings['apply'][-1]:.0f}s, destroy {timings['destroy'][-1]:.0f}s)",
                          flush=True)
    print(f"\n{clean} of {cycle} cycles clean")
    print(f"  requests the provider sent again: {sum(retries)} ({', '.join(map(str, retries))} by cycle)")
    print(f"  retries answered with the answer already given (not carried out twice): {sum(replayed.values())}"
          + "".join(f"\n    {action} x{count}" for action, count in sorted(replayed.items())))
    print(f"  requests the moto server answered with 5xx: {sum(server_errors.values())}"
          + "".join(f"\n    {action} x{count}" for action, count in sorted(server_errors.items())))
    print("  the slowest answers of the moto server: " + ", ".join(
        f"{action} {seconds:.1f}s" for action, seconds in sorted(slowest.items(), key=lambda item: -item[1])[:5]))
    for step, values in timings.items():
        if values:
            print(f"  {step}: median {statistics.median(values):.0f}s, max {max(values):.0f}s over {len(values)} runs")
    sys.exit(0 if clean == cycle else 1)


if __name__ == "__main__":
    main()
