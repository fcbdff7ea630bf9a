"""The load balancers' stand-in (sandbox/load_balancers.py): its HAProxy configuration, the
targets' health read from HAProxy and the hosts file block, from recorded data."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.haproxy import haproxy_configuration, target_health
from sandbox.load_balancer_model import HealthCheck, Listener, Target, TargetGroup, loopback_address, status_matcher
from sandbox.load_balancers import with_hosts_block

pytestmark = pytest.mark.unit

NIFI = TargetGroup(
    name="dp-local-nifi-https", protocol="TCP", port=8443, sticky_by_source=True,
    health_check=HealthCheck("TCP", "traffic-port", "/", "200", 10, 10, 3, 3),
    targets=[Target("i-0aaa", "10.30.1.5", 8443), Target("i-0bbb", "10.30.2.5", 8443)])
AIRFLOW = TargetGroup(
    name="dp-local-airflow-api", protocol="HTTP", port=8080,
    health_check=HealthCheck("HTTP", "traffic-port", "/api/v2/monitor/health", "200", 15, 5, 2, 3),
    targets=[Target("i-0ccc", "10.30.1.9", 8080)])
LISTENERS = [
    Listener("dp-local-nifi-nlb", "nlb.example", "127.9.9.1", 8443, "TCP", target_group=NIFI),
    Listener("dp-local-airflow-alb", "alb.example", "127.9.9.2", 443, "HTTPS", "arn:aws:acm:cert",
             target_group=AIRFLOW),
    Listener("dp-local-airflow-alb", "alb.example", "127.9.9.2", 80, "HTTP", action="redirect"),
]


def sections(configuration: str) -> dict[str, list[str]]:
    found, current = {}, None
    for line in configuration.splitlines():
        if line and not line.startswith((" ", "#")):
            current = line
            found[current] = []
        elif current and line.strip():
            found[current].append(line.strip())
    return found


def test_an_nlb_tcp_listener_passes_tls_through_to_its_targets_with_a_tcp_health_check():
    configuration = sections(haproxy_configuration(LISTENERS, {"dp-local-airflow-alb-443": Path("/s/alb.pem")},
                                                   Path("/s/haproxy.sock")))
    assert configuration["frontend dp-local-nifi-nlb-8443"] == [
        "bind 127.9.9.1:8443", "mode tcp", "default_backend dp-local-nifi-https"]
    backend = configuration["backend dp-local-nifi-https"]
    assert "balance source" in backend and "mode tcp" in backend
    assert "default-server check inter 10s rise 3 fall 3" in backend
    assert not any(line.startswith("option httpchk") for line in backend)
    assert backend[-2:] == ["server i-0aaa 10.30.1.5:8443", "server i-0bbb 10.30.2.5:8443"]


def test_an_alb_https_listener_ends_tls_and_forwards_http_with_the_target_groups_health_check():
    configuration = sections(haproxy_configuration(LISTENERS, {"dp-local-airflow-alb-443": Path("/s/alb.pem")},
                                                   Path("/s/haproxy.sock")))
    frontend = configuration["frontend dp-local-airflow-alb-443"]
    assert frontend[:2] == ["bind 127.9.9.2:443 ssl crt /s/alb.pem", "mode http"]
    assert "http-request set-header X-Forwarded-Proto https" in frontend and "option forwardfor" in frontend
    backend = configuration["backend dp-local-airflow-api"]
    assert "option httpchk GET /api/v2/monitor/health" in backend
    assert "http-check expect rstatus ^(200)$" in backend
    assert "default-server check inter 15s rise 2 fall 3" in backend and "timeout check 5s" in backend
    assert "server i-0ccc 10.30.1.9:8080" in backend
    assert "ssl-default-bind-options ssl-min-ver TLSv1.2" in configuration["global"]


def test_a_listener_whose_action_is_not_forward_is_named_and_not_served():
    configuration = haproxy_configuration(LISTENERS, {"dp-local-airflow-alb-443": Path("/s/alb.pem")}, Path("/s/x"))
    assert "# alb.example:80 (HTTP, redirect): not emulated" in configuration
    assert "frontend dp-local-airflow-alb-80" not in configuration


@pytest.mark.parametrize(("codes", "expected"), [
    ("200", "^(200)$"), ("200,202", "^(200|202)$"), ("200-203", "^(200|201|202|203)$")])
def test_status_matcher(codes, expected):
    assert status_matcher(codes) == expected


SHOW_STAT = """# pxname,svname,qcur,status,check_status,check_code,last_chk,addr,
dp-local-nifi-nlb-8443,FRONTEND,,OPEN,,,,,
dp-local-nifi-https,i-0aaa,0,DOWN,L4CON,,Connection refused,10.30.1.5:8443,
dp-local-nifi-https,i-0bbb,0,UP,L4OK,,,10.30.2.5:8443,
dp-local-nifi-https,BACKEND,0,DOWN,,,,,
dp-local-airflow-api,i-0ccc,0,UP,L7OK,200,HTTP status check returned code <200>,10.30.1.9:8080,
dp-local-airflow-api,i-0ddd,0,DOWN,INI,,,10.30.1.10:8080,
"""


def test_target_health_in_the_load_balancers_words():
    health = {item.instance_id: item for item in target_health(SHOW_STAT)}
    assert sorted(health) == ["i-0aaa", "i-0bbb", "i-0ccc", "i-0ddd"]
    assert (health["i-0aaa"].state, health["i-0aaa"].reason) == ("unhealthy", "L4CON: Connection refused")
    assert health["i-0bbb"].state == "healthy"
    assert (health["i-0ccc"].state, health["i-0ccc"].target_group) == ("healthy", "dp-local-airflow-api")
    assert health["i-0ddd"].state == "initial"


def test_the_hosts_block_is_added_replaced_and_removed_leaving_other_lines():
    original = "127.0.0.1 localhost\n# >>> other (written by the dataplatform sandbox)\n127.1.1.1 a\n# <<< other\n"
    added = with_hosts_block(original, "mine", {"nlb.example": "127.9.9.1", "alb.example": "127.9.9.2"})
    assert added == original + ("# >>> mine (written by the dataplatform sandbox)\n127.9.9.2 alb.example\n"
                                "127.9.9.1 nlb.example\n# <<< mine\n")
    replaced = with_hosts_block(added, "mine", {"alb.example": "127.9.9.3"})
    assert "127.9.9.3 alb.example" in replaced and "nlb.example" not in replaced
    assert with_hosts_block(replaced, "mine", {}) == original


def test_each_sandbox_has_its_own_loopback_range():
    first, second = loopback_address("dataplatform-sandbox", 0), loopback_address("dp-e2e-123456", 0)
    assert first.startswith("127.") and first.endswith(".1")
    assert first.rsplit(".", 1)[0] != second.rsplit(".", 1)[0]
    assert loopback_address("dataplatform-sandbox", 1).rsplit(".", 1) == [first.rsplit(".", 1)[0], "2"]
