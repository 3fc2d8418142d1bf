"""Webhook receivers to mount in any web server: :class:`WebhookApp` (WSGI, PEP 3333) and
:class:`AsyncWebhookApp` (ASGI, ``http`` scope). No framework needed; mount either under the
callback URL registered in TikTok's developer portal (the apps answer whatever path they get).

Both answer POST only (405 otherwise, with ``Allow: POST``), read at most ``max_body`` bytes
(413 past it, from ``Content-Length`` before reading anything, or while reading chunks),
then do what :func:`handle` does and answer a small JSON body: ``{"ok": ..., "reason": ...}``.

Example:
    >>> import io
    >>> from pytok_sm.webhooks import sign
    >>> app = WebhookApp("my-secret", on_event=print, clock=lambda: 1700000001.0)
    >>> body = b'{"client_key": "ck", "event": "x.y", "create_time": 1, "user_openid": "u"}'
    >>> environ = {"REQUEST_METHOD": "POST", "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body),
    ...            "HTTP_TIKTOK_SIGNATURE": sign(body, "my-secret", timestamp=1700000000)}
    >>> answer = app(environ, lambda status, headers: print(status))
    WebhookEvent(client_key='ck', event='x.y', create_time=1, user_openid='u', content={})
    200 OK
    >>> b"".join(answer)
    b'{"ok": true, "reason": "delivered"}'
"""

from __future__ import annotations

import http
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from .._errors import ConfigurationError
from .._secrets import hush
from .._web import SingleUse
from ._dedupe import Deduplicator
from ._events import MAX_EVENT_BYTES
from ._receive import DEFAULT_DEDUPE, OnEvent, Outcome, _drive, _drive_async, _report, header_value, receiver
from ._verify import DEFAULT_TOLERANCE, Secrets

__all__ = ["AsyncWebhookApp", "WebhookApp"]

_HEADERS = [("Content-Type", Outcome.content_type), ("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff")]
_MAX_LIMIT = 16 * 1024 * 1024

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
StartResponse = Callable[..., Any]


def _limit(max_body: object) -> int:
    if isinstance(max_body, bool) or not isinstance(max_body, int) or not 1 <= max_body <= _MAX_LIMIT:
        raise ConfigurationError("max_body", f"must be a number of bytes from 1 to {_MAX_LIMIT}, not {max_body!r}")
    return max_body


def _length(text: object, limit: int) -> int | Outcome | None:
    """The declared length; an Outcome to answer at once; None when there is none."""
    if text is None or (isinstance(text, (str, bytes)) and not text.strip()):
        return None
    value = text.decode("latin-1") if isinstance(text, bytes) else str(text)
    value = value.strip()
    if not (value.isascii() and value.isdigit()):
        return Outcome(400, "bad_content_length")
    if int(value) > limit:
        return Outcome(413, "too_large")
    return int(value)


class _Base:
    @hush
    def __init__(
        self,
        client_secret: Secrets,
        on_event: OnEvent,
        *,
        dedupe: Deduplicator | SingleUse | None = DEFAULT_DEDUPE,
        tolerance: float = DEFAULT_TOLERANCE,
        clock: Callable[[], float] = time.time,
        max_body: int = MAX_EVENT_BYTES,
    ) -> None:
        self._config = receiver(client_secret, on_event, dedupe, tolerance, clock, owner=self)
        self.max_body = _limit(max_body)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} max_body={self.max_body}>"


