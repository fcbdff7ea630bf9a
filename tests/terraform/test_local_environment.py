"""The local environment (terraform/platform with environments/local's values) against the AWS
emulator: the older layout's apply moved into it with no change, a second plan with no changes,
the hosts it launches, destroy. The environment is applied once per session (``applied_local``);
the tests run in this order and the last one destroys it."""

import boto3
import pytest

from tests.harness.terraform import LEGACY_LAYOUT_COMMIT, tfvars_scalar

GROUPS = {"dataplatform-local-nifi-main": "nifi_desired_capacity", "dataplatform-local-airflow-main": "airflow_desired_capacity"}


def _client(emulator, service):
    return boto3.client(service, endpoint_url=emulator.endpoint)


def test_apply_succeeds_and_names_what_it_left_out(applied_local, report):
    apply = applied_local.last("apply")
    init = applied_local.last("init")
    left_out = applied_local.outputs()["left_out"]
    report(
        f"init {init.seconds:.0f}s, apply {apply.seconds:.0f}s, {sum(applied_local.apply_requests.values())} AWS requests",
        f"test overrides: {applied_local.overrides}",
        "left out for the emulator:" if left_out else "nothing left out",
        *(f"  - {item}" for item in left_out),
    )
    assert "Apply complete!" in apply.stdout
    # Every switch that leaves something out names its module and the variable that turns it off.
    for item in left_out:
        module, _, detail = item.partition(": ")
        assert module and "= false" in detail, item


@pytest.mark.parametrize("fixture", ["local_bootstrap", "applied_local"])
def test_the_older_layouts_state_moved_into_the_one_root_plans_no_change(fixture, request, report):
    """The proof that moving to one root replaces no resource: the bootstrap and the environment applied with
    the layout of commit LEGACY_LAYOUT_COMMIT (a root per environment, local's state a local file),
    their states pushed into the new roots' S3 backend, planned: only addresses move (the moved
    blocks of nifi and airflow), the apply of the moves changes no resource, and the plan after it
    shows no change."""
    migration = request.getfixturevalue(fixture).migration
    final = migration.final_plan
    report(f"{fixture}: state of {LEGACY_LAYOUT_COMMIT} pushed; {len(migration.moved)} addresses moved"
           + (f", moves applied: {next(line for line in migration.moves_applied.stdout.splitlines() if line.startswith('Apply complete'))}"
              if migration.moves_applied else "")
           + f"; final plan exit {final.returncode}: "
           + next((line for line in final.stdout.splitlines() if line.startswith(("No changes.", "Plan:"))), "?"),
           *(f"  {old} -> {new}" for old, new in sorted(migration.moved.items())))
    assert not migration.changed, f"the new layout would change resources of the older one: {migration.changed}"
    if migration.moves_applied:
        assert "Resources: 0 added, 0 changed, 0 destroyed." in migration.moves_applied.stdout
    assert final.returncode == 0, f"the plan after the move is not empty:\n{final.stdout[-12000:]}"
    assert "No changes. Your infrastructure matches the configuration." in final.stdout


def test_the_hosts_security_groups_moved_into_asg_hosts(applied_local):
    moved = applied_local.migration.moved
    for module, group in (("nifi", "nodes"), ("airflow", "hosts")):
        assert moved[f"module.{module}.aws_security_group.{group}"] == f"module.{module}.module.hosts.aws_security_group.hosts"
        assert any(new.startswith(f"module.{module}.module.hosts.aws_security_group_rule.ssh_from_groups[")
                   for new in moved.values()), module
        assert moved[f"module.{module}.aws_security_group_rule.{group}_https_out"] == \
            f"module.{module}.module.hosts.aws_security_group_rule.https_out"


def test_second_plan_shows_no_changes(applied_local, report):
    plan = applied_local.plan("-detailed-exitcode", check=False)
    report(f"second plan {plan.seconds:.0f}s, exit code {plan.returncode}")
    assert plan.returncode == 0, f"the second plan is not empty (exit code {plan.returncode}):\n{plan.stdout[-12000:]}"


