#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import annotations

DOCUMENTATION = r"""
module: managed_files
short_description: A service's directories and configuration files in one round trip
version_added: 0.1.0
description:
  - Makes sure a set of directories exists and a set of files has exactly the given content,
    owner, group and mode, in one module run on the host instead of one task per file. A
    converged host answers in one round trip, which is what a no-op converge mostly costs.
  - Files are written atomically (a temporary file in the same directory, then renamed) with
    their mode set before the content is written, so a file is never half-written or readable by
    others for a moment. Only what differs is touched; the result names every changed path.
  - Content is rendered on the controller (for example with C(lookup('ansible.builtin.template', ...))).
    Files marked O(files[].secret) never show in diff output; give the task C(no_log) when any does.
options:
  directories:
    description: Directories to create or correct (never emptied or removed), in order.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path.
        type: path
        required: true
      owner:
        description: Owner (name).
        type: str
        default: root
      group:
        description: Group (name).
        type: str
        default: root
      mode:
        description: Mode as an octal string, for example C("0750").
        type: str
        default: "0755"
  files:
    description: Files and their whole content.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path (its directory must exist or be in O(directories)).
        type: path
        required: true
      content:
        description: The file's content.
        type: str
        required: true
      owner:
        description: Owner (name).
        type: str
        default: root
      group:
        description: Group (name).
        type: str
        default: root
      mode:
        description: Mode as an octal string.
        type: str
        default: "0644"
      secret:
        description: Keep the content out of diff output.
        type: bool
        default: false
      seed:
        description:
          - Write the file only when it does not exist. Once written it belongs to the service that
            uses it (for example a file NiFi rewrites itself), so its content and attributes are
            never compared or corrected again.
        type: bool
        default: false
  mark_on_change:
    description:
      - A file to create before the first file whose content changes is written (for example a service's
        "restart required" mark). Written before the change, it survives a run that dies half-way, so the
        restart the change needs is never forgotten. Empty or omitted, no mark.
    type: path
notes:
  - Check mode reports what would change and writes nothing; diff mode shows the changed files'
    content before and after, except secret ones.
author:
  - dataplatform-ops maintainers (@dataplatform-ops)
"""

EXAMPLES = r"""
- name: Write NiFi's configuration
  dataplatform.ops.managed_files:
    directories:
      - {path: /opt/nifi/nifi-2.3.0/conf, owner: nifi, group: nifi, mode: "0750"}
    files:
      - path: /opt/nifi/nifi-2.3.0/conf/logback.xml
        content: "{{ lookup('ansible.builtin.template', 'logback.xml.j2') }}"
        owner: nifi
        group: nifi
        mode: "0640"
      # NiFi rewrites this file itself once it runs: written for its first start only
      - path: /opt/nifi/nifi-2.3.0/conf/users.xml
        content: "{{ users_xml }}"
        owner: nifi
        group: nifi
        mode: "0640"
        seed: true
  register: nifi_files
"""

RETURN = r"""
updated_paths:
  description: The directories and files created or changed (content, owner, group or mode).
  returned: always
  type: list
  elements: str
  sample: [/opt/nifi/nifi-2.3.0/conf/logback.xml]
"""

import grp
import os
import pwd
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_text


def ids(module, owner, group):
    try:
        return pwd.getpwnam(owner).pw_uid, grp.getgrnam(group).gr_gid
    except KeyError as error:
        module.fail_json(msg="no such user or group: %s" % to_text(error))


def parse_mode(module, value, path):
    try:
        mode = int(str(value), 8)
    except ValueError:
        module.fail_json(msg="%s: mode %r is not an octal number" % (path, value))
    if mode > 0o7777:
        module.fail_json(msg="%s: mode %r is out of range" % (path, value))
    return mode


def attributes_differ(status, uid, gid, mode):
    return status.st_uid != uid or status.st_gid != gid or stat.S_IMODE(status.st_mode) != mode


def ensure_directory(module, entry):
    path = entry["path"]
    uid, gid = ids(module, entry["owner"], entry["group"])
    mode = parse_mode(module, entry["mode"], path)
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        status = None
    if status is not None and not stat.S_ISDIR(status.st_mode):
        module.fail_json(msg="%s exists and is not a directory" % path)
    if status is not None and not attributes_differ(status, uid, gid, mode):
        return False
    if not module.check_mode:
        if status is None:
            os.makedirs(path, mode=0o700)
        os.chown(path, uid, gid)
        os.chmod(path, mode)
    return True


def write_mark(path):
    """Creates the mark file ``path`` (root's, 0644) if it does not exist, durably."""
    if os.path.exists(path):
        return
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(descriptor, "w") as stream:
        stream.write("a managed file changed; the service restarts to read it\n")
        stream.flush()
        os.fsync(stream.fileno())


def ensure_file(module, entry, diffs, before_content_change=None):
    path = entry["path"]
    uid, gid = ids(module, entry["owner"], entry["group"])
    mode = parse_mode(module, entry["mode"], path)
    wanted = to_bytes(entry["content"], errors="surrogate_or_strict")
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        status = None
    if status is not None and not stat.S_ISREG(status.st_mode):
        module.fail_json(msg="%s exists and is not a regular file" % path)
    if status is not None and entry["seed"]:
        return False
    current = None
    if status is not None:
        with open(path, "rb") as stream:
            current = stream.read()
    content_changed = current != wanted
    if not content_changed and not attributes_differ(status, uid, gid, mode):
        return False
    if module._diff and content_changed:
        hidden = "(secret content not shown)\n"
        diffs.append({
            "before_header": path, "after_header": path,
            "before": hidden if entry["secret"] else to_text(current or b"", errors="surrogate_or_replace"),
            "after": hidden if entry["secret"] else to_text(wanted, errors="surrogate_or_replace"),
        })
    if module.check_mode:
        return True
    if not content_changed:
        os.chown(path, uid, gid)
        os.chmod(path, mode)
        return True
    if before_content_change:
        before_content_change()
    folder = os.path.dirname(path)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".%s." % os.path.basename(path))
    try:
        os.fchmod(handle, mode)
        os.fchown(handle, uid, gid)
        with os.fdopen(handle, "wb") as stream:
            stream.write(wanted)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return True


def main():
    module = AnsibleModule(
        argument_spec=dict(
            directories=dict(type="list", elements="dict", default=[], options=dict(
                path=dict(type="path", required=True),
                owner=dict(type="str", default="root"),
                group=dict(type="str", default="root"),
                mode=dict(type="str", default="0755"),
            )),
            files=dict(type="list", elements="dict", default=[], options=dict(
                path=dict(type="path", required=True),
                content=dict(type="str", required=True),
                owner=dict(type="str", default="root"),
                group=dict(type="str", default="root"),
                mode=dict(type="str", default="0644"),
                secret=dict(type="bool", default=False),
                seed=dict(type="bool", default=False),
            )),
            mark_on_change=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    updated_paths, diffs = [], []
    mark = module.params["mark_on_change"]
    before_content_change = (lambda: write_mark(mark)) if mark else None
    for entry in module.params["directories"]:
        if ensure_directory(module, entry):
            updated_paths.append(entry["path"])
    for entry in module.params["files"]:
        if not os.path.isabs(entry["path"]):
            module.fail_json(msg="%s is not an absolute path" % entry["path"])
        if ensure_file(module, entry, diffs, before_content_change):
            updated_paths.append(entry["path"])
    result = {"changed": bool(updated_paths), "updated_paths": updated_paths}
    if diffs:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
