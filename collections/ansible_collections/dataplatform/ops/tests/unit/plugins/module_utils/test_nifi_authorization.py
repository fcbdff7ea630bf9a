from __future__ import annotations

import copy
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.dataplatform.ops.plugins.module_utils import nifi_authorization as authz

# Values printed by Java 21's UUID.nameUUIDFromBytes(s.getBytes(StandardCharsets.UTF_8)).
JAVA_NAME_UUIDS = {
    "": "d41d8cd9-8f00-3204-a980-0998ecf8427e",
    "CN=alice, OU=DataEng, O=Platform": "69423690-e99d-3742-b2a5-6c3e62ab0ed6",
    "nifi-node": "7d05a940-bdb2-3d04-8036-cd89cdd3ea72",
    "admin": "21232f29-7a57-35a7-8389-4a0e4a801fc3",
    "/flowread": "677da9b4-f662-33a8-995d-104872e8df9c",
    "/proxywrite": "71de3002-49bb-3ce0-8e6d-cf45ba89c2b2",
    "CN=zoë, O=Platform": "4c2da22b-714d-3b24-9cfb-625e8a9cf34a",
}

ROLES = {
    "viewer": {"description": "read", "policies": [{"resource": "/flow", "actions": ["read"]},
                                                   {"resource": "/process-groups/{root_group_id}", "actions": ["read"]}]},
    "operator": {"includes": ["viewer"], "policies": [{"resource": "/operation/process-groups/{root_group_id}", "actions": ["write"]}]},
    "admin": {"includes": ["operator"], "policies": [{"resource": "/tenants", "actions": ["read", "write"]}]},
}
NODE_POLICIES = [{"resource": "/proxy", "actions": ["write"]}, {"resource": "/controller", "actions": ["read"]}]
NODE_PATTERN = r"^CN=[A-Za-z0-9.-]+, OU=NiFiNodes, O=Platform$"
USERS = [
    {"user": "bob", "dn": "CN=bob, OU=Analytics, O=Platform", "roles": ["viewer"]},
    {"user": "alice", "dn": "CN=alice, OU=DataEng, O=Platform", "roles": ["admin"]},
]
SERVICES = [{"name": "airflow", "dn": "CN=airflow, OU=Services, O=Platform", "roles": ["operator"]}]
ROOT = "0f3c9a6e-0190-1000-a2b1-3c4d5e6f7a8b"


def render(**changes):
    arguments = dict(roles=ROLES, users=USERS, services=SERVICES, node_identity="nifi-node", node_policies=NODE_POLICIES,
                     users_file="./conf/users.xml", authorizations_file="./conf/authorizations.xml",
                     node_identity_pattern=NODE_PATTERN, root_group_id=ROOT)
    arguments.update(changes)
    return authz.render_files(**arguments)


@pytest.mark.parametrize("seed, expected", sorted(JAVA_NAME_UUIDS.items()))
def test_java_name_uuid_matches_java(seed, expected):
    assert authz.java_name_uuid(seed.encode("utf-8")) == expected


def test_policy_identifier_seeds_with_resource_and_lower_case_action():
    assert authz.policy_identifier("/flow", "read") == JAVA_NAME_UUIDS["/flowread"]
    assert authz.policy_identifier("/proxy", "write") == JAVA_NAME_UUIDS["/proxywrite"]
    with pytest.raises(authz.AuthorizationError, match="action"):
        authz.policy_identifier("/flow", "R")


def test_tenant_identifier_is_the_name_uuid_of_the_identity():
    assert authz.tenant_identifier("CN=alice, OU=DataEng, O=Platform") == JAVA_NAME_UUIDS["CN=alice, OU=DataEng, O=Platform"]
    with pytest.raises(authz.AuthorizationError):
        authz.tenant_identifier("  ")


def test_roles_include_the_policies_of_the_roles_they_include():
    resolved = authz.resolve_roles(ROLES)
    assert ("/flow", "read") in resolved["admin"]
    assert ("/tenants", "write") in resolved["admin"] and ("/tenants", "write") not in resolved["operator"]
    assert resolved["viewer"] == sorted(resolved["viewer"])


def test_a_cycle_of_includes_is_refused():
    roles = {"a": {"includes": ["b"], "policies": []}, "b": {"includes": ["a"], "policies": []}}
    with pytest.raises(authz.AuthorizationError, match="cycle: a -> b -> a"):
        authz.resolve_roles(roles)


@pytest.mark.parametrize(
    "roles, message",
    [
        ({}, "non-empty mapping"),
        ({"Admin": {"policies": []}}, "role name 'Admin'"),
        ({"a": {"policies": [{"resource": "flow", "actions": ["read"]}]}}, r"nifi_roles.a.policies\[0\].resource"),
        ({"a": {"policies": [{"resource": "/flow", "actions": ["delete"]}]}}, r"nifi_roles.a.policies\[0\].actions"),
        ({"a": {"policies": [{"resource": "/x/{other}", "actions": ["read"]}]}}, "the only placeholder"),
        ({"a": {"includes": ["ghost"], "policies": []}}, r"nifi_roles.a.includes names unknown roles: \['ghost'\]"),
        ({"a": {"polices": []}}, "nifi_roles.a must be a mapping with the keys"),
    ],
)
def test_bad_role_definitions_name_the_field(roles, message):
    with pytest.raises(authz.AuthorizationError, match=message):
        authz.resolve_roles(roles)


