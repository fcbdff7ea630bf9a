#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import annotations

DOCUMENTATION = r"""
module: nifi_access
short_description: Make a running NiFi 2 cluster's users, role groups and policies match roles and identities in code
version_added: 0.2.0
description:
  - Builds the cluster's authorization model from O(roles), O(users), O(services) and the node identity, as the
    C(dataplatform.ops.nifi) role renders it into the files of a first start, and applies the difference through
    NiFi's REST API on one connected node, which replicates every change to every node. Nothing restarts.
  - Users and role groups that are not in the model are removed (NiFi then takes them out of every policy);
    policies of resources the model names are set to exactly the groups and users that hold them; other policies
    are left as they are.
  - Authenticates with a client certificate, in PEM or as a PKCS#12 bundle. The identity needs read and write
    access to C(/tenants) and C(/policies) (the C(access_manager) role, which the C(nifi-users) service identity
    holds).
  - Runs on the controller.
options:
  roles:
    description: The roles (the nifi role's O(dataplatform.ops.nifi#role:main:nifi_roles)).
    type: dict
    required: true
  users:
    description: The users, C({user, dn, roles}) each (the environment's certificate requests).
    type: list
    elements: dict
    default: []
  services:
    description: The service identities, C({name, dn, roles}) each.
    type: list
    elements: dict
    default: []
  node_identity:
    description: The identity every node certificate maps to.
    type: str
    required: true
  node_policies:
    description: The policies the node identity holds, C({resource, actions}) each.
    type: list
    elements: dict
    required: true
  node_identity_pattern:
    description: The anchored pattern of node certificate DNs, which no user or service may match.
    type: str
  root_group_id:
    description: The root process group's id; without it the policies on the root group are left out.
    type: str
extends_documentation_fragment:
  - dataplatform.ops.nifi_client
attributes:
  check_mode:
    support: full
    description: Only reads users, groups and policies, and returns what would change.
  diff_mode:
    support: none
    description: Shows no diff; the result lists what changed.
author: dataplatform-ops maintainers (@dataplatform-ops)
"""

EXAMPLES = r"""
- name: Users and policies of the environment's certificate requests, through NiFi's REST API
  dataplatform.ops.nifi_access:
    api_url: "https://{{ nifi_node_address }}:8443/nifi-api"
    roles: "{{ nifi_roles }}"
    users: "{{ query('dataplatform.ops.authorized_users', 'dev') }}"
    services: [{name: airflow, dn: "CN=airflow, OU=Services, O=Platform", roles: [operator]}]
    node_identity: nifi-cluster-node
    node_policies: [{resource: /proxy, actions: [write]}]
    root_group_id: "{{ root_group_id }}"
    client_certificate: "{{ service_certificate.certificate }}{{ service_certificate.certificate_chain }}"
    client_key: "{{ service_key.privatekey }}"
  delegate_to: localhost
"""

RETURN = r"""
users_added:
  description: Identities added.
  returned: always
  type: list
  elements: str
  sample: ["CN=carol, OU=Analytics, O=Platform"]
users_removed:
  description: Identities removed.
  returned: always
  type: list
  elements: str
  sample: ["CN=dave, OU=DataEng, O=Platform"]
groups_changed:
  description: Role groups created, changed in membership or removed.
  returned: always
  type: list
  elements: str
  sample: [viewer]
policies_changed:
  description: Policies created or changed, as C(<action> <resource>).
  returned: always
  type: list
  elements: str
  sample: [read /flow]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dataplatform.ops.plugins.module_utils.nifi_access import reconcile
from ansible_collections.dataplatform.ops.plugins.module_utils.nifi_api import CLIENT_ARGUMENT_RULES
from ansible_collections.dataplatform.ops.plugins.module_utils.nifi_api import CLIENT_ARGUMENT_SPEC
from ansible_collections.dataplatform.ops.plugins.module_utils.nifi_api import NiFiApiError
from ansible_collections.dataplatform.ops.plugins.module_utils.nifi_api import module_request
from ansible_collections.dataplatform.ops.plugins.module_utils.nifi_authorization import AuthorizationError
from ansible_collections.dataplatform.ops.plugins.module_utils.nifi_authorization import build_model


def main():
    module = AnsibleModule(
        argument_spec=dict(
            CLIENT_ARGUMENT_SPEC,
            roles=dict(type="dict", required=True),
            users=dict(type="list", elements="dict", default=[]),
            services=dict(type="list", elements="dict", default=[]),
            node_identity=dict(type="str", required=True),
            node_policies=dict(type="list", elements="dict", required=True),
            node_identity_pattern=dict(type="str"),
            root_group_id=dict(type="str"),
        ),
        supports_check_mode=True,
        **CLIENT_ARGUMENT_RULES
    )
    params = module.params
    try:
        model = build_model(params["roles"], params["users"], params["services"], params["node_identity"],
                            params["node_policies"], node_identity_pattern=params["node_identity_pattern"],
                            root_group_id=params["root_group_id"] or None)
    except AuthorizationError as error:
        module.fail_json(msg=str(error))
    request = module_request(module)
    try:
        result = reconcile(request, model, check_mode=module.check_mode)
    except NiFiApiError as error:
        module.fail_json(msg="Could not apply the users and policies to the NiFi cluster: %s" % error)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
