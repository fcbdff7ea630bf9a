# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""NiFi authorization as code: roles, identities and the three files NiFi reads them from.

Roles are named sets of NiFi resource policies (resource + read/write). Every role becomes a
NiFi group of the same name whose members are the identities holding the role; every policy
lists the groups whose role grants it. The cluster's node identity (one identity for every node,
see the role README) holds the node policies directly.

The files are rendered so that every node of a cluster gets the same bytes, and so that they
carry the identifiers NiFi itself derives, checked in Apache NiFi 2.11.0's source
(tag rel/nifi-2.11.0):

* users and groups: ``User.Builder.identifierGenerateFromSeed`` and
  ``Group.Builder.identifierGenerateFromSeed`` (nifi-framework-api) use Java's
  ``UUID.nameUUIDFromBytes`` over the UTF-8 bytes of the identity (users) or of the name
  (groups), as ``FileUserGroupProvider`` does when it seeds initial users and groups;
* policies: ``FileAccessPolicyProvider.addUserToAccessPolicy`` seeds with the resource followed
  by the ``RequestAction``, whose ``toString()`` is ``read`` or ``write``. Since the file
  authorizer moved from JAXB to DOM (NIFI-15122, first released in 2.7.0) the seed is
  ``resource + "read"``/``"write"``; earlier 2.x releases concatenated the file's action code
  (``R``/``W``). The file itself still stores ``R``/``W`` in the ``action`` attribute.

