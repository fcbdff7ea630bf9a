"""CloudWatch alarms evaluated by the moto server (emulator/cloudwatch_alarms.py,
autoscaling_metrics.py, alarm_notifications.py), over HTTP with boto3: states follow the data as in
AWS (M of N, missing data, metric math over an Auto Scaling group's metrics), and a change notifies
the alarm's topics only where the topic's and the key's policies let CloudWatch publish.

The server evaluates every second. Periods are a minute and an alarm reads the periods that have
ended, so data points are placed at absolute minute starts in the past: a minute ending during a
test moves the evaluation range but keeps every point in it. Only the Auto Scaling group's own
metrics cannot be placed in the past: the group is made when the module starts, and the test that
needs its first minute to end runs last."""

from __future__ import annotations

import json
import time

import pytest

from emulator.server import MotoServer
from tests.integration.strict_iam import ACCOUNT, OPERATOR_KEY, REGION, operator

NAMESPACE = "DataPlatform/test"
CLUSTER = [{"Name": "Cluster", "Value": "nifi-main"}]
CLOUDWATCH = "cloudwatch.amazonaws.com"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with MotoServer(log_path=tmp_path_factory.mktemp("alarms") / "moto.log",
                    env={"INITIAL_NO_AUTH_ACTION_COUNT": "0", "DATAPLATFORM_OPERATOR_ACCESS_KEYS": OPERATOR_KEY,
                         "DATAPLATFORM_ALARM_EVALUATION_SECONDS": "1"}) as running:
        yield running


@pytest.fixture(scope="module")
def cloudwatch(server):
    return operator(server, "cloudwatch")


@pytest.fixture(scope="module", autouse=True)
def groups(server):
    """Two groups, the NiFi one collecting its metrics (as terraform/modules/asg-hosts enables them)."""
    autoscaling = operator(server, "autoscaling")
    autoscaling.create_launch_configuration(LaunchConfigurationName="nifi", ImageId="ami-12c6146b",
                                            InstanceType="t3.medium")
    for name in ("nifi", "airflow"):
        autoscaling.create_auto_scaling_group(AutoScalingGroupName=name, LaunchConfigurationName="nifi", MinSize=0,
                                              MaxSize=3, DesiredCapacity=2, AvailabilityZones=[f"{REGION}a"])
    autoscaling.enable_metrics_collection(AutoScalingGroupName="nifi", Granularity="1Minute",
                                          Metrics=["GroupInServiceInstances", "GroupDesiredCapacity"])
    return minute()


def minute() -> int:
    return int(time.time() // 60) * 60


def put(cloudwatch, name: str, value: float, at: float, dimensions=CLUSTER, namespace=NAMESPACE) -> None:
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=[
        {"MetricName": name, "Value": value, "Timestamp": at, "Dimensions": dimensions}])


def alarm(cloudwatch, name: str, **settings) -> None:
    simple = {"Namespace": NAMESPACE, "MetricName": name, "Dimensions": CLUSTER, "Statistic": "Maximum",
              "Period": 60} if "Metrics" not in settings else {}
    cloudwatch.put_metric_alarm(AlarmName=name, **{"EvaluationPeriods": 1, "Threshold": 10.0,
                                                   "ComparisonOperator": "GreaterThanThreshold", **simple, **settings})


