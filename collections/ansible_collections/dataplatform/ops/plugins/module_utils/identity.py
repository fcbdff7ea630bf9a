# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Identities: the one place that turns a certificate subject into the string NiFi compares.

NiFi 2 takes a client's identity from its certificate as the subject DN rendered by Java
(RFC 1779 style, most specific attribute first, ``", "`` between attributes)::

    {common_name: alice, organizational_unit: DataEng, organization: Platform}
        -> "CN=alice, OU=DataEng, O=Platform"

NiFi compares those strings as they are, so everything that writes an identity (CSRs, the
users NiFi is configured with, secret metadata) and everything that compares one goes through
this module. Values are restricted to a safe character set instead of being escaped: an escaped
DN renders differently in Java, OpenSSL and Python, and a CN such as ``alice, OU=admins`` must
never be able to read as a second attribute.
"""

from __future__ import annotations

import re
import unicodedata

# Subject keys in the order NiFi renders them (most specific first).
SUBJECT_ATTRIBUTES = (
    ("common_name", "CN"),
    ("organizational_unit", "OU"),
    ("organization", "O"),
)
REQUIRED_SUBJECT_KEYS = ("common_name",)
MAX_VALUE_LENGTH = 64  # X.520 upper bound of commonName, organizationName and organizationalUnitName

DN_SPECIAL_CHARACTERS = ',+="\\<>;#'
SAFE_CHARACTERS_TEXT = "ASCII letters, digits, '.', '_', '-', '@' and single spaces between words"
SAFE_VALUE_PATTERN = r"^[A-Za-z0-9._@-]+( [A-Za-z0-9._@-]+)*$"
_SAFE_VALUE = re.compile(SAFE_VALUE_PATTERN)
_SAFE_CHARACTER = re.compile(r"[A-Za-z0-9._@ -]")

# The separator that replaces ", " where a DN must be stored where commas are not allowed
# (Secrets Manager tag values). Safe values never contain it, so the form is unambiguous.
TAG_SEPARATOR = "/"

# Short names of the attributes this project issues, by dotted OID (cryptography's NameOID) and
# by the long names OpenSSL and community.crypto print.
_SHORT_NAMES_BY_OID = {
    "2.5.4.3": "CN",
    "2.5.4.11": "OU",
    "2.5.4.10": "O",
}
_SHORT_NAMES_BY_LONG_NAME = {
    "commonName": "CN",
    "organizationalUnitName": "OU",
    "organizationName": "O",
}

# The OU of node certificates (the node_cert role's default subject). User certificate requests
# can never name it: the policy refuses to allow it, so no user can hold a node's identity.
NODE_ORGANIZATIONAL_UNIT = "Nodes"
# Every OU of a machine identity: node_cert's default, the NiFi cluster's nodes (which the NiFi
# role maps to its single node identity) and service identities such as Airflow's. The policy
# refuses to allow any of them to users.
RESERVED_ORGANIZATIONAL_UNITS = (NODE_ORGANIZATIONAL_UNIT, "NiFiNodes", "Services")


def unsafe_value_reason(value):
    """Why ``value`` cannot be part of a DN, or ``None`` when it can."""
    if not isinstance(value, str):
        return "must be a string, not %s" % type(value).__name__
    if value == "":
        return "must not be empty"
    if len(value) > MAX_VALUE_LENGTH:
        return "is %d characters long; at most %d are allowed" % (len(value), MAX_VALUE_LENGTH)
    if value != value.strip():
        return "must not start or end with whitespace"
    for index, char in enumerate(value):
        if char in DN_SPECIAL_CHARACTERS:
            return "contains %r at position %d, a character with a meaning in a distinguished name" % (char, index)
        if unicodedata.category(char).startswith("C"):
            return "contains the control character U+%04X at position %d" % (ord(char), index)
        if ord(char) > 127:
            name = unicodedata.name(char, "unnamed character")
            return ("contains the non-ASCII character U+%04X (%s) at position %d; look-alikes of ASCII letters "
                    "are refused" % (ord(char), name, index))
        if not _SAFE_CHARACTER.match(char):
            return "contains %r at position %d; allowed are %s" % (char, index, SAFE_CHARACTERS_TEXT)
    if not _SAFE_VALUE.match(value):
        return "has consecutive spaces; allowed are %s" % SAFE_CHARACTERS_TEXT
    return None


def _checked_attributes(subject):
    if not isinstance(subject, dict):
        raise ValueError("a subject is a mapping of %s, not %s"
                         % (", ".join(key for key, short_name in SUBJECT_ATTRIBUTES), type(subject).__name__))
    known = dict(SUBJECT_ATTRIBUTES)
    unknown = sorted(set(subject) - set(known))
    if unknown:
        raise ValueError("unknown subject key(s): %s" % ", ".join(map(str, unknown)))
    for key in REQUIRED_SUBJECT_KEYS:
        if subject.get(key) in (None, ""):
            raise ValueError("the subject has no %s" % key)
    attributes = []
    for key, short_name in SUBJECT_ATTRIBUTES:
        value = subject.get(key)
        if value is None:
            continue
        reason = unsafe_value_reason(value)
        if reason:
            raise ValueError("subject %s %s" % (key, reason))
        attributes.append((short_name, value))
    return attributes


def subject_dn(subject):
    """The identity NiFi compares: ``CN=alice, OU=DataEng, O=Platform``.

    Raises ``ValueError`` for a subject that cannot be rendered unambiguously.
    """
    return ", ".join("%s=%s" % pair for pair in _checked_attributes(subject))


def subject_rdns(subject):
    """The subject as relative distinguished names in certificate (DER) order.

    Certificates list the least specific attribute first (``O``, ``OU``, ``CN``); Java renders
    them in reverse, which gives :func:`subject_dn`. The list of one-key mappings is what
    ``community.crypto.openssl_csr``'s ``subject_ordered`` takes.
    """
    return [{short_name: value} for short_name, value in reversed(_checked_attributes(subject))]


def tag_safe_dn(subject):
    """:func:`subject_dn` with ``/`` between attributes, for stores that refuse commas."""
    return TAG_SEPARATOR.join("%s=%s" % pair for pair in _checked_attributes(subject))


def dn_of_tag(tag):
    """The NiFi identity a :func:`tag_safe_dn` value stands for (its inverse)."""
    pairs = []
    for part in tag.split(TAG_SEPARATOR):
        name, separator, value = part.partition("=")
        if not separator:
            raise ValueError("%r is not a tag-safe DN (NAME=value parts separated by %r)" % (tag, TAG_SEPARATOR))
        pairs.append((name, value))
    return dn_of_attributes(reversed(pairs))


def dn_of_attributes(attributes):
    """The NiFi identity of attributes in certificate order: ``[(name, value), ...]``.

    ``name`` is a short name (``CN``), a long name (``commonName``) or a dotted OID. Renders
    them the way Java does (reverse certificate order, ``", "`` between them) and refuses what
    this project never issues (other attributes, values outside the safe set), so a DN read from
    a certificate compares equal to :func:`subject_dn` of the subject it was issued for.
    """
    parts = []
    for name, value in reversed(list(attributes)):
        short_name = (name if name in ("CN", "OU", "O")
                      else _SHORT_NAMES_BY_LONG_NAME.get(name) or _SHORT_NAMES_BY_OID.get(name))
        if short_name is None:
            raise ValueError("attribute %s is not used in platform identities" % name)
        reason = unsafe_value_reason(value)
        if reason:
            raise ValueError("%s %s" % (short_name, reason))
        parts.append("%s=%s" % (short_name, value))
    return ", ".join(parts)


def dn_of_name(name):
    """The NiFi identity of a ``cryptography`` ``x509.Name`` (for example a certificate's subject)."""
    attributes = []
    for rdn in name.rdns:
        members = list(rdn)
        if len(members) != 1:
            raise ValueError("multi-valued relative distinguished names are not used by this project")
        attributes.append((members[0].oid.dotted_string, members[0].value))
    return dn_of_attributes(attributes)
