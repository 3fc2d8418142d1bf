"""Requests and replies as plain values, plus builders for TikTok's answer shapes.

The endpoints are pure functions from :class:`Request` to :class:`Reply`; only
:mod:`pytok_sm.sandbox._server` touches sockets. Two JSON shapes exist
(https://developers.tiktok.com/doc/oauth-error-handling and .../tiktok-api-v2-error-handling):

* OAuth endpoints answer **flat**: ``{"error", "error_description", "log_id"}``;
* data endpoints answer the **envelope** ``{"data": {...}, "error": {"code", "message", "log_id"}}``.

Example:
    >>> reply = oauth_error("invalid_request", "The request parameters are malformed.",
    ...                     log_id="L1", mapped_status=False)
    >>> reply.status, reply.json()["error"]
    (200, 'invalid_request')
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from pytok_sm import _contract as contract

__all__ = [
    "HTML_HEADERS",
    "FormError",
    "Reply",
    "Request",
    "api_error",
    "api_ok",
    "html",
    "json_reply",
    "new_log_id",
    "oauth_error",
    "oauth_error_status",
]

#: Security headers of every sandbox HTML page: static, no external resources.
HTML_HEADERS: tuple[tuple[str, str], ...] = (
    ("Content-Type", "text/html; charset=utf-8"),
    ("Cache-Control", "no-store"),
    ("Referrer-Policy", "no-referrer"),
    ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:"),
    ("X-Content-Type-Options", "nosniff"),
)
_JSON_CONTENT_TYPE = "application/json; charset=utf-8"


class FormError(ValueError):
    """The body is not a well-formed form (wrong content type, bad bytes, duplicates)."""


@dataclass(frozen=True)
class Request:
    """One HTTP request as the endpoints see it (header names lower-cased).

    Example:
        >>> r = Request("POST", "/v2/oauth/token/", {}, {"content-type": "application/x-www-form-urlencoded"}, b"a=1")
        >>> r.form()
        {'a': '1'}
    """

    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    body: bytes = field(default=b"", repr=False)

    @property
    def content_type(self) -> str:
        """The media type of the body without parameters, lower-cased ("" if none)."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    def is_form(self) -> bool:
        """True when the body is declared ``application/x-www-form-urlencoded``."""
        return self.content_type == contract.FORM_CONTENT_TYPE

    def form(self) -> dict[str, str]:
        """The form fields, each exactly once; raises :class:`FormError` otherwise."""
        pairs = self.form_multi()
        if any(len(values) != 1 for values in pairs.values()):
            raise FormError("a form field was sent more than once")
        return {name: values[0] for name, values in pairs.items()}

    def form_multi(self) -> dict[str, list[str]]:
        """The form fields with every value (checkbox groups repeat a name)."""
        if not self.is_form():
            raise FormError("not a form body")
        try:
            return parse_qs(self.body.decode("utf-8"), keep_blank_values=True, errors="strict")
        except (UnicodeDecodeError, ValueError) as exc:
            raise FormError("undecodable form body") from exc

    def form_field_names(self) -> tuple[str, ...]:
        """Field names of a form body (never values), for the request log."""
        if not self.is_form():
            return ()
        try:
            pairs = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        except ValueError:
            return ()
        return tuple(pairs)

    def query_one(self, name: str) -> str | None:
        """The single value of a query parameter; None when absent or repeated."""
        values = self.query.get(name)
        if values is None or len(values) != 1:
            return None
        return values[0]


@dataclass
class Reply:
    """One HTTP answer: status, headers, body bytes.

    Example:
        >>> json_reply({"a": 1}).body
        b'{"a": 1}'
    """

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or None."""
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)

    def set_header(self, name: str, value: str) -> None:
        """Replace every header ``name`` by one with ``value``."""
        lowered = name.lower()
        self.headers = [(k, v) for k, v in self.headers if k.lower() != lowered]
        self.headers.append((name, value))

    def json(self) -> Any:
        """The body parsed as JSON (for tests and faults)."""
        return json.loads(self.body)


def new_log_id(now: float | None = None) -> str:
    """A fresh TikTok-style log id: UTC timestamp (14 digits) and 20 upper-case hex."""
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime(time.time() if now is None else now))
    return stamp + secrets.token_hex(10).upper()


def json_reply(payload: object, status: int = 200, *, log_id: str | None = None) -> Reply:
    """A JSON answer, ``Cache-Control: no-store`` (token answers must not be cached)."""
    headers = [("Content-Type", _JSON_CONTENT_TYPE), ("Cache-Control", "no-store")]
    if log_id is not None:
        headers.append(("X-Tt-Logid", log_id))
    return Reply(status, headers, json.dumps(payload).encode("utf-8"))


def oauth_error_status(error: str) -> int:
    """The realistic HTTP status of an OAuth error value (RFC 6749 section 5.2)."""
    return {
        "invalid_client": 401,
        "server_error": 500,
        "temporarily_unavailable": 503,
    }.get(error, 400)


def oauth_error(
    error: str,
    description: str,
    *,
    log_id: str,
    mapped_status: bool,
    status: int | None = None,
) -> Reply:
    """A flat OAuth error; HTTP 200 unless ``mapped_status`` or an explicit ``status``."""
    if status is None:
        status = oauth_error_status(error) if mapped_status else 200
    body = {"error": error, "error_description": description, "log_id": log_id}
    return json_reply(body, status, log_id=log_id)


def api_ok(data: Mapping[str, object], *, log_id: str) -> Reply:
    """A data-API success envelope (``error.code == "ok"``)."""
    body = {"data": dict(data), "error": {"code": contract.API_OK, "message": "", "log_id": log_id}}
    return json_reply(body, 200, log_id=log_id)


def api_error(code: str, message: str, *, log_id: str, status: int | None = None) -> Reply:
    """A data-API error envelope with ``data: {}`` and the documented HTTP status."""
    if status is None:
        status = contract.API_ERROR_STATUS.get(code, 400)
    body = {"data": {}, "error": {"code": code, "message": message, "log_id": log_id}}
    return json_reply(body, status, log_id=log_id)


def html(page: str, status: int = 200) -> Reply:
    """An HTML page with the sandbox's security headers."""
    return Reply(status, list(HTML_HEADERS), page.encode("utf-8"))