def test_auto_scaling_groups_run_their_desired_instances(applied_local, terraform_emulator):
    autoscaling = _client(terraform_emulator, "autoscaling")
    groups = {group["AutoScalingGroupName"]: group for group in autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]}
    assert set(groups) == set(GROUPS)
    ec2 = _client(terraform_emulator, "ec2")
    for name, capacity_variable in GROUPS.items():
        desired = int(tfvars_scalar("local", capacity_variable))
        assert groups[name]["DesiredCapacity"] == desired, name
        instance_ids = [instance["InstanceId"] for instance in groups[name]["Instances"]]
        assert len(instance_ids) == desired, name
        reservations = ec2.describe_instances(InstanceIds=instance_ids)["Reservations"]
        states = [instance["State"]["Name"] for reservation in reservations for instance in reservation["Instances"]]
        assert states == ["running"] * desired, name
        hooks = autoscaling.describe_lifecycle_hooks(AutoScalingGroupName=name)["LifecycleHooks"]
        assert {hook["LifecycleTransition"] for hook in hooks} == {
            "autoscaling:EC2_INSTANCE_LAUNCHING", "autoscaling:EC2_INSTANCE_TERMINATING"}, name
    assert groups["dataplatform-local-nifi-main"]["DesiredCapacity"] == 3
    assert groups["dataplatform-local-airflow-main"]["DesiredCapacity"] == 1


def test_launch_templates_require_imdsv2_and_encrypt_every_volume(applied_local, terraform_emulator):
    ec2 = _client(terraform_emulator, "ec2")
    for name in GROUPS:
        versions = ec2.describe_launch_template_versions(LaunchTemplateName=name, Versions=["$Latest"])
        data = versions["LaunchTemplateVersions"][0]["LaunchTemplateData"]
        assert data["MetadataOptions"]["HttpTokens"] == "required", name
        assert data["BlockDeviceMappings"], name
        assert all(mapping["Ebs"]["Encrypted"] for mapping in data["BlockDeviceMappings"]), name
    nifi = ec2.describe_launch_template_versions(LaunchTemplateName="dataplatform-local-nifi-main", Versions=["$Latest"])
    assert len(nifi["LaunchTemplateVersions"][0]["LaunchTemplateData"]["BlockDeviceMappings"]) == 2, "NiFi has a data volume"


@pytest.mark.parametrize("bucket_purpose", ["bronze", "silver", "gold", "artifacts", "dags", "logs", "truststore"])
def test_buckets_are_encrypted_versioned_private_and_tls_only(applied_local, terraform_emulator, bucket_purpose):
    s3 = _client(terraform_emulator, "s3")
    bucket = applied_local.outputs()["platform"]["buckets"][bucket_purpose]
    encryption = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert encryption["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    assert '"aws:SecureTransport":"false"' in s3.get_bucket_policy(Bucket=bucket)["Policy"].replace(" ", "")
    assert s3.get_bucket_logging(Bucket=bucket)["LoggingEnabled"]["TargetPrefix"] == f"{bucket_purpose}/"


# What a destroy must never take with it (lifecycle prevent_destroy): the key every secret and
# bucket is encrypted with, the CA every certificate chains to, Airflow's database.
PROTECTED = ("module.kms.aws_kms_key.platform", "module.pki.aws_acmpca_certificate_authority.root",
             "module.airflow.aws_db_instance.airflow")


def test_destroy_removes_everything_but_what_it_must_keep(local_environment, applied_local, terraform_emulator, report):
    refused = applied_local.destroy(check=False)
    assert refused.returncode != 0 and "prevent_destroy" in refused.stdout, refused.stdout[-3000:]
    assert all(address in refused.stdout for address in PROTECTED), refused.stdout[-3000:]
    # An operator who really means it takes them out of the state first and deletes them with the
    # CLI (README of each module), so that a later apply makes them anew.
    platform = applied_local.outputs()["platform"]
    applied_local.run("state", "rm", *PROTECTED)
    destroy = applied_local.destroy()
    report(f"destroy {destroy.seconds:.0f}s")
    _client(terraform_emulator, "rds").delete_db_instance(DBInstanceIdentifier="dataplatform-local-airflow-main",
                                                          SkipFinalSnapshot=True)
    _client(terraform_emulator, "acm-pca").delete_certificate_authority(CertificateAuthorityArn=platform["pca"]["arn"])
    # By its id: moto looks the key up by id only here.
    key_id = platform["secrets"]["kms_key_arn"].rsplit("/", 1)[-1]
    _client(terraform_emulator, "kms").schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert "Destroy complete!" in destroy.stdout
    assert _client(terraform_emulator, "autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"] == []
    buckets = [bucket["Name"] for bucket in _client(terraform_emulator, "s3").list_buckets()["Buckets"]]
    assert not [name for name in buckets if name.startswith("dataplatform-local-")]
    vpcs = _client(terraform_emulator, "ec2").describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["false"]}])["Vpcs"]
    assert vpcs == []
