# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

DOCUMENTATION = r"""
name: cert_requests
author: dataplatform-ops maintainers (@dataplatform-ops)
version_added: 0.1.0
short_description: Reads and validates every certificate request of the repository
description:
  - Reads C(<requests_dir>/<env>/<user>.yaml) for every environment, checks each request against the
    request schema (C(cert-requests/schema.json)), the naming rules (the file name is the user, the
    folder is the environment, the common name uses a safe character set, users and DNs are unique
    within an environment) and the policy file, and returns every problem found in one pass.
  - Never fails because a request is invalid; the result lists the problems so that a playbook can
    report all of them. Use P(dataplatform.ops.authorized_users#lookup) to get the users of one
    environment, which fails when any request is invalid.
  - Runs on the controller; it needs the Python packages PyYAML and jsonschema there.
options:
  requests_dir:
    description:
      - Folder with one sub-folder per environment.
      - Defaults to the C(cert-requests) folder of the repository, the nearest one at or above the
        playbook's folder.
    type: path
    vars:
      - name: cert_requests_dir
  policy_file:
    description:
      - The policy (maximum C(expiry_days), organisations, OUs, roles and C(renew_before_days) per environment).
      - Defaults to C(policy.yml) in the repository's C(cert-requests) folder, also when O(requests_dir) points elsewhere.
    type: path
    vars:
      - name: cert_policy_file
  codeowners_file:
    description:
      - The repository's CODEOWNERS, which must name who approves every request for a privileged role
        of its environment (C(privileged_roles) of the policy); the result's C(approvals) lists them.
      - Defaults to C(.github/CODEOWNERS) of the repository whose C(cert-requests) folder is used.
    type: path
    vars:
      - name: cert_codeowners_file
notes:
  - Requests of an environment the policy does not name are an error, as are files in an environment
    folder that are not C(.yaml) or C(.yml) files, files over 4096 bytes, YAML aliases and duplicate keys.
"""

EXAMPLES = r"""
- name: Read the requests
  ansible.builtin.set_fact:
    requests: "{{ lookup('dataplatform.ops.cert_requests') }}"

- name: Fail with every problem
  ansible.builtin.fail:
    msg: "{{ requests.messages }}"
  when: requests.problems | length > 0

- name: Validate a folder of requests elsewhere, with the repository's policy
  ansible.builtin.debug:
    msg: "{{ lookup('dataplatform.ops.cert_requests', requests_dir='/tmp/incoming').messages }}"
"""

RETURN = r"""
_raw:
  description: One mapping (a lookup returns it as the value, a query as its only element).
  type: list
  elements: dict
  contains:
    requests_dir:
      description: The folder read.
      type: str
    policy_file:
      description: The policy applied.
      type: str
    files:
      description: Number of request files read.
      type: int
    problems:
      description: Every problem found; empty when all requests are valid.
      type: list
      elements: dict
      contains:
        file:
          description: The file (request, folder or policy) the problem is in.
          type: str
        field:
          description: The field, as a dotted path (C(subject.common_name)); C(<document>) for the whole file.
          type: str
        reason:
          description: What is wrong.
          type: str
    messages:
      description: "The problems as C(file: field: reason) lines."
      type: list
      elements: str
    approvals:
      description: Each valid request for a privileged role, with the CODEOWNERS owners who must approve it.
      type: list
      elements: dict
      sample:
        - {file: cert-requests/prod/ops-lead.yaml, env: prod, user: ops-lead, roles: [admin],
           owners: ["@dataplatform-ops/platform-security"]}
    environments:
      description: Per environment of the policy, its renewal window, expiry limit and valid requests.
      type: dict
      sample:
        dev:
          renew_before_days: 30
          max_expiry_days: 365
          users:
            - user: alice
              env: dev
              dn: CN=alice, OU=DataEng, O=Platform
              subject: {common_name: alice, organizational_unit: DataEng, organization: Platform}
              roles: [operator]
              email: null
              expiry_days: 180
              file: cert-requests/dev/alice.yaml
"""

import os

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.dataplatform.ops.plugins.module_utils.cert_requests import (
    RequestsUnavailable,
    format_problem,
    load_requests,
)
from ansible_collections.dataplatform.ops.plugins.module_utils.requests_location import find_requests_dir, resolve_paths


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        try:
            requests_dir, policy_file = resolve_paths(
                self.get_option("requests_dir"), self.get_option("policy_file"), (variables or {}).get("playbook_dir"))
            codeowners_file = self.get_option("codeowners_file") or self._repository_codeowners(variables)
            codeowners_text = None
            if codeowners_file and os.path.isfile(codeowners_file):
                with open(codeowners_file, encoding="utf-8") as handle:
                    codeowners_text = handle.read()
            result = load_requests(requests_dir, policy_file, codeowners_text)
        except RequestsUnavailable as error:
            raise AnsibleLookupError(str(error)) from error
        result["messages"] = [format_problem(problem) for problem in result["problems"]]
        return [result]

    @staticmethod
    def _repository_codeowners(variables):
        found = find_requests_dir((variables or {}).get("playbook_dir") or os.getcwd()) or find_requests_dir(os.getcwd())
        return os.path.join(os.path.dirname(found), ".github", "CODEOWNERS") if found else None
