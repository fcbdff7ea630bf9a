"""The airflow role's login (FAB with an OpenID Connect provider), its metadata database TLS and
the variables of the DAGs' metrics.

The checks and the templates run as a converge runs them: ansible-playbook includes the role's
``check_login`` entry point (argument specs, then the asserts) on local hosts, one per case, and
renders ``webserver_config.py`` and the database settings with the role's own defaults and vars.
The rendered ``webserver_config.py`` is compiled, then executed with stand-ins for the modules
the Airflow host has (boto3's Secrets Manager client, FAB, Airflow's security manager).
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import subprocess
import sys
import types
from contextlib import redirect_stdout
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from cryptography import x509

from tests.conftest import REPO_ROOT

ROLE = REPO_ROOT / "collections" / "ansible_collections" / "dataplatform" / "ops" / "roles" / "airflow"
PLATFORM = {
    "region": "eu-west-1",
    "rds": {"endpoint": "airflow.abc123.eu-west-1.rds.amazonaws.com", "port": 5432, "db_name": "airflow",
            "credentials_secret_arn": "arn:aws:secretsmanager:eu-west-1:111111111111:secret:rds!db-1"},
    "buckets": {"dags": "dags", "logs": "logs", "bronze": "bronze", "silver": "silver", "gold": "gold"},
    "nifi": {"nlb_dns_name": "nifi.internal"},
    "airflow": {"api_domain_name": "airflow.dev.corp.test"},
    "processing": {"emr_serverless_application_id": None, "spark_job_role_arn": None,
                   "spark_artifacts_uri": "s3://a/spark/", "spark_logs_uri": "s3://l/spark/"},
    "glue": {"silver_database": "silver", "gold_database": "gold"},
    "alerts": {"pipeline_topic_arn": "arn:aws:sns:eu-west-1:111111111111:alerts"},
    "telemetry": {"metrics_namespace": "DataPlatform/dev", "metric_names": {"dag_run_failed": "DagRunFailed"}},
}
LOGIN = {
    "provider": "oidc",
    "oidc": {"issuer": "https://idp.corp.test/oauth2/dataplatform/", "client_id": "airflow-dev"},
    "roles_mapping": {"airflow-admins": ["Admin"], "airflow-operators": "Op", "data-engineers": ["User", "Viewer"]},
}

PLAYBOOK = f"""
- hosts: all
  gather_facts: false
  tasks:
    - name: The converge's first step
      ansible.builtin.include_role:
        name: dataplatform.ops.airflow
        tasks_from: check_login
        public: true
    - name: What the role writes for the FAB auth manager
      ansible.builtin.template:
        src: {ROLE}/templates/webserver_config.py.j2
        dest: "{{{{ output_dir }}}}/{{{{ inventory_hostname }}}}.py"
        mode: "0600"
      when: airflow_auth_manager == 'fab'
    - name: The database settings the role renders
      ansible.builtin.copy:
        content: "{{{{ {{'uri_command': airflow_db_uri_command, 'environment': airflow_process_environment,
                       'fab': airflow_config_sections.fab, 'sslmode': airflow_db_sslmode}} | to_json }}}}"
        dest: "{{{{ output_dir }}}}/{{{{ inventory_hostname }}}}.json"
        mode: "0600"
