"""Secret scanning: find what a cassette should not hold.

:func:`find_unscrubbed` reports, by line and kind and never with the value, token-shaped
strings that are not placeholders, secret-looking assignments (:data:`SECRET_SHAPED_RE`),
and any of the caller's own secrets, raw, percent-encoded or JSON-escaped. The recorder and
the tests run it over every cassette they write.

Example:
    >>> find_unscrubbed("refresh_token=rft.scrubbed-given-1&client_secret=scrubbed-client-secret")
    []
    >>> [str(f) for f in find_unscrubbed("a\\nclient_secret=hunter2-0123456", path="x.yaml")]
    ['x.yaml:2: secret-shaped value (client_sec…)']
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from ._rewrite import TOKEN_RE

__all__ = ["PLACEHOLDER_MARKERS", "SECRET_SHAPED_RE", "Finding", "find_unscrubbed"]

#: Secret-looking text: a long token-shaped value, a form secret with a value, a bearer
#: credential. A hit that contains one of :data:`PLACEHOLDER_MARKERS` is a placeholder.
SECRET_SHAPED_RE: Final = re.compile(
    r"(act|rft|clt)\.[A-Za-z0-9_\-]{16,}|(client_secret|code_verifier|refresh_token|upload_token)=[A-Za-z0-9_\-]{8,}"
    r"|Bearer [A-Za-z0-9_.\-]{16,}"
)
#: Words that mark a hit of :data:`SECRET_SHAPED_RE` as a placeholder, not a secret.
PLACEHOLDER_MARKERS: Final = re.compile(r"redacted|placeholder|<|scrubbed|filtered", re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    """One suspicious spot in a cassette: where, and what kind (never the value itself)."""

    path: str
    line: int
    kind: str
    preview: str  # the first characters only

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.kind} ({self.preview}…)"


def find_unscrubbed(
    text: str, secrets: Mapping[str, str] | Iterable[str] = (), *, path: str = "<cassette>"
) -> list[Finding]:
    """Secret-shaped and token-shaped strings that are not placeholders, and any of
    ``secrets`` (raw, percent-encoded or JSON-escaped), in a cassette's text.

    ``secrets`` may map a label to each value, so that a finding names the label.

    Example:
        >>> find_unscrubbed("refresh_token=rft.scrubbed-2 Bearer act.scrubbed-1")
        []
        >>> [f.kind for f in find_unscrubbed("access_token: act.A1b2C3d4E5f6G7h8I9", {"my canary": "G7h8I9"})]
        ['secret-shaped value', 'token-shaped value', 'secret: my canary']
    """
    labelled = dict(secrets) if isinstance(secrets, Mapping) else {f"secret #{i}": s for i, s in enumerate(secrets, 1)}
    findings: list[Finding] = []
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        for match in SECRET_SHAPED_RE.finditer(line):
            if not PLACEHOLDER_MARKERS.search(match.group(0)):
                findings.append(Finding(path, number, "secret-shaped value", match.group(0)[:10]))
        for match in TOKEN_RE.finditer(line):
            findings.append(Finding(path, number, "token-shaped value", match.group(0)[:6]))
    for label, value in labelled.items():
        if not value:
            continue
        variants = {
            value,
            urllib.parse.quote(value, safe=""),
            urllib.parse.quote_plus(value),
            json.dumps(value)[1:-1],
        }
        for number, line in enumerate(lines, 1):
            if any(variant in line for variant in variants):
                findings.append(Finding(path, number, f"secret: {label}", value[:3]))
                break
    return findings
