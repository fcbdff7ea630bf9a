"""Identity policies' conditions as AWS evaluates them, inside the moto server process.

moto evaluates a statement's Condition only for ``StringEquals``, treats every other operator as
matching, and makes any statement whose condition fails a Deny. Here a
statement applies only when its conditions hold, Allow and Deny alike, as in AWS, read by
policy_conditions.py (the operators it evaluates, and the stricter reading of the others); and
``NotResource`` is evaluated (moto applied such a statement to every resource). The request's
``aws:SecureTransport`` is true only for HTTPS requests (the sandbox's endpoint speaks HTTPS,
like AWS's); ``aws:PrincipalArn`` and the resource policies are resource_policies.py's. Other
context keys are supplied only where moto supplies them.
"""

from __future__ import annotations

from emulator.iam import policy_conditions
from emulator.state import request_context


def is_action_permitted(self, action, resource="*", principal=None, incoming_condition_values=None):
    from moto.iam.access_control import PermissionResult

    if "NotAction" in self._statement:
        concerned = not self._check_element_matches("NotAction", action)
    else:
        concerned = self._check_element_matches("Action", action)
    if not concerned:
        return PermissionResult.NEUTRAL
    if self.is_unknown_principal(self._statement.get("Principal")):
        return PermissionResult.NEUTRAL
    if principal and not self._check_principal(principal):
        return PermissionResult.NEUTRAL
    values = {**request_context(), **(incoming_condition_values or {})}
    if not policy_conditions.statement_applies(self._statement, values):
        return PermissionResult.NEUTRAL
    if "NotResource" in self._statement:
        if self._check_element_matches("NotResource", resource):
            return PermissionResult.NEUTRAL
    elif self._statement.get("Resource") and not self._check_element_matches("Resource", resource):
        return PermissionResult.NEUTRAL
    return PermissionResult.PERMITTED if self._statement["Effect"] == "Allow" else PermissionResult.DENIED


def install() -> None:
    from moto.iam.access_control import IAMPolicyStatement

    IAMPolicyStatement.is_action_permitted = is_action_permitted
