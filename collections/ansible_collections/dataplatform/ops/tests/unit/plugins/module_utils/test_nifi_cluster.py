from __future__ import annotations

import gzip
import json

import pytest

from ansible_collections.dataplatform.ops.plugins.module_utils import nifi_cluster as cluster


def node(host, myid=None, root=None):
    return {"host": host, "address": "%s.internal" % host, "myid": myid, "root_group_id": root}


def servers(ensemble):
    return [(s["myid"], s["host"]) for s in ensemble]


def test_first_ensemble_takes_the_first_nodes_by_address():
    nodes = [node("c"), node("a"), node("d"), node("b")]
    assert servers(cluster.zookeeper_ensemble(nodes, 3)) == [(1, "a"), (2, "b"), (3, "c")]


def test_a_node_added_later_changes_nothing_even_if_it_sorts_first():
    nodes = [node("b", 1), node("c", 2), node("d", 3), node("a")]
    assert servers(cluster.zookeeper_ensemble(nodes, 3)) == [(1, "b"), (2, "c"), (3, "d")]


def test_a_vacant_id_goes_to_a_node_without_one():
    nodes = [node("b", 1), node("d", 3), node("e"), node("a")]
    assert servers(cluster.zookeeper_ensemble(nodes, 3)) == [(1, "b"), (2, "a"), (3, "d")]


@pytest.mark.parametrize("count, expected", [(1, 1), (2, 1), (3, 3), (4, 3), (10, 3)])
def test_the_ensemble_is_odd_and_no_larger_than_the_cluster(count, expected):
    nodes = [node("n%d" % i) for i in range(count)]
    assert len(cluster.zookeeper_ensemble(nodes, 3)) == expected


def test_a_claim_beyond_the_ensemble_is_released():
    nodes = [node("a", 3), node("b")]
    assert servers(cluster.zookeeper_ensemble(nodes, 3)) == [(1, "a")]


def test_two_nodes_claiming_one_id_is_an_error_naming_both():
    with pytest.raises(cluster.ClusterStateError, match="nodes a and b both hold ZooKeeper server id 2"):
        cluster.zookeeper_ensemble([node("a", 2), node("b", 2), node("c")], 3)


@pytest.mark.parametrize("size", [0, 2, -1])
def test_an_even_or_empty_ensemble_is_refused(size):
    with pytest.raises(cluster.ClusterStateError, match="odd number"):
        cluster.zookeeper_ensemble([node("a")], size)


def test_root_group_id_agreement():
    assert cluster.agreed_root_group_id([node("a"), node("b")]) is None
    assert cluster.agreed_root_group_id([node("a", root="r1"), node("b"), node("c", root="r1")]) == "r1"
    with pytest.raises(cluster.ClusterStateError, match="r1 on a; r2 on b"):
        cluster.agreed_root_group_id([node("a", root="r1"), node("b", root="r2")])


def test_reading_the_root_group_from_a_flow(tmp_path):
    flow = tmp_path / "flow.json.gz"
    assert cluster.read_root_group_id(str(flow)) is None
    with gzip.open(flow, "wt", encoding="utf-8") as handle:
        json.dump({"encodingVersion": {"majorVersion": 2}, "rootGroup": {"identifier": "v", "instanceIdentifier": "abc"}}, handle)
    assert cluster.read_root_group_id(str(flow)) == "abc"
    flow.write_bytes(b"not gzip")
    with pytest.raises(cluster.ClusterStateError, match="not a gzip-compressed JSON flow"):
        cluster.read_root_group_id(str(flow))


def test_reading_myid(tmp_path):
    myid = tmp_path / "myid"
    assert cluster.read_myid(str(myid)) is None
    myid.write_text("2\n")
    assert cluster.read_myid(str(myid)) == 2
    myid.write_text("two")
    with pytest.raises(cluster.ClusterStateError, match="not a ZooKeeper server id"):
        cluster.read_myid(str(myid))
