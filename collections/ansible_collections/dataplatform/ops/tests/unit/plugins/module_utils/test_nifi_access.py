"""nifi_access' reconciliation, step by step, against an in-memory tenants and policies store that
answers as NiFi's REST API does (ids it makes itself, revisions, a resource without a policy of its
own answered with the policy it inherits). The real cluster is the e2e tier's."""

from __future__ import annotations

import itertools
import json

import pytest

from ansible_collections.dataplatform.ops.plugins.module_utils import nifi_access
from ansible_collections.dataplatform.ops.plugins.module_utils.nifi_api import NiFiApiError
from ansible_collections.dataplatform.ops.plugins.module_utils.nifi_authorization import build_model

ROOT = "0f3c9a6e-0190-1000-a2b1-3c4d5e6f7a8b"
ROLES = {
    "viewer": {"policies": [{"resource": "/flow", "actions": ["read"]},
                            {"resource": "/process-groups/{root_group_id}", "actions": ["read"]}]},
    "admin": {"includes": ["viewer"], "policies": [{"resource": "/tenants", "actions": ["read", "write"]}]},
}
NODE_POLICIES = [{"resource": "/proxy", "actions": ["write"]}]


def model(users):
    return build_model(ROLES, users, [], "nifi-cluster-node", NODE_POLICIES, root_group_id=ROOT)


class NiFiTenants:
    """Users, groups and policies as NiFi's API keeps them; every request is recorded."""

    def __init__(self):
        self.ids = (f"id-{n}" for n in itertools.count())
        self.users, self.groups, self.policies = {}, {}, {}
        self.requests = []

    def _entity(self, store, key, component):
        entity = {"id": key, "revision": {"version": store.get(key, {}).get("revision", {}).get("version", -1) + 1},
                  "component": dict(component, id=key)}
        store[key] = entity
        return entity

    def __call__(self, method, path, body=None):
        self.requests.append((method, path))
        bare = path.split("?")[0]
        if method == "GET" and bare == "/tenants/users":
            return 200, {"users": list(self.users.values())}
        if method == "GET" and bare == "/tenants/user-groups":
            return 200, {"userGroups": list(self.groups.values())}
        for prefix, store in (("/tenants/users/", self.users), ("/tenants/user-groups/", self.groups), ("/policies/id-", self.policies)):
            key = bare[len(prefix) - (3 if prefix == "/policies/id-" else 0):] if bare.startswith(prefix) else None
            if key and method in ("GET", "PUT", "DELETE"):
                key = bare.rsplit("/", 1)[1]
                if key not in store:
                    return 404, "not found"
                if method == "GET":
                    return 200, store[key]
                if method == "DELETE":
                    assert f"version={store[key]['revision']['version']}" in path, "a stale revision"
                    removed = store.pop(key)
                    for group in self.groups.values():
                        group["component"]["users"] = [u for u in group["component"].get("users", []) if u["id"] != key]
                    for policy in self.policies.values():
                        for field in ("users", "userGroups"):
                            policy["component"][field] = [u for u in policy["component"].get(field, []) if u["id"] != key]
                    return 200, removed
                assert body["revision"]["version"] == store[key]["revision"]["version"], "a stale revision"
                return 200, self._entity(store, key, body["component"])
        if method == "POST" and bare in ("/tenants/users", "/tenants/user-groups", "/policies"):
            assert "id" not in body["component"], "NiFi refuses a client-chosen id"
            store = {"/tenants/users": self.users, "/tenants/user-groups": self.groups, "/policies": self.policies}[bare]
            return 201, self._entity(store, next(self.ids), body["component"])
        if method == "GET" and bare.startswith("/policies/"):
            action, resource = bare[len("/policies/"):].split("/", 1)
            resource = "/" + resource
            for policy in self.policies.values():
                if (policy["component"]["action"], policy["component"]["resource"]) == (action, resource):
                    return 200, policy
            parent = resource.rsplit("/", 1)[0]
            inherited = [p for p in self.policies.values() if p["component"]["resource"] == parent and parent]
            return (200, inherited[0]) if inherited else (404, "No policy found")
        raise AssertionError(f"unexpected request {method} {path} {json.dumps(body)}")

    def identities(self):
        return sorted(user["component"]["identity"] for user in self.users.values())

    def holders(self, action, resource):
        names = {**{k: v["component"]["identity"] for k, v in self.users.items()},
                 **{k: v["component"]["identity"] for k, v in self.groups.items()}}
        (policy,) = [p for p in self.policies.values() if (p["component"]["action"], p["component"]["resource"]) == (action, resource)]
        return sorted(names[ref["id"]] for field in ("users", "userGroups") for ref in policy["component"][field])


