"""Checks the NiFi configuration fetched from a cluster's nodes (the e2e tier fetches the sandbox's).

    python tests/harness/nifi_configuration.py FOLDER SCHEMAS_FOLDER

FOLDER holds one subfolder per node with its nifi.properties, authorizers.xml, users.xml,
authorizations.xml, zookeeper.properties and state-management.xml. Checks, against the XSDs of the
NiFi distribution the project builds (nifi_schemas.py) and the defaults of the release the role
installs (nifi_reference.py):

* every XML file validates against NiFi's XSD, and is byte-identical on every node;
* nifi.properties has every key of the release's defaults; every value that is not about the node
  itself (its address, its keystore passwords) is the same on every node; NiFi's conditions for
  requiring client certificates hold; the sensitive properties key is set and shared;
* the ZooKeeper ensemble is the same everywhere and each server starts ZooKeeper.

``check(folder)`` returns ``(passed, failed)`` lines; as a program it prints one line per check and
exits 1 with every failure listed. Never prints a secret value.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from lxml import etree

from ansible_collections.dataplatform.ops.plugins.module_utils.nifi_properties import parse_properties
from tests.harness import nifi_reference, nifi_schemas

REPO_ROOT = Path(__file__).resolve().parents[2]

XML_FILES = ("authorizers.xml", "users.xml", "authorizations.xml")
SHARED_FILES = ("authorizers.xml", "zookeeper.properties", "state-management.xml")
# nifi.properties keys whose value is the node's own.
PER_NODE_KEYS = {
    "nifi.cluster.node.address", "nifi.cluster.load.balance.host", "nifi.remote.input.host", "nifi.web.proxy.host",
    "nifi.web.https.host",
    "nifi.security.keystorePasswd", "nifi.security.keyPasswd", "nifi.security.truststorePasswd",
    "nifi.state.management.embedded.zookeeper.start",
}


def check(folder: Path, schemas_dir: Path, node_addresses: dict[str, str] | None = None) -> tuple[list[str], list[str]]:
    """Every check on the nodes' files in ``folder`` (one subfolder per node), against NiFi's XSDs in
    ``schemas_dir``; ``node_addresses`` maps a subfolder to the node's address (its private DNS
    name), the subfolder's name if absent. Users and policies are NiFi's own once it runs, so
    users.xml and authorizations.xml are checked against the schemas only."""
    node_addresses = node_addresses or {}
    nodes = sorted(path for path in folder.iterdir() if path.is_dir())
    failures: list[str] = []
    report: list[str] = []

    def record(condition: bool, message: str) -> None:
        (report if condition else failures).append(("ok    " if condition else "FAIL  ") + message)

    schemas = {name: etree.XMLSchema(etree.parse(str(schemas_dir / xsd))) for name, xsd in nifi_schemas.SCHEMAS.items()}
    for node in nodes:
        for name in XML_FILES:
            schema = schemas[name]
            valid = schema.validate(etree.parse(str(node / name)))
            record(valid, "%s %s validates against NiFi's %s%s" % (
                node.name, name, nifi_schemas.SCHEMAS[name], "" if valid else ": %s" % schema.error_log))
    for name in SHARED_FILES:
        contents = {(node / name).read_bytes() for node in nodes}
        record(len(contents) == 1, "%s is identical on %s" % (name, ", ".join(n.name for n in nodes)))

    defaults = json.loads(nifi_reference.ROLE_DEFAULTS_FILE.read_text())
    default_keys = [key for key, _ in defaults["properties"]]
    properties = {}
    for node in nodes:
        pairs = parse_properties((node / "nifi.properties").read_text(encoding="iso-8859-1"))
        keys = [key for key, _ in pairs]
        record(len(keys) == len(set(keys)), "%s nifi.properties has no key twice" % node.name)
        missing = [key for key in default_keys if key not in keys]
        record(not missing, "%s nifi.properties has all %d keys of NiFi %s's defaults%s" % (
            node.name, len(default_keys), defaults["release"], "" if not missing else "; missing: %s" % ", ".join(missing)))
        properties[node.name] = dict(pairs)

    shared_keys = sorted(set().union(*properties.values()) - PER_NODE_KEYS)
    differing = [key for key in shared_keys if len({props.get(key) for props in properties.values()}) > 1]
    record(not differing, "the %d cluster-wide nifi.properties values are the same on every node%s" % (
        len(shared_keys), "" if not differing else "; they differ for: %s" % ", ".join(differing)))

    for name, props in properties.items():
        record(props.get("nifi.cluster.node.address") == node_addresses.get(name, name),
              "%s nifi.cluster.node.address is its private DNS name" % name)
        record(props.get("nifi.cluster.is.node") == "true", "%s is a cluster node" % name)
        client_auth_required = (not props.get("nifi.security.user.login.identity.provider")
                                and not props.get("nifi.security.user.oidc.discovery.url")
                                and not props.get("nifi.security.user.saml.idp.metadata.url")
                                and props.get("nifi.security.allow.anonymous.authentication") == "false")
        record(client_auth_required, "%s: no login provider, OIDC, SAML or anonymous access, so NiFi requires client certificates" % name)
        record(not props.get("nifi.web.http.port") and props.get("nifi.web.https.port") == "8443", "%s serves HTTPS only, on 8443" % name)
        record(props.get("nifi.web.https.host") == node_addresses.get(name, name), "%s serves HTTPS on its own address" % name)
        record(props.get("nifi.cluster.protocol.is.secure") == "true", "%s speaks the cluster protocol over mutual TLS" % name)
        record(props.get("nifi.security.user.authorizer") == "managed-authorizer", "%s uses the managed authorizer" % name)
        record(props.get("nifi.security.autoreload.enabled") == "true", "%s reloads a renewed certificate without a restart" % name)
        record(len(props.get("nifi.sensitive.props.key", "")) >= 12, "%s has a sensitive properties key (value not shown)" % name)
        record(bool(props.get("nifi.provenance.repository.max.storage.time")) and bool(props.get("nifi.provenance.repository.max.storage.size")),
               "%s limits its provenance repository in age and size" % name)

    zookeeper = dict(parse_properties((nodes[0] / "zookeeper.properties").read_text()))
    servers = sorted(value.split(":")[0] for key, value in zookeeper.items() if key.startswith("server."))
    starters = sorted(node_addresses.get(name, name) for name, props in properties.items()
                      if props["nifi.state.management.embedded.zookeeper.start"] == "true")
    record(servers == starters, "the ZooKeeper servers (%s) are exactly the nodes that start embedded ZooKeeper" % ", ".join(servers))
    connect = sorted(part.split(":")[0] for part in properties[nodes[0].name]["nifi.zookeeper.connect.string"].split(","))
    record(connect == servers, "nifi.zookeeper.connect.string names the ZooKeeper servers")

    return report, failures


def main(folder: Path, schemas_dir: Path) -> int:
    report, failures = check(folder, schemas_dir)
    for line in report + failures:
        print(line)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
