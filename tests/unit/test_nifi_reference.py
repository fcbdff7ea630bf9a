"""The NiFi role's generated files against Apache NiFi 2.11.0's own schemas and defaults.

The reference files are NiFi's (../shared/reference/nifi/, see tests/harness/nifi_reference.py).
"""

from __future__ import annotations

import json

import pytest
import yaml
from lxml import etree

from ansible_collections.dataplatform.ops.plugins.module_utils import nifi_authorization as authz
from ansible_collections.dataplatform.ops.plugins.module_utils import nifi_properties as props
from tests.conftest import REPO_ROOT
from tests.harness import nifi_reference

ROLE_DIR = REPO_ROOT / "collections/ansible_collections/dataplatform/ops/roles/nifi"
ROOT_GROUP_ID = "0f3c9a6e-0190-1000-a2b1-3c4d5e6f7a8b"


@pytest.fixture(scope="module")
def reference():
    return nifi_reference.reference_dir()


@pytest.fixture(scope="module")
def role_defaults():
    return yaml.safe_load((ROLE_DIR / "defaults/main.yml").read_text())


def schema(reference, name):
    return etree.XMLSchema(etree.parse(str(reference / name)))


def test_the_role_ships_the_pinned_release_defaults_exactly(reference):
    shipped = nifi_reference.ROLE_DEFAULTS_FILE.read_text(encoding="utf-8")
    assert shipped == nifi_reference.serialize(nifi_reference.defaults_document()), (
        "the role's defaults differ from the reference; regenerate with `python tests/harness/nifi_reference.py --write`"
    )
    document = json.loads(shipped)
    reference_pairs = props.parse_properties((reference / "nifi.properties.rendered-defaults").read_text(encoding="iso-8859-1"))
    assert [tuple(pair) for pair in document["properties"]] == reference_pairs
    assert document["release"] == "2.11.0"


def test_the_defaults_cover_every_key_of_the_release_template(reference):
    template_keys = [key for key, _ in props.parse_properties((reference / "nifi.properties").read_text(encoding="iso-8859-1"))]
    shipped_keys = [key for key, _ in json.loads(nifi_reference.ROLE_DEFAULTS_FILE.read_text())["properties"]]
    assert shipped_keys == template_keys


def test_rendered_properties_keep_every_default_key(role_defaults):
    document = json.loads(nifi_reference.ROLE_DEFAULTS_FILE.read_text())
    text = props.render_properties(document, {"nifi.cluster.is.node": True, "nifi.security.identity.mapping.pattern.node": "^CN=x$"})
    keys = [key for key, _ in props.parse_properties(text)]
    assert keys[:len(document["properties"])] == [key for key, _ in document["properties"]]
    assert keys[-1] == "nifi.security.identity.mapping.pattern.node"


@pytest.mark.parametrize("root_group_id", [None, ROOT_GROUP_ID])
def test_the_role_defaults_render_files_valid_against_nifi_schemas(reference, role_defaults, root_group_id):
    users = [{"user": "user%03d" % i, "dn": "CN=user%03d, OU=DataEng, O=Platform" % i, "roles": [["admin", "operator", "viewer"][i % 3]]}
             for i in range(50)]
    services = [{"name": "airflow", "dn": "CN=airflow, OU=Services, O=Platform", "roles": ["operator"]}]
    files = authz.render_files(
        role_defaults["nifi_roles"], users, services, role_defaults["nifi_node_identity"], role_defaults["nifi_node_policies"],
        "./conf/users.xml", "./conf/authorizations.xml",
        node_identity_pattern="^CN=[A-Za-z0-9._-]+, OU=NiFiNodes, O=Platform$", root_group_id=root_group_id,
    )
    for key, file_name in (("authorizers_xml", "authorizers.xml"), ("users_xml", "users.xml"),
                           ("authorizations_xml", "authorizations.xml")):
        document = etree.fromstring(files[key].encode("utf-8"))
        validator = schema(reference, nifi_reference.SCHEMAS[file_name])
        assert validator.validate(document), "%s: %s" % (file_name, validator.error_log)
    assert files["summary"]["users"] == 52
    assert (files["summary"]["deferred_policies"] == 0) == (root_group_id is not None)


def test_the_schemas_catch_what_nifi_would_refuse(reference):
    """The validation above means something: NiFi's schema refuses an unknown action code."""
    broken = '<authorizations><policies><policy identifier="x" resource="/flow" action="X"/></policies></authorizations>'
    assert not schema(reference, "authorizations.xsd").validate(etree.fromstring(broken))
