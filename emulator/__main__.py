"""``python -m emulator --host 127.0.0.1 --port 5000``: the AWS endpoint of the tests and the sandbox,
moto's server made strict by the emulation (router.py installs it), served by cheroot."""

from __future__ import annotations

import argparse
import os
import signal
import threading

from emulator.server import ALL_INTERFACES
from emulator.settings import MANAGED_POLICIES_VARIABLE


def parse_arguments():
    parser = argparse.ArgumentParser(prog="python -m emulator", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--certificate", help="serve HTTPS with this certificate chain (PEM)")
    parser.add_argument("--key", help="the certificate's private key (PEM)")
    parser.add_argument("--imds-port", type=int, default=0,
                        help="also answer as the instance metadata service on this port (iam/instance_metadata.py)")
    args = parser.parse_args()
    if not args.host.startswith("127.") and args.host not in ("localhost", "::1", ALL_INTERFACES):
        parser.error("the moto server listens on loopback, or on every interface for the sandbox's containers")
    return args


def main() -> None:
    args = parse_arguments()
    # The emulated account has AWS's managed policies (ReadOnlyAccess, PowerUserAccess…)
    # like a real one, so Terraform can attach them.
    os.environ.setdefault(MANAGED_POLICIES_VARIABLE, "true")

    from cheroot import wsgi
    from cheroot.ssl.builtin import BuiltinSSLAdapter

    from emulator import state
    from emulator.iam.instance_metadata import InstanceMetadataService
    from emulator.router import build_app

    app = build_app()
    # cheroot, not werkzeug's development server: under load (a parallel terraform apply on two
    # busy cores) the development server reset connections after it had answered, so clients
    # retried requests it had already carried out (a duplicate security group rule, a rule
    # revoked twice). cheroot closes a connection only after the answer is read.
    server = wsgi.Server((args.host, args.port), app, numthreads=32, request_queue_size=128, timeout=60)
    if args.certificate:
        server.ssl_adapter = BuiltinSSLAdapter(args.certificate, args.key)
    servers = [server]
    if args.imds_port:
        servers.append(wsgi.Server((args.host, args.imds_port), InstanceMetadataService(state.BACKEND_LOCK),
                                   numthreads=8, timeout=30))
        threading.Thread(target=servers[-1].safe_start, daemon=True).start()
        print(f"instance metadata service on http://{args.host}:{args.imds_port}", flush=True)

    def stop(*_):
        for each in servers:
            threading.Thread(target=each.stop).start()

    signal.signal(signal.SIGTERM, stop)
    print(f"moto server on {'https' if args.certificate else 'http'}://{args.host}:{args.port}", flush=True)
    server.safe_start()


if __name__ == "__main__":
    main()