def test_users_are_the_role_groups_members_and_policies_reference_groups():
    files = render()
    tenants = ET.fromstring(files["users_xml"].split("\n", 1)[1])
    users = {u.get("identity"): u.get("identifier") for u in tenants.find("users")}
    assert users == {
        "nifi-node": JAVA_NAME_UUIDS["nifi-node"],
        "CN=alice, OU=DataEng, O=Platform": JAVA_NAME_UUIDS["CN=alice, OU=DataEng, O=Platform"],
        "CN=bob, OU=Analytics, O=Platform": authz.tenant_identifier("CN=bob, OU=Analytics, O=Platform"),
        "CN=airflow, OU=Services, O=Platform": authz.tenant_identifier("CN=airflow, OU=Services, O=Platform"),
    }
    groups = {g.get("name"): (g.get("identifier"), [m.get("identifier") for m in g]) for g in tenants.find("groups")}
    assert groups["admin"] == (JAVA_NAME_UUIDS["admin"], [users["CN=alice, OU=DataEng, O=Platform"]])
    assert groups["operator"][1] == [users["CN=airflow, OU=Services, O=Platform"]]

    policies = ET.fromstring(files["authorizations_xml"].split("\n", 1)[1]).find("policies")
    by_key = {(p.get("resource"), p.get("action")): p for p in policies}
    flow = by_key[("/flow", "R")]
    assert flow.get("identifier") == JAVA_NAME_UUIDS["/flowread"]
    assert sorted(g.get("identifier") for g in flow.findall("group")) == sorted(
        authz.tenant_identifier(role) for role in ("admin", "operator", "viewer"))
    proxy = by_key[("/proxy", "W")]
    assert [u.get("identifier") for u in proxy.findall("user")] == [JAVA_NAME_UUIDS["nifi-node"]]
    assert ("/operation/process-groups/%s" % ROOT, "W") in by_key
    assert files["summary"] == {"users": 4, "groups": 3, "policies": len(by_key), "deferred_policies": 0}


def test_rendering_is_independent_of_input_order():
    shuffled_users = list(reversed(USERS))
    shuffled_roles = dict(reversed(list(ROLES.items())))
    assert render(users=shuffled_users, roles=shuffled_roles) == render()


def test_a_removed_user_disappears_from_users_and_groups():
    files = render(users=[USERS[0]])
    assert "alice" not in files["users_xml"] and "alice" not in files["authorizations_xml"]


def test_root_group_policies_wait_for_the_root_group_id():
    files = render(root_group_id=None)
    assert "{root_group_id}" not in files["authorizations_xml"]
    assert "/process-groups/" not in files["authorizations_xml"]
    assert files["summary"]["deferred_policies"] == 2


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"users": [{"user": "mallory", "dn": "CN=ip-10-0-0-1, OU=NiFiNodes, O=Platform", "roles": ["admin"]}]},
         "user mallory: dn .* matches the node certificate pattern"),
        ({"users": [{"user": "eve", "dn": "CN=eve, O=Platform", "roles": ["root"]}]},
         "user eve: roles root are not defined in nifi_roles"),
        ({"users": [{"user": "eve", "dn": "CN=eve, O=Platform", "roles": []}]}, "user eve: roles must be a non-empty list"),
        ({"users": [{"user": "eve", "dn": "", "roles": ["admin"]}]}, "user eve: dn must be a non-blank string"),
        ({"users": USERS + [{"user": "alice2", "dn": USERS[1]["dn"], "roles": ["viewer"]}]},
         "user alice2: dn .* is also the identity of user alice"),
        ({"services": [{"name": "airflow", "dn": "nifi-node", "roles": ["operator"]}]},
         "service airflow: dn 'nifi-node' is also the identity of the node identity"),
        ({"root_group_id": "not-a-uuid"}, "root_group_id must be a lower-case UUID"),
        ({"node_identity": " "}, "nifi_node_identity must be a non-blank string"),
        ({"node_identity": "CN=nodes, O=Platform"}, "must not look like a DN"),
    ],
)
def test_bad_identities_are_refused_with_the_item_named(changes, message):
    with pytest.raises(authz.AuthorizationError, match=message):
        render(**changes)


def test_xml_special_characters_are_escaped():
    users = [{"user": "odd", "dn": 'CN=a&b<c>"d", O=Platform', "roles": ["viewer"]}]
    files = render(users=users, node_identity_pattern=None)
    tenants = ET.fromstring(files["users_xml"].split("\n", 1)[1])
    assert 'CN=a&b<c>"d", O=Platform' in [u.get("identity") for u in tenants.find("users")]


def test_authorizers_xml_uses_the_managed_authorizer_over_the_files():
    files = render()
    root = ET.fromstring(files["authorizers_xml"].split("\n", 1)[1])
    assert root.find("authorizer/identifier").text == "managed-authorizer"
    properties = {p.get("name"): p.text or "" for p in root.iter("property")}
    assert properties["Users File"] == "./conf/users.xml"
    assert properties["Authorizations File"] == "./conf/authorizations.xml"
    assert properties["Initial Admin Identity"] == ""
    assert properties["Node Identity 1"] == "nifi-node"


def test_inputs_are_not_modified():
    roles, users = copy.deepcopy(ROLES), copy.deepcopy(USERS)
    render(roles=roles, users=users)
    assert roles == ROLES and users == USERS
