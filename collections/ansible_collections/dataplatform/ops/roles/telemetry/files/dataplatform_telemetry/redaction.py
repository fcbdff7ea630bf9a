"""Secrets never leave the host: what looks like one is replaced before a line is shipped.

The services are configured not to log secrets; this is the second line, for what a library prints
on its own (a JVM's command line, an exception quoting a property, a PEM block dumped in a trace).
"""

from __future__ import annotations

import re

REDACTED = "[REDACTED]"

# A PEM private key or PKCS#12 bundle spans lines in a file, but each line of it is shipped alone:
# its BEGIN and END lines and the base64 body lines between them are all caught here.
_BUILTIN_PATTERNS = (
    # name=value and name: value where the name says it is a secret
    r"(?i)((?:password|passwd|passphrase|secret|token|keystorePasswd|truststorePasswd|keyPasswd"
    r"|sensitive\.props\.key|fernet_key|secret_key|jwt_secret|client_secret|api_key|aws_secret_access_key)"
    r"[\"']?\s*[:=]\s*)(\"[^\"]*\"|'[^']*'|[^\s,;&\"']+)",
    # java -D properties on a command line
    r"(?i)(-D[\w.]*(?:password|passwd|secret|key)[\w.]*=)(\S+)",
    # HTTP authorization headers
    r"(?i)(authorization\s*[:=]\s*(?:bearer|basic|aws4-hmac-sha256)?\s*)(\S+)",
    # user:password@ in a URL
    r"(://[^/\s:@]+:)([^@\s/]+)(@)",
)
_PEM_LINE = re.compile(r"-----(BEGIN|END) [A-Z0-9 ]*(PRIVATE KEY|PKCS12|ENCRYPTED)[A-Z0-9 ]*-----")
# A long unbroken base64 run: a key body, a PKCS#12 bundle, a secret value. Lines of NiFi's and
# Airflow's logs never hold one of this length otherwise.
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{60,}={0,2}")


class Redactor:
    def __init__(self, extra_patterns: list[str] | None = None):
        self.patterns = [re.compile(pattern) for pattern in _BUILTIN_PATTERNS]
        self.extra = [re.compile(pattern) for pattern in (extra_patterns or [])]

    def __call__(self, line: str) -> str:
        if _PEM_LINE.search(line):
            return REDACTED
        for pattern in self.patterns:
            line = pattern.sub(_keep_name, line)
        line = _BASE64_RUN.sub(REDACTED, line)
        for pattern in self.extra:
            line = pattern.sub(REDACTED, line)
        return line


def _keep_name(match: re.Match) -> str:
    groups = match.groups()
    if len(groups) == 3:
        return groups[0] + REDACTED + groups[2]
    return groups[0] + REDACTED
