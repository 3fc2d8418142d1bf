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

A body is the request's form or JSON bytes, or for a file upload the slice streamed from
disk (:mod:`._upload_body`: checked against the plan before a byte is sent, read a piece at a
time, with an exact ``Content-Length``, never ``Transfer-Encoding: chunked``). After each
piece written, ``effect.progress(bytes_written)`` and the driver's ``on_piece`` are called.

An answer made in memory (a ``MockTransport``'s, already read by httpx) is taken as it is.
Redirects are never followed. Neither function raises an httpx error: every outcome is a
:class:`Response` or a :class:`TransportFailure` for the flow to judge, "surely not sent"
(connect failed) apart from "outcome unknown", or :class:`MediaChanged` when an upload's
file is not the planned one (nothing sent) or shrank while being sent (the body stopped short
of complete, so the server never takes it for the chunk).

Example:
    >>> import httpx
    >>> from pytok_sm._http import Request
    >>> from pytok_sm._retry import RequestKind
    >>> echo = httpx.MockTransport(lambda r: httpx.Response(200, content=r.read()))
    >>> send(httpx.Client(transport=echo), Send(Request("POST", "https://x.test/", RequestKind.USER_INFO,
    ...                                                 json={"a": 1}))).body
    b'{"a":1}'
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterable, Callable, Iterable
from typing import Any

import httpx

from .._contract import JSON_CONTENT_TYPE
from .._http import Request, Response
from ..flows._effects import MediaChanged, Send, TransportFailure
from ._deadline import deadline
from ._decode import ACCEPT_ENCODING, Body, BrokenEncoding, TooLarge
from ._upload_body import AsyncBody, Source, SourceChanged, SyncBody

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


#: ``on_piece(bytes_written)``: called after each piece of an upload's body is written.
OnPiece = Callable[[int], None]
_FRAMING = ("content-length", "transfer-encoding")  # an upload's framing is the slice's own


class _Late(Exception):
    """The call deadline passed between two pieces of an upload."""


def _build(
    client: httpx.Client | httpx.AsyncClient,
    effect: Send,
    extensions: dict[str, Any] | None = None,
    upload: Iterable[bytes] | AsyncIterable[bytes] | None = None,
) -> httpx.Request:
    request: Request = effect.request
    headers = dict(request.headers)
    names = {name.lower() for name in headers}
    if "accept-encoding" not in names:
        headers["Accept-Encoding"] = ACCEPT_ENCODING  # only what decodes within the cap
    content: bytes | Iterable[bytes] | AsyncIterable[bytes] | None = request.encoded_body()
    if request.upload is not None:
        assert upload is not None, "an upload's body is streamed from its file (._upload_body)"
        headers = {name: value for name, value in headers.items() if name.lower() not in _FRAMING}
        headers["Content-Length"] = str(request.upload.length)  # set, so httpx adds no chunked framing
        content = upload
    elif request.json is not None and "content-type" not in names:
        headers["Content-Type"] = JSON_CONTENT_TYPE
    return client.build_request(
        request.method,
        request.url,
        params=dict(request.params) or None,
        headers=headers,
        content=content,
        timeout=httpx.Timeout(effect.timeout, pool=min(effect.timeout, effect.deadline)),
        extensions=extensions,
    )


def _pieces(effect: Send, on_piece: OnPiece | None, at: float | None) -> OnPiece:
    """What happens after each piece: the effect's progress, the deadline (sync), the driver's."""
    progress = effect.progress

    def written(sent: int) -> None:
        if progress is not None:
            progress(sent)
        if at is not None and time.monotonic() > at:
            raise _Late
        if on_piece is not None:
            on_piece(sent)

    return written


def _failure(exc: Exception) -> TransportFailure:
    """Describe an httpx exception without its message (which could echo a URL)."""
    return TransportFailure(sent=not isinstance(exc, NOT_SENT), reason=_REASONS.get(type(exc), type(exc).__name__))


def _late(effect: Send, *, sent: bool = True) -> TransportFailure:
    return TransportFailure(sent=sent, reason=f"the call deadline of {effect.deadline:g} s passed")


def _answer(answer: httpx.Response, body: bytes) -> Response:
    return Response(answer.status_code, dict(answer.headers), body)


def send(client: httpx.Client, effect: Send, on_piece: OnPiece | None = None) -> Response | TransportFailure | MediaChanged:
    """Send ``effect.request`` within its deadline and the size cap with a sync client."""
    source = None
    try:
        if effect.request.upload is not None:
            source = Source.open(effect.request.upload)
        at = time.monotonic() + effect.deadline
        upload = SyncBody(source, _pieces(effect, on_piece, at)) if source is not None else None
        return _send(client, effect, at, upload)
    except SourceChanged as error:
        return MediaChanged(str(error))
    except _Late:
        return _late(effect)
    finally:
        if source is not None:
            source.close()


def _send(client: httpx.Client, effect: Send, at: float, upload: SyncBody | None) -> Response | TransportFailure:
    with deadline(at) as call:
        try:
            answer = client.send(_build(client, effect, upload=upload), stream=True, follow_redirects=False)
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


async def send_async(
    client: httpx.AsyncClient, effect: Send, on_piece: OnPiece | None = None
) -> Response | TransportFailure | MediaChanged:
    """Send ``effect.request`` within its deadline and the size cap with an async client."""
    upload = None
    try:
        if effect.request.upload is not None:
            upload = AsyncBody(effect.request.upload, _pieces(effect, on_piece, None))
            await upload.opened()  # checked before a byte is sent; the first pieces are read meanwhile
        return await _send_async(client, effect, upload)
    except SourceChanged as error:
        return MediaChanged(str(error))
    finally:
        if upload is not None:
            upload.close()  # its reader closes the file


async def _send_async(
    client: httpx.AsyncClient, effect: Send, upload: AsyncBody | None
) -> Response | TransportFailure:
    progress = _Progress()
    try:
        async with asyncio.timeout(effect.deadline):
            built = _build(client, effect, {"trace": progress.trace}, upload)
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