A node that joins a running cluster with authorizations that differ from the cluster's has them
replaced by the cluster's (``VersionedFlowSynchronizer.inheritAuthorizations``), which is why the
files must be identical everywhere and why a change to them needs every node restarted together.
"""

from __future__ import annotations

import hashlib
import re
import uuid

ACTIONS = ("read", "write")
# The code NiFi's authorizations.xml stores for each action (authorizations.xsd: R or W).
ACTION_CODES = {"read": "R", "write": "W"}

ROOT_GROUP_PLACEHOLDER = "{root_group_id}"
ROLE_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
RESOURCE_PATTERN = re.compile(r"^/[A-Za-z0-9._/{}-]*$")
ROOT_GROUP_ID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
MANAGED_COMMENT = "<!-- Managed by dataplatform.ops.nifi from the roles and identities in code; edits are replaced. -->\n"


class AuthorizationError(ValueError):
    """Authorization input that cannot be rendered; the message names the item and the field."""


def java_name_uuid(data):
    """Java's ``UUID.nameUUIDFromBytes``: MD5 of the bytes with version 3 and the IETF variant.

    Unlike Python's ``uuid.uuid3`` no namespace is prepended.
    """
    digest = bytearray(hashlib.md5(data).digest())  # nosec B324 - Java's name-based UUID is MD5 by definition
    digest[6] = (digest[6] & 0x0F) | 0x30
    digest[8] = (digest[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(digest)))


def tenant_identifier(seed):
    """Identifier NiFi gives a user (seed: its identity) or a group (seed: its name)."""
    if not isinstance(seed, str) or not seed.strip():
        raise AuthorizationError("a user identity or group name must be a non-blank string, not %r" % (seed,))
    return java_name_uuid(seed.encode("utf-8"))


def policy_identifier(resource, action):
    """Identifier NiFi 2.11 gives the policy for ``resource`` and ``action`` (``read``/``write``)."""
    if action not in ACTIONS:
        raise AuthorizationError("policy action must be one of %s, not %r" % (", ".join(ACTIONS), action))
    return java_name_uuid((resource + action).encode("utf-8"))


def _check_policy_entries(entries, where):
    """``[(resource, action)]`` of a list of ``{resource, actions}`` mappings."""
    if not isinstance(entries, list):
        raise AuthorizationError("%s.policies must be a list, not %s" % (where, type(entries).__name__))
    pairs = []
    for index, entry in enumerate(entries):
        here = "%s.policies[%d]" % (where, index)
        if not isinstance(entry, dict) or set(entry) - {"resource", "actions"}:
            raise AuthorizationError("%s must be a mapping with the keys resource and actions" % here)
        resource = entry.get("resource")
        if not isinstance(resource, str) or not RESOURCE_PATTERN.match(resource):
            raise AuthorizationError("%s.resource must be a NiFi resource path starting with '/', not %r" % (here, resource))
        if "{" in resource.replace(ROOT_GROUP_PLACEHOLDER, ""):
            raise AuthorizationError("%s.resource: the only placeholder is %s, found %r" % (here, ROOT_GROUP_PLACEHOLDER, resource))
        actions = entry.get("actions")
        if not isinstance(actions, list) or not actions or any(action not in ACTIONS for action in actions):
            raise AuthorizationError("%s.actions must be a non-empty list of %s, not %r" % (here, " and ".join(ACTIONS), actions))
        pairs.extend((resource, action) for action in actions)
    return pairs


def resolve_roles(roles):
    """``{role: sorted [(resource, action)]}`` with every ``includes`` expanded.

    ``roles`` maps a role name to ``{description, includes, policies}``; ``includes`` names
    roles whose policies this role also grants.
    """
    if not isinstance(roles, dict) or not roles:
        raise AuthorizationError("nifi_roles must be a non-empty mapping of role names to role definitions")
    direct = {}
    includes = {}
    for name, definition in roles.items():
        where = "nifi_roles.%s" % name
        if not isinstance(name, str) or not ROLE_NAME_PATTERN.match(name):
            raise AuthorizationError("nifi_roles: role name %r must be lower-case letters, digits, '_' and '-'" % (name,))
        if not isinstance(definition, dict) or set(definition) - {"description", "includes", "policies"}:
            raise AuthorizationError("%s must be a mapping with the keys description, includes and policies" % where)
        direct[name] = _check_policy_entries(definition.get("policies", []), where)
        included = definition.get("includes", [])
        if not isinstance(included, list) or any(role not in roles for role in included):
            unknown = [role for role in included if role not in roles] if isinstance(included, list) else included
            raise AuthorizationError("%s.includes names unknown roles: %r" % (where, unknown))
        includes[name] = included

    resolved = {}

    def expand(name, trail):
        if name in trail:
            raise AuthorizationError("nifi_roles: roles include each other in a cycle: %s" % " -> ".join(trail + [name]))
        if name not in resolved:
            pairs = set(direct[name])
            for included in includes[name]:
                pairs.update(expand(included, trail + [name]))
            resolved[name] = sorted(pairs)
        return resolved[name]

    for name in roles:
        expand(name, [])
    return resolved


def _check_identities(entries, kind, name_key, roles, node_pattern):
    checked = []
    for index, entry in enumerate(entries or []):
        where = "%s[%d]" % (kind, index)
        if not isinstance(entry, dict):
            raise AuthorizationError("%s must be a mapping, not %s" % (where, type(entry).__name__))
        name = entry.get(name_key)
        if not isinstance(name, str) or not name:
            raise AuthorizationError("%s.%s must be a non-empty string" % (where, name_key))
        where = "%s %s" % (kind, name)
        identity = entry.get("dn")
        if not isinstance(identity, str) or not identity.strip():
            raise AuthorizationError("%s: dn must be a non-blank string" % where)
        if node_pattern is not None and node_pattern.fullmatch(identity):
            raise AuthorizationError(
                "%s: dn %r matches the node certificate pattern, so NiFi would map it to the node identity" % (where, identity)
            )
        entry_roles = entry.get("roles")
        if not isinstance(entry_roles, list) or not entry_roles:
            raise AuthorizationError("%s: roles must be a non-empty list" % where)
        unknown = sorted(set(entry_roles) - set(roles))
        if unknown:
            raise AuthorizationError("%s: roles %s are not defined in nifi_roles (defined: %s)"
                                     % (where, ", ".join(unknown), ", ".join(sorted(roles))))
        checked.append({"name": "%s %s" % (kind, name), "identity": identity, "roles": sorted(set(entry_roles))})
    return checked


def build_model(roles, users, services, node_identity, node_policies, node_identity_pattern=None, root_group_id=None):
    """The users, groups and policies of the cluster, sorted, with NiFi's identifiers.

    ``users`` come from the environment's certificate requests (``{user, dn, roles}``),
    ``services`` are service identities (``{name, dn, roles}``), ``node_identity`` is the one
    identity every node maps to, holding ``node_policies``. Policies whose resource contains
    ``{root_group_id}`` are rendered only once the root process group's id is known; they are
    counted in ``deferred_policies`` until then.
    """
    resolved = resolve_roles(roles)
    node_pattern = re.compile(node_identity_pattern) if node_identity_pattern else None
    if root_group_id is not None and not ROOT_GROUP_ID_PATTERN.match(root_group_id):
        raise AuthorizationError("root_group_id must be a lower-case UUID, not %r" % (root_group_id,))
    if not isinstance(node_identity, str) or not node_identity.strip():
        raise AuthorizationError("nifi_node_identity must be a non-blank string")
    if "=" in node_identity:
        raise AuthorizationError("nifi_node_identity %r must not look like a DN: a certificate could then carry it" % node_identity)
    node_pairs = _check_policy_entries(node_policies, "nifi_node")

    members = _check_identities(users, "user", "user", resolved, node_pattern)
    members += _check_identities(services, "service", "name", resolved, node_pattern)
    seen = {node_identity: "the node identity"}
    for member in members:
        if member["identity"] in seen:
            raise AuthorizationError("%s: dn %r is also the identity of %s" % (member["name"], member["identity"], seen[member["identity"]]))
        seen[member["identity"]] = member["name"]

    deferred = set()

    def concrete(resource):
        if ROOT_GROUP_PLACEHOLDER not in resource:
            return resource
        if root_group_id is None:
            return None
        return resource.replace(ROOT_GROUP_PLACEHOLDER, root_group_id)

    users_by_identity = {node_identity: tenant_identifier(node_identity)}
    for member in members:
        users_by_identity[member["identity"]] = tenant_identifier(member["identity"])

    groups = []
    for role in sorted(resolved):
        role_members = sorted(m["identity"] for m in members if role in m["roles"])
        groups.append({
            "identifier": tenant_identifier(role),
            "name": role,
            "users": [users_by_identity[identity] for identity in role_members],
        })

    grants = {}  # (resource, action) -> {"groups": set, "users": set}
    for role, pairs in resolved.items():
        for resource, action in pairs:
            target = concrete(resource)
            if target is None:
                deferred.add((resource, action))
                continue
            grants.setdefault((target, action), {"groups": set(), "users": set()})["groups"].add(role)
    for resource, action in node_pairs:
        target = concrete(resource)
        if target is None:
            deferred.add((resource, action))
            continue
        grants.setdefault((target, action), {"groups": set(), "users": set()})["users"].add(node_identity)

    policies = []
    for (resource, action) in sorted(grants):
        holders = grants[(resource, action)]
        policies.append({
            "identifier": policy_identifier(resource, action),
            "resource": resource,
            "action": ACTION_CODES[action],
            "groups": [tenant_identifier(role) for role in sorted(holders["groups"])],
            "users": [users_by_identity[identity] for identity in sorted(holders["users"])],
        })

    return {
        "users": [{"identifier": users_by_identity[identity], "identity": identity} for identity in sorted(users_by_identity)],
        "groups": groups,
        "policies": policies,
        "deferred_policies": len(deferred),
    }


def _attribute(value):
    return (value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;"))


def _text(value):
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_users_xml(model):
    """``users.xml`` (NiFi's tenants.xsd): the role groups with their members, then the users."""
    lines = [XML_DECLARATION, MANAGED_COMMENT, "<tenants>\n", "    <groups>\n"]
    for group in model["groups"]:
        if group["users"]:
            lines.append('        <group identifier="%s" name="%s">\n' % (_attribute(group["identifier"]), _attribute(group["name"])))
            lines.extend('            <user identifier="%s"/>\n' % _attribute(user) for user in group["users"])
            lines.append("        </group>\n")
        else:
            lines.append('        <group identifier="%s" name="%s"/>\n' % (_attribute(group["identifier"]), _attribute(group["name"])))
    lines.append("    </groups>\n    <users>\n")
    lines.extend('        <user identifier="%s" identity="%s"/>\n' % (_attribute(u["identifier"]), _attribute(u["identity"]))
                 for u in model["users"])
    lines.append("    </users>\n</tenants>\n")
    return "".join(lines)


def render_authorizations_xml(model):
    """``authorizations.xml`` (NiFi's authorizations.xsd): one policy per resource and action."""
    lines = [XML_DECLARATION, MANAGED_COMMENT, "<authorizations>\n", "    <policies>\n"]
    for policy in model["policies"]:
        lines.append('        <policy identifier="%s" resource="%s" action="%s">\n'
                     % (_attribute(policy["identifier"]), _attribute(policy["resource"]), policy["action"]))
        lines.extend('            <group identifier="%s"/>\n' % _attribute(group) for group in policy["groups"])
        lines.extend('            <user identifier="%s"/>\n' % _attribute(user) for user in policy["users"])
        lines.append("        </policy>\n")
    lines.append("    </policies>\n</authorizations>\n")
    return "".join(lines)


def render_authorizers_xml(users_file, authorizations_file, node_identity):
    """``authorizers.xml`` (NiFi's authorizers.xsd): the file providers behind ``managed-authorizer``.

    No initial admin or initial users: the users and policies files are complete, and NiFi only
    seeds from these properties when its files are empty. The node identity is named so that a
    node whose authorizations file was lost still grants the cluster its proxy policy.
    """
    providers = [
        ("userGroupProvider", "file-user-group-provider", "org.apache.nifi.authorization.FileUserGroupProvider", [
            ("Users File", users_file),
            ("Initial User Identity 1", ""),
            ("Initial Group Identity 1", ""),
        ]),
        ("accessPolicyProvider", "file-access-policy-provider", "org.apache.nifi.authorization.FileAccessPolicyProvider", [
            ("User Group Provider", "file-user-group-provider"),
            ("Authorizations File", authorizations_file),
            ("Initial Admin Identity", ""),
            ("Initial Admin Group", ""),
            ("Node Identity 1", node_identity),
            ("Node Group", ""),
        ]),
        ("authorizer", "managed-authorizer", "org.apache.nifi.authorization.StandardManagedAuthorizer", [
            ("Access Policy Provider", "file-access-policy-provider"),
        ]),
    ]
    lines = [XML_DECLARATION, MANAGED_COMMENT, "<authorizers>\n"]
    for element, identifier, class_name, properties in providers:
        lines.append("    <%s>\n" % element)
        lines.append("        <identifier>%s</identifier>\n" % _text(identifier))
        lines.append("        <class>%s</class>\n" % _text(class_name))
        for name, value in properties:
            lines.append('        <property name="%s">%s</property>\n' % (_attribute(name), _text(value)))
        lines.append("    </%s>\n" % element)
    lines.append("</authorizers>\n")
    return "".join(lines)


def render_files(roles, users, services, node_identity, node_policies, users_file, authorizations_file,
                 node_identity_pattern=None, root_group_id=None):
    """The three files and a summary: ``{authorizers_xml, users_xml, authorizations_xml, summary}``."""
    model = build_model(roles, users, services, node_identity, node_policies,
                        node_identity_pattern=node_identity_pattern, root_group_id=root_group_id)
    return {
        "authorizers_xml": render_authorizers_xml(users_file, authorizations_file, node_identity),
        "users_xml": render_users_xml(model),
        "authorizations_xml": render_authorizations_xml(model),
        "summary": {
            "users": len(model["users"]),
            "groups": len(model["groups"]),
            "policies": len(model["policies"]),
            "deferred_policies": model["deferred_policies"],
        },
    }
