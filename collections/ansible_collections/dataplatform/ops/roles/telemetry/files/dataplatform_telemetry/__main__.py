"""python3 -m dataplatform_telemetry --config /etc/dataplatform-telemetry/config.json"""

from __future__ import annotations

import argparse
import json
import logging
import sys

import boto3
from botocore.config import Config

from .agent import Agent


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="dataplatform_telemetry", description=__doc__)
    parser.add_argument("--config", required=True, help="the agent's JSON settings (written by the telemetry role)")
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(message)s")
    # The SDK says at INFO where it found credentials and endpoints, at every client's creation.
    logging.getLogger("botocore").setLevel(logging.WARNING)
    with open(arguments.config, encoding="utf-8") as handle:
        settings = json.load(handle)
    # The SDK's standard retries cover a throttled or dropped call; the agent's own back-off the rest.
    config = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=10, read_timeout=30)
    session = boto3.session.Session(region_name=settings["region"])
    agent = Agent(settings, session.client("logs", config=config), session.client("cloudwatch", config=config))
    agent.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
