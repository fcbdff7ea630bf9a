# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

DOCUMENTATION = r"""
name: aws_asg
short_description: Auto Scaling Group instances as inventory, with their lifecycle states
description:
  - Builds the inventory from the Auto Scaling API itself rather than from instance tags. The
    groups an instance belongs to come from its Auto Scaling group, so detaching an instance or
    editing its tags cannot move it into another cluster, and the lifecycle state of every
    instance is known, so hosts being terminated are left out while hosts waiting for their launch
    hook (V(Pending:Wait)) are included.
  - "API use per region: one C(DescribeAutoScalingGroups) request per 100 groups, then one
    C(DescribeInstances) request per O(batch_size) instances. Throttled requests are retried with
    jittered backoff."
  - The inventory source is a YAML file whose name ends in C(aws_asg.yml) or C(aws_asg.yaml).
  - "Every host gets these variables: C(instance_id), C(region), C(availability_zone),
    C(instance_type), C(private_ip_address), C(private_dns_name), C(public_ip_address),
    C(public_dns_name), C(subnet_id), C(vpc_id), C(image_id), C(launch_time), C(instance_state)
    (the EC2 state), C(asg_name), C(lifecycle_state), C(health_status),
    C(protected_from_scale_in), C(launch_template_id), C(launch_template_name),
    C(launch_template_version), C(launch_configuration_name), C(instance_tags) (the instance's
    tags as a dictionary), C(asg_tags) (the group's tags), C(ansible_host) (see O(ansible_host_source)), and
    C(dataplatform_env), C(dataplatform_role), C(dataplatform_cluster) from the group's
    C(dataplatform:env), C(dataplatform:role) and C(dataplatform:cluster) tags."
  - "Every host is in these groups: C(asg_<group name>), C(role_<dataplatform:role>),
    C(env_<dataplatform:env>), C(cluster_<dataplatform:cluster>), C(lifecycle_<state>) (lower
    case, for example C(lifecycle_inservice), C(lifecycle_terminating_wait)) and
    C(az_<availability zone>), with characters that are invalid in group names replaced by C(_).
    A C(lifecycle_<state>) group exists for every state O(lifecycle_states) selects, with no host
    in it too, so a play can target the hosts of one state without a warning when there are none."
  - "With O(platform_env), tags alone are not trusted: a group is read only when its name is one
    that the environment's Terraform published in the platform document (the SSM parameter
    C(/dataplatform/<env>/platform), its C(nifi.asg_name) and C(airflow.asg_name)). Otherwise whoever
    could tag an Auto Scaling group C(dataplatform:env=prod) would have it converged, with a node
    certificate and the environment's secrets. IAM also denies writing C(dataplatform:*) tags to
    every principal but the deploy role; this check does not depend on that policy."
  - With O(cache) on, the cache holds the API answers, not the built inventory, so changes to
    O(hostnames), O(lifecycle_states), O(ansible_host_source), O(compose), O(groups),
    O(keyed_groups) and O(untrusted_groups) apply to cached runs. Changing O(regions),
    O(asg_names), O(asg_tags) or O(platform_env) makes the next run ask the API again.
version_added: 0.1.0
author:
  - dataplatform-ops maintainers (@dataplatform-ops)
extends_documentation_fragment:
  - ansible.builtin.inventory_cache
  - ansible.builtin.constructed
  - amazon.aws.boto3
  - amazon.aws.common.plugins
  - amazon.aws.region.plugins
  - amazon.aws.assume_role.plugins
options:
  plugin:
    description: The name of this plugin; marks the file as its inventory source.
    required: true
    type: str
    choices: [dataplatform.ops.aws_asg]
  regions:
    description:
      - The regions whose Auto Scaling groups are read.
      - When empty, the region of O(region) (or of the environment and profile) is used; when that
        is unknown too, every region EC2 lists.
    type: list
    elements: str
    default: []
  asg_names:
    description:
      - Shell-style patterns (V(*), V(?), V([...])); only groups whose name matches one of them
        are read. Empty selects every group.
    type: list
    elements: str
    default: []
  asg_tags:
    description:
      - Only groups carrying all of these tags are read; a value may be a string or a list of
        accepted strings. Evaluated by the Auto Scaling API.
    type: dict
    default: {}
  platform_env:
    description:
      - The environment whose platform document names the groups this inventory trusts. The
        document is read in each region of O(regions) (one request per region and run) and must be
        that environment's and that region's.
      - A group that O(asg_tags) and O(asg_names) select but the document does not name is left out
        (see O(untrusted_groups)).
      - A missing, unreadable or foreign document is an error naming the file, the option and the
        parameter; the inventory then has no host.
      - Unset, every selected group is trusted (for inventories outside the platform's accounts).
    type: str
    choices: [local, dev, ppd, prod]
  untrusted_groups:
    description:
      - What happens to a group that O(asg_tags) and O(asg_names) select but the platform document of
        O(platform_env) does not name.
      - V(warn) leaves the group and its instances out, with a warning naming them and the parameter.
      - V(error) fails the inventory, naming them.
      - V(warn) is the default because a failing inventory stops every converge, provisioning
        callback and decommission of the environment, so whoever could tag a group could stop them
        all; left out, the group gains nothing and every run's output names it.
    type: str
    choices: [warn, error]
    default: warn
  lifecycle_states:
    description:
      - The lifecycle states whose instances become hosts; names or shell-style patterns such as
        V(Terminating*). Each entry must match a lifecycle state of the Auto Scaling API.
      - The default leaves out instances that are leaving the group (V(Terminating*),
        V(Detaching), V(Detached)); a decommission job asks for V(Terminating:Wait).
    type: list
    elements: str
    default: [InService, Pending:Wait, Pending:Proceed, Standby]
  hostnames:
    description:
      - Where the host name comes from, in order of preference; the first non-empty value wins.
      - Each entry is one of V(instance-id), V(private-dns-name), V(private-ip-address),
        V(dns-name) (public), V(ip-address) (public) or V(tag:<key>).
      - Two instances that would get the same name, or an instance without a value for any
        entry, are an error.
    type: list
    elements: str
    default: [instance-id]
  ansible_host_source:
    description:
      - Where C(ansible_host) comes from; the same choices as one O(hostnames) entry. When the
        instance has no such value, C(ansible_host) is not set. O(compose) can override it.
    type: str
    default: private-ip-address
  batch_size:
    description:
      - How many instances one C(DescribeInstances) request asks for.
    type: int
    default: 200
"""

