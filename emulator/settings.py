"""Every environment variable the emulator's server process reads, named once (README.md lists them).

Standard library only, so that a caller (the sandbox, a test) names a variable without importing
the emulation.
"""

from __future__ import annotations

# moto's own: 0 makes moto check every request's credentials and policies (IAM enforced).
INITIAL_NO_AUTH_ACTION_COUNT_VARIABLE = "INITIAL_NO_AUTH_ACTION_COUNT"
# moto's own: the account has AWS's managed policies (the server sets it to true unless given).
MANAGED_POLICIES_VARIABLE = "MOTO_IAM_LOAD_MANAGED_POLICIES"
# Comma-separated access keys that stand for the account's administrator (iam/enforcement.py).
OPERATOR_KEYS_VARIABLE = "DATAPLATFORM_OPERATOR_ACCESS_KEYS"
# Lifetime of the instance metadata service's credentials, in seconds (iam/instance_metadata.py).
CREDENTIAL_SECONDS_VARIABLE = "DATAPLATFORM_IMDS_CREDENTIAL_SECONDS"
# A cap on every lifecycle hook's timeout, in seconds (autoscaling_hooks.py).
LIFECYCLE_TIMEOUT_VARIABLE = "DATAPLATFORM_LIFECYCLE_TIMEOUT_SECONDS"
# Seconds between two rounds of alarm evaluation (cloudwatch_alarms.py).
ALARM_INTERVAL_VARIABLE = "DATAPLATFORM_ALARM_EVALUATION_SECONDS"
# The CA bundle EventBridge's API destination calls verify TLS with (eventbridge.py).
EVENTS_CA_BUNDLE_VARIABLE = "DATAPLATFORM_EVENTS_CA_BUNDLE"
# The folder of the S3A connector's jars: EMR Serverless job runs on a local Spark (emr_serverless_spark.py).
LOCAL_SPARK_VARIABLE = "DATAPLATFORM_EMR_SERVERLESS_LOCAL_SPARK"
# The CA certificate (PEM) local Spark's JVM trusts to reach the server over HTTPS (emr_serverless_spark.py).
ENDPOINT_CA_VARIABLE = "DATAPLATFORM_ENDPOINT_CA_CERTIFICATE"
