"""IAM as AWS enforces it, in the emulator's server process: enforcement.py (the resource of each
request, the operator, permissions boundaries), statement_conditions.py and policy_conditions.py
(conditions), resource_policies.py (bucket, secret, key and trust policies), signatures.py,
instance_metadata.py (IMDS), service_sessions.py and web_identity.py (how roles are assumed), and
the condition keys of single services (acmpca_conditions.py, tag_conditions.py, cloudwatch_iam.py)."""
