"""The condition key AWS supplies to IAM for a request that writes tags, which moto does not:
``aws:TagKeys``, the keys the request sets or removes (Auto Scaling's CreateOrUpdateTags and
DeleteTags, EC2's CreateTags and DeleteTags). A policy can then keep a family of tags (the
platform's ``dataplatform:*``) to the principals that own it. The IAM emulation
(enforcement.py) adds this key to the request's condition context.

Not emulated: ``aws:TagKeys`` and ``aws:RequestTag/<key>`` of requests that tag what they create
(RunInstances, CreateAutoScalingGroup, and the other services' tagging calls).
"""

from __future__ import annotations

import re

# The query parameter of each tag key, by service and action.
_TAG_KEY_PARAMETERS = {
    ("autoscaling", "CreateOrUpdateTags"): re.compile(r"^Tags\.member\.\d+\.Key$"),
    ("autoscaling", "DeleteTags"): re.compile(r"^Tags\.member\.\d+\.Key$"),
    ("ec2", "CreateTags"): re.compile(r"^Tag\.\d+\.Key$"),
    ("ec2", "DeleteTags"): re.compile(r"^Tag\.\d+\.Key$"),
}


def condition_keys(service: str, action: str, params: dict) -> dict[str, list[str]]:
    pattern = _TAG_KEY_PARAMETERS.get((service, action))
    if pattern is None:
        return {}
    keys = []
    for name, value in params.items():
        if pattern.match(name):
            keys.extend(value if isinstance(value, list) else [value])
    return {"aws:TagKeys": sorted(set(keys))}
