"""ansible/playbooks/user-certs.yml against the moto server: real keys, CSRs, certificates and PKCS#12.

What moto 5.2.5's ACM Private CA does not do, and how these tests deal with it:

* It issues every certificate for 365 days whatever ``Validity`` says, and adds no extension at
  all for the ``EndEntityClientAuthCertificate/V1`` template (it knows only the root-CA and
  ``EndEntityCertificate/V1`` templates). The tests check what the CA was asked for (template,
  validity; the harness records those request parameters) and keep two strict xfail sentinels
  that turn red the day moto honours them, so the checks can move onto the certificate.
* It publishes no CRL. Revocations are checked in the CA's state as moto serves it over HTTP
  (``/moto-api/data.json``) and in the RevokeCertificate requests the server received.
"""

from __future__ import annotations

import base64
import datetime
import json
import os
import subprocess

import pytest
import yaml
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from ansible_collections.dataplatform.ops.plugins.module_utils.identity import dn_of_name, subject_dn
from emulator.client import count_actions
from tests.harness.private_ca import ROOT_CA_TEMPLATE, ca_certificate, revoked_serials
from tests.integration.certs import (
    CLIENT_AUTH_TEMPLATE,
    REQUESTS,
    activate_environments,
    calls,
    copy_requests,
    open_bundle,
    output,
    policy_with,
    run_playbook,
    user_secret,
    writes,
)

EXAMPLE_ENVS = ("dev", "ppd", "prod")


def reconcile(env: str, *args: str) -> subprocess.CompletedProcess:
    result = run_playbook("user-certs.yml", "-i", f"inventories/{env}", *args)
    assert result.returncode == 0, output(result)[-6000:]
    return result


def report_of(report_dir, env: str) -> dict[str, dict]:
    """The JSON report of the last run for ``env``, by user."""
    document = json.loads((report_dir / f"user-certs-{env}.json").read_text())
    return {entry["user"]: entry for entry in document["certificates"]}


def requests_of(env: str, requests_dir=REQUESTS) -> dict[str, dict]:
    return {path.stem: yaml.safe_load(path.read_text()) for path in sorted((requests_dir / env).glob("*.yaml"))}


