"""Matching: when a replayed request counts as the recorded one.

vcrpy first runs the scrubber (:mod:`._scrub`) over the live request, so both sides hold
placeholders; :data:`MATCH_ON` then compares the whole URI and, with :func:`match_body`
(registered as ``pytok_body``), the bodies: forms in any order, JSON by value, anything
else byte for byte. A mismatch names the form fields that differ, never their values.

Example:
    >>> from vcr.request import Request
    >>> form = {"Content-Type": "application/x-www-form-urlencoded"}
    >>> match_body(Request("POST", "https://x/", b"b=2&a=1", form), Request("POST", "https://x/", b"a=1&b=2", form))
    >>> match_body(Request("POST", "https://x/", b"a=1&b=3", form), Request("POST", "https://x/", b"a=1&b=2", form))
    Traceback (most recent call last):
    ...
    AssertionError: form fields differ: different values in b
"""

from __future__ import annotations

import json
import urllib.parse
from collections import Counter
from typing import TYPE_CHECKING, Final

from ._scrub import header

if TYPE_CHECKING:
    from vcr.request import Request as VcrRequest

__all__ = ["MATCH_ON", "match_body"]

#: vcrpy matchers: everything of the URI, and the scrubbed body.
MATCH_ON: Final = ("method", "scheme", "host", "port", "path", "query", "pytok_body")


def _body_bytes(request: VcrRequest) -> bytes:
    body = request.body
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    return b"".join(body) if isinstance(body, list) else bytes(body.read())


def _form_pairs(request: VcrRequest, body: bytes) -> list[tuple[str, str]] | None:
    if "x-www-form-urlencoded" not in header(request.headers, "content-type").lower():
        return None
    try:
        return urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))
    except (UnicodeDecodeError, ValueError):
        return None


def match_body(r1: VcrRequest, r2: VcrRequest) -> None:
    """vcrpy matcher ``pytok_body``: the scrubbed bodies are the same (forms in any order).

    Raises AssertionError naming the differing form fields, never their values.

    Example:
        >>> from vcr.request import Request
        >>> form = {"Content-Type": "application/x-www-form-urlencoded"}
        >>> live = Request("POST", "https://x/", b"a=1&code=scrubbed-code-1", form)
        >>> recorded = Request("POST", "https://x/", b"code=scrubbed-code-1&a=1&code_verifier=v", form)
        >>> match_body(live, recorded)
        Traceback (most recent call last):
        ...
        AssertionError: form fields differ: missing code_verifier
    """
    live, recorded = _body_bytes(r1), _body_bytes(r2)
    if live == recorded:
        return
    live_form, recorded_form = _form_pairs(r1, live), _form_pairs(r2, recorded)
    if live_form is not None and recorded_form is not None:
        if sorted(live_form) == sorted(recorded_form):
            return
        have, want = Counter(n for n, _ in live_form), Counter(n for n, _ in recorded_form)
        parts = []
        if missing := sorted(set(want) - set(have)):
            parts.append("missing " + ", ".join(missing))
        if extra := sorted(set(have) - set(want)):
            parts.append("unexpected " + ", ".join(extra))
        changed = sorted(
            name
            for name in set(have) & set(want)
            if sorted(v for k, v in live_form if k == name) != sorted(v for k, v in recorded_form if k == name)
        )
        if changed:
            parts.append("different values in " + ", ".join(changed))
        raise AssertionError("form fields differ: " + "; ".join(parts))
    try:
        if json.loads(live) == json.loads(recorded):
            return
        raise AssertionError("JSON bodies differ")
    except (ValueError, RecursionError):
        pass
    raise AssertionError(f"bodies differ ({len(live)} bytes sent, {len(recorded)} recorded)")
