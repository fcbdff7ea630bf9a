"""How a CloudWatch metric alarm's state follows its data, as AWS evaluates it (cloudwatch_alarms.py
runs the evaluation in the moto server process and acts on its outcome).

* **What.** A simple alarm's metric (namespace, name, exactly its dimensions, its unit if it names
  one) with ``Minimum``, ``Maximum``, ``Sum``, ``Average`` or ``SampleCount`` per period (periods
  aligned on the clock; the range ends with the last period that has ended); a metric-math alarm's
  metric queries and the expression that returns data (metric_math.py). The evaluation range is
  the last ``EvaluationPeriods`` + 2 periods (AWS's own example retrieves 5 for 3), read as AWS
  documents it: with at least N data points, the N most recent are evaluated; with none,
  ``missing`` gives INSUFFICIENT_DATA, ``ignore`` keeps the state, ``breaching`` ALARM and
  ``notBreaching`` OK; with fewer than N, ``breaching``/``notBreaching`` fill the rest, while
  ``missing``/``ignore`` give ALARM on ``DatapointsToAlarm`` breaching points, OK on any other
  point, else INSUFFICIENT_DATA (``ignore``: the state kept). Not reproduced: AWS's row where a
  lone breaching point at the range's oldest end alarms under ``missing``.
* **Loud failures.** An alarm that uses what is not emulated (a function metric_math.py lacks, a
  percentile, an anomaly band) goes to INSUFFICIENT_DATA with a reason naming it.

Not reproduced: percentile statistics, anomaly detection, ``EvaluateLowSampleCountPercentile``,
high-resolution periods below a minute.
"""

from __future__ import annotations

import time

from emulator import alarm_notifications, metric_math

OK, ALARM, INSUFFICIENT_DATA = "OK", "ALARM", "INSUFFICIENT_DATA"
EXTRA_PERIODS = 2
STATISTICS = ("Minimum", "Maximum", "Sum", "Average", "SampleCount")
COMPARISONS = {
    "GreaterThanThreshold": (lambda value, threshold: value > threshold, "greater than"),
    "GreaterThanOrEqualToThreshold": (lambda value, threshold: value >= threshold, "greater than or equal to"),
    "LessThanThreshold": (lambda value, threshold: value < threshold, "less than"),
    "LessThanOrEqualToThreshold": (lambda value, threshold: value <= threshold, "less than or equal to"),
}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


# --- Data points --------------------------------------------------------------------------------

def index(backend, cutoff: float) -> dict:
    """The backend's data points since ``cutoff``, by (namespace, metric name)."""
    index: dict = {}
    for datum in list(backend.metric_data):
        when = alarm_notifications.epoch(datum.timestamp)
        if when >= cutoff:
            dimensions = frozenset((dimension.name, dimension.value) for dimension in datum.dimensions)
            index.setdefault((datum.namespace, datum.name), []).append((when, dimensions, datum))
    return index


def _statistic(datums: list, statistic: str) -> tuple[float, float]:
    """(value, sample count) of one period's data points."""
    minimum, maximum, total, count = float("inf"), float("-inf"), 0.0, 0.0
    for datum in datums:
        if hasattr(datum, "value"):
            minimum, maximum = min(minimum, datum.value), max(maximum, datum.value)
            total, count = total + datum.value, count + 1
        else:  # StatisticValues
            minimum, maximum = min(minimum, datum.min), max(maximum, datum.max)
            total, count = total + datum.sum, count + datum.sample_count
    value = {"Minimum": minimum, "Maximum": maximum, "Sum": total, "SampleCount": count,
             "Average": total / count if count else 0.0}[statistic]
    return value, count


