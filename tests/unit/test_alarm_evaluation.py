"""How the emulator reads an alarm's evaluation range (emulator/cloudwatch_alarms.py) and its
metric math (metric_math.py): AWS's own tables of missing-data handling, and the project's
expressions (terraform/modules/monitoring)."""

from __future__ import annotations

import calendar

import pytest

from emulator import metric_math
from emulator.alarm_evaluation import ALARM, INSUFFICIENT_DATA, OK, decide
from emulator.alarm_notifications import SERVICE_PRINCIPAL
from emulator.iam import policy_conditions

TREATMENTS = ("missing", "ignore", "breaching", "notBreaching")
KEEP = None  # "Retain current state"

# "How alarm state is evaluated when data is missing", CloudWatch user guide: five points retrieved,
# oldest first (0 within the threshold, X breaching, - missing), and the state per treatment.
THREE_OF_THREE = [
    ("0 - X - X", (OK, OK, OK, OK)),
    ("0 - - - -", (OK, OK, OK, OK)),
    ("- - - - -", (INSUFFICIENT_DATA, KEEP, ALARM, OK)),
    ("0 X X - X", (ALARM, ALARM, ALARM, ALARM)),
    ("- - - - X", (INSUFFICIENT_DATA, KEEP, ALARM, OK)),
    # AWS's guide has ALARM under "missing" for "X - - - -"; the emulator does not reproduce that row.
    ("X - - - -", (INSUFFICIENT_DATA, KEEP, ALARM, OK)),
]
TWO_OF_THREE = [
    ("0 - X - X", (ALARM, ALARM, ALARM, ALARM)),
    ("0 0 X 0 X", (ALARM, ALARM, ALARM, ALARM)),
    ("0 - X - -", (OK, OK, ALARM, OK)),
    ("- - - - 0", (OK, OK, ALARM, OK)),
    ("- - - - X", (INSUFFICIENT_DATA, KEEP, ALARM, OK)),
]


def points(row: str) -> list:
    values = {"0": 0.0, "X": 5.0, "-": None}
    return [(60 * index, values[mark], None) for index, mark in enumerate(row.split())]


@pytest.mark.parametrize(("to_alarm", "row", "states"), [(3, *case) for case in THREE_OF_THREE]
                         + [(2, *case) for case in TWO_OF_THREE])
def test_the_guides_tables_of_missing_data(to_alarm, row, states):
    for treat, expected in zip(TREATMENTS, states):
        state, _, _ = decide(points(row), 3, to_alarm, treat, lambda value: value > 1.0)
        assert state == expected, (row, treat)


def test_enough_real_points_are_evaluated_without_the_missing_ones():
    state, evaluated, filled = decide(points("X - X 0 X"), 3, 3, "breaching", lambda value: value > 1.0)
    assert (state, [value for _, value, _ in evaluated], filled) == (OK, [5.0, 0.0, 5.0], 0)


MINUTES = [calendar.timegm((2026, 3, 2, 14, minute, 0)) for minute in range(0, 15, 5)]


def test_the_disconnected_nodes_expression_counts_a_silent_cluster_as_disconnected():
    expression = "in_service - FILL(connected, 0)"
    series = metric_math.evaluate(expression, {"in_service": dict.fromkeys(MINUTES, 3.0),
                                               "connected": {MINUTES[2]: 3.0}}, MINUTES)
    assert series == {MINUTES[0]: 3.0, MINUTES[1]: 3.0, MINUTES[2]: 0.0}


@pytest.mark.parametrize(("age", "expected"), [(15 * 3600.0, 1.0), (600.0, 0.0)])
def test_the_empty_partition_expression_compares_the_age_with_the_time_since_midnight(age, expected):
    expression = "IF(HOUR(age) >= 10 AND age > HOUR(age) * 3600 + MINUTE(age) * 60, 1, 0)"
    series = metric_math.evaluate(expression, {"age": dict.fromkeys(MINUTES, age)}, MINUTES)
    assert series == dict.fromkeys(MINUTES, expected)


@pytest.mark.parametrize(("expression", "named"), [
    ("SUM(METRICS())", "SUM"), ("FILL(m, LINEAR)", "LINEAR"), ("ANOMALY_DETECTION_BAND(m, 2)", "ANOMALY_DETECTION_BAND"),
    ("SEARCH('{AWS/EC2} CPUUtilization', 'Average')", "string literals")])
def test_what_the_emulator_does_not_evaluate_is_named(expression, named):
    with pytest.raises(metric_math.Unsupported, match=named):
        metric_math.evaluate(expression, {"m": {MINUTES[0]: 1.0}}, MINUTES)


def test_a_topics_default_policy_lets_cloudwatch_publish_the_accounts_own_alarms_only():
    """SNS's default topic policy names {"AWS": "*"} (anyone, a service too) on AWS:SourceOwner,
    a key AWS compares without case."""
    topic = "arn:aws:sns:eu-west-1:123456789012:alarms"
    default = {"Version": "2008-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["SNS:Publish", "SNS:Subscribe"], "Resource": topic,
        "Condition": {"StringEquals": {"AWS:SourceOwner": "123456789012"}}}]}
    cloudwatch = policy_conditions.Principal("Service", SERVICE_PRINCIPAL)
    assert policy_conditions.evaluate(default, "sns:Publish", cloudwatch, {"aws:SourceOwner": "123456789012"}, topic) == "Allow"
    assert policy_conditions.evaluate(default, "sns:Publish", cloudwatch, {"aws:SourceOwner": "210987654321"}, topic) is None
