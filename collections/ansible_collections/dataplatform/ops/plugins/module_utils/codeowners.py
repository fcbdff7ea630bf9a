# -*- coding: utf-8 -*-
# Copyright: dataplatform-ops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The owners a CODEOWNERS file names for a path, as the code host reads it (pure logic).

Each line is a pattern followed by owners; the last line whose pattern matches the path wins
(and a matching line without owners means no owner). Patterns follow the gitignore rules the
code host uses: a pattern with a slash other than a trailing one (or a leading ``/``) is anchored
at the repository root, otherwise it matches at any depth; ``*`` and ``?`` stay within one path
component and ``**`` crosses them; a trailing ``/`` matches a folder's contents only; a pattern
that names a folder also covers everything in it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re


def _pattern_regex(pattern):
    anchored = pattern.startswith("/") or "/" in pattern.rstrip("/")
    folder_only = pattern.endswith("/")
    body = pattern.strip("/")
    parts = []
    index = 0
    while index < len(body):
        if body.startswith("**/", index):
            parts.append("(?:.*/)?")
            index += 3
        elif body.startswith("**", index):
            parts.append(".*")
            index += 2
        elif body[index] == "*":
            parts.append("[^/]*")
            index += 1
        elif body[index] == "?":
            parts.append("[^/]")
            index += 1
        else:
            parts.append(re.escape(body[index]))
            index += 1
    prefix = "^" if anchored else "^(?:.*/)?"
    suffix = "/.+$" if folder_only else "(?:/.+)?$"
    return re.compile(prefix + "".join(parts) + suffix)


def parse(text):
    """``[(pattern, owners)]`` of a CODEOWNERS text, in file order; comments and blank lines dropped."""
    rules = []
    for line in text.splitlines():
        stripped = line.split("#", 1)[0].strip() if not line.lstrip().startswith("\\#") else line.strip()
        if not stripped:
            continue
        fields = stripped.split()
        rules.append((fields[0], fields[1:]))
    return rules


def owners_of(rules, path):
    """The owners of ``path`` (relative to the repository root, ``/``-separated); [] when none."""
    path = path.lstrip("/")
    owners = []
    for pattern, pattern_owners in rules:
        if _pattern_regex(pattern).match(path):
            owners = pattern_owners
    return list(owners)