ALICE = {"user": "alice", "dn": "CN=alice, OU=DataEng, O=Platform", "roles": ["admin"]}
BOB = {"user": "bob", "dn": "CN=bob, OU=DataEng, O=Platform", "roles": ["viewer"]}


def test_an_empty_cluster_gets_every_user_group_and_policy_then_a_rerun_changes_nothing():
    nifi = NiFiTenants()
    result = nifi_access.reconcile(nifi, model([ALICE, BOB]))
    assert result["changed"] and result["users_added"] == [ALICE["dn"], BOB["dn"], "nifi-cluster-node"]
    assert nifi.identities() == [ALICE["dn"], BOB["dn"], "nifi-cluster-node"]
    assert nifi.holders("read", "/flow") == ["admin", "viewer"]
    assert nifi.holders("write", "/proxy") == ["nifi-cluster-node"]
    assert nifi.holders("read", f"/process-groups/{ROOT}") == ["admin", "viewer"]
    nifi.requests.clear()
    again = nifi_access.reconcile(nifi, model([ALICE, BOB]))
    assert not again["changed"]
    assert {method for method, _path in nifi.requests} == {"GET"}


def test_a_removed_user_leaves_every_group_and_policy_and_a_role_change_moves_groups():
    nifi = NiFiTenants()
    nifi_access.reconcile(nifi, model([ALICE, BOB]))
    result = nifi_access.reconcile(nifi, model([dict(ALICE, roles=["viewer"])]))
    assert result["users_removed"] == [BOB["dn"]]
    assert set(result["groups_changed"]) == {"admin", "viewer"}
    assert nifi.identities() == [ALICE["dn"], "nifi-cluster-node"]
    viewer = [g for g in nifi.groups.values() if g["component"]["identity"] == "viewer"][0]
    assert [nifi.users[u["id"]]["component"]["identity"] for u in viewer["component"]["users"]] == [ALICE["dn"]]


def test_an_inherited_policy_is_not_taken_for_the_resources_own():
    nifi = NiFiTenants()
    nifi.policies["id-x"] = {"id": "id-x", "revision": {"version": 0},
                             "component": {"id": "id-x", "resource": "/process-groups", "action": "read", "users": [], "userGroups": []}}
    nifi_access.reconcile(nifi, model([BOB]))
    assert nifi.holders("read", f"/process-groups/{ROOT}") == ["admin", "viewer"]
    assert nifi.policies["id-x"]["component"]["userGroups"] == [], "the parent's policy is left as it was"


def test_check_mode_only_reads_and_says_what_would_change():
    nifi = NiFiTenants()
    result = nifi_access.reconcile(nifi, model([ALICE]), check_mode=True)
    assert result["changed"] and result["users_added"] == [ALICE["dn"], "nifi-cluster-node"]
    assert {method for method, _path in nifi.requests} == {"GET"}
    assert nifi.users == {} and nifi.policies == {}


def test_a_refusal_names_the_request():
    def refusing(method, path, body=None):
        return 403, "Unable to view users/user groups. Contact the system administrator."

    with pytest.raises(NiFiApiError, match=r"GET /tenants/users answered 403: Unable to view users"):
        nifi_access.reconcile(refusing, model([ALICE]))
