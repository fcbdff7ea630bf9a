"""CloudWatch's notification of an alarm's state change to an SNS topic, delivered as AWS delivers
it (cloudwatch_alarms.py decides the change; moto delivers nothing).

* **Who publishes.** The service principal ``cloudwatch.amazonaws.com``, with ``aws:SourceArn``
  (the alarm's ARN), ``aws:SourceAccount`` and ``aws:SourceOwner`` (the alarm's account) as its
  condition keys. The topic's access policy must allow it ``sns:Publish`` (a topic's default
  policy, ``{"AWS": "*"}`` on ``AWS:SourceOwner`` = the account, does); policy_conditions.py reads
  the policy, as it reads every other.
* **An encrypted topic** (``KmsMasterKeyId``): the key must exist and be enabled, and its policy
  must allow the service ``kms:GenerateDataKey`` and ``kms:Decrypt`` (resource_policies.py's
  ``key_policy_refusal``); the AWS managed key ``alias/aws/sns`` never does (its policy cannot
  name CloudWatch), so an alarm's notification to a topic under it is lost, as in AWS.
* **The message**: AWS's alarm notification JSON (``AlarmName``, ``AlarmDescription``,
  ``AWSAccountId``, ``NewStateValue``, ``NewStateReason``, ``StateChangeTime``, ``Region`` by its
  long name, ``AlarmArn``, ``OldStateValue``, the actions, ``Trigger`` with the metric or the
  metric queries), with the subject ``ALARM: "<name>" in <Region>``. moto's SNS publishes it, so
  the topic's subscribers (an SQS queue) receive it.
* **The record.** A delivery is not an HTTP request to the server: the emulated service has no
  credentials to sign one with, and the server serves requests one at a time under the lock the
  evaluation holds. It is published in the process and appended to the server's request log
  (``GET /_dataplatform/requests``) through the log's own recording function, shaped like the
  log's other entries: ``{"service": "sns", "action": "Publish", "method": "POST", "path": "/",
  "params": {"TopicArn": <topic>}, "principal": "cloudwatch.amazonaws.com", "source_arn": <alarm>,
  "status": 200, "seconds": 0.0}``. Only a notification that reached its topic is logged, so that
  a Publish to the topic in the log means the topic has the message. A refused one is dropped, as
  AWS drops it, with no word to the alarm's owner beyond the alarm's history ("Failed to execute
  action …"); ``GET /_dataplatform/alarm-deliveries`` lists it with SNS's error (AuthorizationError
  for the topic's policy, KMSAccessDenied/KMSDisabled/KMSNotFound for the key, NotFound).

Not emulated: actions other than SNS topics (EC2, Auto Scaling, Systems Manager: recorded as not
delivered), ``kms:ViaService`` and the encryption context of SNS's use of the key, cross-account
topics' other checks, retries, and the SNS delivery policy towards the subscribers.
"""

from __future__ import annotations

import calendar
import datetime
import json
import time

from emulator.iam import policy_conditions, resource_policies

SERVICE_PRINCIPAL = "cloudwatch.amazonaws.com"
AWS_MANAGED_KEY = "alias/aws/sns"
KEY_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")
REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)", "us-east-2": "US East (Ohio)", "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)", "eu-west-1": "EU (Ireland)", "eu-west-2": "EU (London)",
    "eu-west-3": "EU (Paris)", "eu-central-1": "EU (Frankfurt)", "eu-north-1": "EU (Stockholm)",
    "eu-south-1": "EU (Milan)", "ap-southeast-1": "Asia Pacific (Singapore)", "ap-southeast-2": "Asia Pacific (Sydney)",
    "ap-northeast-1": "Asia Pacific (Tokyo)", "ca-central-1": "Canada (Central)",
    "sa-east-1": "South America (Sao Paulo)",
}


