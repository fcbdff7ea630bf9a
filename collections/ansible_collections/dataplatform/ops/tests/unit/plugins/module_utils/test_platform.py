from __future__ import annotations

import pytest

from ansible_collections.dataplatform.ops.plugins.module_utils import platform


def test_platform_parameter_name():
    assert platform.platform_parameter_name("prod") == "/dataplatform/prod/platform"


def test_secret_name_joins_parts_under_the_environment_prefix():
    assert platform.secret_name("dev", "users", "alice") == "dataplatform/dev/users/alice"
    assert platform.secret_name("local", "nifi", "sensitive-props-key") == "dataplatform/local/nifi/sensitive-props-key"


@pytest.mark.parametrize("parts", [(), ("",), ("users/alice",)])
def test_secret_name_rejects_empty_or_nested_parts(parts):
    with pytest.raises(ValueError):
        platform.secret_name("dev", *parts)


def test_unknown_environment_is_rejected():
    with pytest.raises(ValueError, match="unknown environment"):
        platform.secrets_prefix("staging")


def test_missing_platform_keys_lists_absent_and_empty_keys():
    document = {"env": "dev", "region": "", "buckets": {"bronze": "b"}, "rds": {"port": 5432}}
    missing = platform.missing_platform_keys(document)
    assert "env" not in missing and "buckets.bronze" not in missing and "rds.port" not in missing
    assert missing[0] == "region"
    assert "pca.arn" in missing and "buckets.silver" in missing
