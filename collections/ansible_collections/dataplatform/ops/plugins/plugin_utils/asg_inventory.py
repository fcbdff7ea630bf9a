# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""What the ``dataplatform.ops.aws_asg`` inventory makes of the Auto Scaling and EC2 API answers.

Pure functions, no AWS calls: the inventory plugin fetches, this module selects, names and
describes. Input is the raw API data the plugin caches:

``{"<region>": {"auto_scaling_groups": [<DescribeAutoScalingGroups item>, ...],
                "instances": [<DescribeInstances instance>, ...],
                "platform": {"parameter": <name>, "asg_names": [...]}}}``

``platform`` is there only when the inventory trusts the groups of a platform document
(``platform_env``): the groups that document names.
"""

from __future__ import annotations

import datetime
import difflib
import fnmatch
import json

from ansible_collections.dataplatform.ops.plugins.module_utils.platform import TAG_CLUSTER
from ansible_collections.dataplatform.ops.plugins.module_utils.platform import TAG_ENV
from ansible_collections.dataplatform.ops.plugins.module_utils.platform import TAG_ROLE

# Every lifecycle state an instance of an Auto Scaling group can report
# (the LifecycleState enumeration of the Auto Scaling API).
LIFECYCLE_STATES = (
    "Pending", "Pending:Wait", "Pending:Proceed", "Quarantined", "InService",
    "Terminating", "Terminating:Wait", "Terminating:Proceed", "Terminating:Retained", "Terminated",
    "Detaching", "Detached", "EnteringStandby", "Standby",
    "ReplacingRootVolume", "ReplacingRootVolume:Wait", "ReplacingRootVolume:Proceed", "RootVolumeReplaced",
    "Warmed:Pending", "Warmed:Pending:Wait", "Warmed:Pending:Proceed", "Warmed:Pending:Retained",
    "Warmed:Terminating", "Warmed:Terminating:Wait", "Warmed:Terminating:Proceed", "Warmed:Terminating:Retained",
    "Warmed:Terminated", "Warmed:Stopped", "Warmed:Running", "Warmed:Hibernated",
)

# Hosts that are, or are about to be, part of the service. Pending:Wait is the moment a launch
# hook (and an AWX provisioning callback) waits for configuration; instances on their way out
# (Terminating*, Detaching, Detached) appear only when an inventory asks for them. The plugin's
# DOCUMENTATION states the same default (a unit test keeps the two equal).
DEFAULT_LIFECYCLE_STATES = ("InService", "Pending:Wait", "Pending:Proceed", "Standby")

# EC2 states in which an instance no longer exists for configuration purposes.
GONE_EC2_STATES = ("shutting-down", "terminated")

# Sources for host names and ansible_host, besides "tag:<key>": instance attributes.
INSTANCE_ATTRIBUTES = {
    "instance-id": "InstanceId",
    "private-dns-name": "PrivateDnsName",
    "private-ip-address": "PrivateIpAddress",
    "dns-name": "PublicDnsName",
    "ip-address": "PublicIpAddress",
}


class InventoryConfigError(ValueError):
    """An option of the inventory file has a value the plugin cannot use."""

    def __init__(self, option, message):
        super().__init__("%s: %s" % (option, message))
        self.option = option


def lifecycle_state_selection(patterns):
    """The lifecycle states that ``patterns`` (names or shell-style globs) select.

    Every pattern must match at least one state of the Auto Scaling API, so a typo such as
    ``InSerivce`` is an error instead of an empty inventory.
    """
    if not patterns:
        raise InventoryConfigError("lifecycle_states", "must name at least one lifecycle state")
    selected = set()
    for pattern in patterns:
        matches = fnmatch.filter(LIFECYCLE_STATES, pattern) if isinstance(pattern, str) else []
        if not matches:
            close = difflib.get_close_matches(str(pattern), LIFECYCLE_STATES, n=1)
            hint = "did you mean %r? " % close[0] if close else ""
            raise InventoryConfigError(
                "lifecycle_states",
                "%r matches no Auto Scaling lifecycle state; %sknown states: %s" % (pattern, hint, ", ".join(LIFECYCLE_STATES)),
            )
        selected.update(matches)
    return frozenset(selected)


def check_source(option, source):
    """Raises InventoryConfigError unless ``source`` names an instance attribute or ``tag:<key>``."""
    if not isinstance(source, str) or not source:
        raise InventoryConfigError(option, "expected a non-empty string, got %r" % (source,))
    if source.startswith("tag:"):
        if len(source) == len("tag:"):
            raise InventoryConfigError(option, "%r names no tag key" % source)
        return source
    if source not in INSTANCE_ATTRIBUTES:
        raise InventoryConfigError(
            option,
            "unknown source %r; use one of %s or tag:<key>" % (source, ", ".join(INSTANCE_ATTRIBUTES)),
        )
    return source


def check_hostnames(hostnames):
    if not hostnames:
        raise InventoryConfigError("hostnames", "must list at least one source")
    return tuple(check_source("hostnames", source) for source in hostnames)


def asg_tag_filters(asg_tags):
    """``asg_tags`` as DescribeAutoScalingGroups filters (evaluated by the service, ANDed)."""
    filters = []
    for key in sorted(asg_tags or {}):
        values = asg_tags[key]
        if isinstance(values, (str, int, float)) and not isinstance(values, bool):
            values = [values]
        if not isinstance(values, (list, tuple)) or not values or not all(isinstance(v, (str, int, float)) for v in values):
            raise InventoryConfigError("asg_tags", "the value of %r must be a string or a non-empty list of strings" % key)
        filters.append({"Name": "tag:%s" % key, "Values": [str(v) for v in values]})
    return filters


def asg_name_selected(name, patterns):
    """True when ``patterns`` is empty or one of its shell-style globs matches ``name``."""
    return not patterns or any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def tag_dict(tag_list):
    return {tag["Key"]: tag.get("Value", "") for tag in tag_list or ()}


def source_value(source, instance, tags):
    """The value of one hostnames / ansible_host source for an EC2 instance, or None."""
    if source.startswith("tag:"):
        value = tags.get(source[len("tag:"):])
    else:
        value = instance.get(INSTANCE_ATTRIBUTES[source])
    return value or None


def json_safe(value):
    """The API data with datetimes as ISO 8601 strings, as a JSON cache gives it back."""
    return json.loads(json.dumps(value, default=_isoformat))


def _isoformat(value):
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    raise TypeError("%r is not JSON serialisable" % (value,))


def host_variables(region, group, member, instance, ansible_host_source):
    """The host variables of one ASG instance.

    ``group`` is the DescribeAutoScalingGroups item, ``member`` its entry for this instance,
    ``instance`` the DescribeInstances item. The ``dataplatform_*`` variables come from the
    group's tags, not the instance's: whoever may tag an instance must not be able to move it
    into another cluster or environment.
    """
    tags = tag_dict(instance.get("Tags"))
    group_tags = tag_dict(group.get("Tags"))
    launch_template = member.get("LaunchTemplate") or {}
    variables = {
        "instance_id": instance["InstanceId"],
        "region": region,
        "availability_zone": member.get("AvailabilityZone") or instance.get("Placement", {}).get("AvailabilityZone"),
        "instance_type": member.get("InstanceType") or instance.get("InstanceType"),
        "private_ip_address": instance.get("PrivateIpAddress"),
        "private_dns_name": instance.get("PrivateDnsName"),
        "public_ip_address": instance.get("PublicIpAddress"),
        "public_dns_name": instance.get("PublicDnsName") or None,
        "subnet_id": instance.get("SubnetId"),
        "vpc_id": instance.get("VpcId"),
        "image_id": instance.get("ImageId"),
        "launch_time": instance.get("LaunchTime"),
        "instance_state": instance.get("State", {}).get("Name"),
        "asg_name": group["AutoScalingGroupName"],
        "lifecycle_state": member.get("LifecycleState"),
        "health_status": member.get("HealthStatus"),
        "protected_from_scale_in": member.get("ProtectedFromScaleIn", False),
        "launch_template_id": launch_template.get("LaunchTemplateId"),
        "launch_template_name": launch_template.get("LaunchTemplateName"),
        "launch_template_version": launch_template.get("Version"),
        "launch_configuration_name": member.get("LaunchConfigurationName"),
        "instance_tags": tags,
        "asg_tags": group_tags,
    }
    for variable, tag in (("dataplatform_env", TAG_ENV), ("dataplatform_role", TAG_ROLE), ("dataplatform_cluster", TAG_CLUSTER)):
        if group_tags.get(tag):
            variables[variable] = group_tags[tag]
    ansible_host = source_value(ansible_host_source, instance, tags)
    if ansible_host:
        variables["ansible_host"] = ansible_host
    return variables


def platform_asg_names(document):
    """The Auto Scaling groups a platform document names: the ``asg_name`` of each of its sections
    (``nifi.asg_name``, ``airflow.asg_name``), sorted."""
    return sorted(
        {
            section["asg_name"]
            for section in document.values()
            if isinstance(section, dict) and isinstance(section.get("asg_name"), str) and section["asg_name"]
        }
    )


def check_platform_document(document, env, region, parameter):
    """Raises InventoryConfigError on ``platform_env`` unless ``document`` is the platform document
    of ``env`` in ``region``; returns the groups it names."""
    if not isinstance(document, dict):
        raise InventoryConfigError("platform_env", "the platform parameter %s in %s is not a JSON object" % (parameter, region))
    if document.get("env") != env:
        raise InventoryConfigError(
            "platform_env",
            "the platform parameter %s in %s is the document of env %r, not %r" % (parameter, region, document.get("env"), env),
        )
    # A document without a region (none Terraform writes) is tied to the region it was read in.
    if document.get("region", region) != region:
        raise InventoryConfigError(
            "platform_env",
            "the platform parameter %s read in %s names region %r; list in regions only the region the environment's "
            "Terraform writes it in" % (parameter, region, document.get("region")),
        )
    return platform_asg_names(document)


def untrusted_groups(raw):
    """The raw data without the groups their region's platform document does not name:
    ``(raw, untrusted)``, ``untrusted`` a list of ``(region, group name, instance count, parameter)``.

    A region without ``platform`` (no ``platform_env``) keeps every group.
    """
    trusted_raw = {}
    untrusted = []
    for region in sorted(raw):
        data = raw[region]
        platform = data.get("platform")
        if platform is None:
            trusted_raw[region] = data
            continue
        named = set(platform.get("asg_names") or ())
        kept = []
        for group in sorted(data.get("auto_scaling_groups", ()), key=lambda g: g["AutoScalingGroupName"]):
            if group["AutoScalingGroupName"] in named:
                kept.append(group)
            else:
                untrusted.append((region, group["AutoScalingGroupName"], len(group.get("Instances", ())), platform["parameter"]))
        trusted_raw[region] = dict(data, auto_scaling_groups=kept)
    return trusted_raw, untrusted


def lifecycle_group(state):
    """Unsanitised name of the group of the hosts in one lifecycle state (``lifecycle_pending:wait``)."""
    return "lifecycle_%s" % state.lower()


def platform_groups(variables):
    """Unsanitised names of the groups a host belongs to, from its variables."""
    groups = ["asg_%s" % variables["asg_name"]]
    for prefix, variable in (("role", "dataplatform_role"), ("env", "dataplatform_env"), ("cluster", "dataplatform_cluster")):
        if variables.get(variable):
            groups.append("%s_%s" % (prefix, variables[variable]))
    if variables.get("lifecycle_state"):
        groups.append(lifecycle_group(variables["lifecycle_state"]))
    if variables.get("availability_zone"):
        groups.append("az_%s" % variables["availability_zone"])
    return groups


def select_hosts(raw, lifecycle_states, hostnames, ansible_host_source):
    """The hosts of the raw API data: ``(hosts, warnings)``.

    ``hosts`` is a list of ``(name, variables)`` in a stable order (region, ASG name, instance id).
    Instances in a lifecycle state outside ``lifecycle_states`` are left out; an instance the
    Auto Scaling API lists but EC2 no longer describes (it terminated between the two calls) is
    left out with a warning. Two hosts with the same name, or a host without any name, is an
    InventoryConfigError on ``hostnames``.
    """
    hosts = []
    warnings = []
    owner_of_name = {}
    for region in sorted(raw):
        data = raw[region]
        instances = {instance["InstanceId"]: instance for instance in data.get("instances", ())}
        for group in sorted(data.get("auto_scaling_groups", ()), key=lambda g: g["AutoScalingGroupName"]):
            for member in sorted(group.get("Instances", ()), key=lambda m: m["InstanceId"]):
                if member.get("LifecycleState") not in lifecycle_states:
                    continue
                instance_id = member["InstanceId"]
                instance = instances.get(instance_id)
                if instance is None or instance.get("State", {}).get("Name") in GONE_EC2_STATES:
                    warnings.append(
                        "instance %s of Auto Scaling group %s (%s) is listed by Auto Scaling but no longer "
                        "described by EC2; it is left out" % (instance_id, group["AutoScalingGroupName"], region)
                    )
                    continue
                variables = host_variables(region, group, member, instance, ansible_host_source)
                name = None
                for source in hostnames:
                    name = source_value(source, instance, variables["instance_tags"])
                    if name:
                        break
                if not name:
                    raise InventoryConfigError(
                        "hostnames",
                        "instance %s of %s has no value for any of %s; end the list with instance-id"
                        % (instance_id, group["AutoScalingGroupName"], ", ".join(hostnames)),
                    )
                if name in owner_of_name:
                    raise InventoryConfigError(
                        "hostnames",
                        "instances %s and %s would both be named %r (sources: %s); choose sources that are "
                        "unique per instance, such as instance-id" % (owner_of_name[name], instance_id, name, ", ".join(hostnames)),
                    )
                owner_of_name[name] = instance_id
                hosts.append((name, variables))
    return hosts, warnings
