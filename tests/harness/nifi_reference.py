"""The NiFi role's defaults documents: NiFi's released default nifi.properties, one per release.

The role writes nifi.properties from the full default set of the release it installs (2.3.0),
and its configuration is also checked against the newest release's (2.11.0). A maintainer
regenerates both from NiFi's released files, kept outside the repository in
``../shared/reference/nifi/`` (see that folder's SOURCES.md); tests read only the role's copies
and, for NiFi's schemas, the distribution the project builds (``nifi_schemas.py``)::

    python tests/harness/nifi_reference.py --write
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
ROLE_FILES = REPO_ROOT / "collections/ansible_collections/dataplatform/ops/roles/nifi/files"
# The release the role installs and proves (the distribution the project builds), and the newest
# release whose defaults its configuration is also checked against.
PROVEN_RELEASE = "2.3.0"
NEWER_RELEASE = "2.11.0"
RELEASES = {
    "2.3.0": {
        "folder": "nifi-2.3.0",
        "source": "apache/nifi tag rel/nifi-2.3.0 (3e629c2ee0428c88d7a05a3d0d131eed659def35): "
                  "nifi-framework-bundle/nifi-framework/nifi-resources/src/main/resources/conf/nifi.properties "
                  "with the Maven properties of nifi-resources/pom.xml filled in",
    },
    "2.11.0": {
        "folder": ".",
        "source": "apache/nifi tag rel/nifi-2.11.0 (e296b299805a7e3ff4c99916b79cfba16c5e4870): "
                  "nifi-framework-bundle/nifi-framework/nifi-resources/src/main/resources/conf/nifi.properties "
                  "with the Maven properties of nifi-resources/pom.xml filled in",
    },
}
SCHEMAS = {"authorizers.xml": "authorizers.xsd", "users.xml": "tenants.xsd", "authorizations.xml": "authorizations.xsd"}


def role_defaults_file(release: str = PROVEN_RELEASE) -> Path:
    """The defaults document the role ships for ``release``."""
    return ROLE_FILES / f"nifi-{release}-defaults.json"


ROLE_DEFAULTS_FILE = role_defaults_file()


def reference_dir() -> Path:
    """``../shared/reference/nifi`` beside the repository root, where a maintainer keeps NiFi's
    released files to regenerate the role's defaults from; an error that says where it looked."""
    path = REPO_ROOT.parent / "shared" / "reference" / "nifi"
    missing = [f"{spec['folder']}/nifi.properties.rendered-defaults" for spec in RELEASES.values()
               if not (path / spec["folder"] / "nifi.properties.rendered-defaults").is_file()]
    if missing:
        raise FileNotFoundError(
            f"NiFi reference files missing in {path}: {', '.join(missing)}. They are Apache NiFi's released default "
            "nifi.properties, kept beside the repository (not in it); see SOURCES.md in that folder."
        )
    return path


def defaults_document(release: str = PROVEN_RELEASE) -> dict:
    """The defaults document of ``release``, generated from its reference nifi.properties."""
    from ansible_collections.dataplatform.ops.plugins.module_utils.nifi_properties import defaults_document as build

    spec = RELEASES[release]
    text = (reference_dir() / spec["folder"] / "nifi.properties.rendered-defaults").read_text(encoding="iso-8859-1")
    return build(text, release, spec["source"])


def serialize(document: dict) -> str:
    lines = ["{", f'  "release": {json.dumps(document["release"])},', f'  "source": {json.dumps(document["source"])},',
             '  "properties": [']
    pairs = document["properties"]
    for index, (key, value) in enumerate(pairs):
        comma = "," if index < len(pairs) - 1 else ""
        lines.append(f"    [{json.dumps(key)}, {json.dumps(value)}]{comma}")
    lines += ["  ]", "}"]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description="Generate the NiFi role's defaults documents from NiFi's released nifi.properties")
    parser.add_argument("--write", action="store_true", help=f"write {ROLE_FILES.relative_to(REPO_ROOT)}/nifi-<release>-defaults.json")
    args = parser.parse_args()
    for release in RELEASES:
        text = serialize(defaults_document(release))
        if args.write:
            role_defaults_file(release).write_text(text, encoding="utf-8")
            print(f"wrote {role_defaults_file(release)}")
        else:
            sys.stdout.write(text)


if __name__ == "__main__":
    main()
