"""CloudWatch metric alarms evaluated as AWS evaluates them, inside the moto server process: moto
stores alarms and metric data (PutMetricData) but evaluates no alarm, so an alarm never changed
state and never notified anyone.

* **When.** A thread evaluates every metric alarm of every account and region every
  ``DATAPLATFORM_ALARM_EVALUATION_SECONDS`` (default 10). AWS evaluates each minute, shortly
  after a period ends; the emulator evaluates more often so that the sandbox and the tests see a
  change within seconds of the period's end (or of late data for it) rather than up to a minute
  later. That changes only when a state is seen, not what it is: periods, ranges and thresholds
  are the alarm's own. Not more often than 10 s by default: a round holds the server's lock while
  it reads every data point, and the sandbox shares two cores with its hosts; the tests set 1 s.
  Metric sources run first on each round (autoscaling_metrics.py's group metrics).
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
* **The state.** A change is made through moto's alarm (``StateValue``, ``StateReason`` in AWS's
  wording, ``StateReasonData`` JSON; like AWS, the reason changes with the state only), so
  DescribeAlarms shows it; DescribeAlarmHistory (which moto
  lacks) lists creations and updates, state changes and each action's outcome. As in AWS, a new
  alarm starts in INSUFFICIENT_DATA ("Unchecked: Initial alarm creation"; moto started it OK), an
  updated one keeps its state, and SetAlarmState changes it until the next evaluation, its
  actions carried out.
* **Actions.** On a change, the actions of the new state (``AlarmActions``, ``OKActions``,
  ``InsufficientDataActions``) unless actions are disabled: SNS topics are notified by
  alarm_notifications.py, strictly (topic policy, key policy); those that reach their topic are in
  the server's request log as SNS Publish requests. ``GET /_dataplatform/alarm-deliveries`` lists
  every delivery, refused ones too, with the message or the error.
* **Loud failures.** An alarm that uses what is not emulated (a function metric_math.py lacks, a
  percentile, an anomaly band) goes to INSUFFICIENT_DATA with a reason naming it.

Not emulated: composite alarms' rules (they change only through SetAlarmState), metrics of AWS
services other than Auto Scaling groups, high-resolution periods below a minute, percentile
statistics, anomaly detection, ``EvaluateLowSampleCountPercentile``, AWS's data delay and
M-of-N alarms' retrieval of data from before the alarm's creation.
"""

from __future__ import annotations

import datetime
import itertools
import json
import os
import threading
import time
import traceback

try:
    from tests.harness import alarm_notifications, metric_math
except ImportError:  # the moto server's process, which imports the harness's modules by their own names
    import alarm_notifications
    import metric_math

INTERVAL_VARIABLE = "DATAPLATFORM_ALARM_EVALUATION_SECONDS"
DEFAULT_INTERVAL_SECONDS = 10.0
DELIVERIES_PATH = "/_dataplatform/alarm-deliveries"
OK, ALARM, INSUFFICIENT_DATA = "OK", "ALARM", "INSUFFICIENT_DATA"
EXTRA_PERIODS = 2
STATISTICS = ("Minimum", "Maximum", "Sum", "Average", "SampleCount")
COMPARISONS = {
    "GreaterThanThreshold": (lambda value, threshold: value > threshold, "greater than"),
    "GreaterThanOrEqualToThreshold": (lambda value, threshold: value >= threshold, "greater than or equal to"),
    "LessThanThreshold": (lambda value, threshold: value < threshold, "less than"),
    "LessThanOrEqualToThreshold": (lambda value, threshold: value <= threshold, "less than or equal to"),
}
KEPT_RECORDS = 5000
KEPT_ON_UPDATE = ("state_value", "state_reason", "state_reason_data", "state_updated_timestamp", "history")

_lock = threading.RLock()  # the server's BACKEND_LOCK once installed
_record = None
_sources: tuple = ()
_history: list[dict] = []
_sequence = itertools.count()
_deliveries: list[dict] = []


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


# --- Data points --------------------------------------------------------------------------------

def _index(backend, cutoff: float) -> dict:
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


