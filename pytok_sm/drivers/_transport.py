"""Sending one :class:`~pytok_sm.flows.Send` effect with httpx, sync or async.

Shared by both drivers, every call is bounded:

* in time, from the first byte sent to the last byte read, by ``effect.deadline``: the
  async driver cancels the call (``asyncio.timeout``); the sync driver's sockets never wait
  past it (:mod:`._deadline`, armed on the client), and a check between body chunks covers
  transports that are not httpx's own. ``effect.timeout`` bounds each connect and read.
* in bytes, by :data:`~pytok_sm._http.MAX_BODY_BYTES`, counted while decoding
  (:mod:`._decode`): a decompression bomb stops after the cap plus one piece, never
  unpacked. An answer over the cap is handed on as a :class:`Response` whose body is just
  over the cap, which the flow's parser refuses as a ProtocolError ("too large").

An answer made in memory (a ``MockTransport``'s, already read by httpx) is taken as it is.
Redirects are never followed. Neither function raises an httpx error: every outcome is a
:class:`Response` or a :class:`TransportFailure` for the flow to judge, "surely not sent"
(connect failed) apart from "outcome unknown".
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from .._http import Request, Response
from ..flows._effects import Send, TransportFailure
from ._deadline import deadline
from ._decode import ACCEPT_ENCODING, Body, BrokenEncoding, TooLarge

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


def _build(
    client: httpx.Client | httpx.AsyncClient, effect: Send, extensions: dict[str, Any] | None = None
) -> httpx.Request:
    request: Request = effect.request
    headers = dict(request.headers)
    if not any(name.lower() == "accept-encoding" for name in headers):
        headers["Accept-Encoding"] = ACCEPT_ENCODING  # only what decodes within the cap
    return client.build_request(
        request.method,
        request.url,
        params=dict(request.params) or None,
        headers=headers,
        content=request.encoded_form() if request.form else None,
        timeout=httpx.Timeout(effect.timeout, pool=min(effect.timeout, effect.deadline)),
        extensions=extensions,
    )


def _failure(exc: Exception) -> TransportFailure:
    """Describe an httpx exception without its message (which could echo a URL)."""
    return TransportFailure(sent=not isinstance(exc, NOT_SENT), reason=_REASONS.get(type(exc), type(exc).__name__))


def _late(effect: Send, *, sent: bool = True) -> TransportFailure:
    return TransportFailure(sent=sent, reason=f"the call deadline of {effect.deadline:g} s passed")


def _answer(answer: httpx.Response, body: bytes) -> Response:
    return Response(answer.status_code, dict(answer.headers), body)


def send(client: httpx.Client, effect: Send) -> Response | TransportFailure:
    """Send ``effect.request`` within its deadline and the size cap with a sync client."""
    at = time.monotonic() + effect.deadline
    with deadline(at) as call:
        try:
            answer = client.send(_build(client, effect), stream=True, follow_redirects=False)
            try:
                if answer.is_stream_consumed:  # made in memory (a MockTransport's): httpx read it
                    return _answer(answer, answer.content)
                body = Body(answer.headers.get("content-encoding"))
                for chunk in answer.iter_raw():
                    body.feed(chunk)
                    if time.monotonic() > at:
                        return _late(effect)
                return _answer(answer, body.finish())
            except TooLarge as error:
                return _answer(answer, error.prefix)
            finally:
                answer.close()
        except BrokenEncoding as error:
            return TransportFailure(sent=True, reason=str(error))
        except httpx.TimeoutException as exc:
            return _late(effect, sent=not isinstance(exc, NOT_SENT)) if call.bound else _failure(exc)
        except httpx.HTTPError as exc:
            return _failure(exc)


class _Progress:
    """How far a request got, from httpcore's trace events: "surely not sent" only when a
    connection was being made and no request head was written (a transport that sends no
    events, such as a MockTransport, counts as sent)."""

    __slots__ = ("connecting", "sending")

    def __init__(self) -> None:
        self.connecting = self.sending = False

    async def trace(self, event: str, info: dict[str, Any]) -> None:
        if event.endswith(("connect_tcp.started", "connect_unix_socket.started")):
            self.connecting = True
        elif event.endswith("send_request_headers.started"):
            self.sending = True

    @property
    def sent(self) -> bool:
        return self.sending or not self.connecting


async def send_async(client: httpx.AsyncClient, effect: Send) -> Response | TransportFailure:
    """Send ``effect.request`` within its deadline and the size cap with an async client."""
    progress = _Progress()
    try:
        async with asyncio.timeout(effect.deadline):
            built = _build(client, effect, {"trace": progress.trace})
            answer = await client.send(built, stream=True, follow_redirects=False)
            try:
                if answer.is_stream_consumed:
                    return _answer(answer, answer.content)
                body = Body(answer.headers.get("content-encoding"))
                async for chunk in answer.aiter_raw():
                    body.feed(chunk)
                return _answer(answer, body.finish())
            except TooLarge as error:
                return _answer(answer, error.prefix)
            finally:
                await answer.aclose()
    except TimeoutError:
        return _late(effect, sent=progress.sent)
    except BrokenEncoding as error:
        return TransportFailure(sent=True, reason=str(error))
    except httpx.HTTPError as exc:
        return _failure(exc)
