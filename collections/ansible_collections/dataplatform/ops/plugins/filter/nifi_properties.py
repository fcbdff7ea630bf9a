# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import annotations

DOCUMENTATION = r"""
name: nifi_properties
short_description: The text of nifi.properties from a release's full default set and overrides
version_added: 0.1.0
description:
  - Writes every key of the release's defaults in the release's order with the overrides in
    place, then the overrides the release does not list, sorted; values escaped as Java's
    C(Properties.load) reads them.
options:
  _input:
    description: "The release's defaults document, C({release, properties: [[key, value], ...]}) (the nifi role ships it)."
    type: dict
    required: true
  overrides:
    description: "C({key: value}); booleans are written C(true)/C(false), null as empty."
    type: dict
    required: true
  header:
    description: Comment lines written first.
    type: str
    default: ""
author: dataplatform-ops maintainers (@dataplatform-ops)
"""

EXAMPLES = r"""
- name: Write nifi.properties
  ansible.builtin.copy:
    dest: /opt/nifi/nifi-2.11.0/conf/nifi.properties
    content: "{{ lookup('ansible.builtin.file', 'nifi-2.11.0-defaults.json') | from_json | dataplatform.ops.nifi_properties(overrides) }}"
    mode: "0640"
  no_log: true
"""

RETURN = r"""
_value:
  description: The file's text.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.dataplatform.ops.plugins.module_utils.nifi_properties import PropertiesError
from ansible_collections.dataplatform.ops.plugins.module_utils.nifi_properties import render_properties


def nifi_properties(defaults, overrides, header=""):
    try:
        return render_properties(defaults, overrides, header=header)
    except PropertiesError as error:
        raise AnsibleFilterError("dataplatform.ops.nifi_properties: %s" % error)


class FilterModule:
    def filters(self):
        return {"nifi_properties": nifi_properties}
