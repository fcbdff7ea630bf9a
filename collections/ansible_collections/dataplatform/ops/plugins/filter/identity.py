# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Filters over the identity function (module_utils/identity.py); documented in the .yml files beside this one."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.dataplatform.ops.plugins.module_utils import identity


def _wrap(function):
    def filter_function(subject):
        try:
            return function(subject)
        except ValueError as error:
            raise AnsibleFilterError("%s: %s" % (function.__name__, error)) from error

    filter_function.__name__ = function.__name__
    return filter_function


class FilterModule:
    """Identity filters of dataplatform.ops."""

    def filters(self):
        return {
            "subject_dn": _wrap(identity.subject_dn),
            "subject_rdns": _wrap(identity.subject_rdns),
            "certificate_subject_dn": _wrap(identity.dn_of_attributes),
        }
