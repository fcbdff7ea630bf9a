from __future__ import annotations

import base64

import pytest

from ansible_collections.dataplatform.ops.plugins.module_utils import generated_secret


def test_token_is_urlsafe_base64_of_the_requested_bytes():
    value = generated_secret.generate_value("token", 48)
    assert "=" not in value and "+" not in value and "/" not in value
    assert len(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))) == 48


def test_tokens_differ():
    assert generated_secret.generate_value("token", 32) != generated_secret.generate_value("token", 32)


def test_fernet_key_is_32_bytes_padded():
    value = generated_secret.generate_value("fernet", 0)
    assert len(value) == 44 and value.endswith("=")
    assert len(base64.urlsafe_b64decode(value)) == 32


@pytest.mark.parametrize(
    "kind, length, message",
    [("token", 15, "at least 16 random bytes, not 15"), ("password", 32, "unknown kind of generated secret 'password'")],
)
def test_weak_or_unknown_secrets_are_refused(kind, length, message):
    with pytest.raises(ValueError, match=message):
        generated_secret.check_kind(kind, length)