"""


def converge_check(tmp_path: Path, cases: dict[str, dict]) -> dict[str, dict]:
    """Runs the playbook once, one local host per case; returns each host's failure and stats."""
    inventory = {"all": {"vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                                  "dataplatform_platform": PLATFORM, "output_dir": str(tmp_path)},
                         "hosts": cases}}
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
    (tmp_path / "playbook.yml").write_text(PLAYBOOK)
    bin_dir = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
               ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json")
    result = subprocess.run([str(bin_dir / "ansible-playbook"), "-i", str(tmp_path / "inventory.yml"),
                             str(tmp_path / "playbook.yml")],
                            cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    report = json.loads(result.stdout[result.stdout.index("{"):])
    hosts = {name: {"failed": None, "stats": report["stats"][name]} for name in cases}
    for play in report["plays"]:
        for task in play["tasks"]:
            for name, outcome in task["hosts"].items():
                if outcome.get("failed") and hosts[name]["failed"] is None:
                    hosts[name]["failed"] = outcome.get("msg", "")
    return hosts


@pytest.fixture(scope="module")
def converged(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("airflow-login")
    inventories = {env: yaml.safe_load((REPO_ROOT / "inventories" / env / "group_vars" / "role_airflow.yml")
                                       .read_text())
                   for env in ("dev", "ppd", "prod")}
    cases = {
        "dev_with_idp": {"dataplatform_env": "dev", "airflow_login": LOGIN},
        "dev_without_idp": {"dataplatform_env": "dev"},
        "prod_without_client_id": {"dataplatform_env": "prod",
                                   "airflow_login": {**LOGIN, "oidc": {"issuer": LOGIN["oidc"]["issuer"]}}},
        "ppd_wrong_settings": {"dataplatform_env": "ppd", "airflow_login": {
            "provider": "ldap", "oidc": {"issuer": "http://idp.corp.test", "client_id": "x", "scopes": ["email"]},
            "roles_mapping": {"admins": ["Admin", "Superuser"]}}},
        "prod_simple_auth": {"dataplatform_env": "prod", "airflow_auth_manager": "simple", "airflow_login": LOGIN},
        "sandbox": {"dataplatform_env": "local"},
    }
    cases.update({f"{env}_inventory": {"dataplatform_env": env, **variables} for env, variables in inventories.items()})
    return tmp_path, converge_check(tmp_path, cases)


def test_an_environment_with_an_identity_provider_passes_and_changes_nothing(converged):
    _, hosts = converged
    assert hosts["dev_with_idp"]["failed"] is None
    assert hosts["sandbox"]["failed"] is None


@pytest.mark.parametrize("case", ["dev_without_idp", "prod_without_client_id", "ppd_wrong_settings", "prod_simple_auth",
                                  "dev_inventory", "ppd_inventory", "prod_inventory"])
def test_a_failed_check_changes_nothing(converged, case):
    _, hosts = converged
    assert hosts[case]["failed"]
    assert hosts[case]["stats"]["changed"] == 0


def test_no_identity_provider_names_the_variable_and_the_inventory_file(converged):
    message = converged[1]["dev_without_idp"]["failed"]
    assert "No identity provider for Airflow's login in dev" in message
    assert "set airflow_login in inventories/dev/group_vars/role_airflow.yml" in message
    assert "dataplatform/dev/airflow/config/oidc-client-secret" in message


def test_a_missing_field_is_named(converged):
    message = converged[1]["prod_without_client_id"]["failed"]
    assert message.startswith("inventories/prod/group_vars/role_airflow.yml: ")
    assert "airflow_login.oidc.client_id is missing" in message
    assert "issuer" not in message


def test_every_wrong_field_is_named(converged):
    message = converged[1]["ppd_wrong_settings"]["failed"]
    assert message.startswith("inventories/ppd/group_vars/role_airflow.yml: ")
    for expected in ("airflow_login.provider is ldap",
                     "airflow_login.oidc.issuer http://idp.corp.test is not an https:// URL",
                     "airflow_login.oidc.scopes must include openid",
                     "group admins maps to a role other than Admin, Op, User or Viewer"):
        assert expected in message


def test_simple_auth_is_refused_outside_the_sandbox(converged):
    assert "SimpleAuthManager is only for the local sandbox" in converged[1]["prod_simple_auth"]["failed"]


@pytest.mark.parametrize("env", ["dev", "ppd", "prod"])
def test_the_inventories_placeholders_are_the_only_thing_left_to_set(converged, env):
    message = converged[1][f"{env}_inventory"]["failed"]
    assert message == (f"inventories/{env}/group_vars/role_airflow.yml: airflow_login.oidc.issuer "
                       "https://login.example.org/oauth2/dataplatform is the placeholder of the inventory: "
                       "set the issuer of the identity provider of the organisation.")


# --- webserver_config.py -----------------------------------------------------------------------

def load_webserver_config(path: Path, secret: str | Exception, userinfo: dict | None = None):
    """Executes the rendered file as the api-server imports it, with stand-ins for the host's modules."""
    calls = []

    class SecretsManager:
        def get_secret_value(self, SecretId):  # noqa: N803 - boto3's keyword
            calls.append(SecretId)
            if isinstance(secret, Exception):
                raise ClientError(str(secret))
            return {"SecretString": secret}

    class ClientError(Exception):
        pass

    boto3 = types.ModuleType("boto3")
    boto3.client = lambda service, region_name=None: calls.append((service, region_name)) or SecretsManager()
    botocore = types.ModuleType("botocore")
    botocore.exceptions = types.SimpleNamespace(BotoCoreError=ClientError, ClientError=ClientError)
    override = types.ModuleType("airflow.providers.fab.auth_manager.security_manager.override")
    override.FabAirflowSecurityManagerOverride = type("FabAirflowSecurityManagerOverride", (), {})
    const = types.ModuleType("flask_appbuilder.const")
    const.AUTH_OAUTH = 4
    modules = {"boto3": boto3, "botocore": botocore, "botocore.exceptions": botocore.exceptions,
               "airflow.providers.fab.auth_manager.security_manager.override": override,
               "flask_appbuilder.const": const}
    saved = {name: sys.modules.get(name) for name in modules}
    sys.modules.update(modules)
    try:
        namespace: dict = {"__name__": "webserver_config"}
        exec(compile(path.read_text(), str(path), "exec"), namespace)  # noqa: S102 - the file under test
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
    return namespace, calls


def test_webserver_config_is_fab_with_the_identity_provider(converged):
    path = converged[0] / "dev_with_idp.py"
    source = path.read_text()
    assert "airflow-dev" in source and "s3cr3t" not in source
    config, calls = load_webserver_config(path, "s3cr3t")
    assert calls == [("secretsmanager", "eu-west-1"), "dataplatform/dev/airflow/config/oidc-client-secret"]
    assert config["AUTH_TYPE"] == 4
    assert config["AUTH_USER_REGISTRATION"] is True and config["AUTH_ROLES_SYNC_AT_LOGIN"] is True
    assert config["AUTH_USER_REGISTRATION_ROLE"] == "Public"
    assert config["AUTH_ROLES_MAPPING"] == {"airflow-admins": ["Admin"], "airflow-operators": ["Op"],
                                            "data-engineers": ["User", "Viewer"]}
    [provider] = config["OAUTH_PROVIDERS"]
    assert provider["name"] == "identity-provider"
    assert provider["remote_app"] == {
        "client_id": "airflow-dev", "client_secret": "s3cr3t",
        "server_metadata_url": "https://idp.corp.test/oauth2/dataplatform/.well-known/openid-configuration",
        "client_kwargs": {"scope": "openid email profile"}}
    assert config["SECURITY_MANAGER_CLASS"].__name__ == "OpenIDConnectSecurityManager"
    assert "# https://airflow.dev.corp.test/auth/oauth-authorized/identity-provider" in source


def test_users_come_from_the_id_token_claims_completed_by_userinfo(converged):
    config, _ = load_webserver_config(converged[0] / "dev_with_idp.py", "s3cr3t")
    manager = config["SECURITY_MANAGER_CLASS"]()
    requested = []
    manager.oauth_remotes = {"identity-provider": types.SimpleNamespace(
        userinfo=lambda token: requested.append(token) or {"groups": "data-engineers"})}
    token = {"access_token": "a", "userinfo": {"preferred_username": "alice", "email": "alice@corp.test",
                                               "given_name": "Alice", "family_name": "Liddell"}}
    assert manager.get_oauth_user_info("identity-provider", token) == {
        "username": "alice", "email": "alice@corp.test", "first_name": "Alice", "last_name": "Liddell",
        "role_keys": ["data-engineers"]}
    assert requested == [token]
    requested.clear()
    token["userinfo"]["groups"] = ["airflow-admins"]
    assert manager.get_oauth_user_info("identity-provider", token)["role_keys"] == ["airflow-admins"]
    assert requested == []


def test_an_unreadable_client_secret_stops_the_api_server_naming_it(converged):
    with pytest.raises(RuntimeError, match="cannot read the OpenID Connect client secret "
                       "dataplatform/dev/airflow/config/oidc-client-secret"):
        load_webserver_config(converged[0] / "dev_with_idp.py", Exception("AccessDenied"))


# --- The metadata database's TLS ---------------------------------------------------------------

def test_rds_is_verified_against_the_rds_bundle_and_the_sandbox_keeps_require(converged):
    tmp_path, _ = converged
    dev = json.loads((tmp_path / "dev_with_idp.json").read_text())
    bundle = "/etc/airflow/rds-global-bundle.pem"
    assert dev["sslmode"] == "verify-full"
    assert dev["uri_command"].endswith(f"--sslmode verify-full --region eu-west-1 --sslrootcert {bundle}")
    assert dev["environment"]["PGSSLROOTCERT"] == bundle
    assert dev["fab"] == {"config_file": "/etc/airflow/webserver_config.py", "enable_proxy_fix": "True"}
    sandbox = json.loads((tmp_path / "sandbox.json").read_text())
    assert "--sslmode require" in sandbox["uri_command"] and "--sslrootcert" not in sandbox["uri_command"]
    assert "PGSSLROOTCERT" not in sandbox["environment"]


def test_the_dags_metrics_variables_come_from_the_platform_document(converged):
    """dags/dataplatform_dags/metrics.py reads the namespace, and each metric's name by its key
    as a JSON object (airflow.env writes a mapping as JSON)."""
    tmp_path, _ = converged
    environment = json.loads((tmp_path / "dev_with_idp.json").read_text())["environment"]
    assert environment["AIRFLOW_VAR_DATAPLATFORM_METRICS_NAMESPACE"] == "DataPlatform/dev"
    assert environment["AIRFLOW_VAR_DATAPLATFORM_METRIC_NAMES"] == {"dag_run_failed": "DagRunFailed"}


def test_the_rds_bundle_is_amazon_rds_root_cas_valid_for_the_accounts_region():
    certificates = x509.load_pem_x509_certificates((ROLE / "files" / "rds-global-bundle.pem").read_bytes())
    now = datetime.now(timezone.utc)
    names = set()
    for certificate in certificates:
        assert certificate.subject == certificate.issuer
        [unit] = certificate.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATIONAL_UNIT_NAME)
        assert unit.value == "Amazon RDS"
        assert certificate.not_valid_after_utc > now
        names.add(certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value)
    # The CA RDS gives a new instance by default (rds-ca-rsa2048-g1) in the accounts' region.
    assert "Amazon RDS eu-west-1 Root CA RSA2048 G1" in names


def metadata_db_uri(monkeypatch, *arguments):
    spec = importlib.util.spec_from_file_location("metadata_db_uri", ROLE / "files" / "metadata_db_uri.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    secrets = types.SimpleNamespace(get_secret_value=lambda SecretId: {  # noqa: N803 - boto3's keyword
        "SecretString": json.dumps({"username": "airflow", "password": "p@ss/word"})})
    monkeypatch.setattr(module.boto3, "client", lambda *args, **kwargs: secrets)
    monkeypatch.setattr(sys, "argv", ["metadata_db_uri.py", "--secret-id", "s", "--host", "db.example",
                                      "--port", "5432", "--database", "airflow", *arguments])
    output = io.StringIO()
    with redirect_stdout(output):
        module.main()
    return output.getvalue().strip()


def test_the_database_uri_carries_the_ca_bundle_for_psycopg2_only(monkeypatch):
    arguments = ("--sslmode", "verify-full", "--sslrootcert", "/etc/airflow/rds-global-bundle.pem")
    assert metadata_db_uri(monkeypatch, *arguments) == (
        "postgresql+psycopg2://airflow:p%40ss%2Fword@db.example:5432/airflow"
        "?sslmode=verify-full&sslrootcert=/etc/airflow/rds-global-bundle.pem")
    # asyncpg.connect() takes no root certificate argument: it reads PGSSLROOTCERT.
    assert metadata_db_uri(monkeypatch, *arguments, "--driver", "asyncpg") == (
        "postgresql+asyncpg://airflow:p%40ss%2Fword@db.example:5432/airflow?ssl=verify-full")
    assert metadata_db_uri(monkeypatch, "--sslmode", "require").endswith("/airflow?sslmode=require")
