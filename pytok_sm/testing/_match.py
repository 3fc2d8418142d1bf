"""Matching: when a replayed request counts as the recorded one.

vcrpy first runs the scrubber (:mod:`._scrub`) over the live request, so both sides hold
placeholders and an upload's body is a digest record on both; :data:`MATCH_ON` then
compares the whole URI, with :func:`match_content_range` (registered as ``pytok_range``)
the ``Content-Range`` header that says which part of a file an upload carries, and with
:func:`match_body` (``pytok_body``) the bodies: uploads by length and sha256, forms in any
order, JSON by value, anything else byte for byte. A mismatch names what differs (the form
fields, never their values).

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

from . import _upload as upload
from ._scrub import header

if TYPE_CHECKING:
    from vcr.request import Request as VcrRequest

__all__ = ["MATCH_ON", "MATCHERS", "match_body", "match_content_range"]

#: vcrpy matchers: everything of the URI, the ``Content-Range``, and the scrubbed body.
MATCH_ON: Final = ("method", "scheme", "host", "port", "path", "query", "pytok_range", "pytok_body")


def _body_bytes(request: VcrRequest) -> bytes:
    body = request.body
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    return b"".join(body) if isinstance(body, list) else bytes(body.read())


def _digest(request: VcrRequest, body: bytes) -> upload.Digest | None:
    """The upload digest of a body: its record's, or computed for an unscrubbed upload."""
    record = upload.read_record(body)
    if record is None and body and upload.is_media(request.headers):
        record = upload.read_record(upload.digest_record(body))
    return record


def _form_pairs(request: VcrRequest, body: bytes) -> list[tuple[str, str]] | None:
    if "x-www-form-urlencoded" not in header(request.headers, "content-type").lower():
        return None
    try:
        return urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))
    except (UnicodeDecodeError, ValueError):
        return None


def match_content_range(r1: VcrRequest, r2: VcrRequest) -> None:
    """vcrpy matcher ``pytok_range``: the same ``Content-Range`` header, or none on both.

    Example:
        >>> from vcr.request import Request
        >>> chunk = lambda span: Request("PUT", "https://x/", b"", {"Content-Range": span})
        >>> match_content_range(chunk("bytes 0-9/25"), chunk("bytes 0-9/25"))
        >>> match_content_range(chunk("bytes 0-10/25"), chunk("bytes 0-9/25"))
        Traceback (most recent call last):
        ...
        AssertionError: Content-Range differs: bytes 0-10/25 sent, bytes 0-9/25 recorded
    """
    sent, recorded = header(r1.headers, "content-range").strip(), header(r2.headers, "content-range").strip()
    if sent != recorded:
        raise AssertionError(f"Content-Range differs: {sent or 'none'} sent, {recorded or 'none'} recorded")


def match_body(r1: VcrRequest, r2: VcrRequest) -> None:
    """vcrpy matcher ``pytok_body``: the scrubbed bodies are the same (forms in any order,
    uploads by length and sha256).

    Raises AssertionError naming what differs: the form fields (never their values), an
    upload's length or digest.

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
    sent, kept = _digest(r1, live), _digest(r2, recorded)
    if sent is not None or kept is not None:
        difference = upload.upload_difference(sent, kept)
        if difference is None:
            return  # the same digest: one side was recorded, the other computed from the bytes
        raise AssertionError(difference)
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


#: The matchers of :data:`MATCH_ON` that vcrpy does not have, by the names it knows them.
MATCHERS: Final = {"pytok_range": match_content_range, "pytok_body": match_body}
