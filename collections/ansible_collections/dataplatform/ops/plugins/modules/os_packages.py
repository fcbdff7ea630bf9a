#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import annotations

DOCUMENTATION = r"""
module: os_packages
short_description: Make sure OS packages are installed, in one round trip, refreshing lists only when one is missing
version_added: 0.1.0
description:
  - Asks the package database which of O(name) are installed (C(dpkg-query) on Debian, C(rpm) on
    Red Hat) and installs only the missing ones. On a converged host that is the whole run, with
    no package list refresh, no package manager call and nothing to download.
  - When something is missing on Debian, the package lists are refreshed first, whatever their
    age (a freshly built image has emptied lists whose timestamp says nothing about what they
    hold), then C(apt-get install) runs non-interactively; on Red Hat, C(dnf install).
  - The one way the collection's roles install packages (host_baseline, nifi, node_cert, airflow).
options:
  name:
    description: Package names.
    type: list
    elements: str
    required: true
notes:
  - Check mode reports the missing packages as a change and installs nothing.
  - Packages are only ever added; upgrades and removals are for the image and the package manager.
author:
  - dataplatform-ops maintainers (@dataplatform-ops)
"""

EXAMPLES = r"""
- name: Java 21 for NiFi
  dataplatform.ops.os_packages:
    name: [openjdk-21-jre-headless, unzip]
  become: true
"""

RETURN = r"""
missing:
  description: The packages that were not installed (and are now, outside check mode).
  returned: always
  type: list
  elements: str
  sample: [openjdk-21-jre-headless]
"""

import os

from ansible.module_utils.basic import AnsibleModule

DEBIAN_ENVIRONMENT = {"DEBIAN_FRONTEND": "noninteractive", "APT_LISTCHANGES_FRONTEND": "none"}


def missing_debian(module, names):
    dpkg_query = module.get_bin_path("dpkg-query", required=True)
    # Unknown packages make dpkg-query exit 1; they are missing like the others.
    out = module.run_command([dpkg_query, "-W", "-f", "${Package} ${db:Status-Abbrev}\\n", *names])[1]
    installed = {line.split()[0].split(":")[0] for line in out.splitlines() if len(line.split()) > 1 and line.split()[1].startswith("ii")}
    return [name for name in names if name not in installed]


def missing_redhat(module, names):
    rpm = module.get_bin_path("rpm", required=True)
    missing = []
    for name in names:
        if module.run_command([rpm, "-q", "--whatprovides", name])[0] != 0:
            missing.append(name)
    return missing


def install(module, manager, missing):
    if manager == "apt":
        apt_get = module.get_bin_path("apt-get", required=True)
        environment = DEBIAN_ENVIRONMENT
        steps = [[apt_get, "update", "-q"],
                 [apt_get, "install", "-y", "-q", "-o", "Dpkg::Options::=--force-confdef",
                  "-o", "Dpkg::Options::=--force-confold", *missing]]
    else:
        steps = [[module.get_bin_path("dnf", required=True), "install", "-y", "-q", *missing]]
        environment = {}
    for step in steps:
        rc, out, err = module.run_command(step, environ_update=environment)
        if rc != 0:
            module.fail_json(msg="%s failed (exit %d) installing %s" % (" ".join(step[:2]), rc, ", ".join(missing)),
                             stdout=out, stderr=err, missing=missing)


def main():
    module = AnsibleModule(
        argument_spec=dict(name=dict(type="list", elements="str", required=True)),
        supports_check_mode=True,
    )
    names = [name for name in module.params["name"] if name]
    if os.path.exists("/usr/bin/dpkg-query"):
        manager, missing = "apt", missing_debian(module, names)
    elif os.path.exists("/usr/bin/rpm"):
        manager, missing = "dnf", missing_redhat(module, names)
    else:
        module.fail_json(msg="no dpkg or rpm on this host: os_packages supports Debian and Red Hat families")
    if missing and not module.check_mode:
        install(module, manager, missing)
        still_missing = missing_debian(module, missing) if manager == "apt" else missing_redhat(module, missing)
        if still_missing:
            module.fail_json(msg="still not installed after %s: %s" % (manager, ", ".join(still_missing)), missing=missing)
    module.exit_json(changed=bool(missing), missing=missing)


if __name__ == "__main__":
    main()