def state_of(cloudwatch, name: str, state: str, timeout: float = 15.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        (found,) = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"]
        if found["StateValue"] == state or time.monotonic() > deadline:
            assert found["StateValue"] == state, found
            return found
        time.sleep(0.25)


def until(found, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while not (result := found()):
        assert time.monotonic() < deadline, f"not within {timeout:.0f}s"
        time.sleep(0.25)
    return result


def topic(server, name: str, policy: dict | None = None, key: str | None = None) -> str:
    attributes = {"KmsMasterKeyId": key} if key else {}
    arn = operator(server, "sns").create_topic(Name=name, Attributes=attributes)["TopicArn"]
    if policy is not None:
        operator(server, "sns").set_topic_attributes(TopicArn=arn, AttributeName="Policy", AttributeValue=json.dumps(policy))
    return arn


def publishes(server, topic_arn: str) -> list[int]:
    """The statuses of the Publish requests to the topic in the server's request log."""
    return [entry["status"] for entry in server.requests()
            if entry["service"] == "sns" and entry["action"] == "Publish"
            and entry.get("params", {}).get("TopicArn") == topic_arn]


def test_a_simple_alarm_alarms_then_clears_and_notifies_its_topic_each_time(server, cloudwatch):
    arn = topic(server, "simple-alarms")
    sqs = operator(server, "sqs")
    queue = sqs.create_queue(QueueName="simple-alarms")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    operator(server, "sns").subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn,
                                      Attributes={"RawMessageDelivery": "true"})
    alarm(cloudwatch, "errors", AlarmActions=[arn], OKActions=[arn], AlarmDescription="Errors above 10")
    (created,) = cloudwatch.describe_alarms(AlarmNames=["errors"])["MetricAlarms"]
    assert (created["StateValue"], created["StateReason"]) == ("INSUFFICIENT_DATA", "Unchecked: Initial alarm creation")

    start = minute()
    put(cloudwatch, "errors", 25.0, start - 120)
    raised = state_of(cloudwatch, "errors", "ALARM")
    assert raised["StateReason"].startswith("Threshold Crossed: 1 datapoint [25.0 ("), raised["StateReason"]
    assert raised["StateReason"].endswith("was greater than the threshold (10.0)."), raised["StateReason"]
    assert json.loads(raised["StateReasonData"])["recentDatapoints"] == [25.0]
    put(cloudwatch, "errors", 3.0, start - 60)
    assert "was not greater than" in state_of(cloudwatch, "errors", "OK")["StateReason"]

    assert publishes(server, arn) == [200, 200]
    messages = [json.loads(message["Body"]) for message in sqs.receive_message(
        QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1)["Messages"]]
    assert [(m["OldStateValue"], m["NewStateValue"]) for m in messages] == [("INSUFFICIENT_DATA", "ALARM"), ("ALARM", "OK")]
    first = messages[0]
    assert (first["AlarmName"], first["AlarmDescription"], first["AWSAccountId"], first["Region"]) == (
        "errors", "Errors above 10", ACCOUNT, "EU (Ireland)")
    assert first["AlarmArn"] == f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:errors"
    assert first["Trigger"]["MetricName"] == "errors" and first["Trigger"]["Statistic"] == "MAXIMUM"
    assert first["Trigger"]["Dimensions"] == [{"value": "nifi-main", "name": "Cluster"}]
    history = cloudwatch.describe_alarm_history(AlarmName="errors", ScanBy="TimestampAscending")["AlarmHistoryItems"]
    assert [item["HistorySummary"] for item in history] == [
        'Alarm "errors" created', "Alarm updated from INSUFFICIENT_DATA to ALARM", f"Successfully executed action {arn}",
        "Alarm updated from ALARM to OK", f"Successfully executed action {arn}"]

    # SetAlarmState changes the state until the next evaluation, and carries out the actions.
    cloudwatch.set_alarm_state(AlarmName="errors", StateValue="ALARM", StateReason="testing the notification")
    state_of(cloudwatch, "errors", "OK")
    assert publishes(server, arn) == [200, 200, 200, 200]


def test_an_m_of_n_alarm_needs_m_breaching_points_among_the_last_n(server, cloudwatch):
    start = minute()
    for offset, value in ((-240, 20.0), (-180, 0.0), (-120, 0.0)):
        put(cloudwatch, "queued", value, start + offset)
    alarm(cloudwatch, "queued", EvaluationPeriods=3, DatapointsToAlarm=2)
    state_of(cloudwatch, "queued", "OK")  # 20, 0, 0: one breaching point of the last three
    put(cloudwatch, "queued", 30.0, start - 60)
    time.sleep(2.5)
    state_of(cloudwatch, "queued", "OK", timeout=0)  # 0, 0, 30
    put(cloudwatch, "queued", 40.0, start - 120)
    raised = state_of(cloudwatch, "queued", "ALARM")  # 0, 40, 30
    assert "2 out of the last 3 datapoints" in raised["StateReason"], raised["StateReason"]
    assert "(minimum 2 datapoints for OK -> ALARM transition)" in raised["StateReason"]


def test_missing_data_is_treated_as_the_alarm_says(server, cloudwatch):
    for treat in ("breaching", "notBreaching", "missing", "ignore"):
        alarm(cloudwatch, f"silent-{treat}", MetricName="never-reported", TreatMissingData=treat)
    put(cloudwatch, "sparse", 0.0, minute() - 60)
    for treat in ("breaching", "notBreaching"):  # one point within the threshold, two missing
        alarm(cloudwatch, f"sparse-{treat}", MetricName="sparse", TreatMissingData=treat,
              EvaluationPeriods=3, DatapointsToAlarm=2)
    breaching = state_of(cloudwatch, "silent-breaching", "ALARM")
    assert "treated as [Breaching]" in breaching["StateReason"], breaching["StateReason"]
    assert "treated as [NonBreaching]" in state_of(cloudwatch, "silent-notBreaching", "OK")["StateReason"]
    state_of(cloudwatch, "sparse-breaching", "ALARM")
    state_of(cloudwatch, "sparse-notBreaching", "OK")
    # From OK (SetAlarmState lasts until the next evaluation), no data at all: missing is
    # INSUFFICIENT_DATA, ignore keeps the state.
    for treat in ("missing", "ignore"):
        cloudwatch.set_alarm_state(AlarmName=f"silent-{treat}", StateValue="OK", StateReason="testing")
    missing = state_of(cloudwatch, "silent-missing", "INSUFFICIENT_DATA")
    assert missing["StateReason"] == "Insufficient Data: 1 datapoint was unknown."
    time.sleep(1.5)
    assert state_of(cloudwatch, "silent-ignore", "OK", timeout=0)["StateReason"] == "testing"


def test_an_expression_the_emulator_cannot_evaluate_says_so(server, cloudwatch):
    cloudwatch.put_metric_alarm(
        AlarmName="unsupported", ComparisonOperator="GreaterThanThreshold", Threshold=0.0, EvaluationPeriods=1,
        Metrics=[{"Id": "total", "Expression": "SUM(METRICS())", "ReturnData": True},
                 {"Id": "m", "ReturnData": False, "MetricStat": {"Period": 60, "Stat": "Sum", "Metric": {
                     "Namespace": NAMESPACE, "MetricName": "errors", "Dimensions": CLUSTER}}}])
    found = until(lambda: [alarm for alarm in cloudwatch.describe_alarms(AlarmNames=["unsupported"])["MetricAlarms"]
                           if "SUM" in alarm["StateReason"]])
    assert found[0]["StateValue"] == "INSUFFICIENT_DATA", found


def key(server, name: str, allows_cloudwatch: bool) -> str:
    statements = [{"Sid": "Account", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                   "Action": "kms:*", "Resource": "*"}]
    if allows_cloudwatch:  # terraform/modules/kms's statement
        statements.append({"Sid": "CloudWatchAlarmsPublishToTheEncryptedTopic", "Effect": "Allow",
                           "Principal": {"Service": CLOUDWATCH}, "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                           "Resource": "*", "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}})
    kms = operator(server, "kms")
    key_arn = kms.create_key(Policy=json.dumps({"Version": "2012-10-17", "Statement": statements}))["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName=f"alias/{name}", TargetKeyId=key_arn)
    return f"alias/{name}"


def test_only_topics_whose_policies_let_cloudwatch_publish_receive_the_notification(server, cloudwatch):
    account_only = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sns:Publish",
         "Resource": f"arn:aws:sns:{REGION}:{ACCOUNT}:account-only"}]}
    topics = {
        "account-only": topic(server, "account-only", policy=account_only),
        "encrypted": topic(server, "encrypted", key=key(server, "platform", allows_cloudwatch=True)),
        "foreign-key": topic(server, "foreign-key", key=key(server, "other", allows_cloudwatch=False)),
        "aws-managed-key": topic(server, "aws-managed-key", key="alias/aws/sns"),
    }
    for name, arn in topics.items():
        alarm(cloudwatch, f"to-{name}", MetricName="never-reported", TreatMissingData="breaching", AlarmActions=[arn])
    for name in topics:
        state_of(cloudwatch, f"to-{name}", "ALARM")
    time.sleep(0.5)

    # Only what reached its topic is in the request log; the rest is dropped, as AWS drops it.
    assert publishes(server, topics["encrypted"]) == [200]
    for refused in ("account-only", "foreign-key", "aws-managed-key"):
        assert publishes(server, topics[refused]) == [], refused
    deliveries = {delivery["TopicArn"]: delivery for delivery in server.alarm_deliveries()}
    assert deliveries[topics["encrypted"]]["Delivered"] is True
    assert json.loads(deliveries[topics["encrypted"]]["Message"])["NewStateValue"] == "ALARM"
    assert deliveries[topics["account-only"]]["Error"].startswith("AuthorizationError")
    assert deliveries[topics["foreign-key"]]["Error"].startswith("KMSAccessDenied")
    assert "alias/aws/sns" in deliveries[topics["aws-managed-key"]]["Error"]
    (logged,) = [entry for entry in server.requests() if entry.get("params", {}).get("TopicArn") == topics["encrypted"]]
    assert (logged["service"], logged["action"], logged["principal"]) == ("sns", "Publish", CLOUDWATCH)
    failed = cloudwatch.describe_alarm_history(AlarmName="to-account-only", HistoryItemType="Action")["AlarmHistoryItems"]
    assert [item["HistorySummary"] for item in failed] == [f"Failed to execute action {topics['account-only']}"]


