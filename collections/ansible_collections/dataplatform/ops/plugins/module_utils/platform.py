# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The contracts between Terraform, Secrets Manager and the collection, in one place.

* Tags every Auto Scaling Group carries (propagated to its instances).
* The platform parameter: one SSM parameter per environment, a JSON document Terraform writes
  with everything the hosts need. ``PLATFORM_KEYS`` lists every key the Ansible side reads; the
  Terraform tests assert the applied document has each of them.
* Secret names under ``dataplatform/<env>/``.
"""

from __future__ import annotations

ENVIRONMENTS = ("local", "dev", "ppd", "prod")

TAG_ENV = "dataplatform:env"
TAG_ROLE = "dataplatform:role"
TAG_CLUSTER = "dataplatform:cluster"
CONTRACT_TAGS = (TAG_ENV, TAG_ROLE, TAG_CLUSTER)

# Dotted paths into the platform parameter's JSON document.
PLATFORM_KEYS = (
    "env",
    "region",
    "secrets_prefix",
    "secrets.kms_key_arn",
    "secrets.cert_issuer_role_arn",
    "pca.arn",
    "buckets.bronze",
    "buckets.silver",
    "buckets.gold",
    "buckets.artifacts",
    "buckets.dags",
    "buckets.logs",
    "buckets.truststore",
    "nifi.asg_name",
    "nifi.nlb_dns_name",
    "nifi.ingest_url",
    "airflow.asg_name",
    "airflow.alb_dns_name",
    "airflow.api_domain_name",
    "ssh.user",
    "ssh.principal",
    "ssh.user_ca_secret_arn",
    "ssh.user_ca_public_keys",
    "rds.endpoint",
    "rds.port",
    "rds.db_name",
    "rds.credentials_secret_arn",
    "processing.emr_serverless_application_id",
    "processing.spark_job_role_arn",
    "processing.spark_artifacts_uri",
    "processing.spark_logs_uri",
    "glue.silver_database",
    "glue.gold_database",
    "alerts.pipeline_topic_arn",
    "telemetry.metrics_namespace",
    "telemetry.metric_names",
    "telemetry.log_groups.nifi",
    "telemetry.log_groups.airflow",
)

# Keys whose value is null where the environment's switch leaves out what they name
# (processing_enabled = false: the sandbox, or Spark run outside EMR Serverless). They are
# still in the document, so that a reader tells "switched off" from "forgotten".
SWITCHABLE_PLATFORM_KEYS = (
    "processing.emr_serverless_application_id",
    "processing.spark_job_role_arn",
)


def _check_env(env):
    if env not in ENVIRONMENTS:
        raise ValueError("unknown environment %r: expected one of %s" % (env, ", ".join(ENVIRONMENTS)))
    return env


def platform_parameter_name(env):
    """Name of the SSM parameter holding the environment's platform document."""
    return "/dataplatform/%s/platform" % _check_env(env)


def secrets_prefix(env):
    """Prefix of every Secrets Manager secret of the environment (with the trailing slash)."""
    return "dataplatform/%s/" % _check_env(env)


def secret_name(env, *parts):
    """``secret_name('dev', 'users', 'alice')`` -> ``dataplatform/dev/users/alice``."""
    if not parts or any(not part or "/" in part for part in parts):
        raise ValueError("secret name parts must be non-empty and contain no '/': %r" % (parts,))
    return secrets_prefix(env) + "/".join(parts)


def missing_platform_keys(document):
    """The keys of ``PLATFORM_KEYS`` absent (or empty) in a platform document, in order.

    A key of ``SWITCHABLE_PLATFORM_KEYS`` may be null (switched off), not absent or empty.
    """
    missing = []
    for key in PLATFORM_KEYS:
        node = document
        present = True
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                node = None
                present = False
                break
            node = node[part]
        if node is None and present and key in SWITCHABLE_PLATFORM_KEYS:
            continue
        if node in (None, ""):
            missing.append(key)
    return missing


# A user's certificate secret, dataplatform/<env>/users/<user>: the value is a JSON document
# with these keys; what a reader needs without reading the value is in the tags.
USER_SECRET_VALUE_KEYS = ("format", "pkcs12", "password", "certificate", "certificate_chain", "subject_dn")
USER_SECRET_TAG_ENV = TAG_ENV
USER_SECRET_TAG_USER = "dataplatform:user"
USER_SECRET_TAG_SERIAL = "dataplatform:serial"
USER_SECRET_TAG_NOT_AFTER = "dataplatform:not_after"
# The DN with "/" between attributes: Secrets Manager tag values cannot hold commas
# (module_utils/identity.py, tag_safe_dn). The secret's description holds it verbatim.
USER_SECRET_TAG_SUBJECT_DN = "dataplatform:subject_dn"
USER_SECRET_TAG_FINGERPRINT = "dataplatform:fingerprint_sha256"
USER_SECRET_TAG_ROLES = "dataplatform:roles"
USER_SECRET_TAG_CA = "dataplatform:ca_arn"
USER_SECRET_TAG_MANAGED_BY = "dataplatform:managed_by"
# Where the certificate's key is: "generated" (in the PKCS#12 bundle of the secret) or
# "csr:<digest of the user's public key>" (with the user only).
USER_SECRET_TAG_KEY = "dataplatform:key"
# A digest of the resource policy the secret carries (who may read it): user_certificates.readers_tag.
USER_SECRET_TAG_READERS = "dataplatform:readers_sha256"