EXAMPLES = r"""
# inventories/prod/aws_asg.yml: every NiFi and Airflow host of production, from the groups prod's
# Terraform made (and named in /dataplatform/prod/platform) only
plugin: dataplatform.ops.aws_asg
regions: [eu-west-1]
asg_tags:
  dataplatform:env: prod
platform_env: prod
hostnames: [private-dns-name, instance-id]

---
# The same, failing on a tagged group the platform document does not name
plugin: dataplatform.ops.aws_asg
regions: [eu-west-1]
asg_tags:
  dataplatform:env: prod
platform_env: prod
untrusted_groups: error

---
# The decommission job: only NiFi nodes waiting in their termination hook
plugin: dataplatform.ops.aws_asg
regions: [eu-west-1]
asg_tags:
  dataplatform:env: prod
  dataplatform:role: nifi
platform_env: prod
lifecycle_states: [Terminating:Wait]

---
# Reached over SSM Session Manager, cached for five minutes, extra groups from the constructable options
plugin: dataplatform.ops.aws_asg
regions: [eu-west-1]
profile: dataplatform-dev
assume_role_arn: arn:aws:iam::111122223333:role/dataplatform-inventory
asg_names: ["dataplatform-dev-*"]
ansible_host_source: instance-id
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/ansible/inventory
cache_timeout: 300
compose:
  ansible_connection: "'community.aws.aws_ssm'"
groups:
  unhealthy: health_status != 'Healthy'
keyed_groups:
  - key: instance_type
    prefix: type
"""

import json

try:
    import botocore
except ImportError:
    pass  # amazon.aws's base reports a missing SDK

from ansible.errors import AnsibleParserError
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.plugin_utils.inventory import AWSInventoryBase

from ansible_collections.dataplatform.ops.plugins.module_utils.platform import platform_parameter_name
from ansible_collections.dataplatform.ops.plugins.plugin_utils import asg_inventory

# DescribeAutoScalingGroups returns at most 100 groups per page, DescribeInstances 1000 instances.
ASG_PAGE_SIZE = 100
MAX_BATCH_SIZE = 1000

# The options that decide which API answers are fetched; the others shape the inventory built
# from them and therefore apply to cached answers too.
SELECTION_OPTIONS = ("regions", "asg_names", "asg_tags", "platform_env", "endpoint_url", "profile", "assume_role_arn")


