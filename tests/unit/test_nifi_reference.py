"""The NiFi role's defaults documents (files/nifi-<release>-defaults.json): well formed, and
rendered back into a nifi.properties with every key in NiFi's order.

They are generated from NiFi's released files by ``python tests/harness/nifi_reference.py
--write``; the schemas the role's files are checked against come from the distribution the
project builds (tests/nifi/test_distribution.py).
"""

from __future__ import annotations

import json

import pytest

from ansible_collections.dataplatform.ops.plugins.module_utils import nifi_properties as props
from tests.harness import nifi_reference



@pytest.mark.parametrize("release", sorted(nifi_reference.RELEASES))
def test_each_defaults_document_names_its_release_and_source(release):
    document = json.loads(nifi_reference.role_defaults_file(release).read_text())
    assert document["release"] == release
    assert document["source"] == nifi_reference.RELEASES[release]["source"]
    keys = [key for key, _ in document["properties"]]
    assert len(keys) == len(set(keys)) > 190
    assert nifi_reference.role_defaults_file(release).read_text() == nifi_reference.serialize(document)


@pytest.mark.parametrize("release", sorted(nifi_reference.RELEASES))
def test_rendered_properties_keep_every_default_key(release):
    document = json.loads(nifi_reference.role_defaults_file(release).read_text())
    text = props.render_properties(document, {"nifi.cluster.is.node": True, "nifi.security.identity.mapping.pattern.node": "^CN=x$"})
    keys = [key for key, _ in props.parse_properties(text)]
    assert keys[:len(document["properties"])] == [key for key, _ in document["properties"]]
    assert keys[-1] == "nifi.security.identity.mapping.pattern.node"
