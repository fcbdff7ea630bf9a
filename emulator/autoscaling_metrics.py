"""Auto Scaling group metrics in CloudWatch, as AWS publishes them: moto publishes none, so an
alarm on ``AWS/AutoScaling`` (the NiFi group's ``GroupInServiceInstances``) only ever saw
missing data.

* **Which groups.** Only a group whose metrics collection is enabled, and only its enabled
  metrics, as in AWS. EnableMetricsCollection adds the metrics it names to the group's (all of
  them when it names none), with the only granularity AWS has, ``1Minute`` (moto replaced the list
  and enabled nothing for an empty one); DisableMetricsCollection, which moto lacks, removes the
  named ones, or all. DescribeAutoScalingGroups' ``EnabledMetrics`` shows them.
* **What.** In namespace ``AWS/AutoScaling`` with the one dimension ``AutoScalingGroupName``:
  ``GroupMinSize``, ``GroupMaxSize``, ``GroupDesiredCapacity``, ``GroupInServiceInstances``
  (instances ``InService``), ``GroupPendingInstances`` (``Pending``, ``Pending:Wait``, …; the
  lifecycle hooks' waits are autoscaling_hooks.py's), ``GroupStandbyInstances``,
  ``GroupTerminatingInstances`` (``Terminating``, ``Terminating:Wait``, …),
  ``GroupTotalInstances`` (in service, pending and terminating), and the ``…Capacity`` twins of
  the instance counts (every instance weighs 1).
* **When.** One data point per metric and minute, as AWS publishes them, timestamped at the
  minute's start. :func:`publish` runs before each round of cloudwatch_alarms.py's evaluation
  (``DATAPLATFORM_ALARM_EVALUATION_SECONDS``); a round within a minute that already has its point
  sets that point to the group's present value instead of adding one, so Sum and SampleCount
  stay AWS's.

Not emulated: the warm pool metrics (``WarmPool…``, ``GroupAndWarmPool…``: they may be enabled,
nothing is published for them), instance weights, and AWS's few minutes of delay.
"""

from __future__ import annotations

import datetime

NAMESPACE = "AWS/AutoScaling"
PUBLISHED = (
    "GroupMinSize", "GroupMaxSize", "GroupDesiredCapacity", "GroupInServiceInstances", "GroupPendingInstances",
    "GroupStandbyInstances", "GroupTerminatingInstances", "GroupTotalInstances", "GroupInServiceCapacity",
    "GroupPendingCapacity", "GroupStandbyCapacity", "GroupTerminatingCapacity", "GroupTotalCapacity",
)
WARM_POOL = (
    "WarmPoolMinSize", "WarmPoolDesiredCapacity", "WarmPoolPendingCapacity", "WarmPoolTerminatingCapacity",
    "WarmPoolWarmedCapacity", "WarmPoolTotalCapacity", "GroupAndWarmPoolDesiredCapacity",
    "GroupAndWarmPoolTotalCapacity",
)
GRANULARITY = "1Minute"

# The point of the present minute of each (account, region, group, metric): (minute, the metric
# data list it was appended to, the point). moto's reset replaces the backends' lists.
_published: dict[tuple[str, str, str, str], tuple[int, list, object]] = {}


def group_metrics(group) -> dict[str, float]:
    states = [state.lifecycle_state for state in group.instance_states]
    in_service = states.count("InService")
    pending = sum(1 for state in states if state.startswith("Pending"))
    terminating = sum(1 for state in states if state.startswith("Terminating"))
    standby = states.count("Standby")
    total = in_service + pending + terminating
    counts = {"InService": in_service, "Pending": pending, "Standby": standby, "Terminating": terminating,
              "Total": total}
    values = {"GroupMinSize": group.min_size, "GroupMaxSize": group.max_size,
              "GroupDesiredCapacity": group.desired_capacity}
    for kind, count in counts.items():
        values[f"Group{kind}Instances"] = count
        values[f"Group{kind}Capacity"] = count
    return {name: float(value or 0) for name, value in values.items()}


def publish(now: float) -> None:
    """Publishes the enabled metrics of every group for the minute of ``now``. Call with the
    backends' lock held."""
    from moto.autoscaling.models import autoscaling_backends
    from moto.cloudwatch.models import MetricDatum, cloudwatch_backends

    minute = int(now // 60) * 60
    stamp = datetime.datetime.fromtimestamp(minute, datetime.UTC).replace(tzinfo=None)
    for account, regions in list(autoscaling_backends.items()):
        for region, backend in list(regions.items()):
            for group in list(backend.autoscaling_groups.values()):
                enabled = [name for name in group.metrics if name in PUBLISHED]
                if not enabled:
                    continue
                values = group_metrics(group)
                data = cloudwatch_backends[account][region].metric_data
                for name in enabled:
                    key = (account, region, group.name, name)
                    held = _published.get(key)
                    if held is not None and held[0] == minute and held[1] is data:
                        held[2].value = values[name]
                        continue
                    point = MetricDatum(NAMESPACE, name, values[name],
                                        [{"Name": "AutoScalingGroupName", "Value": group.name}], stamp)
                    data.append(point)
                    _published[key] = (minute, data, point)


def _checked(self) -> tuple[object, list[str]]:
    """The group and the metrics an Enable/DisableMetricsCollection request names, checked as AWS checks them."""
    from moto.autoscaling.exceptions import ValidationError

    group = self.autoscaling_backend.autoscaling_groups.get(self._get_param("AutoScalingGroupName"))
    if group is None:
        raise ValidationError("Group {} not found".format(self._get_param("AutoScalingGroupName")))
    metrics = self._get_param("Metrics") or []
    unknown = [name for name in metrics if name not in PUBLISHED + WARM_POOL]
    if unknown:
        raise ValidationError("Invalid metrics: {}".format(", ".join(unknown)))
    return group, metrics


def _enable_metrics_collection(self):
    from moto.autoscaling.exceptions import ValidationError
    from moto.core.responses import EmptyResult

    if self._get_param("Granularity") != GRANULARITY:
        raise ValidationError(f"Valid value for Granularity is {GRANULARITY}")
    group, metrics = _checked(self)
    added = [name for name in (metrics or PUBLISHED + WARM_POOL) if name not in group.metrics]
    group.metrics = list(group.metrics) + added
    return EmptyResult()


def _disable_metrics_collection(self):
    from moto.core.responses import EmptyResult

    group, metrics = _checked(self)
    group.metrics = [name for name in group.metrics if metrics and name not in metrics]
    return EmptyResult()


def install() -> None:
    from moto.autoscaling.responses import AutoScalingResponse

    AutoScalingResponse.enable_metrics_collection = _enable_metrics_collection
    AutoScalingResponse.disable_metrics_collection = _disable_metrics_collection