@AWSRetry.jittered_backoff()
def describe_auto_scaling_groups(client, filters):
    paginator = client.get_paginator("describe_auto_scaling_groups")
    params = {"PaginationConfig": {"PageSize": ASG_PAGE_SIZE}}
    if filters:
        params["Filters"] = filters
    return paginator.paginate(**params).build_full_result()["AutoScalingGroups"]


@AWSRetry.jittered_backoff()
def get_parameter(client, name):
    return client.get_parameter(Name=name)["Parameter"]["Value"]


@AWSRetry.jittered_backoff()
def describe_instances(client, instance_ids):
    """The instances among ``instance_ids`` that EC2 still knows; unknown ids are not an error."""
    paginator = client.get_paginator("describe_instances")
    pages = paginator.paginate(
        Filters=[{"Name": "instance-id", "Values": list(instance_ids)}],
        PaginationConfig={"PageSize": MAX_BATCH_SIZE},
    )
    return [instance for reservation in pages.build_full_result()["Reservations"] for instance in reservation["Instances"]]


class InventoryModule(AWSInventoryBase):
    NAME = "dataplatform.ops.aws_asg"
    INVENTORY_FILE_SUFFIXES = ("aws_asg.yml", "aws_asg.yaml")

    class TemplatedOptions(AWSInventoryBase.TemplatedOptions):
        """amazon.aws's templating of credential and region options, without the templating
        argument ansible-core 2.19 deprecates (it printed a deprecation warning on every run)."""

        def get(self, *args):
            value = self.original_options.get(*args)
            if not value or not self.templar or args[0] not in self.TEMPLATABLE_OPTIONS:
                return value
            if isinstance(value, dict):
                return {key: self._template(item) for key, item in value.items()}
            if isinstance(value, list):
                return [self._template(item) for item in value]
            return self._template(value)

        def _template(self, value):
            return self.templar.template(value) if self.templar.is_template(value) else value

    def _do_fail(self, message):
        raise AnsibleParserError(message)

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache=cache)
        self._source = path
        settings = self._settings()

        raw = None
        fingerprint = self._selection_fingerprint()
        was_cached, cached = self.get_cached_result(path, cache)
        if was_cached and isinstance(cached, dict) and cached.get("selection") == fingerprint:
            raw = cached["regions"]
        if raw is None:
            raw = self._query(settings)
            # A fresh answer replaces a cached one made for another selection.
            self.update_cached_result(path, False, {"selection": fingerprint, "regions": raw})
        self._populate(raw, settings)

    def _settings(self):
        """The validated options; a bad one is a parse error naming the file and the option."""
        try:
            batch_size = self.get_option("batch_size")
            if not 1 <= batch_size <= MAX_BATCH_SIZE:
                raise asg_inventory.InventoryConfigError("batch_size", "must be between 1 and %d, got %d" % (MAX_BATCH_SIZE, batch_size))
            return {
                "asg_names": list(self.get_option("asg_names") or ()),
                "asg_filters": asg_inventory.asg_tag_filters(self.get_option("asg_tags")),
                "lifecycle_states": asg_inventory.lifecycle_state_selection(self.get_option("lifecycle_states")),
                "hostnames": asg_inventory.check_hostnames(self.get_option("hostnames")),
                "ansible_host_source": asg_inventory.check_source("ansible_host_source", self.get_option("ansible_host_source")),
                "batch_size": batch_size,
                "platform_env": self.get_option("platform_env"),
                "untrusted_groups": self.get_option("untrusted_groups"),
            }
        except asg_inventory.InventoryConfigError as error:
            self.fail_aws("%s: %s" % (self._source, error))

    def _selection_fingerprint(self):
        return {option: self.get_option(option) for option in SELECTION_OPTIONS}

    def _regions(self):
        regions = self.get_option("regions")
        if regions:
            return regions
        if self.region:
            return [self.region]
        return self._boto3_regions(service="autoscaling")

    def _query(self, settings):
        """The raw API answers per region, with datetimes as strings (as the cache returns them)."""
        raw = {}
        for region in self._regions():
            autoscaling = self.client("autoscaling", region=region)
            try:
                groups = describe_auto_scaling_groups(autoscaling, settings["asg_filters"])
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
                self._fail_api("list the Auto Scaling groups", region, autoscaling, error)
            groups = [group for group in groups if asg_inventory.asg_name_selected(group["AutoScalingGroupName"], settings["asg_names"])]

            # Every member, whatever its lifecycle state: the state filter is applied when the
            # inventory is built, so that changing it applies to cached answers too.
            instance_ids = sorted({member["InstanceId"] for group in groups for member in group.get("Instances", ())})
            instances = []
            if instance_ids:
                ec2 = self.client("ec2", region=region)
                size = settings["batch_size"]
                for start in range(0, len(instance_ids), size):
                    try:
                        instances.extend(describe_instances(ec2, instance_ids[start:start + size]))
                    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
                        self._fail_api("describe the instances of the Auto Scaling groups", region, ec2, error)
            answer = {"auto_scaling_groups": groups, "instances": instances}
            if settings["platform_env"]:
                answer["platform"] = self._platform(settings["platform_env"], region)
            raw[region] = asg_inventory.json_safe(answer)
        return raw

    def _platform(self, env, region):
        """The groups the platform document of ``env`` in ``region`` names."""
        parameter = platform_parameter_name(env)
        ssm = self.client("ssm", region=region)
        try:
            value = get_parameter(ssm, parameter)
        except is_boto3_error_code("ParameterNotFound"):
            self.fail_aws(
                "%s: platform_env: the platform parameter %s does not exist in %s (has Terraform been applied to %s?)"
                % (self._source, parameter, region, env)
            )
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:  # pylint: disable=duplicate-except
            self._fail_api("read the platform parameter %s" % parameter, region, ssm, error)
        try:
            document = json.loads(value)
            asg_names = asg_inventory.check_platform_document(document, env, region, parameter)
        except ValueError as error:
            # InventoryConfigError is a ValueError and names the option itself.
            option = "" if isinstance(error, asg_inventory.InventoryConfigError) else "platform_env: the platform parameter %s is not JSON: " % parameter
            self.fail_aws("%s: %s%s" % (self._source, option, error))
        return {"parameter": parameter, "asg_names": asg_names}

    def _fail_api(self, what, region, client, error):
        self.fail_aws(
            "%s: cannot %s in %s (endpoint %s): %s" % (self._source, what, region, client.meta.endpoint_url, to_native(error))
        )

    def _populate(self, raw, settings):
        raw, untrusted = asg_inventory.untrusted_groups(raw)
        if untrusted:
            described = [
                "%s (%s, %d instance(s), not in %s)" % (name, region, count, parameter) for region, name, count, parameter in untrusted
            ]
            if settings["untrusted_groups"] == "error":
                self.fail_aws(
                    "%s: untrusted_groups: the Auto Scaling group(s) %s carry the selected tags but are not groups the "
                    "environment's Terraform made" % (self._source, "; ".join(described))
                )
            for description in described:
                self.warn(
                    "%s: Auto Scaling group %s carries the selected tags but is not a group the environment's Terraform "
                    "made; it and its instances are left out" % (self._source, description)
                )
        try:
            hosts, warnings = asg_inventory.select_hosts(
                raw, settings["lifecycle_states"], settings["hostnames"], settings["ansible_host_source"]
            )
        except asg_inventory.InventoryConfigError as error:
            self.fail_aws("%s: %s" % (self._source, error))
        for warning in warnings:
            self.warn(warning)

        strict = self.get_option("strict")
        compose = self.get_option("compose")
        composed_groups = self.get_option("groups")
        keyed_groups = self.get_option("keyed_groups")
        group_names = {}
        # A group for every selected state, empty ones too: a play for the hosts in one state
        # (lifecycle_pending_wait at the end of site.yml) then matches no host without a warning.
        for state in sorted(settings["lifecycle_states"]):
            raw_group = asg_inventory.lifecycle_group(state)
            group_names[raw_group] = self.inventory.add_group(self._sanitize_group_name(raw_group))
        for name, variables in hosts:
            self.inventory.add_host(name)
            for variable, value in variables.items():
                self.inventory.set_variable(name, variable, value)
            for raw_group in asg_inventory.platform_groups(variables):
                group = group_names.get(raw_group)
                if group is None:
                    group = group_names[raw_group] = self.inventory.add_group(self._sanitize_group_name(raw_group))
                self.inventory.add_child(group, name)
            if compose:
                self._set_composite_vars(compose, variables, name, strict=strict)
            if composed_groups:
                self._add_host_to_composed_groups(composed_groups, variables, name, strict=strict)
            if keyed_groups:
                self._add_host_to_keyed_groups(keyed_groups, variables, name, strict=strict)
