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

from ansible_collections.dataplatform.ops.plugins.module_utils.platform import PLATFORM_KEYS  # noqa: E402
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
    from tests.harness.private_ca import create_root_ca, write_platform_parameter

    import boto3

    ssm = boto3.client("ssm", region_name=REGION)
    existing = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": ["/dataplatform/%s/platform" % ENV]}])
    if existing["Parameters"]:
        print("platform parameter already written")
        return
    document = {
        "region": REGION,
        "secrets_prefix": "dataplatform/%s/" % ENV,
        "pca": {"arn": create_root_ca(ENV)},
        "buckets": {layer: "dataplatform-%s-%s" % (ENV, layer)
                    for layer in ("bronze", "silver", "gold", "artifacts", "dags", "logs", "truststore")},
        "nifi": {"asg_name": "dataplatform-%s-nifi-main" % ENV, "nlb_dns_name": "nifi-%s.elb.%s.amazonaws.com" % (ENV, REGION)},
        "airflow": {"asg_name": "dataplatform-%s-airflow-main" % ENV, "alb_dns_name": "airflow-%s.elb.%s.amazonaws.com" % (ENV, REGION)},
        "rds": {"endpoint": "airflow.%s.rds.amazonaws.com" % REGION, "port": 5432, "db_name": "airflow",
                "credentials_secret_arn": "arn:aws:secretsmanager:%s:123456789012:secret:rds-airflow" % REGION},
    }
    missing = [key for key in PLATFORM_KEYS if not _has(document, key) and key != "env"]
    if missing:
        sys.exit("the scenario's platform document lacks %s" % ", ".join(missing))
    print("wrote %s" % write_platform_parameter(ENV, document))


def _has(document, key):
    node = document
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


if __name__ == "__main__":
    actions = {"start": start, "stop": stop, "prepare": prepare}
    if len(sys.argv) != 2 or sys.argv[1] not in actions:
        sys.exit("usage: aws.py {%s}" % "|".join(actions))
    actions[sys.argv[1]]()
