"""The integration tests' moto server that enforces IAM (emulator/iam/),
with an instance metadata service; strict_iam.py holds its operator's key."""

from __future__ import annotations

import pytest

from emulator.server import MotoServer, free_port
from tests.integration.strict_iam import OPERATOR_KEY


@pytest.fixture(scope="module")
def strict_moto(tmp_path_factory):
    server = MotoServer(host="127.0.0.1", imds_port=free_port(), log_path=tmp_path_factory.mktemp("iam") / "moto.log",
                        env={"INITIAL_NO_AUTH_ACTION_COUNT": "0", "DATAPLATFORM_OPERATOR_ACCESS_KEYS": OPERATOR_KEY})
    with server:
        yield server