def _period(alarm) -> int:
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
        period = _period(alarm)
        timestamps = _range(period, periods, now)
        series = _metric_series(index, _Metric(alarm.namespace, alarm.metric_name, alarm.dimensions),
                                alarm.statistic, alarm.unit, period, timestamps)
        return period, [(when, *series.get(when, (None, None))) for when in timestamps], alarm.statistic
    queries = alarm.metric_data_queries
    stats = [query for query in queries if query.metric_stat is not None]
    period = _period(alarm)
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
        kind = "Not emulated by tests/harness" if isinstance(error, metric_math.Unsupported) else "Cannot be evaluated"
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


# --- State changes, history and actions -----------------------------------------------------------

def _keep(records: list, record: dict) -> None:
    records.append(record)
    del records[:-KEPT_RECORDS]


def _add_history(backend, alarm, kind: str, summary: str, data: dict, now: float) -> None:
    # The sequence orders the items of one round (a state change, then its actions) by time alike.
    _keep(_history, {"sequence": next(_sequence), "account": backend.account_id, "region": backend.region_name,
                     "AlarmName": alarm.name,
                     "AlarmType": "CompositeAlarm" if alarm.rule else "MetricAlarm", "Timestamp": now,
                     "HistoryItemType": kind, "HistorySummary": summary, "HistoryData": json.dumps(data)})


def _changed(backend, alarm, old: str, old_reason: str, now: float) -> None:
    """Records a state change made to ``alarm`` and carries out its new state's actions."""
    new, reason = alarm.state_value, alarm.state_reason
    _add_history(backend, alarm, "StateUpdate", f"Alarm updated from {old} to {new}",
                 {"version": "1.0", "oldState": {"stateValue": old, "stateReason": old_reason},
                  "newState": {"stateValue": new, "stateReason": reason,
                               "stateReasonData": json.loads(alarm.state_reason_data or "{}")}}, now)
    if not alarm.actions_enabled:
        return
    actions = {ALARM: alarm.alarm_actions, OK: alarm.ok_actions, INSUFFICIENT_DATA: alarm.insufficient_data_actions}
    for action in actions.get(new) or []:
        delivery = alarm_notifications.deliver(alarm, backend.account_id, backend.region_name, action, old, new,
                                               reason, now, _record or (lambda entry: None))
        _keep(_deliveries, delivery)
        outcome = "Successfully executed" if delivery["Delivered"] else "Failed to execute"
        _add_history(backend, alarm, "Action", f"{outcome} action {action}",
                     {"actionState": "Succeeded" if delivery["Delivered"] else "Failed",
                      "stateUpdateTimestamp": int(now * 1000), "notificationResource": action,
                      **({"publishedMessage": {"messageId": delivery["MessageId"], "topicArn": action}}
                         if delivery["Delivered"] else {"error": delivery.get("Error")})}, now)


def _backends():
    from moto.cloudwatch.models import cloudwatch_backends

    for regions in list(cloudwatch_backends.values()):
        yield from list(regions.values())


def evaluate_all(now: float | None = None) -> None:
    """One round: the metric sources publish, then every metric alarm is evaluated."""
    now = time.time() if now is None else now
    with _lock:
        for source in _sources:
            _isolated(source, now)
        for backend in _backends():
            alarms = [alarm for alarm in backend.alarms.values() if alarm.rule is None]
            if not alarms:
                continue
            longest = max(_period(alarm) * (int(alarm.evaluation_periods) + EXTRA_PERIODS + 1)
                          for alarm in alarms)
            index = _index(backend, now - longest)
            for alarm in alarms:
                _isolated(_evaluate_and_act, backend, alarm, index, now)


def _evaluate_and_act(backend, alarm, index, now: float) -> None:
    decided = evaluate_alarm(alarm, index, now)
    if decided is not None and decided[0] == alarm.state_value and "error" in decided[2]:
        # No change of state, but the reason says what the emulator cannot evaluate.
        alarm.state_reason, alarm.state_reason_data = decided[1], json.dumps(decided[2])
    if decided is None or decided[0] == alarm.state_value:
        return
    old, old_reason = alarm.state_value, alarm.state_reason
    alarm.update_state(decided[1], json.dumps(decided[2]), decided[0])
    _changed(backend, alarm, old, old_reason, now)


def _isolated(function, *args) -> None:
    """Runs one source or one alarm: a fault in one must stop neither the others nor the thread."""
    try:
        function(*args)
    except Exception:  # noqa: BLE001 - printed to the server's log, where the tests' failures point
        traceback.print_exc()


