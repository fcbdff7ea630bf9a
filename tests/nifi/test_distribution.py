"""The NiFi distribution the project builds (nifi-distribution/), and the role's files against
the schemas that distribution's NiFi reads them with."""

from __future__ import annotations

import hashlib
import json
import tarfile

import pytest
import yaml
from lxml import etree

from ansible_collections.dataplatform.ops.plugins.module_utils import nifi_authorization as authz
from ansible_collections.dataplatform.ops.plugins.module_utils import nifi_properties as props
from sandbox import nifi_distribution
from tests.conftest import REPO_ROOT
from tests.harness import nifi_reference, nifi_schemas


ROLE_DIR = REPO_ROOT / "collections/ansible_collections/dataplatform/ops/roles/nifi"
ROOT_GROUP_ID = "0f3c9a6e-0190-1000-a2b1-3c4d5e6f7a8b"


@pytest.fixture(scope="module")
def tarball():
    return nifi_distribution.build()


@pytest.fixture(scope="module")
def members(tarball):
    with tarfile.open(tarball, "r:gz") as archive:
        return {member.name: member for member in archive.getmembers()}


@pytest.fixture(scope="module")
def schemas(tarball):
    folder = nifi_schemas.schemas_dir(tarball)
    return {name: etree.XMLSchema(etree.parse(str(folder / xsd))) for name, xsd in nifi_schemas.SCHEMAS.items()}


@pytest.fixture(scope="module")
def role_defaults():
    return yaml.safe_load((ROLE_DIR / "defaults/main.yml").read_text())


def test_the_tarball_is_the_one_the_role_pins(tarball, role_defaults):
    """The build is reproducible: this machine's build has the bytes whose SHA-512 the role pins."""
    digest = hashlib.sha512(tarball.read_bytes()).hexdigest()
    assert f"sha512:{digest}" == role_defaults["nifi_distribution_checksum"]
    assert (tarball.parent / f"{tarball.name}.sha512").read_text().split()[0] == digest
    assert tarball.name == f"nifi-{role_defaults['nifi_version']}-bin.tar.gz"


def test_the_tarball_is_laid_out_as_a_nifi_home(members):
    version = "2.3.0"
    names = set(members)
    jars = {"nifi-runtime", "nifi-framework-api", "nifi-nar-utils", "nifi-properties", "nifi-property-utils",
            "nifi-server-api", "nifi-python-framework-api", "nifi-stateless-api"}
    assert {f"nifi-{version}/lib/{jar}-{version}.jar" for jar in jars} <= names
    assert f"nifi-{version}/lib/nifi-api-2.0.0.jar" in names
    assert {f"nifi-{version}/lib/logback-classic-1.5.17.jar", f"nifi-{version}/lib/slf4j-api-2.0.17.jar"} <= names
    nars = {"framework", "jetty", "server", "provenance-repository", "py4j", "standard-services-api", "standard-shared",
            "ssl-context-service", "record-serialization-services", "distributed-cache-services", "http-context-map",
            "standard", "update-attribute"}
    assert {f"nifi-{version}/lib/nifi-{nar}-nar-{version}.nar" for nar in nars} <= names
    assert f"nifi-{version}/python/framework/Controller.py" in names
    assert f"nifi-{version}/python/api/nifiapi/flowfiletransform.py" in names
    # Every entry: owned by root, the same time, readable by all, nothing writable by others.
    assert {(m.uid, m.gid, m.mtime) for m in members.values()} == {(0, 0, members[f"nifi-{version}/lib/nifi-runtime-{version}.jar"].mtime)}
    assert all(m.mode & 0o022 == 0 and m.mode & 0o444 == 0o444 for m in members.values())
    assert not any("/conf/" in name or name.endswith("/bin/nifi.sh") for name in names)


def test_the_standard_nar_names_its_parent_and_java_release(tarball):
    import io
    import zipfile

    with tarfile.open(tarball, "r:gz") as archive:
        nar = zipfile.ZipFile(io.BytesIO(archive.extractfile("nifi-2.3.0/lib/nifi-standard-nar-2.3.0.nar").read()))
    manifest = nar.read("META-INF/MANIFEST.MF").decode()
    assert "Nar-Dependency-Id: nifi-standard-shared-nar" in manifest
    assert "Build-Jdk-Spec: 21" in manifest
    assert any(name.startswith("META-INF/bundled-dependencies/nifi-standard-processors-2.3.0") for name in nar.namelist())


@pytest.mark.parametrize("root_group_id", [None, ROOT_GROUP_ID])
def test_the_role_defaults_render_files_valid_against_nifi_schemas(schemas, role_defaults, root_group_id):
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
        assert schemas[file_name].validate(document), "%s: %s" % (file_name, schemas[file_name].error_log)
    assert files["summary"]["users"] == 52
    assert (files["summary"]["deferred_policies"] == 0) == (root_group_id is not None)


def test_the_schemas_catch_what_nifi_would_refuse(schemas):
    """The validation above means something: NiFi's schema refuses an unknown action code."""
    broken = '<authorizations><policies><policy identifier="x" resource="/flow" action="X"/></policies></authorizations>'
    assert not schemas["authorizations.xml"].validate(etree.fromstring(broken))


@pytest.mark.parametrize("release", [nifi_reference.PROVEN_RELEASE, nifi_reference.NEWER_RELEASE])
def test_every_property_the_role_sets_is_one_of_the_release(release):
    """What the role sets in nifi.properties is a key NiFi reads, in the proven release and in the
    newer one (the keys each release added or dropped are named here, so a change is deliberate)."""
    role_vars = yaml.safe_load((ROLE_DIR / "vars/main.yml").read_text())
    keys = {key for key, _ in json.loads(nifi_reference.role_defaults_file(release).read_text())["properties"]}
    only_in = {"2.3.0": {"nifi.cluster.protocol.is.secure"}, "2.11.0": {"nifi.connector.asset.manager.properties.directory"}}
    # Read by NiFi (NiFiProperties.PYTHON_COMMAND) but commented out in both releases' default file.
    commented_out = {"nifi.python.command"}
    expected_missing = set().union(commented_out, *(names for other, names in only_in.items() if other != release))
    role_keys = set(role_vars["nifi_properties_role"]) - {k for k in role_vars["nifi_properties_role"] if k.startswith("nifi.security.identity.mapping.")}
    assert role_keys - keys == expected_missing


def test_the_proven_release_defaults_render_every_key():
    document = json.loads(nifi_reference.role_defaults_file().read_text())
    assert document["release"] == nifi_reference.PROVEN_RELEASE == yaml.safe_load((ROLE_DIR / "defaults/main.yml").read_text())["nifi_version"]
    text = props.render_properties(document, {"nifi.cluster.is.node": True})
    assert [key for key, _ in props.parse_properties(text)] == [key for key, _ in document["properties"]]
