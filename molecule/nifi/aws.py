"""The AWS of the nifi scenario: the project's moto server on the controller's loopback.

    python molecule/nifi/aws.py start     moto on AWS_ENDPOINT_URL's port, pid file in the scenario's ephemeral dir
    python molecule/nifi/aws.py prepare   the environment's root CA in ACM PCA and /dataplatform/local/platform, as Terraform makes them
    python molecule/nifi/aws.py stop      stop the server started by `start` (nothing else)

AWS_ENDPOINT_URL (set by molecule.yml) must point at 127.0.0.1: the scenario never reaches AWS.
"""

from __future__ import annotations

import os
import signal
import sys
import time
import urllib.parse
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "collections")]

from tests.harness.moto_server import MotoServer  # noqa: E402

ENV = "local"
REGION = "eu-west-1"


def endpoint():
    url = urllib.parse.urlparse(os.environ.get("AWS_ENDPOINT_URL", ""))
    if url.hostname != "127.0.0.1" or not url.port:
        sys.exit("AWS_ENDPOINT_URL must be http://127.0.0.1:<port>, not %r" % os.environ.get("AWS_ENDPOINT_URL"))
    return url.port


def state_dir():
    path = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", REPO_ROOT / ".cache" / "molecule-nifi"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def start():
    pid_file = state_dir() / "moto.pid"
    if pid_file.exists() and _alive(int(pid_file.read_text())):
        print("moto server already running (pid %s)" % pid_file.read_text())
        return
    server = MotoServer(port=endpoint(), log_path=state_dir() / "moto.log").start()
    pid_file.write_text(str(server.process.pid))
    print("moto server on %s (pid %d)" % (server.endpoint, server.process.pid))


def stop():
    pid_file = state_dir() / "moto.pid"
    if not pid_file.exists():
        print("no moto server to stop")
        return
    pid = int(pid_file.read_text())
    if _alive(pid):
        os.killpg(pid, signal.SIGTERM)
        for _ in range(50):
            if not _alive(pid):
                break
            time.sleep(0.2)
        else:
            os.killpg(pid, signal.SIGKILL)
    pid_file.unlink()
    print("moto server (pid %d) stopped" % pid)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def prepare():
    endpoint()
    import boto3

    from tests.harness.platform_document import platform_document, write_platform_document
    from tests.harness.private_ca import create_root_ca

    ssm = boto3.client("ssm", region_name=REGION)
    existing = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": ["/dataplatform/%s/platform" % ENV]}])
    if existing["Parameters"]:
        print("platform parameter already written")
        return
    print("wrote %s" % write_platform_document(platform_document(ENV, pca_arn=create_root_ca(ENV), region=REGION)))


if __name__ == "__main__":
    actions = {"start": start, "stop": stop, "prepare": prepare}
    if len(sys.argv) != 2 or sys.argv[1] not in actions:
        sys.exit("usage: aws.py {%s}" % "|".join(actions))
    actions[sys.argv[1]]()
