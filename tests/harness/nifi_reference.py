"""Apache NiFi's own reference files (schemas, default nifi.properties), and the role's copy of the defaults.

The reference files live outside the repository, in ``../shared/reference/nifi/`` relative to
the repository root (see that folder's SOURCES.md); tests find them through
:func:`reference_dir`, which fails with a clear message when they are missing.

Run as a program, it (re)generates the defaults document the NiFi role ships::

    python tests/harness/nifi_reference.py --write
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
NIFI_RELEASE = "2.11.0"
NIFI_RELEASE_SOURCE = (
    "apache/nifi tag rel/nifi-2.11.0 (e296b299805a7e3ff4c99916b79cfba16c5e4870): "
    "nifi-framework-bundle/nifi-framework/nifi-resources/src/main/resources/conf/nifi.properties "
    "with the Maven properties of nifi-resources/pom.xml filled in"
)
ROLE_DEFAULTS_FILE = (
    REPO_ROOT / "collections/ansible_collections/dataplatform/ops/roles/nifi/files" / f"nifi-{NIFI_RELEASE}-defaults.json"
)
SCHEMAS = {"authorizers.xml": "authorizers.xsd", "users.xml": "tenants.xsd", "authorizations.xml": "authorizations.xsd"}


def reference_dir() -> Path:
    """``../shared/reference/nifi`` beside the repository root; an error that says where it looked."""
    path = REPO_ROOT.parent / "shared" / "reference" / "nifi"
    expected = ["nifi.properties.rendered-defaults", *SCHEMAS.values()]
    missing = [name for name in expected if not (path / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"NiFi reference files missing in {path}: {', '.join(missing)}. They are Apache NiFi "
            f"{NIFI_RELEASE}'s XSDs and default nifi.properties, kept beside the repository (not in it); "
            "see SOURCES.md in that folder."
        )
    return path


def defaults_document() -> dict:
    """The defaults document generated from the reference nifi.properties."""
    sys.path.insert(0, str(REPO_ROOT / "collections"))
    from ansible_collections.dataplatform.ops.plugins.module_utils.nifi_properties import defaults_document as build

    text = (reference_dir() / "nifi.properties.rendered-defaults").read_text(encoding="iso-8859-1")
    return build(text, NIFI_RELEASE, NIFI_RELEASE_SOURCE)


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
    parser = argparse.ArgumentParser(description="Generate the NiFi role's defaults document from the reference nifi.properties")
    parser.add_argument("--write", action="store_true", help=f"write {ROLE_DEFAULTS_FILE.relative_to(REPO_ROOT)}")
    args = parser.parse_args()
    text = serialize(defaults_document())
    if args.write:
        ROLE_DEFAULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
        ROLE_DEFAULTS_FILE.write_text(text, encoding="utf-8")
        print(f"wrote {ROLE_DEFAULTS_FILE}")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
