# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The state a NiFi cluster keeps on its nodes, and the decisions the role takes from it.

* The embedded ZooKeeper ensemble. A node is ZooKeeper server N exactly when its ZooKeeper data
  directory holds ``myid`` N (the file ZooKeeper itself reads). Claims are kept: a node that
  joins an Auto Scaling Group later never changes who the servers are, so the existing nodes'
  configuration stays as it is. Only a vacant server id (its node is gone) is given to a new
  node, which is the one scale event that changes every node's connect string.
* The root process group's id, which the role needs for root-group policies: read from the
  flow NiFi writes (``flow.json.gz``, ``rootGroup.instanceIdentifier``, as NiFi's own
  ``FlowParser`` reads it). All nodes of a cluster share one flow, so they agree.
"""

from __future__ import annotations

import gzip
import json
import os


class ClusterStateError(ValueError):
    """Node state the role cannot act on; the message names the nodes."""


def read_myid(path):
    """The ZooKeeper server id in ``path`` (a ``myid`` file), or None when there is none."""
    if not os.path.exists(path):
        return None
    with open(path, "r") as handle:
        text = handle.read().strip()
    if not text.isdigit() or int(text) < 1:
        raise ClusterStateError("%s holds %r, not a ZooKeeper server id (a positive integer)" % (path, text))
    return int(text)


def read_root_group_id(path):
    """The root process group's instance id in NiFi's ``flow.json.gz``, or None before NiFi wrote one."""
    if not os.path.exists(path):
        return None
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            flow = json.load(handle)
    except (OSError, ValueError) as error:
        raise ClusterStateError("%s is not a gzip-compressed JSON flow: %s" % (path, error))
    root = flow.get("rootGroup") if isinstance(flow, dict) else None
    identifier = root.get("instanceIdentifier") if isinstance(root, dict) else None
    return identifier or None


def ensemble_size(requested, node_count):
    """Servers of the ensemble: the requested (odd) size, or the largest odd number of nodes there are."""
    if requested < 1 or requested % 2 == 0:
        raise ClusterStateError("nifi_zookeeper_servers must be an odd number of at least 1, not %r" % (requested,))
    if node_count < 1:
        raise ClusterStateError("the cluster group has no hosts")
    available = node_count if node_count % 2 == 1 else node_count - 1
    return min(requested, available)


def zookeeper_ensemble(nodes, requested_size):
    """The ensemble: ``[{myid, host, address}]`` by server id.

    ``nodes`` is ``[{host, address, myid}]`` with ``myid`` as read from each node (None when it
    has none). Existing claims within the ensemble's ids are kept; vacant ids go to nodes without
    a claim, in order of address.
    """
    size = ensemble_size(requested_size, len(nodes))
    claims = {}
    for node in nodes:
        myid = node.get("myid")
        if myid is None or myid > size:
            continue
        if myid in claims:
            raise ClusterStateError(
                "nodes %s and %s both hold ZooKeeper server id %d; remove the myid file of the one that should not"
                % (claims[myid]["host"], node["host"], myid)
            )
        claims[myid] = node
    candidates = sorted((n for n in nodes if n.get("myid") is None or n["myid"] > size), key=lambda n: (n["address"], n["host"]))
    servers = []
    for myid in range(1, size + 1):
        node = claims.get(myid) or candidates.pop(0)
        servers.append({"myid": myid, "host": node["host"], "address": node["address"]})
    return servers


def agreed_root_group_id(nodes):
    """The root group id the nodes report (None when no node has a flow yet); an error if they disagree."""
    found = {}
    for node in nodes:
        if node.get("root_group_id"):
            found.setdefault(node["root_group_id"], []).append(node["host"])
    if len(found) > 1:
        raise ClusterStateError(
            "the nodes' flows disagree on the root process group: %s; they are not one cluster"
            % "; ".join("%s on %s" % (identifier, ", ".join(sorted(hosts))) for identifier, hosts in sorted(found.items()))
        )
    return next(iter(found), None)
