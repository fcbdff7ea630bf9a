# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Where the certificate requests and the policy are, for plugins that run on the controller."""

from __future__ import annotations

import os

from ansible_collections.dataplatform.ops.plugins.module_utils.cert_requests import (
    POLICY_FILE_NAME,
    RequestsUnavailable,
    find_requests_dir,
)


def resolve_paths(requests_dir, policy_file, playbook_dir):
    """``(requests_dir, policy_file)`` with the repository defaults filled in.

    The repository's ``cert-requests`` folder is the nearest one at or above the playbook's
    folder (or the working directory). The policy defaults to the repository's ``policy.yml``
    even when ``requests_dir`` points elsewhere: a folder of requests never brings its own rules.
    """
    repository_requests = find_requests_dir(playbook_dir or os.getcwd()) or find_requests_dir(os.getcwd())
    if not requests_dir:
        requests_dir = repository_requests
    if not policy_file and repository_requests:
        policy_file = os.path.join(repository_requests, POLICY_FILE_NAME)
    if not requests_dir or not policy_file:
        raise RequestsUnavailable("no cert-requests folder with a %s was found above %s; set cert_requests_dir and "
                                  "cert_policy_file" % (POLICY_FILE_NAME, playbook_dir or os.getcwd()))
    return requests_dir, policy_file
