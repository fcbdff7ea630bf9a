# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Users, role groups and policies of a running NiFi cluster, made to match the model in code.

The model is :func:`nifi_authorization.build_model`'s: users by identity, one group per role
with its members, one policy per resource and action with the groups and users holding it.
Every change goes through NiFi's REST API on one connected node, which replicates it to every
node of the cluster (and rewrites their users.xml and authorizations.xml itself):

* ``GET /tenants/users``, ``GET /tenants/user-groups``: what the cluster has;
* ``POST /tenants/users``, ``DELETE /tenants/users/{id}``: users added and removed (NiFi takes a
  removed user out of its groups and policies);
* ``POST``/``PUT /tenants/user-groups[/{id}]``: a role's group and its members;
* ``GET /policies/{action}/{resource}``, ``POST``/``PUT /policies[/{id}]``: a policy and who holds
  it. NiFi answers a resource without a policy of its own with the policy it inherits from (its
  ``component.resource`` then differs), which is not the resource's.

Identities are NiFi's identities (the subject DN as NiFi renders it, or a mapped identity such as
the node identity); groups are matched by name. Users and groups that are not in the model are
removed; policies of resources the model does not name are left as they are, except that a
removed user or group is no longer in them. In check mode only ``GET`` requests are made and the
result says what would change.

The HTTP transport is passed in (``request(method, path, body) -> (status, document)``,
:func:`nifi_api.https_request`), so the reconciliation can be followed in unit tests.
"""

from __future__ import annotations


from ansible.module_utils.six.moves.urllib.parse import quote

from .nifi_api import checked_call

ACTION_NAMES = {"R": "read", "W": "write", "read": "read", "write": "write"}
CLIENT_ID = "dataplatform.ops.nifi_access"


class AccessApi:
    """The tenants and policies endpoints of NiFi's REST API."""

    def __init__(self, request):
        self._request = request

    def call(self, method, path, body=None, expected=(200, 201)):
        return checked_call(self._request, method, path, body, expected)

    def users(self):
        return self.call("GET", "/tenants/users")[1].get("users", [])

    def groups(self):
        return self.call("GET", "/tenants/user-groups")[1].get("userGroups", [])

    def policy(self, action, resource):
        """The policy of exactly ``resource`` and ``action``, or None (also when NiFi answers with
        the policy the resource inherits)."""
        status, document = self.call("GET", "/policies/%s%s" % (action, quote(resource, safe="/")), expected=(200, 404))
        if status == 404:
            return None
        component = document.get("component") or {}
        if component.get("resource") != resource:
            return None
        return document

    @staticmethod
    def _revision(entity):
        return {"version": (entity.get("revision") or {}).get("version", 0), "clientId": CLIENT_ID}

    def create(self, path, component):
        return self.call("POST", path, {"revision": {"version": 0, "clientId": CLIENT_ID}, "component": component})[1]

    def update(self, path, entity, component):
        return self.call("PUT", "%s/%s" % (path, entity["id"]),
                         {"revision": self._revision(entity), "component": dict(component, id=entity["id"])})[1]

    def delete(self, path, entity):
        revision = self._revision(entity)
        return self.call("DELETE", "%s/%s?version=%d&clientId=%s" % (path, entity["id"], revision["version"], CLIENT_ID))[1]


def _identity(entity):
    return (entity.get("component") or {}).get("identity")


def _ids(references):
    return sorted(reference.get("id") for reference in references or [])


def reconcile(request, model, check_mode=False):
    """Makes the cluster's users, groups and the model's policies match ``model``.

    Returns ``{changed, users_added, users_removed, groups_changed, policies_changed}`` (identities,
    group names, ``"<action> <resource>"``).
    """
    api = AccessApi(request)
    result = {"users_added": [], "users_removed": [], "groups_changed": [], "policies_changed": []}
    identity_of = {user["identifier"]: user["identity"] for user in model["users"]}
    group_name_of = {group["identifier"]: group["name"] for group in model["groups"]}

    users = {_identity(user): user for user in api.users()}
    for identity in sorted(set(identity_of.values()) - set(users)):
        result["users_added"].append(identity)
        if not check_mode:
            users[identity] = api.create("/tenants/users", {"identity": identity})

    groups = {_identity(group): group for group in api.groups()}
    for group in model["groups"]:
        wanted = sorted(users[identity_of[member]]["id"] for member in group["users"] if identity_of[member] in users)
        existing = groups.get(group["name"])
        if existing is None:
            result["groups_changed"].append(group["name"])
            if not check_mode:
                groups[group["name"]] = api.create("/tenants/user-groups", {
                    "identity": group["name"], "users": [{"id": member} for member in wanted]})
        elif _ids(existing["component"].get("users")) != wanted:
            result["groups_changed"].append(group["name"])
            if not check_mode:
                groups[group["name"]] = api.update("/tenants/user-groups", existing, {
                    "identity": group["name"], "users": [{"id": member} for member in wanted]})

    for policy in model["policies"]:
        action = ACTION_NAMES[policy["action"]]
        wanted_groups = sorted(groups[group_name_of[g]]["id"] for g in policy["groups"] if group_name_of[g] in groups)
        wanted_users = sorted(users[identity_of[u]]["id"] for u in policy["users"] if identity_of[u] in users)
        component = {"resource": policy["resource"], "action": action,
                     "users": [{"id": member} for member in wanted_users],
                     "userGroups": [{"id": member} for member in wanted_groups]}
        existing = api.policy(action, policy["resource"])
        if existing is None:
            result["policies_changed"].append("%s %s" % (action, policy["resource"]))
            if not check_mode:
                api.create("/policies", component)
        elif (_ids(existing["component"].get("users")) != wanted_users
              or _ids(existing["component"].get("userGroups")) != wanted_groups):
            result["policies_changed"].append("%s %s" % (action, policy["resource"]))
            if not check_mode:
                api.update("/policies", existing, component)

    # Last: a user leaves once nothing the model keeps refers to it (NiFi takes it out of every
    # group and policy it was in); the same for groups of roles that no longer exist.
    for path, found, wanted, key in (("/tenants/users", users, set(identity_of.values()), "users_removed"),
                                     ("/tenants/user-groups", groups, set(group_name_of.values()), "groups_changed")):
        for name, entity in sorted(found.items()):
            if name not in wanted:
                result[key].append(name)
                if not check_mode:
                    api.delete(path, api.call("GET", "%s/%s" % (path, entity["id"]))[1])

    result["changed"] = any(result[key] for key in ("users_added", "users_removed", "groups_changed", "policies_changed"))
    return result
