"""``python -m sandbox``: the sandbox's commands (up, status, env, logs, user-bundle, pipeline, down)."""

from __future__ import annotations

import argparse
import subprocess
import sys

from sandbox import accounts, pipeline, telemetry
from sandbox import sandbox as sandbox_module
from sandbox.sandbox import Sandbox
from sandbox.settings import ROOT, SandboxError


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=sandbox_module.__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="create the sandbox, or converge it again")
    up.add_argument("--var", action="append", default=[], metavar="NAME=VALUE",
                    help="a Terraform variable of the local environment, e.g. nifi_desired_capacity=4")
    up.add_argument("--no-converge", action="store_true",
                    help="stop after the hosts exist (then run ansible-playbook yourself, e.g. with --limit)")
    commands.add_parser("status", help="print the summary")
    commands.add_parser("env", help="print the shell exports that point ansible-playbook, terraform and the AWS CLI at "
                                    "the sandbox: eval \"$(python -m sandbox env)\"")
    bundle = commands.add_parser("user-bundle", help="write a user's PKCS#12 bundle and its password")
    bundle.add_argument("user")
    commands.add_parser("down", help="remove everything the sandbox made")
    logs = commands.add_parser("logs", help="print a log group's lines (a stream per host), as aws logs tail does")
    logs.add_argument("role", choices=["nifi", "airflow"], help="whose log group")
    logs.add_argument("--since", default="10m", help="how far back to start, such as 30s, 10m, 2h (default 10m)")
    logs.add_argument("--follow", action="store_true", help="keep printing new lines")
    logs.add_argument("--host", help="one instance's stream (its instance id)")
    orders = commands.add_parser("pipeline", help="post sample orders to NiFi's ingest flow and run the orders pipeline DAG "
                                                  "for their date")
    orders.add_argument("--orders", type=int, default=40, help="how many valid orders (one malformed record is added)")
    orders.add_argument("--direct", action="store_true",
                        help="write the orders to bronze directly (not through NiFi), for the next date the DAG has not run")
    args = parser.parse_args(argv)

    sandbox = Sandbox.from_environment()
    try:
        if args.command == "up":
            require_system_tools()
            sandbox.up(args.var, converge=not args.no_converge)
        elif args.command == "down":
            sandbox.down()
        elif not sandbox.moto_answers():
            raise SandboxError("the sandbox is not running (make sandbox starts it)")
        elif args.command == "status":
            print(sandbox.summary())
        elif args.command == "env":
            print(accounts.shell_exports(sandbox))
        elif args.command == "logs":
            group = sandbox.platform_document()["telemetry"]["log_groups"][args.role]
            try:
                telemetry.tail(sandbox.client("logs"), group, args.since, args.follow, args.host)
            except ValueError as error:
                raise SandboxError(str(error)) from None
            except KeyboardInterrupt:
                pass
        elif args.command == "pipeline":
            sys.exit(pipeline.main(sandbox, args.orders, direct=args.direct))
        else:
            bundle_path, password_path = sandbox.user_bundle(args.user)
            print(f"{sandbox.shown(bundle_path)}\n{sandbox.shown(password_path)}")
    except FileNotFoundError as error:
        # A program the sandbox runs (podman, terraform, ansible-playbook) is not installed.
        raise SandboxError(f"{error.filename} is not installed; make setup says what is missing and installs "
                           "it on Debian as root") from None


def require_system_tools() -> None:
    """The set-up step's check (scripts/setup.sh, as make sandbox runs it): exits 2 with its message
    when a system tool is missing."""
    result = subprocess.run(["bash", str(ROOT / "scripts" / "setup.sh")], check=False)
    if result.returncode != 0:
        sys.exit(result.returncode)
