"""HTTP values and JSON safety: what a flow asks to send and what it reads back.

:class:`Request` and :class:`Response` are plain values (no I/O: drivers send and receive);
:func:`parse_json` reads an answer's body as a JSON object within fixed bounds (size,
depth, no ``NaN``), never echoing the raw body in an error. TikTok's endpoints and answer
shapes live in :mod:`pytok_sm._tiktok`, on top of this.

Example:
    >>> parse_json(Response(200, {"Content-Type": "application/json"}, b'{"a": 1}'))
    {'a': 1}
    >>> parse_json(Response(502, {}, b"<html>Bad gateway</html>"))
    Traceback (most recent call last):
    ...
    pytok_sm.ProtocolError: TikTok's answer is an HTML page (HTTP 502)
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._errors import ProtocolError
from ._retry import RequestKind
from ._secrets import hush

__all__ = ["MAX_BODY_BYTES", "FileSlice", "Request", "Response", "parse_json"]

#: Answers larger than this are refused (a token answer is well under 2 KiB).
MAX_BODY_BYTES = 1 << 20
_MAX_DEPTH = 32


@dataclass(frozen=True, slots=True)
class FileSlice:
    """A body read from disk by the driver, never held by the flow: ``length`` bytes of
    ``path`` from ``offset``. ``file_size`` and ``mtime_ns`` are what the file was when the
    upload was planned; a driver that finds it changed sends nothing (:class:`MediaChanged`).

    Example:
        >>> FileSlice("/videos/a.mp4", 0, 10, file_size=10, mtime_ns=1)
        FileSlice('/videos/a.mp4', bytes 0-9 of 10)
    """

    path: str
    offset: int
    length: int
    file_size: int
    mtime_ns: int

    def __repr__(self) -> str:
        return f"FileSlice({self.path!r}, bytes {self.offset}-{self.offset + self.length - 1} of {self.file_size})"


@dataclass(frozen=True, slots=True)
class Request:
    """An HTTP request to send, with at most one body: ``form`` (url-encoded; its values are
    secret), ``json`` (a JSON object) or ``upload`` (a slice of a file, streamed by the driver).

    ``repr`` names the form and JSON fields, never their values.
    """

    method: str
    url: str
    kind: RequestKind
    headers: Mapping[str, str] = field(default_factory=dict)
    form: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)
    json: Mapping[str, Any] | None = None
    upload: FileSlice | None = None

    def __repr__(self) -> str:
        url = self.url.partition("?")[0] if self.upload is not None else self.url  # an upload URL's query is a credential
        if self.form:
            return f"Request({self.method} {url}, form fields: {', '.join(self.form)})"
        if self.json:
            return f"Request({self.method} {url}, JSON fields: {', '.join(self.json)})"
        if self.upload is not None:
            return f"Request({self.method} {url}, {self.upload!r})"
        return f"Request({self.method} {url})"

    def encoded_form(self) -> bytes:
        """The form body exactly as sent (``application/x-www-form-urlencoded``)."""
        return urllib.parse.urlencode(list(self.form.items())).encode("ascii")

    def encoded_body(self) -> bytes | None:
        """The form or JSON body exactly as sent (None for no body or a file upload)."""
        if self.form:
            return self.encoded_form()
        if self.json is not None:
            return json.dumps(self.json, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return None


@dataclass(frozen=True, slots=True)
class Response:
    """An HTTP answer as received. Header names are compared case-insensitively."""

    status: int
    headers: Mapping[str, str]
    body: bytes = field(repr=False, default=b"")

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _depth(value: Any, limit: int) -> int:
    stack = [(value, 1)]
    deepest = 0
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if level > limit:
            return level
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return deepest


@hush
def parse_json(response: Response, *, allow_empty: bool = False) -> dict[str, Any]:
    """The body as a JSON object, or :class:`ProtocolError` (the raw body never in the message)."""
    status = response.status
    body = response.body
    if len(body) > MAX_BODY_BYTES:
        raise ProtocolError("TikTok's answer is too large to be an API answer", http_status=status)
    if not body.strip():
        if allow_empty:
            return {}
        raise ProtocolError("TikTok's answer is empty", http_status=status)
    try:
        text = body.decode("utf-8")
        value = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise ProtocolError("TikTok's answer is nested too deeply", http_status=status) from None
    except (UnicodeDecodeError, ValueError):
        kind = response.header("content-type") or "unknown content type"
        what = "an HTML page" if "html" in kind.lower() or body.lstrip()[:1] == b"<" else "not valid JSON"
        raise ProtocolError(f"TikTok's answer is {what}", http_status=status) from None
    if not isinstance(value, dict):
        raise ProtocolError(f"TikTok's answer is a JSON {type(value).__name__}, not an object", http_status=status)
    if _depth(value, _MAX_DEPTH) > _MAX_DEPTH:
        raise ProtocolError("TikTok's answer is nested too deeply", http_status=status)
    return value