def test_example_requests_issue_end_to_end(moto, tmp_path):
    authorities = activate_environments(*EXAMPLE_ENVS)
    for env in EXAMPLE_ENVS:
        reconcile(env, "-e", f"cert_report_dir={tmp_path}")

    issued = [r for r in calls(moto.requests(), "acm-pca", "IssueCertificate")
              if r["params"]["TemplateArn"] != ROOT_CA_TEMPLATE]
    examples = {(env, user): request for env in EXAMPLE_ENVS for user, request in requests_of(env).items()}
    assert sorted(examples) == [("dev", "alice"), ("dev", "bob"), ("ppd", "ci-user"), ("prod", "ops-user")]
    assert len(issued) == len(examples)

    for (env, user), request in examples.items():
        secret = user_secret(env, user)
        key, certificate, chain = open_bundle(secret["value"])
        ca = x509.load_pem_x509_certificate(ca_certificate(authorities[env]).encode())

        certificate.verify_directly_issued_by(ca)
        assert [c.fingerprint(ca.signature_hash_algorithm) for c in chain] == [
            ca.fingerprint(ca.signature_hash_algorithm)]
        assert key.public_key().public_numbers() == certificate.public_key().public_numbers()
        assert dn_of_name(certificate.subject) == subject_dn(request["subject"])
        assert secret["tags"]["dataplatform:serial"] == ":".join(
            f"{b:02x}" for b in certificate.serial_number.to_bytes((certificate.serial_number.bit_length() + 7) // 8, "big"))
        assert secret["tags"]["dataplatform:not_after"] == certificate.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert secret["tags"]["dataplatform:subject_dn"] == subject_dn(request["subject"]).replace(", ", "/")
        assert subject_dn(request["subject"]) in secret["description"]

        # Java reads the bundle with its password and renders the subject as NiFi will.
        password_file = tmp_path / f"{env}-{user}.password"
        password_file.write_text(secret["value"]["password"])
        password_file.chmod(0o600)
        bundle_file = tmp_path / f"{env}-{user}.p12"
        bundle_file.write_bytes(base64.b64decode(secret["value"]["pkcs12"]))
        listing = subprocess.run(
            ["keytool", "-list", "-v", "-storetype", "PKCS12", "-keystore", str(bundle_file),
             "-storepass:file", str(password_file)],
            capture_output=True, text=True, timeout=60, check=True).stdout
        assert "Entry type: PrivateKeyEntry" in listing
        assert f"Owner: {subject_dn(request['subject'])}" in listing

        # What the CA was asked for: the client-auth template and the requested validity.
        asked = [r["params"] for r in issued if r["params"].get("Validity", {}).get("Value") == request["expiry_days"]]
        assert {"TemplateArn": CLIENT_AUTH_TEMPLATE, "Validity": {"Type": "DAYS", "Value": request["expiry_days"]},
                "SigningAlgorithm": "SHA256WITHRSA"}.items() <= asked[0].items()
        # moto's fixed validity: 365 days from issuance.
        lifetime = certificate.not_valid_after_utc - certificate.not_valid_before_utc
        assert lifetime == datetime.timedelta(days=365)

    report = (tmp_path / "user-certs-dev.md").read_text()
    assert "| alice | CN=alice, OU=DataEng, O=Platform | operator |" in report
    assert "| issue | new request |" in report


@pytest.fixture
def alice_certificate(moto):
    activate_environments("dev")
    reconcile("dev")
    _, certificate, _ = open_bundle(user_secret("dev", "alice")["value"])
    return certificate


@pytest.mark.xfail(strict=True, reason="moto 5.2.5 adds no extension for the EndEntityClientAuthCertificate/V1 template")
def test_user_certificate_carries_client_auth_eku(alice_certificate):
    usages = alice_certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.CLIENT_AUTH in usages


@pytest.mark.xfail(strict=True, reason="moto 5.2.5 issues every certificate for 365 days whatever Validity says")
def test_user_certificate_has_the_requested_validity(alice_certificate):
    lifetime = alice_certificate.not_valid_after_utc - alice_certificate.not_valid_before_utc
    assert lifetime == datetime.timedelta(days=requests_of("dev")["alice"]["expiry_days"])


def test_second_run_calls_no_pca_and_writes_nothing(moto, tmp_path):
    activate_environments("dev")
    reconcile("dev")
    moto.clear_requests()

    second = reconcile("dev", "-e", f"cert_report_dir={tmp_path}")

    counted = count_actions(moto.requests())
    assert not [key for key in counted if key.startswith("acm-pca:")], counted
    assert writes(moto.requests(), "secretsmanager") == []
    assert counted["secretsmanager:ListSecrets"] == 1
    assert "changed=0" in output(second)
    assert {entry["action"] for entry in report_of(tmp_path, "dev").values()} == {"keep"}


def test_renewal_window_reissues_and_revokes_the_old_serials(moto, tmp_path):
    activate_environments("dev")
    reconcile("dev")
    before = {user: user_secret("dev", user) for user in ("alice", "bob")}
    moto.clear_requests()

    # moto's certificates live 365 days: a 400-day window puts both of them inside it.
    reconcile("dev", "-e", f"cert_policy_file={policy_with(tmp_path, dev=400)}")

    requests = moto.requests()
    assert len(calls(requests, "acm-pca", "IssueCertificate")) == 2
    revoked = {r["params"]["CertificateSerial"]: r["params"]["RevocationReason"]
               for r in calls(requests, "acm-pca", "RevokeCertificate")}
    old_serials = {secret["tags"]["dataplatform:serial"] for secret in before.values()}
    assert revoked == {serial: "SUPERSEDED" for serial in old_serials}
    assert {serial: "SUPERSEDED" for serial in old_serials}.items() <= revoked_serials(moto.endpoint).items()
    for user, old in before.items():
        new = user_secret("dev", user)
        assert new["tags"]["dataplatform:serial"] not in old_serials
        _, certificate, _ = open_bundle(new["value"])  # the replaced value opens with its new password
        assert new["value"]["password"] != old["value"]["password"]
        assert dn_of_name(certificate.subject) == old["value"]["subject_dn"]


def test_changed_subject_or_roles_reissue(moto, tmp_path):
    activate_environments("dev")
    requests_dir = copy_requests(tmp_path / "requests", "dev")
    reconcile("dev", "-e", f"cert_requests_dir={requests_dir}")
    old = {user: user_secret("dev", user)["tags"]["dataplatform:serial"] for user in ("alice", "bob")}

    alice = requests_dir / "dev" / "alice.yaml"
    alice.write_text(alice.read_text() + "roles: [admin]\n")
    bob = requests_dir / "dev" / "bob.yaml"
    bob.write_text(bob.read_text().replace("Analytics", "DataEng"))
    moto.clear_requests()
    reconcile("dev", "-e", f"cert_requests_dir={requests_dir}", "-e", f"cert_report_dir={tmp_path}")

    report = report_of(tmp_path, "dev")
    assert (report["alice"]["action"], report["alice"]["reason"]) == ("reissue", "roles changed (were operator)")
    assert (report["bob"]["action"], report["bob"]["reason"]) == (
        "reissue", "subject changed (was CN=bob, OU=Analytics, O=Platform)")
    assert {r["params"]["CertificateSerial"] for r in calls(moto.requests(), "acm-pca", "RevokeCertificate")} == set(
        old.values())
    assert user_secret("dev", "alice")["tags"]["dataplatform:roles"] == "admin"
    _, bob_certificate, _ = open_bundle(user_secret("dev", "bob")["value"])
    assert dn_of_name(bob_certificate.subject) == "CN=bob, OU=DataEng, O=Platform"


def own_csr(common_name: str, organizational_unit: str) -> tuple[str, object]:
    """A CSR a user makes with a key of their own: ``(PEM, key)``."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    csr = (x509.CertificateSigningRequestBuilder().subject_name(x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Platform"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, organizational_unit),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name)])).sign(key, hashes.SHA256()))
    return csr.public_bytes(serialization.Encoding.PEM).decode(), key


def with_csr(request_file, csr_pem: str) -> None:
    document = yaml.safe_load(request_file.read_text())
    document["csr"] = csr_pem
    request_file.write_text(yaml.safe_dump(document, sort_keys=False))


def test_a_request_with_its_own_csr_gets_a_certificate_for_that_key_and_no_key_is_stored(moto, tmp_path):
    """The user keeps the private key: the certificate is issued for the CSR's key, the secret holds
    the certificate and chain only; a second run keeps it; a new key is a reissue."""
    authorities = activate_environments("dev")
    requests_dir = copy_requests(tmp_path / "requests", "dev")
    alice = requests_dir / "dev" / "alice.yaml"
    subject = yaml.safe_load(alice.read_text())["subject"]
    csr, key = own_csr(subject["common_name"], subject["organizational_unit"])
    with_csr(alice, csr)
    reconcile("dev", "-e", f"cert_requests_dir={requests_dir}")

    secret = user_secret("dev", "alice")
    assert secret["value"]["format"] == "certificate"
    assert not {"pkcs12", "password"} & set(secret["value"])
    certificate = x509.load_pem_x509_certificate(secret["value"]["certificate"].encode())
    certificate.verify_directly_issued_by(x509.load_pem_x509_certificate(ca_certificate(authorities["dev"]).encode()))
    assert certificate.public_key().public_numbers() == key.public_key().public_numbers()
    assert dn_of_name(certificate.subject) == subject_dn(subject)
    assert secret["tags"]["dataplatform:key"].startswith("csr:")
    assert user_secret("dev", "bob")["tags"]["dataplatform:key"] == "generated"

    moto.clear_requests()
    reconcile("dev", "-e", f"cert_requests_dir={requests_dir}")
    assert not [key for key in count_actions(moto.requests()) if key.startswith("acm-pca:")]

    with_csr(alice, own_csr(subject["common_name"], subject["organizational_unit"])[0])
    moto.clear_requests()
    reconcile("dev", "-e", f"cert_requests_dir={requests_dir}", "-e", f"cert_report_dir={tmp_path}")
    report = report_of(tmp_path, "dev")
    assert (report["alice"]["action"], report["alice"]["reason"]) == (
        "reissue", "the request's key changed (a CSR of the user's own key)")
    assert [r["params"]["CertificateSerial"] for r in calls(moto.requests(), "acm-pca", "RevokeCertificate")] == [
        secret["tags"]["dataplatform:serial"]]


def test_a_csr_for_another_subject_is_refused_before_any_write(moto, tmp_path):
    activate_environments("dev")
    requests_dir = copy_requests(tmp_path / "requests", "dev")
    with_csr(requests_dir / "dev" / "alice.yaml", own_csr("mallory", "DataEng")[0])
    moto.clear_requests()
    result = run_playbook("user-certs.yml", "-i", "inventories/dev", "-e", f"cert_requests_dir={requests_dir}")
    assert result.returncode != 0
    assert "dev/alice.yaml" in output(result) and "csr" in output(result) and "CN=mallory" in output(result)
    assert writes(moto.requests(), "acm-pca", "secretsmanager") == []


def authorized_dns(requests_dir) -> list[str]:
    """The DNs the NiFi role would render for dev, through the dataplatform.ops.authorized_users lookup."""
    result = subprocess.run(
        ["ansible", "localhost", "-i", "localhost,", "-c", "local", "-m", "ansible.builtin.debug", "-a",
         "msg={{ query('dataplatform.ops.authorized_users', 'dev') | map(attribute='dn') }}",
         "-e", f"cert_requests_dir={requests_dir}"],
        cwd=REQUESTS.parent, capture_output=True, text=True, timeout=120,
        env={**os.environ, "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1", "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"})
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]["msg"]


def test_removed_request_is_revoked_and_leaves_the_authorized_users(moto, tmp_path):
    authorities = activate_environments("dev")
    requests_dir = copy_requests(tmp_path / "requests", "dev")
    reconcile("dev", "-e", f"cert_requests_dir={requests_dir}")
    bob_serial = user_secret("dev", "bob")["tags"]["dataplatform:serial"]
    assert "CN=bob, OU=Analytics, O=Platform" in authorized_dns(requests_dir)

    (requests_dir / "dev" / "bob.yaml").unlink()
    moto.clear_requests()
    reconcile("dev", "-e", f"cert_requests_dir={requests_dir}", "-e", f"cert_report_dir={tmp_path}")

    requests = moto.requests()
    assert [r["params"] for r in calls(requests, "acm-pca", "RevokeCertificate")] == [
        {"CertificateAuthorityArn": authorities["dev"], "CertificateSerial": bob_serial,
         "RevocationReason": "CESSATION_OF_OPERATION"}]
    assert revoked_serials(moto.endpoint)[bob_serial] == "CESSATION_OF_OPERATION"
    assert [r["params"] for r in calls(requests, "secretsmanager", "DeleteSecret")] == [
        {"SecretId": "dataplatform/dev/users/bob", "RecoveryWindowInDays": 30}]
    assert calls(requests, "acm-pca", "IssueCertificate") == []
    bob = report_of(tmp_path, "dev")["bob"]
    assert (bob["action"], bob["dn"], bob["revoked_serial"]) == ("revoke", "CN=bob, OU=Analytics, O=Platform", bob_serial)
    assert user_secret("dev", "bob")["deleted"]
    assert authorized_dns(requests_dir) == ["CN=alice, OU=DataEng, O=Platform"]

    # Revoked once: the next run leaves the secret scheduled for deletion alone.
    moto.clear_requests()
    reconcile("dev", "-e", f"cert_requests_dir={requests_dir}")
    assert writes(moto.requests(), "acm-pca", "secretsmanager") == []

    # Requested again: the secret is restored and holds a new certificate.
    (requests_dir / "dev" / "bob.yaml").write_text((REQUESTS / "dev" / "bob.yaml").read_text())
    reconcile("dev", "-e", f"cert_requests_dir={requests_dir}")
    secret = user_secret("dev", "bob")
    assert not secret["deleted"] and secret["tags"]["dataplatform:serial"] != bob_serial


def test_the_certificate_workflow_runs_without_an_inventory(moto):
    """.github/workflows/cert-issuer.yml: the cert issuer role may not list hosts, so the job names
    its environment instead of reading the environment's inventory."""
    activate_environments("dev")
    result = run_playbook("user-certs.yml", "-i", "localhost,", "-e", "dataplatform_env=dev")
    assert result.returncode == 0, output(result)[-6000:]
    assert sorted(user for user in ("alice", "bob") if user_secret("dev", user)["value"]) == ["alice", "bob"]
    assert not [r for r in moto.requests() if r["service"] in ("autoscaling", "ec2")]


def test_a_run_that_would_revoke_everyone_or_too_many_revokes_nothing(moto, tmp_path):
    """The blast radius: the dev folder emptied or missing (a wrong checkout) or more removals than
    the policy's max_revocations_per_run stop the run before any change (no RevokeCertificate, no
    DeleteSecret, no write at all); an explicit override goes on."""
    activate_environments("dev")
    requests_dir = copy_requests(tmp_path / "requests", "dev")
    reconcile("dev", "-e", f"cert_requests_dir={requests_dir}")
    serials = {user: user_secret("dev", user)["tags"]["dataplatform:serial"] for user in ("alice", "bob")}

    emptied = copy_requests(tmp_path / "emptied", "dev")
    for path in (emptied / "dev").glob("*.yaml"):
        path.unlink()
    missing = copy_requests(tmp_path / "missing", "ppd")  # a checkout without the dev folder
    moto.clear_requests()
    for folder in (emptied, missing):
        refused = run_playbook("user-certs.yml", "-i", "inventories/dev", "-e", f"cert_requests_dir={folder}", unfolded=True)
        assert refused.returncode != 0, folder
        assert ("no certificate request for this environment, so every one of its 2 user certificate(s) would be revoked "
                "(alice, bob)") in output(refused)
        assert "nothing was issued, renewed or revoked" in output(refused)
    assert writes(moto.requests(), "acm-pca", "secretsmanager") == []

    strict = policy_with(tmp_path)
    policy = yaml.safe_load(strict.read_text())
    policy["environments"]["dev"]["max_revocations_per_run"] = 1
    strict.write_text(yaml.safe_dump(policy))
    for user in ("alice", "bob"):
        (requests_dir / "dev" / f"{user}.yaml").unlink()
    (requests_dir / "dev" / "carol.yaml").write_text(
        "user: carol\nenv: dev\nsubject: {common_name: carol, organizational_unit: DataEng, organization: Platform}\n"
        "expiry_days: 30\n")
    refused = run_playbook("user-certs.yml", "-i", "inventories/dev", "-e", f"cert_requests_dir={requests_dir}",
                           "-e", f"cert_policy_file={strict}", unfolded=True)
    assert refused.returncode != 0
    assert "2 user certificates would be revoked (alice, bob), more than the 1 a run may revoke" in output(refused)
    assert writes(moto.requests(), "acm-pca", "secretsmanager") == []
    assert {user: user_secret("dev", user)["tags"]["dataplatform:serial"] for user in ("alice", "bob")} == serials

    reconcile("dev", "-e", f"cert_requests_dir={requests_dir}", "-e", f"cert_policy_file={strict}",
              "-e", "user_certs_allow_mass_revocation=true")
    assert sorted(r["params"]["CertificateSerial"] for r in calls(moto.requests(), "acm-pca", "RevokeCertificate")) == sorted(serials.values())
    assert user_secret("dev", "alice")["deleted"] and user_secret("dev", "bob")["deleted"]


def test_check_mode_shows_the_plan_and_changes_nothing(moto, tmp_path):
    activate_environments("dev")
    requests_dir = copy_requests(tmp_path / "requests", "dev")
    reconcile("dev", "-e", f"cert_requests_dir={requests_dir}")

    # Moving the clock: as of 2030 every certificate has expired and is due for renewal.
    moto.clear_requests()
    reconcile("dev", "--check", "-e", f"cert_requests_dir={requests_dir}", "-e", "cert_renewal_as_of=2030-01-01T00:00:00Z",
              "-e", f"cert_report_dir={tmp_path}")
    assert {user: (entry["action"], entry["reason"]) for user, entry in report_of(tmp_path, "dev").items()} == {
        "alice": ("renew", "expired"), "bob": ("renew", "expired")}
    assert writes(moto.requests(), "acm-pca", "secretsmanager") == []

    (requests_dir / "dev" / "bob.yaml").unlink()
    (requests_dir / "dev" / "carol.yaml").write_text(
        "user: carol\nenv: dev\nsubject: {common_name: carol, organizational_unit: DataEng, organization: Platform}\n"
        "expiry_days: 30\n")
    moto.clear_requests()

    result = reconcile("dev", "--check", "--diff", "-e", f"cert_requests_dir={requests_dir}",
                       "-e", f"cert_report_dir={tmp_path}")

    assert writes(moto.requests(), "acm-pca", "secretsmanager", "ssm") == []
    assert not [r for r in moto.requests() if r["service"] == "acm-pca"]
    text = output(result)
    assert "(plan, check mode)" in text
    assert "issue: 1, renew: 0, reissue: 0, revoke: 1, protect: 0, keep: 1" in text
    planned = {user: entry["action"] for user, entry in report_of(tmp_path, "dev").items()}
    assert planned == {"alice": "keep", "bob": "revoke", "carol": "issue"}
    assert not user_secret("dev", "bob")["deleted"]


def test_verbose_output_reveals_no_key_bundle_or_password(moto):
    activate_environments("dev")

    result = reconcile("dev", "-vvv")

    text = output(result)
    assert "user_certificates" in text and "alice" in text  # the verbose run did show the module's work
    for user in ("alice", "bob"):
        value = user_secret("dev", user)["value"]
        assert value["password"] not in text
        assert value["pkcs12"][:64] not in text
        assert value["pkcs12"][len(value["pkcs12"]) // 2:][:64] not in text
    assert "PRIVATE KEY" not in text


def test_a_users_secret_is_under_the_platforms_key_and_readable_only_by_the_issuer_and_its_readers(moto, tmp_path):
    """The bundle's resource policy names the cert issuer and the request's readers; a change of
    readers only rewrites the policy (protect), without a new certificate."""
    import boto3

    activate_environments("dev")
    requests_dir = copy_requests(tmp_path / "requests", "dev")
    reconcile("dev", "-e", f"cert_requests_dir={requests_dir}")
    secrets = boto3.client("secretsmanager")
    name = "dataplatform/dev/users/alice"
    described = secrets.describe_secret(SecretId=name)
    assert described["KmsKeyId"].startswith("arn:aws:kms:")
    policy = json.loads(secrets.get_resource_policy(SecretId=name)["ResourcePolicy"])
    read = next(statement for statement in policy["Statement"] if statement["Sid"] == "OnlyTheIssuerAndTheUserRead")
    assert read["Effect"] == "Deny" and read["Condition"]["ArnNotEquals"]["aws:PrincipalArn"] == [
        "arn:aws:iam::123456789012:role/dataplatform-dev-cert-issuer", "arn:aws:iam::111111111111:role/dataplatform-dev-user-alice"]
    serial = {tag["Key"]: tag["Value"] for tag in described["Tags"]}["dataplatform:serial"]

    request = requests_dir / "dev" / "alice.yaml"
    request.write_text(request.read_text().replace("dataplatform-dev-user-alice", "alice-workstation"))
    result = reconcile("dev", "-e", f"cert_requests_dir={requests_dir}")
    assert "protect: 1" in output(result)
    policy = json.loads(secrets.get_resource_policy(SecretId=name)["ResourcePolicy"])
    assert "arn:aws:iam::111111111111:role/alice-workstation" in json.dumps(policy)
    tags = {tag["Key"]: tag["Value"] for tag in secrets.describe_secret(SecretId=name)["Tags"]}
    assert tags["dataplatform:serial"] == serial
    again = reconcile("dev", "-e", f"cert_requests_dir={requests_dir}")
    assert "protect: 0" in output(again) and "changed=0" in output(again)
