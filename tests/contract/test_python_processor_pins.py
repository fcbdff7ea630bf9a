"""The NiFi Python processors' requirements (roles/nifi/files/python-requirements.txt) against the
airflow role's constraints: one wheelhouse, the platform's, serves both roles' hosts, so every pin
of the processors is the same version the Airflow constraints pin (a wheelhouse built from those
holds it), and every package they need comes pinned."""

from __future__ import annotations

from pathlib import Path

ROLES = Path(__file__).resolve().parents[2] / "collections" / "ansible_collections" / "dataplatform" / "ops" / "roles"


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            found[name.strip().lower().replace("_", "-")] = version.strip()
    return found


def test_every_processor_requirement_is_pinned_as_the_airflow_constraints_pin_it():
    processors = pins(ROLES / "nifi" / "files" / "python-requirements.txt")
    constraints = pins(ROLES / "airflow" / "files" / "constraints.txt")
    assert processors and all(processors.values()), processors
    assert {name: version for name, version in processors.items() if constraints.get(name) != version} == {}
