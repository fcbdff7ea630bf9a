"""EMR Serverless in the moto server (emulator/emr_serverless.py), over HTTPS with boto3
and IAM enforced: an application is CREATED, then STARTED by its first job run; the project's real
``bronze_to_silver`` job, fetched from S3 as the execution role, runs on a local Spark through S3A
and writes silver Parquet; a role EMR Serverless may not assume, a role that may not read bronze
and a server without the local-Spark switch each end the run FAILED with the reason."""

from __future__ import annotations

import json
import time
from pathlib import Path

import boto3
import package as spark_package  # spark/package.py, beside the jobs it packages (spark/ is on the path)
import pytest

from emulator import spark_connector
from emulator.local_tls import LocalCa
from emulator.server import MotoServer
from emulator.settings import LOCAL_SPARK_VARIABLE, OPERATOR_KEYS_VARIABLE

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration

REGION = "eu-west-1"
OPERATOR = "operator"
BRONZE, SILVER, ARTIFACTS = "lake-bronze", "lake-silver", "lake-artifacts"
DATE = "2026-11-30"
TRUST_EMR_SERVERLESS = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "emr-serverless.amazonaws.com"}, "Action": "sts:AssumeRole",
    "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}}]}
TRUST_EC2 = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
ORDERS = [
    {"order_id": "o1", "customer_id": "c1", "amount": "10.50", "currency": "EUR", "ordered_at": "2026-11-30T08:00:00Z"},
    {"order_id": "o2", "customer_id": "c2", "amount": "4.00", "currency": "EUR", "ordered_at": "2026-11-30T09:00:00Z"},
    {"order_id": "o2", "customer_id": "c2", "amount": "4.00", "currency": "EUR", "ordered_at": "2026-11-30T09:00:00Z"},
]


def job_policy(read_bronze: bool) -> dict:
    readable = [f"arn:aws:s3:::{ARTIFACTS}/spark/*", f"arn:aws:s3:::{SILVER}/*"]
    if read_bronze:
        readable.append(f"arn:aws:s3:::{BRONZE}/*")
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": [f"arn:aws:s3:::{name}" for name in (BRONZE, SILVER, ARTIFACTS)]},
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": readable},
        {"Effect": "Allow", "Action": ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
         "Resource": [f"arn:aws:s3:::{SILVER}/*"]},
    ]}


def start_server(tmp_path: Path, local_spark: bool) -> MotoServer:
    tls = LocalCa(tmp_path / "tls").server(["127.0.0.1", "localhost"])
    env = {"INITIAL_NO_AUTH_ACTION_COUNT": "0", OPERATOR_KEYS_VARIABLE: OPERATOR}
    if local_spark:
        env[LOCAL_SPARK_VARIABLE] = str(spark_connector.ensure(REPO_ROOT / ".cache" / "spark-s3a"))
    return MotoServer(log_path=tmp_path / "moto.log", tls=tls, env=env).start()


def client(server: MotoServer, service: str):
    return boto3.client(service, endpoint_url=server.endpoint, region_name=REGION, verify=str(server.tls.bundle),
                        aws_access_key_id=OPERATOR, aws_secret_access_key=OPERATOR)


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    """A moto server with the local-Spark switch, the lake's buckets, the Spark package and a day of bronze."""
    folder = tmp_path_factory.mktemp("emr-serverless")
    server = start_server(folder, local_spark=True)
    try:
        s3 = client(server, "s3")
        for bucket in (BRONZE, SILVER, ARTIFACTS):
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        for path in spark_package.build(folder / "spark"):
            s3.upload_file(str(path), ARTIFACTS, f"spark/{path.relative_to(folder / 'spark').as_posix()}")
        s3.put_object(Bucket=BRONZE, Key=f"orders/ingestion_date={DATE}/nifi-1.json",
                      Body="\n".join(json.dumps(order) for order in ORDERS).encode())
        yield server
    finally:
        server.stop()


