"""A complete platform document (every key of PLATFORM_KEYS) for tests, as Terraform would write it.

    document = platform_document("local", pca_arn=arn)
    write_platform_document(document)        # /dataplatform/local/platform on the moto server

Names follow Terraform's conventions for the environment; the values are placeholders except
those a test passes in.
"""

from __future__ import annotations

import json

import boto3

from ansible_collections.dataplatform.ops.plugins.module_utils.platform import PLATFORM_KEYS, platform_parameter_name

REGION = "eu-west-1"
LAYERS = ("bronze", "silver", "gold", "artifacts", "dags", "logs", "truststore")


def platform_document(env: str, pca_arn: str = "", region: str = REGION) -> dict:
    document = {
        "env": env,
        "region": region,
        "secrets_prefix": f"dataplatform/{env}/",
        "secrets": {"kms_key_arn": f"arn:aws:kms:{region}:123456789012:key/00000000-0000-0000-0000-00000000c0de",
                    "cert_issuer_role_arn": f"arn:aws:iam::123456789012:role/dataplatform-{env}-cert-issuer"},
        "pca": {"arn": pca_arn or f"arn:aws:acm-pca:{region}:123456789012:certificate-authority/00000000-0000-0000-0000-000000000000"},
        "buckets": {layer: f"dataplatform-{env}-{layer}" for layer in LAYERS},
        "nifi": {"asg_name": f"dataplatform-{env}-nifi-main", "nlb_dns_name": f"nifi-{env}.elb.{region}.amazonaws.com",
                 "ingest_url": f"https://nifi-{env}.elb.{region}.amazonaws.com:9443/orders"},
        "airflow": {"asg_name": f"dataplatform-{env}-airflow-main", "alb_dns_name": f"airflow-{env}.elb.{region}.amazonaws.com",
                    "api_domain_name": f"airflow.{env}.dataplatform.internal"},
        "ssh": {"user": "dataplatform", "principal": f"dataplatform-{env}",
                "user_ca_secret_arn": f"arn:aws:secretsmanager:{region}:123456789012:secret:dataplatform/{env}/ssh/user-ca-AbCdEf",
                "user_ca_public_keys": []},
        "rds": {"endpoint": f"airflow-{env}.rds.{region}.amazonaws.com", "port": 5432, "db_name": "airflow",
                "credentials_secret_arn": f"arn:aws:secretsmanager:{region}:123456789012:secret:rds-airflow-{env}"},
        # As in an account (an environment with processing_enabled = false writes null for the first two).
        "processing": {"emr_serverless_application_id": "00fabcdefghij012",
                       "spark_job_role_arn": f"arn:aws:iam::123456789012:role/dataplatform-{env}-spark-job",
                       "spark_artifacts_uri": f"s3://dataplatform-{env}-artifacts/spark/",
                       "spark_logs_uri": f"s3://dataplatform-{env}-logs/spark/"},
        "glue": {"silver_database": f"dataplatform_{env}_silver", "gold_database": f"dataplatform_{env}_gold"},
        "alerts": {"pipeline_topic_arn": f"arn:aws:sns:{region}:123456789012:dataplatform-{env}-pipeline-alerts"},
        "telemetry": {"metrics_namespace": f"DataPlatform/{env}",
                      "metric_names": {"nifi_connected_nodes": "NiFiConnectedNodes", "nifi_queued_flowfiles": "NiFiQueuedFlowFiles",
                                       "nifi_queued_bytes": "NiFiQueuedBytes",
                                       "nifi_back_pressured_connections": "NiFiBackPressuredConnections",
                                       "nifi_invalid_or_stopped_processors": "NiFiInvalidOrStoppedProcessors",
                                       "bronze_records_ingested": "BronzeRecordsIngested",
                                       "bronze_newest_object_age": "BronzeNewestObjectAgeSeconds",
                                       "dag_run_failed": "DagRunFailed", "dag_run_late": "DagRunLate"},
                      "log_groups": {"nifi": f"/dataplatform/{env}/nifi", "airflow": f"/dataplatform/{env}/airflow"}},
    }
    for key in PLATFORM_KEYS:
        node = document
        for part in key.split("."):
            node = node[part]  # a KeyError here means PLATFORM_KEYS grew: add the key above
    return document


def write_platform_document(document: dict) -> str:
    """Writes the document to its SSM parameter; returns the parameter's name."""
    name = platform_parameter_name(document["env"])
    boto3.client("ssm", region_name=document["region"]).put_parameter(
        Name=name, Type="String", Value=json.dumps(document), Overwrite=True)
    return name
