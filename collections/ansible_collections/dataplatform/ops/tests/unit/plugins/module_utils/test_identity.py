from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from ansible_collections.dataplatform.ops.plugins.module_utils import identity

ALICE = {"common_name": "alice", "organizational_unit": "DataEng", "organization": "Platform"}


def test_subject_dn_is_the_string_nifi_compares():
    assert identity.subject_dn(ALICE) == "CN=alice, OU=DataEng, O=Platform"


def test_absent_attributes_are_left_out():
    assert identity.subject_dn({"common_name": "node-1", "organization": "Platform"}) == "CN=node-1, O=Platform"


def test_rdns_are_in_certificate_order():
    assert identity.subject_rdns(ALICE) == [{"O": "Platform"}, {"OU": "DataEng"}, {"CN": "alice"}]


def test_tag_safe_form_has_no_comma():
    assert identity.tag_safe_dn(ALICE) == "CN=alice/OU=DataEng/O=Platform"


def test_tag_safe_form_reads_back_as_the_identity():
    assert identity.dn_of_tag(identity.tag_safe_dn(ALICE)) == identity.subject_dn(ALICE) == "CN=alice, OU=DataEng, O=Platform"


@pytest.mark.parametrize("tag", ["CN=alice/OU", "CN=alice/L=Paris", "CN=al,ice"])
def test_tag_safe_form_refuses_what_was_never_written(tag):
    with pytest.raises(ValueError):
        identity.dn_of_tag(tag)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("alice, OU=admins", "contains ','"),
        ("alice+OU=x", "contains '+'"),
        ('al"ice', "contains '\"'"),
        ("a\\b", "contains '\\\\'"),
        ("<alice>", "contains '<'"),
        ("alice;", "contains ';'"),
        ("#alice", "contains '#'"),
        ("CN=alice", "contains '='"),
        (" alice", "must not start or end with whitespace"),
        ("alice ", "must not start or end with whitespace"),
        ("ali  ce", "consecutive spaces"),
        ("alice\n", "whitespace"),
        ("ali\x07ce", "control character U+0007"),
        ("ali\u200bce", "U+200B"),
        ("\u0430lice", "non-ASCII character U+0430 (CYRILLIC SMALL LETTER A)"),
        ("alic\u0435", "U+0435"),
        ("al!ce", "contains '!'"),
        ("", "must not be empty"),
        ("a" * 65, "65 characters"),
        (42, "must be a string"),
    ],
)
def test_unsafe_values_are_refused_with_a_reason(value, reason):
    assert reason in identity.unsafe_value_reason(value)


@pytest.mark.parametrize("value", ["alice", "ci-user", "ops.user_2", "Data Platform", "alice@example.org", "a" * 64])
def test_safe_values_pass(value):
    assert identity.unsafe_value_reason(value) is None


def test_subject_dn_refuses_injection_unknown_keys_and_missing_cn():
    with pytest.raises(ValueError, match="common_name contains ','"):
        identity.subject_dn(dict(ALICE, common_name="alice, OU=admins"))
    with pytest.raises(ValueError, match="unknown subject key"):
        identity.subject_dn(dict(ALICE, country="FR"))
    with pytest.raises(ValueError, match="no common_name"):
        identity.subject_dn({"organization": "Platform"})
    with pytest.raises(ValueError, match="mapping"):
        identity.subject_dn("CN=alice")


def test_dn_of_a_certificate_name_matches_the_request():
    name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Platform"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "DataEng"),
        x509.NameAttribute(NameOID.COMMON_NAME, "alice"),
    ])
    assert identity.dn_of_name(name) == identity.subject_dn(ALICE)


def test_dn_of_name_refuses_what_the_project_never_issues():
    with pytest.raises(ValueError, match="not used"):
        identity.dn_of_name(x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "FR")]))
    with pytest.raises(ValueError, match="multi-valued"):
        identity.dn_of_name(x509.Name([x509.RelativeDistinguishedName([
            x509.NameAttribute(NameOID.COMMON_NAME, "a"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "b")])]))
    with pytest.raises(ValueError, match="CN contains ','"):
        identity.dn_of_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "a,b")]))


def test_dn_of_attributes_reads_community_crypto_subject_ordered():
    ordered = [["organizationName", "Platform"], ["organizationalUnitName", "Nodes"], ["commonName", "node-1"]]
    assert identity.dn_of_attributes(ordered) == "CN=node-1, OU=Nodes, O=Platform"
    assert identity.dn_of_attributes([("O", "Platform"), ("2.5.4.3", "node-1")]) == "CN=node-1, O=Platform"
    with pytest.raises(ValueError, match="emailAddress is not used"):
        identity.dn_of_attributes([["emailAddress", "a@b.c"]])