def test_the_nifi_expression_fills_missing_reports_against_the_groups_in_service_instances(server, cloudwatch, groups):
    autoscaling = operator(server, "autoscaling")
    (group,) = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["nifi"])["AutoScalingGroups"]
    assert {metric["Metric"] for metric in group["EnabledMetrics"]} == {"GroupInServiceInstances", "GroupDesiredCapacity"}
    in_service = until(lambda: cloudwatch.get_metric_statistics(
        Namespace="AWS/AutoScaling", MetricName="GroupInServiceInstances", StartTime=groups - 60,
        EndTime=minute() + 60, Period=60, Statistics=["Minimum"],
        Dimensions=[{"Name": "AutoScalingGroupName", "Value": "nifi"}])["Datapoints"])
    assert {point["Minimum"] for point in in_service} == {2.0}
    # The group without metrics collection publishes nothing, as in AWS.
    published = cloudwatch.list_metrics(Namespace="AWS/AutoScaling")["Metrics"]
    assert {dimension["Value"] for metric in published for dimension in metric["Dimensions"]} == {"nifi"}
    assert {metric["MetricName"] for metric in published} == {"GroupInServiceInstances", "GroupDesiredCapacity"}

    arn = topic(server, "nifi-alarms")
    cloudwatch.put_metric_alarm(
        AlarmName="nifi-disconnected-nodes", ComparisonOperator="GreaterThanThreshold", Threshold=0.0,
        EvaluationPeriods=1, DatapointsToAlarm=1, TreatMissingData="notBreaching", AlarmActions=[arn], Metrics=[
            {"Id": "not_connected", "Expression": "in_service - FILL(connected, 0)", "ReturnData": True},
            {"Id": "in_service", "ReturnData": False, "MetricStat": {"Period": 60, "Stat": "Minimum", "Metric": {
                "Namespace": "AWS/AutoScaling", "MetricName": "GroupInServiceInstances",
                "Dimensions": [{"Name": "AutoScalingGroupName", "Value": "nifi"}]}}},
            {"Id": "connected", "ReturnData": False, "MetricStat": {"Period": 60, "Stat": "Minimum", "Metric": {
                "Namespace": NAMESPACE, "MetricName": "NiFiConnectedNodes", "Dimensions": CLUSTER}}}])
    # Missing data does not breach here (the project's alarm says breaching): the alarm can then be
    # raised only by the group's data, once its first minute has ended, against FILL's 0 for the
    # silent cluster: 2 in service, no node reports, 2 - 0. Without FILL there would be no point.
    raised = state_of(cloudwatch, "nifi-disconnected-nodes", "ALARM", timeout=75)
    assert json.loads(raised["StateReasonData"])["recentDatapoints"] == [2.0]
    for at in range(groups, minute() + 120, 60):
        put(cloudwatch, "NiFiConnectedNodes", 2.0, at)
    state_of(cloudwatch, "nifi-disconnected-nodes", "OK")  # 2 - 2
    (notice,) = [json.loads(delivery["Message"]) for delivery in server.alarm_deliveries() if delivery["TopicArn"] == arn]
    assert notice["NewStateValue"] == "ALARM" and notice["NewStateReason"].startswith("Threshold Crossed: 1 datapoint [2.0")
    assert [(metric["Id"], metric.get("Expression")) for metric in notice["Trigger"]["Metrics"]] == [
        ("not_connected", "in_service - FILL(connected, 0)"), ("in_service", None), ("connected", None)]