def aws_time(epoch: float) -> str:
    """The timestamps of alarm notifications: ``2024-08-21T13:45:00.000+0000``."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{int(epoch * 1000) % 1000:03d}+0000"


def _dimensions(dimensions) -> list[dict]:
    return [{"value": dimension.value, "name": dimension.name} for dimension in dimensions or []]


def _treat_missing(alarm) -> str:
    # Verbatim AWS: the value carries its own label.
    return f"- TreatMissingData: {alarm.treat_missing_data or 'missing'}"


def trigger(alarm) -> dict:
    common = {"Period": int(alarm.period or 0), "EvaluationPeriods": int(alarm.evaluation_periods),
              "DatapointsToAlarm": int(alarm.datapoints_to_alarm or alarm.evaluation_periods),
              "ComparisonOperator": alarm.comparison_operator, "Threshold": float(alarm.threshold),
              "TreatMissingData": _treat_missing(alarm), "EvaluateLowSampleCountPercentile": ""}
    if not alarm.metric_data_queries:
        return {"MetricName": alarm.metric_name, "Namespace": alarm.namespace, "StatisticType": "Statistic",
                "Statistic": (alarm.statistic or "").upper(), "Unit": alarm.unit,
                "Dimensions": _dimensions(alarm.dimensions), **common}
    metrics = []
    for query in alarm.metric_data_queries:
        entry = {"Id": query.id, "Label": query.label, "ReturnData": str(query.return_data).lower() == "true"}
        if query.expression:
            entry["Expression"] = query.expression
        if query.metric_stat is not None:
            stat = query.metric_stat
            common["Period"] = common["Period"] or int(stat.period or 0)
            entry["MetricStat"] = {"Metric": {"Dimensions": _dimensions(stat.metric.dimensions),
                                              "MetricName": stat.metric.metric_name,
                                              "Namespace": stat.metric.namespace},
                                   "Period": int(stat.period or 0), "Stat": stat.stat}
        metrics.append(entry)
    return {**common, "Metrics": metrics}


def message(alarm, account: str, region: str, old: str, new: str, reason: str, when: float) -> dict:
    updated = alarm.configuration_updated_timestamp
    return {
        "AlarmName": alarm.name, "AlarmDescription": alarm.description, "AWSAccountId": account,
        "AlarmConfigurationUpdatedTimestamp": aws_time(epoch(updated)) if updated else None,
        "NewStateValue": new, "NewStateReason": reason, "StateChangeTime": aws_time(when),
        "Region": REGION_NAMES.get(region, region), "AlarmArn": alarm.alarm_arn, "OldStateValue": old,
        "OKActions": list(alarm.ok_actions), "AlarmActions": list(alarm.alarm_actions),
        "InsufficientDataActions": list(alarm.insufficient_data_actions), "Trigger": trigger(alarm),
    }


def epoch(moment) -> float:
    """Seconds since the epoch of a number, an ISO 8601 text or a datetime (moto keeps naive UTC ones)."""
    if isinstance(moment, (int, float)):
        return float(moment)
    if isinstance(moment, str):
        moment = datetime.datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        return calendar.timegm(moment.timetuple()) + moment.microsecond / 1e6
    return moment.timestamp()


def subject(alarm, region: str, new: str) -> str:
    # SNS takes subjects under 100 characters; AWS shortens the alarm's name to fit.
    text = f'{new}: "{alarm.name}" in {REGION_NAMES.get(region, region)}'
    return text if len(text) < 100 else text[:96] + '..."'


def _key_refusal(key_id: str, account: str, region: str, context: dict) -> str | None:
    from moto.kms.models import kms_backends

    if key_id == AWS_MANAGED_KEY or key_id.endswith(":" + AWS_MANAGED_KEY):
        return (f"KMSAccessDenied: the topic is encrypted with the AWS managed key {AWS_MANAGED_KEY}, "
                f"whose policy does not allow {SERVICE_PRINCIPAL}")
    if key_id.startswith("arn:"):
        account, region = key_id.split(":")[4], key_id.split(":")[3]
    backend = kms_backends[account][region]
    try:
        key = backend.keys[backend.any_id_to_key_id(key_id)]
    except (KeyError, TypeError, AttributeError):
        return f"KMSNotFound: the topic's key {key_id} does not exist"
    if getattr(key, "key_state", "Enabled") != "Enabled":
        return f"KMSDisabled: the topic's key {key.arn} is {key.key_state}"
    principal = policy_conditions.Principal("Service", SERVICE_PRINCIPAL)
    for action in KEY_ACTIONS:
        why = resource_policies.key_policy_refusal(action, key.arn, principal, account, region, context)
        if why:
            return f"KMSAccessDenied: {why}"
    return None


def _refusal(topic, topic_arn: str, account: str, region: str, context: dict) -> str | None:
    if topic is None:
        return f"NotFound: the topic {topic_arn} does not exist"
    principal = policy_conditions.Principal("Service", SERVICE_PRINCIPAL)
    if policy_conditions.evaluate(topic._policy_json, "sns:Publish", principal, context, topic_arn) != "Allow":
        return f"AuthorizationError: the access policy of {topic_arn} does not allow {SERVICE_PRINCIPAL} to publish"
    if topic.kms_master_key_id:
        return _key_refusal(topic.kms_master_key_id, account, region, context)
    return None


def deliver(alarm, alarm_account: str, alarm_region: str, action: str, old: str, new: str, reason: str,
            when: float, record) -> dict:
    """Carries out one of the alarm's actions for its change from ``old`` to ``new``; returns what
    happened, and appends a notification that reached its topic to the request log with
    ``record``. Call with the backends' lock held."""
    from moto.sns.models import sns_backends

    delivery = {"AlarmName": alarm.name, "AlarmArn": alarm.alarm_arn, "Action": action, "TopicArn": None,
                "OldStateValue": old, "NewStateValue": new, "Timestamp": aws_time(when), "Delivered": False}
    parts = action.split(":")
    if len(parts) < 6 or parts[2] != "sns":
        delivery["Error"] = "not emulated: only SNS topic actions are carried out"
        return delivery
    region, account = parts[3], parts[4]
    delivery["TopicArn"] = action
    topic = sns_backends[account][region].topics.get(action)
    context = {"aws:SourceArn": alarm.alarm_arn, "aws:SourceAccount": alarm_account, "aws:SourceOwner": alarm_account}
    refused = _refusal(topic, action, account, region, context)
    if refused is None:
        document = message(alarm, alarm_account, alarm_region, old, new, reason, when)
        delivery.update(Subject=subject(alarm, alarm_region, new), Message=json.dumps(document))
        try:
            delivery["MessageId"] = sns_backends[account][region].publish(
                delivery["Message"], arn=action, subject=delivery["Subject"])
        except Exception as error:  # noqa: BLE001 - SNS's own refusal (a FIFO topic) is the delivery's failure
            refused = f"{type(error).__name__}: {error}"
    if refused is not None:
        delivery["Error"] = refused
        return delivery
    delivery["Delivered"] = True
    record({"service": "sns", "action": "Publish", "method": "POST", "path": "/", "params": {"TopicArn": action},
            "principal": SERVICE_PRINCIPAL, "source_arn": alarm.alarm_arn, "status": 200, "seconds": 0.0})
    return delivery
