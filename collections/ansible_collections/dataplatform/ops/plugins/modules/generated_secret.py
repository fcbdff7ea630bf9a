#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import annotations

DOCUMENTATION = r"""
module: generated_secret
short_description: A Secrets Manager secret generated once per environment and never changed
version_added: 0.1.0
description:
  - Creates a secret with a random value when it does not exist yet, and does nothing when it
    does. The value is generated on the controller, sent once to Secrets Manager and never
    returned, logged or compared; an existing secret is only described (C(DescribeSecret)), never
    read.
  - Meant for values every host of an environment must share and read at run time, for example
    the Airflow API secret, JWT secret and Fernet key, or NiFi's sensitive properties key.
  - Run it once per environment (C(run_once), on the controller).
options:
  name:
    description:
      - Name of the secret, for example C(dataplatform/dev/airflow/config/api-secret-key).
    type: str
    required: true
  kind:
    description:
      - C(token) is URL-safe base64 of O(length) random bytes; C(fernet) is a Fernet key
        (32 random bytes, URL-safe base64), as Airflow's C([core] fernet_key) expects.
    type: str
    choices: [token, fernet]
    default: token
  length:
    description:
      - Random bytes in a C(token) (at least 16). Ignored for C(fernet).
    type: int
    default: 48
  description:
    description: Description of the secret.
    type: str
    default: Generated once by dataplatform.ops; shared by every host of the environment.
  tags:
    description: Tags of the secret when it is created (existing secrets keep theirs).
    type: dict
    default: {}
  kms_key_id:
    description:
      - KMS key (ARN) to encrypt the secret with; the account's default key C(aws/secretsmanager) when omitted.
      - An existing secret under another key is moved to this one (UpdateSecret); its value is not read or changed.
    type: str
notes:
  - A secret scheduled for deletion is an error; restore it or let the deletion finish first.
  - Check mode reports a missing secret as a change and creates nothing.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
author:
  - dataplatform-ops maintainers (@dataplatform-ops)
"""

EXAMPLES = r"""
- name: Ensure the Airflow API secret of the environment exists
  dataplatform.ops.generated_secret:
    name: "{{ dataplatform_env | dataplatform.ops.secret_name('airflow', 'config', 'api-secret-key') }}"
    tags:
      dataplatform:env: "{{ dataplatform_env }}"
  run_once: true
  delegate_to: localhost

- name: Ensure the Airflow Fernet key exists
  dataplatform.ops.generated_secret:
    name: dataplatform/dev/airflow/config/fernet-key
    kind: fernet
"""

RETURN = r"""
arn:
  description: ARN of the secret (null in check mode when it would be created).
  returned: always
  type: str
  sample: arn:aws:secretsmanager:eu-west-1:123456789012:secret:dataplatform/dev/airflow/config/api-secret-key-AbCdEf
name:
  description: Name of the secret.
  returned: always
  type: str
  sample: dataplatform/dev/airflow/config/api-secret-key
kms_key_id:
  description: The customer key the secret is encrypted with; null under the default key.
  returned: always
  type: str
  sample: arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
"""

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.dataplatform.ops.plugins.module_utils.generated_secret import ensure_generated_secret


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            kind=dict(type="str", choices=["token", "fernet"], default="token"),
            length=dict(type="int", default=48),
            description=dict(type="str", default="Generated once by dataplatform.ops; shared by every host of the environment."),
            tags=dict(type="dict", default={}),
            kms_key_id=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    client = module.client("secretsmanager", retry_decorator=AWSRetry.jittered_backoff())
    try:
        changed, secret = ensure_generated_secret(
            client,
            name=module.params["name"],
            kind=module.params["kind"],
            length=module.params["length"],
            description=module.params["description"],
            tags=module.params["tags"],
            kms_key_id=module.params["kms_key_id"],
            check_mode=module.check_mode,
        )
    except ValueError as error:
        module.fail_json(msg=str(error))
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
        module.fail_json_aws(error, msg="Could not ensure secret %s" % module.params["name"])
    module.exit_json(changed=changed, **secret)


if __name__ == "__main__":
    main()
