from __future__ import annotations

import pytest

from ansible_collections.dataplatform.ops.plugins.module_utils import nifi_properties as props

DEFAULTS = {"release": "9.9.9", "properties": [["nifi.a", "1"], ["nifi.b", ""], ["nifi.c", "x y"]]}


def test_parse_follows_java_properties_rules():
    text = "\n".join([
        "# comment",
        "! also a comment",
        "",
        "a=1",
        "b = two words ",
        "c:3",
        "d 4",
        "e=",
        "f==g",
        "long=first \\",
        "     second",
        "path=C:\\\\dir\\tname",
        "uni=caf\\u00e9",
        "  indented=yes",
    ])
    assert props.parse_properties(text) == [
        ("a", "1"), ("b", "two words "), ("c", "3"), ("d", "4"), ("e", ""), ("f", "=g"),
        ("long", "first second"), ("path", "C:\\dir\tname"), ("uni", "café"), ("indented", "yes"),
    ]


@pytest.mark.parametrize("value", ["plain", "^CN=([^,]+), OU=NiFiNodes\\.x$", " leading", "tab\there", "café ☃", "a=b:c#d", ""])
def test_escaped_values_read_back_unchanged(value):
    text = "k=%s\n" % props.escape_value(value)
    assert text.isascii()
    assert props.parse_properties(text) == [("k", value)]


def test_render_keeps_every_default_in_order_and_applies_overrides():
    text = props.render_properties(DEFAULTS, {"nifi.b": True, "nifi.z": 8443, "nifi.m": None}, header="Managed\n\nby Ansible")
    lines = text.splitlines()
    assert lines[:3] == ["# Managed", "#", "# by Ansible"]
    assert [line for line in lines if line and not line.startswith("#")] == [
        "nifi.a=1", "nifi.b=true", "nifi.c=x y", "nifi.m=", "nifi.z=8443",
    ]
    assert props.parse_properties(text)[:3] == [("nifi.a", "1"), ("nifi.b", "true"), ("nifi.c", "x y")]


def test_render_is_deterministic_whatever_the_order_of_overrides():
    first = props.render_properties(DEFAULTS, {"nifi.y": "1", "nifi.x": "2"})
    second = props.render_properties(DEFAULTS, {"nifi.x": "2", "nifi.y": "1"})
    assert first == second


@pytest.mark.parametrize(
    "defaults, overrides, message",
    [
        (DEFAULTS, {"bad key": "1"}, "key 'bad key'"),
        (DEFAULTS, {"nifi.a": ["list"]}, "nifi.properties key nifi.a: a value must be"),
        (DEFAULTS, "nifi.a=1", "overrides must be a mapping"),
        ({"properties": []}, {}, "defaults document"),
        ({"release": "1", "properties": [["a", "1"], ["a", "2"]]}, {}, r"properties\[1\]: key a appears twice"),
        ({"release": "1", "properties": [["a"]]}, {}, r"properties\[0\] must be a \[key, value\] pair"),
    ],
)
def test_bad_input_names_the_key(defaults, overrides, message):
    with pytest.raises(props.PropertiesError, match=message):
        props.render_properties(defaults, overrides)