def _metric_series(index, metric, statistic: str, unit, period: int, timestamps: list[int]) -> dict:
    """``{period start: (value, sample count)}`` of one metric over the range."""
    if statistic not in STATISTICS:
        raise metric_math.Unsupported(f"the statistic {statistic} (the emulator computes {', '.join(STATISTICS)})")
    wanted = frozenset((dimension.name, dimension.value) for dimension in metric.dimensions or [])
    first, end = timestamps[0], timestamps[-1] + period
    buckets: dict[int, list] = {}
    for when, dimensions, datum in index.get((metric.namespace, metric.metric_name), ()):
        if first <= when < end and dimensions == wanted and (not unit or datum.unit == unit):
            buckets.setdefault(first + int((when - first) // period) * period, []).append(datum)
    return {start: _statistic(datums, statistic) for start, datums in buckets.items()}


class _Metric:
    def __init__(self, namespace, metric_name, dimensions):
        self.namespace, self.metric_name, self.dimensions = namespace, metric_name, dimensions


def _range(period: int, periods: int, now: float) -> list[int]:
    # AWS evaluates a period once it has ended (its notifications name the period just past), so an
    # alarm never reads a minute whose data is still arriving.
    last = int(now // period) * period - period
    return [last - (periods - 1 - offset) * period for offset in range(periods)]


def alarm_period(alarm) -> int:
    if alarm.period:
        return int(alarm.period)
    stats = [query for query in alarm.metric_data_queries if query.metric_stat is not None]
    return int(stats[0].metric_stat.period or 60) if stats else 60


def _alarm_points(alarm, index, now: float) -> tuple[int, list, str | None]:
    """(period, [(timestamp, value or None, sample count or None)] oldest first, statistic)."""
    periods = int(alarm.evaluation_periods) + EXTRA_PERIODS
    if not alarm.metric_data_queries:
        if alarm.extended_statistic:
            raise metric_math.Unsupported(f"the percentile statistic {alarm.extended_statistic}")
        period = alarm_period(alarm)
        timestamps = _range(period, periods, now)
        series = _metric_series(index, _Metric(alarm.namespace, alarm.metric_name, alarm.dimensions),
                                alarm.statistic, alarm.unit, period, timestamps)
        return period, [(when, *series.get(when, (None, None))) for when in timestamps], alarm.statistic
    queries = alarm.metric_data_queries
    stats = [query for query in queries if query.metric_stat is not None]
    period = alarm_period(alarm)
    timestamps = _range(period, periods, now)
    variables = {query.id: {when: value for when, (value, _) in _metric_series(
        index, query.metric_stat.metric, query.metric_stat.stat, query.metric_stat.unit, period, timestamps).items()}
        for query in stats}
    # An omitted ReturnData is true, as in AWS; Terraform's provider states it on every query.
    returned = ([query for query in queries if str(query.return_data).lower() == "true"]
                or [query for query in queries if query.return_data is None])
    if len(returned) != 1:
        raise metric_math.ExpressionError("exactly one metric query must return data")
    pending = [query for query in queries if query.expression and query is not returned[0]]
    for _ in range(len(pending)):  # expressions may name expressions listed after them
        for query in list(pending):
            try:
                variables[query.id] = metric_math.evaluate(query.expression, variables, timestamps)
                pending.remove(query)
            except metric_math.Unsupported:
                raise
            except metric_math.ExpressionError:
                continue
    result = returned[0]
    series = (metric_math.evaluate(result.expression, variables, timestamps) if result.expression
              else variables[result.id])
    return period, [(when, series.get(when), None) for when in timestamps], None


# --- Evaluation ---------------------------------------------------------------------------------

def decide(points: list, periods: int, to_alarm: int, treat: str, breaching) -> tuple[str | None, list, int]:
    """AWS's reading of an evaluation range's ``points`` ((timestamp, value or None, …), oldest
    first): (the state, or None to keep the present one; the real points evaluated; how many
    missing ones were filled in)."""
    real = [point for point in points if point[1] is not None]
    hits = sum(1 for point in real if breaching(point[1]))
    if len(real) >= periods:
        evaluated = real[-periods:]
        return (ALARM if sum(1 for point in evaluated if breaching(point[1])) >= to_alarm else OK), evaluated, 0
    if not real:
        every_missing = {"missing": INSUFFICIENT_DATA, "ignore": None, "breaching": ALARM, "notBreaching": OK}
        return every_missing[treat], [], periods
    if treat in ("breaching", "notBreaching"):
        filled = periods - len(real)
        return (ALARM if hits + (filled if treat == "breaching" else 0) >= to_alarm else OK), real, filled
    if hits >= to_alarm:
        return ALARM, real, 0
    if hits < len(real):
        return OK, real, 0
    return (INSUFFICIENT_DATA if treat == "missing" else None), real, 0


def _reason(state: str, evaluated: list, filled: int, periods: int, to_alarm: int, threshold: float,
            comparison, treat: str) -> str:
    """StateReason in AWS's words."""
    breaching, phrase = comparison
    treated = "Breaching" if treat == "breaching" else "NonBreaching"
    if not evaluated:
        if state == INSUFFICIENT_DATA:
            return f"Insufficient Data: {_plural(periods, 'datapoint')} {'was' if periods == 1 else 'were'} unknown."
        return (f"Threshold Crossed: no datapoints were received for {_plural(periods, 'period')} and "
                f"{_plural(periods, 'missing datapoint')} {'was' if periods == 1 else 'were'} treated as [{treated}].")
    if state == INSUFFICIENT_DATA:
        return (f"Insufficient Data: {_plural(len(evaluated), 'breaching datapoint')} of the last {periods}, fewer "
                f"than the {to_alarm} to alarm on, and no datapoint within the threshold; the others are unknown.")
    alarming = state == ALARM
    shown = [(when, value) for when, value, _ in reversed(evaluated) if breaching(value, threshold) == alarming]
    count = len(shown) + (filled if alarming == (treat == "breaching") else 0)
    listed = ", ".join(f"{value!r} ({time.strftime('%d/%m/%y %H:%M:%S', time.gmtime(when))})" for when, value in shown)
    verb = f"{'was' if count == 1 else 'were'} {'' if alarming else 'not '}{phrase}"
    if periods == 1 and not filled:
        return f"Threshold Crossed: 1 datapoint [{listed}] {verb} the threshold ({threshold!r})."
    reason = (f"Threshold Crossed: {count} out of the last {periods} datapoints [{listed}] {verb} the threshold "
              f"({threshold!r}) (minimum {_plural(to_alarm if alarming else 1, 'datapoint')} for "
              f"{'OK -> ALARM' if alarming else 'ALARM -> OK'} transition).")
    if filled:
        reason += f" {_plural(filled, 'missing datapoint')} {'was' if filled == 1 else 'were'} treated as [{treated}]."
    return reason


def evaluate_alarm(alarm, index, now: float) -> tuple[str, str, dict] | None:
    """The alarm's state, reason and reason data from the data points in ``index``; None when the
    alarm keeps its state (``ignore`` with no decision)."""
    query_date = alarm_notifications.aws_time(now)
    try:
        if alarm.comparison_operator not in COMPARISONS:
            raise metric_math.Unsupported(f"the comparison {alarm.comparison_operator} (anomaly detection bands)")
        period, points, statistic = _alarm_points(alarm, index, now)
    except metric_math.ExpressionError as error:
        kind = "Not emulated by the emulator" if isinstance(error, metric_math.Unsupported) else "Cannot be evaluated"
        return INSUFFICIENT_DATA, f"{kind}: {error}.", {"version": "1.0", "queryDate": query_date, "error": str(error)}
    periods = int(alarm.evaluation_periods)
    to_alarm = int(alarm.datapoints_to_alarm or periods)
    threshold = float(alarm.threshold)
    comparison = COMPARISONS[alarm.comparison_operator]
    treat = alarm.treat_missing_data or "missing"
    state, evaluated, filled = decide(points, periods, to_alarm, treat, lambda value: comparison[0](value, threshold))
    if state is None:
        return None
    data = {"version": "1.0", "queryDate": query_date,
            "startDate": alarm_notifications.aws_time((evaluated or points[-periods:])[0][0]),
            **({"statistic": statistic} if statistic else {}), "period": period,
            "recentDatapoints": [value for _, value, _ in evaluated], "threshold": threshold,
            "evaluatedDatapoints": [{"timestamp": alarm_notifications.aws_time(when), "value": value,
                                     **({"sampleCount": count} if count is not None else {})}
                                    for when, value, count in reversed(evaluated)]}
    return state, _reason(state, evaluated, filled, periods, to_alarm, threshold, comparison, treat), data
