# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import annotations

DOCUMENTATION = r"""
name: secret_name
short_description: The Secrets Manager name of a platform secret
version_added: 0.1.0
description:
  - Builds the name of a secret under the environment's prefix, C(dataplatform/<env>/), as every
    part of the platform names it (one function, in the collection's C(platform) module_utils).
options:
  _input:
    description: The environment (C(local), C(dev), C(ppd) or C(prod)).
    type: str
    required: true
  _parts:
    description: Path parts below the environment's prefix; none may be empty or contain C(/).
    type: list
    elements: str
    required: true
author:
  - dataplatform-ops maintainers (@dataplatform-ops)
"""

EXAMPLES = r"""
- name: Name of the Airflow connections prefix of the environment
  ansible.builtin.debug:
    msg: "{{ 'dev' | dataplatform.ops.secret_name('airflow', 'connections') }}"
  # -> dataplatform/dev/airflow/connections
"""

RETURN = r"""
_value:
  description: The secret's name.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.dataplatform.ops.plugins.module_utils.platform import secret_name as _secret_name


def secret_name(env, *parts):
    try:
        return _secret_name(env, *parts)
    except ValueError as error:
        raise AnsibleFilterError("dataplatform.ops.secret_name: %s" % error)


class FilterModule:
    def filters(self):
        return {"secret_name": secret_name}
