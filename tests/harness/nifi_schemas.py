"""NiFi's own XML schemas, from the distribution the project builds.

The framework NAR bundles ``nifi-authorizer`` (``authorizers.xsd``) and ``nifi-file-authorizer``
(``tenants.xsd`` for users.xml, ``authorizations.xsd``): the schemas the running NiFi reads its
authorization files with. :func:`schemas_dir` extracts them once per tarball into the machine's
cache and returns the folder.
"""

from __future__ import annotations

import io
import re
import tarfile
import zipfile
from pathlib import Path

from sandbox.package_cache import CACHE_ROOT

# The file each schema validates, and the schema's name inside its jar.
SCHEMAS = {"authorizers.xml": "authorizers.xsd", "users.xml": "tenants.xsd", "authorizations.xml": "authorizations.xsd"}
FRAMEWORK_NAR = re.compile(r"^nifi-[^/]+/lib/nifi-framework-nar-[^/]+\.nar$")
SCHEMA_JARS = re.compile(r"^META-INF/bundled-dependencies/nifi-(file-)?authorizer-[^/]+\.jar$")


def extract(tarball: Path, destination: Path) -> Path:
    """Writes the three schemas of ``tarball``'s framework NAR into ``destination``."""
    with tarfile.open(tarball, "r:gz") as archive:
        member = next((m for m in archive.getmembers() if FRAMEWORK_NAR.match(m.name)), None)
        if member is None:
            raise FileNotFoundError(f"{tarball} has no lib/nifi-framework-nar-*.nar")
        nar = zipfile.ZipFile(io.BytesIO(archive.extractfile(member).read()))
    wanted = set(SCHEMAS.values())
    destination.mkdir(parents=True, exist_ok=True)
    for name in nar.namelist():
        if not SCHEMA_JARS.match(name):
            continue
        with zipfile.ZipFile(io.BytesIO(nar.read(name))) as jar:
            for schema in wanted & set(jar.namelist()):
                (destination / schema).write_bytes(jar.read(schema))
    missing = sorted(wanted - {path.name for path in destination.iterdir()})
    if missing:
        raise FileNotFoundError(f"{tarball}'s framework NAR carries no {', '.join(missing)}")
    return destination


def schemas_dir(tarball: Path) -> Path:
    """The folder of the schemas of ``tarball`` (extracted on first use, beside the tarball's cache)."""
    destination = CACHE_ROOT / "nifi-schemas" / tarball.parent.name
    if all((destination / schema).is_file() for schema in SCHEMAS.values()):
        return destination
    return extract(tarball, destination)
