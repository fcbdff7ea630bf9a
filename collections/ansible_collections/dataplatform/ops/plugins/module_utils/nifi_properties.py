# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""``nifi.properties`` from the full default set of the pinned NiFi release plus our overrides.

The role ships the release's defaults as a JSON document (``roles/nifi/files/``), generated from
the release's own ``nifi.properties`` by :func:`parse_properties` and checked against it by the
unit tests. :func:`render_properties` writes every default key in the release's order, with the
overrides in place, and then the keys the release does not list (identity mappings, for
example) in a section of their own, sorted. The output is a pure function of its inputs, so
every node with the same settings gets the same bytes.

Values are written as Java's ``Properties.load`` reads them (ISO-8859-1 with ``\\uXXXX``
escapes, backslashes doubled): a regular expression such as an identity mapping pattern keeps its
backslashes.
"""

from __future__ import annotations

import re

KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


class PropertiesError(ValueError):
    """Input that cannot be written as nifi.properties; the message names the key."""


def _logical_lines(text):
    """Java's logical lines: comments and blanks dropped, backslash continuations joined."""
    pending = None
    for raw in text.splitlines():
        line = raw.lstrip(" \t\f")
        if pending is None and (not line or line[0] in "#!"):
            continue
        trailing = len(line) - len(line.rstrip("\\"))
        continues = trailing % 2 == 1
        if continues:
            line = line[:-1]
        pending = line if pending is None else pending + line
        if not continues:
            yield pending
            pending = None
    if pending is not None:
        yield pending


def _unescape(text):
    out = []
    index = 0
    while index < len(text):
        char = text[index]
        if char != "\\" or index + 1 == len(text):
            out.append(char)
            index += 1
            continue
        following = text[index + 1]
        if following == "u":
            out.append(chr(int(text[index + 2:index + 6], 16)))
            index += 6
        else:
            out.append(_ESCAPES.get(following, following))
            index += 2
    return "".join(out)


def parse_properties(text):
    """``[(key, value)]`` of a Java properties text, in order (the subset of ``Properties.load`` NiFi's files use)."""
    pairs = []
    for line in _logical_lines(text):
        index = 0
        while index < len(line):
            char = line[index]
            if char == "\\":
                index += 2
                continue
            if char in "=: \t\f":
                break
            index += 1
        key = line[:index]
        rest = line[index:].lstrip(" \t\f")
        if rest[:1] in ("=", ":"):
            rest = rest[1:].lstrip(" \t\f")
        pairs.append((_unescape(key), _unescape(rest)))
    return pairs


def escape_value(value):
    """``value`` as ``Properties.load`` reads it back unchanged."""
    out = []
    for position, char in enumerate(value):
        code = ord(char)
        if char == "\\":
            out.append("\\\\")
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif char == "\f":
            out.append("\\f")
        elif char == " " and position == 0:
            out.append("\\ ")
        elif code < 0x20 or code > 0x7E:
            out.append("\\u%04x" % code if code <= 0xFFFF else "".join("\\u%04x" % ord(unit) for unit in _utf16(char)))
        else:
            out.append(char)
    return "".join(out)


def _utf16(char):
    encoded = char.encode("utf-16-be")
    return [chr(int.from_bytes(encoded[i:i + 2], "big")) for i in range(0, len(encoded), 2)]


def property_text(value, key):
    """The string form of an override: booleans as ``true``/``false``, None as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value
    raise PropertiesError("nifi.properties key %s: a value must be a string, number or boolean, not %s" % (key, type(value).__name__))


def check_defaults_document(document):
    """The ``[(key, value)]`` of a defaults document ``{release, properties: [[key, value], ...]}``."""
    if not isinstance(document, dict) or not isinstance(document.get("properties"), list) or not document.get("release"):
        raise PropertiesError("a defaults document is a mapping with 'release' and a 'properties' list of [key, value] pairs")
    pairs = []
    seen = set()
    for index, pair in enumerate(document["properties"]):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2 or not all(isinstance(part, str) for part in pair):
            raise PropertiesError("defaults properties[%d] must be a [key, value] pair of strings, not %r" % (index, pair))
        if pair[0] in seen:
            raise PropertiesError("defaults properties[%d]: key %s appears twice" % (index, pair[0]))
        seen.add(pair[0])
        pairs.append((pair[0], pair[1]))
    return pairs


def render_properties(defaults_document, overrides, header=""):
    """The text of nifi.properties: every default key in release order, overrides applied, extra keys last."""
    defaults = check_defaults_document(defaults_document)
    if not isinstance(overrides, dict):
        raise PropertiesError("overrides must be a mapping of nifi.properties keys to values")
    for key in overrides:
        if not isinstance(key, str) or not KEY_PATTERN.match(key):
            raise PropertiesError("nifi.properties key %r must be letters, digits, '.', '_' and '-'" % (key,))
    values = {key: property_text(value, key) for key, value in overrides.items()}
    default_keys = set(pair[0] for pair in defaults)

    lines = []
    if header:
        lines.extend("# %s" % line if line else "#" for line in header.splitlines())
    lines.append("# Apache NiFi %s defaults, with this deployment's values in place." % defaults_document["release"])
    for key, default in defaults:
        lines.append("%s=%s" % (key, escape_value(values.get(key, default))))
    extra = sorted(key for key in values if key not in default_keys)
    if extra:
        lines.append("")
        lines.append("# Keys the release does not list among its defaults.")
        lines.extend("%s=%s" % (key, escape_value(values[key])) for key in extra)
    return "\n".join(lines) + "\n"


def defaults_document(reference_text, release, source):
    """The defaults document of a release, from the text of its rendered ``nifi.properties``."""
    return {"release": release, "source": source, "properties": [list(pair) for pair in parse_properties(reference_text)]}
