"""Turning :class:`~pytok_sm._tiktok.Request` into httpx calls and httpx answers back.

Shared by both drivers: the overall per-call deadline (httpx's timeouts are per read, so a
slow-drip body could go on forever), the body size cap, redirects never followed, and the
mapping of httpx's exceptions to "surely not sent" versus "outcome unknown".
"""

from __future__ import annotations

import httpx

from ..flows._effects import TransportFailure
from .._tiktok import MAX_BODY_BYTES, Request, Response

#: Failures where the request certainly never reached the server.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


def build(client: httpx.Client | httpx.AsyncClient, request: Request, timeout: float) -> httpx.Request:
    content = request.encoded_form() if request.form else None
    return client.build_request(
        request.method,
        request.url,
        params=dict(request.params) or None,
        headers=dict(request.headers),
        content=content,
        timeout=httpx.Timeout(timeout),
    )


def to_response(answer: httpx.Response, body: bytes) -> Response:
    return Response(answer.status_code, dict(answer.headers), body)


def failure(exc: Exception) -> TransportFailure:
    """Describe an httpx exception without its message (which could echo a URL)."""
    sent = not isinstance(exc, NOT_SENT)
    reasons: dict[type[Exception], str] = {
        httpx.ConnectError: "connection failed",
        httpx.ConnectTimeout: "connect timeout",
        httpx.PoolTimeout: "connection pool timeout",
        httpx.ReadTimeout: "read timeout",
        httpx.WriteTimeout: "write timeout",
        httpx.RemoteProtocolError: "connection closed mid-answer",
        httpx.ReadError: "connection reset",
        httpx.WriteError: "connection reset while sending",
    }
    reason = reasons.get(type(exc), type(exc).__name__)
    return TransportFailure(sent=sent, reason=reason)


class DeadlineExceeded(Exception):
    """The whole call (connect, send, every read) took longer than its deadline."""


class TooLarge(Exception):
    """The answer's body is larger than any API answer."""


def check_size(total: int) -> None:
    if total > MAX_BODY_BYTES:
        raise TooLarge