class WebhookApp(_Base):
    """A WSGI application receiving TikTok's webhooks (see :func:`handle` for the arguments;
    ``max_body`` caps the body, 64 KiB by default). It reads exactly ``CONTENT_LENGTH``
    bytes (411 without one, unless the server marks the input as terminated).

    Example (Flask, Django or any WSGI server)::

        from werkzeug.middleware.dispatcher import DispatcherMiddleware
        flask_app.wsgi_app = DispatcherMiddleware(flask_app.wsgi_app, {
            "/webhooks/tiktok": WebhookApp(client_secret, on_event=on_tiktok_event),
        })
    """

    def __call__(self, environ: MutableMapping[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        outcome = self._receive(environ)
        body = outcome.body
        headers = [*_HEADERS, ("Content-Length", str(len(body)))]
        if outcome.status == 405:
            headers.append(("Allow", "POST"))
        status = http.HTTPStatus(outcome.status)
        start_response(f"{status.value} {status.phrase}", headers)
        return [body]

    def _receive(self, environ: MutableMapping[str, Any]) -> Outcome:
        if str(environ.get("REQUEST_METHOD", "")).upper() != "POST":
            return _report(Outcome(405, "method_not_allowed"))
        body = self._read(environ)
        if isinstance(body, Outcome):
            return _report(body)
        return _drive(self._config, body, environ.get("HTTP_TIKTOK_SIGNATURE"))

    def _read(self, environ: MutableMapping[str, Any]) -> bytes | Outcome:
        declared = _length(environ.get("CONTENT_LENGTH"), self.max_body)
        if isinstance(declared, Outcome):
            return declared
        stream = environ.get("wsgi.input")
        if declared is None and not environ.get("wsgi.input_terminated"):
            return Outcome(411, "length_required")
        wanted = self.max_body + 1 if declared is None else declared
        chunks: list[bytes] = []
        got = 0
        try:
            while got < wanted and stream is not None:
                chunk = stream.read(min(wanted - got, 65536))
                if not chunk:
                    break
                chunks.append(bytes(chunk))
                got += len(chunk)
        except (OSError, ValueError):
            return Outcome(400, "incomplete_body")
        if declared is None:
            return Outcome(413, "too_large") if got > self.max_body else b"".join(chunks)
        return b"".join(chunks) if got == declared else Outcome(400, "incomplete_body")


class AsyncWebhookApp(_Base):
    """An ASGI application receiving TikTok's webhooks (see :func:`handle_async` for the
    arguments; ``max_body`` caps the body, 64 KiB by default). Serves the ``http`` scope,
    completes ``lifespan`` politely, ignores others.

    Example (FastAPI or Starlette; ``mount`` would redirect the exact path with a 307)::

        fastapi_app.add_route("/webhooks/tiktok", AsyncWebhookApp(client_secret, on_event=on_tiktok_event),
                              methods=["POST"])
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") == "lifespan":
            await _lifespan(receive, send)
            return
        if scope.get("type") != "http":
            return
        outcome = await self._receive(scope, receive)
        if outcome is None:
            return  # the client went away: nobody to answer
        body = outcome.body
        headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in _HEADERS]
        headers.append((b"content-length", str(len(body)).encode("ascii")))
        if outcome.status == 405:
            headers.append((b"allow", b"POST"))
        await send({"type": "http.response.start", "status": outcome.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _receive(self, scope: Scope, receive: Receive) -> Outcome | None:
        if str(scope.get("method", "")).upper() != "POST":
            return _report(Outcome(405, "method_not_allowed"))
        headers = scope.get("headers") or []
        declared = _length(header_value(headers, "content-length"), self.max_body)
        if isinstance(declared, Outcome):
            return _report(declared)
        chunks: list[bytes] = []
        got = 0
        while True:
            message = await receive()
            if message.get("type") == "http.disconnect":
                return None
            if message.get("type") != "http.request":
                continue
            chunk = bytes(message.get("body") or b"")
            got += len(chunk)
            if got > self.max_body or (declared is not None and got > declared):
                return _report(Outcome(413 if got > self.max_body else 400, "too_large" if got > self.max_body
                                       else "incomplete_body"))
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        if declared is not None and got != declared:
            return _report(Outcome(400, "incomplete_body"))
        return await _drive_async(self._config, b"".join(chunks), header_value(headers))


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        kind = message.get("type")
        if kind == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif kind == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
