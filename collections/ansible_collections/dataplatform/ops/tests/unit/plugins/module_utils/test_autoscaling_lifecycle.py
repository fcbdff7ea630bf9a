"""Completing a lifecycle action, with a stand-in client (a stub: AWS's "no active lifecycle
action" answer cannot be produced by the moto server, which does not track lifecycle actions)."""

from __future__ import annotations

import pytest

from ansible_collections.dataplatform.ops.plugins.module_utils.autoscaling_lifecycle import complete_lifecycle_action


class ClientError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.response = {"Error": {"Code": code, "Message": message}}


class Client:
    def __init__(self, error=None):
        self.error = error
        self.calls = []

    def complete_lifecycle_action(self, **kwargs):
        self.calls.append(kwargs)
        if self.error:
            raise self.error


def test_completes_with_the_result():
    client = Client()
    changed, message = complete_lifecycle_action(client, "asg", "terminate", "i-1", "CONTINUE", client_error=ClientError)
    assert changed and "with CONTINUE" in message
    assert client.calls == [{"AutoScalingGroupName": "asg", "LifecycleHookName": "terminate", "InstanceId": "i-1",
                             "LifecycleActionResult": "CONTINUE", "aws_retry": True}]


def test_an_action_no_longer_pending_is_not_a_change():
    client = Client(ClientError("ValidationError", "No active Lifecycle Action found with instance ID i-1"))
    changed, message = complete_lifecycle_action(client, "asg", "terminate", "i-1", "ABANDON", client_error=ClientError)
    assert not changed and "already completed or timed out" in message


def test_other_errors_are_raised():
    client = Client(ClientError("AccessDenied", "not allowed"))
    with pytest.raises(ClientError):
        complete_lifecycle_action(client, "asg", "terminate", "i-1", "CONTINUE", client_error=ClientError)


def test_check_mode_calls_nothing():
    client = Client()
    changed, message = complete_lifecycle_action(client, "asg", "terminate", "i-1", "CONTINUE", check_mode=True)
    assert changed and message.startswith("would complete") and client.calls == []


def test_a_bad_result_is_refused():
    with pytest.raises(ValueError, match="CONTINUE or ABANDON"):
        complete_lifecycle_action(Client(), "asg", "terminate", "i-1", "continue")
