"""What IAM sees of a CloudWatch request, which moto gets wrong: its action's service prefix and
the condition key ``cloudwatch:namespace``.

* **The prefix.** CloudWatch's requests are signed for ``monitoring`` (its endpoint's name), but
  IAM names its actions ``cloudwatch:…``; moto took the prefix from the signature, so it asked
  for ``monitoring:PutMetricData``, which no policy grants, and a role allowed
  ``cloudwatch:PutMetricData`` was refused (and a policy granting ``monitoring:*`` would have
  been obeyed). Here the action is ``cloudwatch:<Action>``, as AWS evaluates it.
* **``cloudwatch:namespace``** of PutMetricData, the namespace the request writes to (AWS
  documents no resource for PutMetricData: the namespace is the only thing a policy can hold it
  to). The IAM emulation (enforcement.py) adds it to the request's condition context, as it
  adds acmpca_conditions.py's and tag_conditions.py's keys.

Not emulated: CloudWatch's other condition keys (``cloudwatch:requestInsightRuleLogGroups``,
``cloudwatch:AlarmActions``, ``aws:RequestTag``/``aws:TagKeys`` of PutMetricAlarm) and the
resource ARNs of alarms and dashboards (moto's ``*``, which a policy naming them does not match).
CloudWatch Logs' resources (log groups and streams) are enforcement.py's.
"""

from __future__ import annotations

SIGNING_NAME = "monitoring"
IAM_PREFIX = "cloudwatch"


def condition_keys(service: str, action: str, params: dict) -> dict[str, str]:
    if service not in (SIGNING_NAME, IAM_PREFIX) or action != "PutMetricData":
        return {}
    namespace = params.get("Namespace")
    if isinstance(namespace, list):  # the query protocol's parameters are lists
        namespace = namespace[0] if namespace else None
    return {"cloudwatch:namespace": str(namespace)} if namespace else {}


def _with_the_iam_prefix(original):
    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        if getattr(self, "_service", None) == SIGNING_NAME and self._action.startswith(SIGNING_NAME + ":"):
            self._action = IAM_PREFIX + self._action[len(SIGNING_NAME):]

    return __init__


def install() -> None:
    from moto.iam.access_control import IAMRequestBase

    IAMRequestBase.__init__ = _with_the_iam_prefix(IAMRequestBase.__init__)