def _run(interval: float) -> None:
    while True:
        time.sleep(interval)
        _isolated(evaluate_all)


# --- moto's alarm API: a new alarm's state, SetAlarmState's actions, DescribeAlarmHistory -----------

def _emulated_put_metric_alarm(original):
    def put_metric_alarm(self, name, *args, **kwargs):
        with _lock:
            existing = self.alarms.get(name)
            alarm = original(self, name, *args, **kwargs)
            if existing is not None:
                for attribute in KEPT_ON_UPDATE:
                    setattr(alarm, attribute, getattr(existing, attribute))
            else:
                alarm.state_value = INSUFFICIENT_DATA
            _add_history(self, alarm, "ConfigurationUpdate", f'Alarm "{name}" {"updated" if existing else "created"}',
                         {"version": "1.0", "type": "Update" if existing else "Create"}, time.time())
            return alarm

    return put_metric_alarm


def _emulated_set_alarm_state(original):
    def set_alarm_state(self, alarm_name, reason, reason_data, state_value):
        with _lock:
            alarm = self.alarms.get(alarm_name)
            old, old_reason = (alarm.state_value, alarm.state_reason) if alarm else (None, None)
            original(self, alarm_name, reason, reason_data, state_value)
            if alarm is not None and old != state_value:
                _changed(self, alarm, old, old_reason, time.time())

    return set_alarm_state


def _describe_alarm_history(self):
    from moto.core.responses import ActionResult

    name, kind = self._get_param("AlarmName"), self._get_param("HistoryItemType")
    types = self._get_param("AlarmTypes") or ["MetricAlarm"]  # AWS's default: metric alarms only
    start, end = self._get_param("StartDate"), self._get_param("EndDate")
    with _lock:
        items = [item for item in _history
                 if item["account"] == self.current_account and item["region"] == self.region
                 and (not name or item["AlarmName"] == name) and (not kind or item["HistoryItemType"] == kind)
                 and item["AlarmType"] in types
                 and (start is None or item["Timestamp"] >= alarm_notifications.epoch(start))
                 and (end is None or item["Timestamp"] <= alarm_notifications.epoch(end))]
    items.sort(key=lambda item: (item["Timestamp"], item["sequence"]),
               reverse=(self._get_param("ScanBy") or "TimestampDescending") == "TimestampDescending")
    items = items[:int(self._get_param("MaxRecords") or 100)]
    shown = [{**{key: value for key, value in item.items() if key not in ("sequence", "account", "region")},
              "Timestamp": datetime.datetime.fromtimestamp(item["Timestamp"], datetime.timezone.utc)} for item in items]
    return ActionResult({"AlarmHistoryItems": shown})


class AlarmsMiddleware:
    """Serves DELIVERIES_PATH and forgets the emulation's records on moto's reset."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == DELIVERIES_PATH and environ.get("REQUEST_METHOD") == "GET":
            with _lock:
                payload = json.dumps(_deliveries).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
            return [payload]
        if path == "/moto-api/reset":
            with _lock:
                _history.clear()
                _deliveries.clear()
        return self.app(environ, start_response)


def interval_seconds() -> float:
    return float(os.environ.get(INTERVAL_VARIABLE) or DEFAULT_INTERVAL_SECONDS)


def install(app, backend_lock, record, sources=()):
    """Evaluates the alarms from now on (``sources`` publish metrics before each round; ``record``
    appends an entry to the server's request log) and wraps the server's WSGI ``app``."""
    global _lock, _record, _sources
    _lock, _record, _sources = backend_lock, record, tuple(sources)
    from moto.cloudwatch.models import CloudWatchBackend
    from moto.cloudwatch.responses import CloudWatchResponse

    CloudWatchBackend.put_metric_alarm = _emulated_put_metric_alarm(CloudWatchBackend.put_metric_alarm)
    CloudWatchBackend.set_alarm_state = _emulated_set_alarm_state(CloudWatchBackend.set_alarm_state)
    CloudWatchResponse.describe_alarm_history = _describe_alarm_history
    threading.Thread(target=_run, args=(interval_seconds(),), name="alarm-evaluation", daemon=True).start()
    return AlarmsMiddleware(app)