def create_role(server: MotoServer, name: str, trust: dict, read_bronze: bool = True) -> str:
    iam = client(server, "iam")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="spark-job", PolicyDocument=json.dumps(job_policy(read_bronze)))
    return arn


def run_job(server: MotoServer, role_arn: str) -> tuple[str, dict]:
    emr = client(server, "emr-serverless")
    application = emr.create_application(name=f"spark-{time.monotonic_ns()}", releaseLabel="emr-7.5.0", type="SPARK",
                                         architecture="ARM64")
    application_id = application["applicationId"]
    created = emr.get_application(applicationId=application_id)["application"]
    assert (created["state"], created["architecture"]) == ("CREATED", "ARM64")
    run = emr.start_job_run(applicationId=application_id, executionRoleArn=role_arn, name="bronze_to_silver", jobDriver={
        "sparkSubmit": {
            "entryPoint": f"s3://{ARTIFACTS}/spark/jobs/bronze_to_silver.py",
            "entryPointArguments": ["--bronze", f"s3://{BRONZE}/", "--silver", f"s3://{SILVER}/", "--ingestion-date", DATE],
            "sparkSubmitParameters": f"--py-files s3://{ARTIFACTS}/spark/{spark_package.ZIP_NAME}",
        }})
    assert emr.get_application(applicationId=application_id)["application"]["state"] == "STARTED"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        job_run = emr.get_job_run(applicationId=application_id, jobRunId=run["jobRunId"])["jobRun"]
        if job_run["state"] in ("SUCCESS", "FAILED", "CANCELLED"):
            return application_id, job_run
        assert job_run["state"] in ("SUBMITTED", "PENDING", "SCHEDULED", "RUNNING")
        time.sleep(1)
    pytest.fail("the job run did not end within 5 minutes")


def test_a_job_run_runs_the_spark_job_on_a_local_spark_as_its_role(lake):
    role = create_role(lake, "spark-job", TRUST_EMR_SERVERLESS)
    _, job_run = run_job(lake, role)
    assert job_run["state"] == "SUCCESS", job_run.get("stateDetails")
    keys = [entry["Key"] for entry in client(lake, "s3").list_objects_v2(Bucket=SILVER)["Contents"]]
    assert any(key.startswith(f"orders/ingestion_date={DATE}/") and key.endswith(".parquet") for key in keys), keys
    output = next(run["output"] for run in lake.emr_serverless_job_runs() if run["jobRunId"] == job_run["jobRunId"])
    summary = json.loads(next(line for line in output.splitlines() if line.startswith('{"job": "bronze_to_silver"')))
    assert (summary["read"], summary["written"], summary["duplicates"]) == (3, 2, 1)
    # The role's session, not the operator's key, made the job's requests.
    assert "AWS_SECRET_ACCESS_KEY" not in output and OPERATOR not in output.split()


def test_a_role_emr_serverless_may_not_assume_fails_the_run(lake):
    role = create_role(lake, "ec2-only", TRUST_EC2)
    _, job_run = run_job(lake, role)
    assert job_run["state"] == "FAILED"
    assert "trust policy does not allow emr-serverless.amazonaws.com" in job_run["stateDetails"]


def test_a_role_that_may_not_read_bronze_fails_the_run_in_spark(lake):
    role = create_role(lake, "no-bronze", TRUST_EMR_SERVERLESS, read_bronze=False)
    _, job_run = run_job(lake, role)
    assert job_run["state"] == "FAILED"
    assert "AccessDenied" in job_run["stateDetails"] or "403" in job_run["stateDetails"], job_run["stateDetails"]


def test_without_the_switch_no_job_run_pretends_to_succeed(tmp_path):
    server = start_server(tmp_path, local_spark=False)
    try:
        role = create_role(server, "spark-job", TRUST_EMR_SERVERLESS)
        _, job_run = run_job(server, role)
    finally:
        server.stop()
    assert job_run["state"] == "FAILED"
    assert LOCAL_SPARK_VARIABLE in job_run["stateDetails"]
