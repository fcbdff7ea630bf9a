# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

DOCUMENTATION = r"""
name: authorized_users
author: dataplatform-ops maintainers (@dataplatform-ops)
version_added: 0.1.0
short_description: The users allowed to log in to an environment, from its certificate requests
description:
  - Returns one entry per certificate request of the environment (C(cert-requests/<env>/<user>.yaml)),
    with the DN NiFi compares (from P(dataplatform.ops.subject_dn#filter)) and the roles after the
    policy's defaults. A removed request is absent, so whatever renders NiFi users and policies from
    this list drops its identity.
  - The requests are validated exactly as P(dataplatform.ops.cert_requests#lookup) does; when any
    request of the repository has a problem the lookup fails and lists every problem, so no
    consumer ever works from a partially valid set.
  - Use it with C(query) (or C(wantlist=true)) to always get a list.
options:
  _terms:
    description: The environment; defaults to C(dataplatform_env).
    type: str
    required: false
  requests_dir:
    description: As in P(dataplatform.ops.cert_requests#lookup).
    type: path
    vars:
      - name: cert_requests_dir
  policy_file:
    description: As in P(dataplatform.ops.cert_requests#lookup).
    type: path
    vars:
      - name: cert_policy_file
"""

EXAMPLES = r"""
- name: The NiFi identities of this environment
  ansible.builtin.debug:
    msg: "{{ query('dataplatform.ops.authorized_users') | map(attribute='dn') }}"

- name: Admins of prod
  ansible.builtin.debug:
    msg: "{{ query('dataplatform.ops.authorized_users', 'prod') | selectattr('roles', 'contains', 'admin') | map(attribute='user') }}"
"""

RETURN = r"""
_raw:
  description: The users of the environment, sorted by user name.
  type: list
  elements: dict
  contains:
    user:
      description: The user name (the request's file name).
      type: str
      sample: alice
    dn:
      description: The identity NiFi compares.
      type: str
      sample: CN=alice, OU=DataEng, O=Platform
    roles:
      description: NiFi roles, the environment's default roles when the request names none.
      type: list
      elements: str
      sample: [operator]
    email:
      description: Contact address, or null.
      type: str
    subject:
      description: The requested subject.
      type: dict
    expiry_days:
      description: Requested validity in days.
      type: int
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.dataplatform.ops.plugins.module_utils.cert_requests import (
    InvalidRequests,
    RequestsUnavailable,
    authorized_users,
    load_requests,
)
from ansible_collections.dataplatform.ops.plugins.module_utils.requests_location import resolve_paths


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        variables = variables or {}
        if len(terms) > 1:
            raise AnsibleLookupError("authorized_users takes one environment, got %d" % len(terms))
        env = terms[0] if terms else variables.get("dataplatform_env")
        if not env:
            raise AnsibleLookupError("authorized_users needs an environment (a term, or dataplatform_env)")
        try:
            requests_dir, policy_file = resolve_paths(
                self.get_option("requests_dir"), self.get_option("policy_file"), variables.get("playbook_dir"))
            return authorized_users(load_requests(requests_dir, policy_file), env)
        except (RequestsUnavailable, InvalidRequests) as error:
            raise AnsibleLookupError(str(error)) from error
