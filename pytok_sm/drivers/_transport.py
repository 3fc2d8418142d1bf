"""Sending one :class:`~pytok_sm.flows.Send` effect with httpx, sync or async.

Shared by both drivers: the overall per-call deadline (httpx's timeouts are per read, so a
slow-drip body could go on forever), the body size cap, redirects never followed, and the
mapping of httpx's exceptions to "surely not sent" versus "outcome unknown". Neither
function raises an httpx error: every outcome is a :class:`Response` or a
:class:`TransportFailure` for the flow to judge.
"""

from __future__ import annotations

import asyncio
import time

import httpx

from .._http import MAX_BODY_BYTES, Request, Response
from ..flows._effects import Send, TransportFailure

__all__ = ["send", "send_async"]

#: Failures where the request certainly never reached the server.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)
_REASONS: dict[type[Exception], str] = {
    httpx.ConnectError: "connection failed",
    httpx.ConnectTimeout: "connect timeout",
    httpx.PoolTimeout: "connection pool timeout",
    httpx.ReadTimeout: "read timeout",
    httpx.WriteTimeout: "write timeout",
    httpx.RemoteProtocolError: "connection closed mid-answer",
    httpx.ReadError: "connection reset",
    httpx.WriteError: "connection reset while sending",
}
_LATE = "the answer took longer than the call deadline"


def _build(client: httpx.Client | httpx.AsyncClient, request: Request, timeout: float) -> httpx.Request:
    return client.build_request(
        request.method,
        request.url,
        params=dict(request.params) or None,
        headers=dict(request.headers),
        content=request.encoded_form() if request.form else None,
        timeout=httpx.Timeout(timeout),
    )


def _failure(exc: Exception) -> TransportFailure:
    """Describe an httpx exception without its message (which could echo a URL)."""
    return TransportFailure(sent=not isinstance(exc, NOT_SENT), reason=_REASONS.get(type(exc), type(exc).__name__))


class _DeadlineExceeded(Exception):
    """The whole call (connect, send, every read) took longer than its deadline."""


class _TooLarge(Exception):
    """The answer's body is larger than any API answer."""


def _add(chunks: list[bytes], chunk: bytes, total: int) -> int:
    chunks.append(chunk)
    total += len(chunk)
    if total > MAX_BODY_BYTES:
        raise _TooLarge
    return total


def send(client: httpx.Client, effect: Send) -> Response | TransportFailure:
    """Send ``effect.request`` within its deadline with a sync client."""
    deadline = time.monotonic() + effect.deadline
    try:
        answer = client.send(_build(client, effect.request, effect.timeout), stream=True, follow_redirects=False)
        try:
            chunks: list[bytes] = []
            total = 0
            for chunk in answer.iter_bytes():
                total = _add(chunks, chunk, total)
                if time.monotonic() > deadline:
                    raise _DeadlineExceeded
            return Response(answer.status_code, dict(answer.headers), b"".join(chunks))
        finally:
            answer.close()
    except _DeadlineExceeded:
        return TransportFailure(sent=True, reason=_LATE)
    except _TooLarge:
        return Response(502, {}, b"")
    except httpx.HTTPError as exc:
        return _failure(exc)


async def send_async(client: httpx.AsyncClient, effect: Send) -> Response | TransportFailure:
    """Send ``effect.request`` within its deadline with an async client."""
    try:
        async with asyncio.timeout(effect.deadline):
            built = _build(client, effect.request, effect.timeout)
            answer = await client.send(built, stream=True, follow_redirects=False)
            try:
                chunks: list[bytes] = []
                total = 0
                async for chunk in answer.aiter_bytes():
                    total = _add(chunks, chunk, total)
                return Response(answer.status_code, dict(answer.headers), b"".join(chunks))
            finally:
                await answer.aclose()
    except TimeoutError:
        return TransportFailure(sent=True, reason=_LATE)
    except _TooLarge:
        return Response(502, {}, b"")
    except httpx.HTTPError as exc:
        return _failure(exc)
