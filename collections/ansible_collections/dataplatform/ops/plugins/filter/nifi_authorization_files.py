# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import annotations

DOCUMENTATION = r"""
name: nifi_authorization_files
short_description: NiFi's authorizers.xml, users.xml and authorizations.xml from roles and identities
version_added: 0.1.0
description:
  - Renders the three files of NiFi's managed authorizer from roles (sets of resource policies)
    and the identities holding them, with the identifiers NiFi itself derives (name-based UUIDs
    of identities, group names and resource + action), sorted, so that every node gets the same
    bytes.
  - Each role becomes a NiFi group of the same name; the node identity holds the node policies.
  - Bad input (an unknown role, a duplicate identity, an identity matching the node certificate
    pattern, a malformed policy) is an error that names the item and the field.
options:
  _input:
    description: "The roles, C({name: {description, includes, policies: [{resource, actions}]}})."
    type: dict
    required: true
  users:
    description: "Users from the certificate requests, C([{user, dn, roles}])."
    type: list
    elements: dict
    required: true
  services:
    description: "Service identities, C([{name, dn, roles}])."
    type: list
    elements: dict
    default: []
  node_identity:
    description: The identity every node certificate maps to.
    type: str
    required: true
  node_policies:
    description: "Policies of the node identity, C([{resource, actions}])."
    type: list
    elements: dict
    required: true
  users_file:
    description: Path of users.xml as NiFi reads it.
    type: str
    required: true
  authorizations_file:
    description: Path of authorizations.xml as NiFi reads it.
    type: str
    required: true
  node_identity_pattern:
    description: The node identity mapping pattern; no user or service DN may match it.
    type: str
  root_group_id:
    description: "The root process group's id; policies on C({root_group_id}) are left out while it is unknown."
    type: str
author: dataplatform-ops maintainers (@dataplatform-ops)
"""

EXAMPLES = r"""
- name: Render the authorization files once for the cluster
  ansible.builtin.set_fact:
    nifi_authorization: >-
      {{ nifi_roles | dataplatform.ops.nifi_authorization_files(
           users=nifi_users, services=nifi_services, node_identity='nifi-cluster-node',
           node_policies=nifi_node_policies, users_file='./conf/users.xml',
           authorizations_file='./conf/authorizations.xml') }}
  run_once: true
"""

RETURN = r"""
_value:
  description: C(authorizers_xml), C(users_xml), C(authorizations_xml) (file contents) and C(summary) (counts of users, groups, policies and deferred policies).
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.dataplatform.ops.plugins.module_utils.nifi_authorization import AuthorizationError
from ansible_collections.dataplatform.ops.plugins.module_utils.nifi_authorization import render_files


def nifi_authorization_files(roles, users, node_identity, node_policies, users_file, authorizations_file,
                             services=None, node_identity_pattern=None, root_group_id=None):
    try:
        return render_files(roles, users, services or [], node_identity, node_policies, users_file, authorizations_file,
                            node_identity_pattern=node_identity_pattern or None, root_group_id=root_group_id or None)
    except AuthorizationError as error:
        raise AnsibleFilterError("dataplatform.ops.nifi_authorization_files: %s" % error)


class FilterModule:
    def filters(self):
        return {"nifi_authorization_files": nifi_authorization_files}
