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
* **What.** Each alarm's metric or metric math over its evaluation range, and the state that
  follows, as alarm_evaluation.py reads AWS's documentation (missing data, ``DatapointsToAlarm``);
  an alarm that uses what is not emulated goes to INSUFFICIENT_DATA with a reason naming it.
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

from emulator import alarm_evaluation, alarm_notifications
from emulator.alarm_evaluation import ALARM, EXTRA_PERIODS, INSUFFICIENT_DATA, OK, evaluate_alarm
from emulator.settings import ALARM_INTERVAL_VARIABLE
from emulator.state import BACKEND_LOCK, REQUEST_LOG

DEFAULT_INTERVAL_SECONDS = 10.0
KEPT_RECORDS = 5000
KEPT_ON_UPDATE = ("state_value", "state_reason", "state_reason_data", "state_updated_timestamp", "history")

_sources: tuple = ()
_history: list[dict] = []
_sequence = itertools.count()
_deliveries: list[dict] = []


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
                                               reason, now, REQUEST_LOG.append)
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
    with BACKEND_LOCK:
        for source in _sources:
            _isolated(source, now)
        for backend in _backends():
            alarms = [alarm for alarm in backend.alarms.values() if alarm.rule is None]
            if not alarms:
                continue
            longest = max(alarm_evaluation.alarm_period(alarm) * (int(alarm.evaluation_periods) + EXTRA_PERIODS + 1)
                          for alarm in alarms)
            index = alarm_evaluation.index(backend, now - longest)
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
        with BACKEND_LOCK:
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
        with BACKEND_LOCK:
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
    with BACKEND_LOCK:
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
              "Timestamp": datetime.datetime.fromtimestamp(item["Timestamp"], datetime.UTC)} for item in items]
    return ActionResult({"AlarmHistoryItems": shown})


def deliveries() -> list[dict]:
    """Every notification of an alarm's state change since the last reset, refused ones too."""
    with BACKEND_LOCK:
        return list(_deliveries)


def forget() -> None:
    """moto's reset: the history and the deliveries."""
    with BACKEND_LOCK:
        _history.clear()
        _deliveries.clear()


def interval_seconds() -> float:
    return float(os.environ.get(ALARM_INTERVAL_VARIABLE) or DEFAULT_INTERVAL_SECONDS)


def install(sources=()) -> None:
    """Evaluates the alarms from now on, under the backend lock (``sources`` publish metrics before
    each round); a delivered notification goes to the request log."""
    global _sources
    _sources = tuple(sources)
    from moto.cloudwatch.models import CloudWatchBackend
    from moto.cloudwatch.responses import CloudWatchResponse

    CloudWatchBackend.put_metric_alarm = _emulated_put_metric_alarm(CloudWatchBackend.put_metric_alarm)
    CloudWatchBackend.set_alarm_state = _emulated_set_alarm_state(CloudWatchBackend.set_alarm_state)
    CloudWatchResponse.describe_alarm_history = _describe_alarm_history
    threading.Thread(target=_run, args=(interval_seconds(),), name="alarm-evaluation", daemon=True).start()
