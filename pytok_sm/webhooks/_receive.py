"""Receiving a delivery, whatever the web framework: :func:`handle` and :func:`handle_async`.

Both take the raw body and the request's headers and return an :class:`Outcome`: the HTTP
status to answer, the event and why. TikTok retries every delivery not answered 200 for 72
hours, so the status is chosen for what a retry would do:

=====  ========================================================================================
200    a verified event passed to ``on_event`` (``delivered``), or one passed on before (``duplicate``)
401    the signature or its timestamp failed (``signature_*``, ``timestamp_out_of_range``)
400    signed correctly, but not an event (``event_malformed``)
500    ``on_event`` raised (``handler_failed``) or the de-duplication store failed
       (``dedupe_unavailable``): TikTok delivers it again later
=====  ========================================================================================

The answer's body names the reason only: never an exception's text, the secret or the body.
One sans-I/O sequence of steps (:func:`_steps`) serves both, so they behave alike.

Example:
    >>> from pytok_sm.webhooks import Deduplicator, sign
    >>> body = b'{"client_key": "ck", "event": "post.publish.complete", "create_time": 1700000000,' \\
    ...        b' "user_openid": "u1", "content": "{\\\\"publish_id\\\\": \\\\"v_pub_file~v2.1\\\\"}"}'
    >>> headers = {"tiktok-signature": sign(body, "my-secret", timestamp=1700000000)}
    >>> seen = []
    >>> options = dict(client_secret="my-secret", on_event=seen.append, dedupe=Deduplicator(), clock=lambda: 1700000001.0)
    >>> handle(body, headers, **options)
    Outcome(200, 'delivered', post.publish.complete)
    >>> handle(body, headers, **options), len(seen)
    (Outcome(200, 'duplicate', post.publish.complete), 1)
    >>> handle(body, {}, **options).status
    401
"""

from __future__ import annotations

import asyncio
import inspect
import json
import time
from collections.abc import Callable, Generator, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import logs
from .._errors import ConfigurationError
from .._secrets import hush, register_secret
from .._web import SingleUse
from ._dedupe import Deduplicator
from ._errors import WebhookError
from ._events import WebhookEvent, parse_event
from ._verify import DEFAULT_TOLERANCE, SIGNATURE_HEADER, Secrets, check_secrets, check_tolerance, verify

__all__ = ["DEFAULT_DEDUPE", "Headers", "OnEvent", "Outcome", "handle", "handle_async", "header_value"]

#: A request's headers as frameworks give them: a mapping (any case), or (name, value) pairs (ASGI's bytes too).
Headers = Mapping[str, str] | Mapping[bytes, bytes] | Iterable[tuple[str | bytes, str | bytes]]
#: What receives each event once; an exception makes the receiver answer 500 (TikTok retries).
OnEvent = Callable[[WebhookEvent], object]
#: The de-duplication :func:`handle` uses unless told otherwise: this process's memory.
DEFAULT_DEDUPE = Deduplicator()


@dataclass(frozen=True)
class Outcome:
    """What to answer TikTok: ``status``, the ``event`` (when verified and parsed) and the
    ``reason`` (``delivered``, ``duplicate``, or the failed check). ``error`` is the
    exception behind a failure, for your own logs: it is never part of :attr:`body`."""

    status: int
    reason: str
    event: WebhookEvent | None = None
    error: BaseException | None = field(default=None, compare=False)

    #: The media type of :attr:`body`.
    content_type = "application/json"

    @property
    def body(self) -> bytes:
        """The answer's body: ``{"ok": bool, "reason": str}``, nothing else."""
        return json.dumps({"ok": self.status == 200, "reason": self.reason}).encode("ascii")

    def __repr__(self) -> str:
        shown = f", {self.event.event}" if self.event is not None else ""
        return f"Outcome({self.status}, {self.reason!r}{shown})"


def header_value(headers: Headers, name: str = SIGNATURE_HEADER) -> str | None:
    """The value of header ``name`` (any case) or None; several values are joined with ``,``
    (as HTTP does), so a doubled signature header reads as one with two ``t=``.

    Example:
        >>> header_value([(b"tiktok-signature", b"t=1,s=ab")]), header_value({"TIKTOK-SIGNATURE": "x"})
        ('t=1,s=ab', 'x')
    """
    wanted = name.lower()
    pairs: Iterable[Any] = headers.items() if isinstance(headers, Mapping) else headers
    found: list[str] = []
    for pair in pairs:
        try:
            key, value = pair
        except (TypeError, ValueError):
            continue
        key = key.decode("latin-1") if isinstance(key, (bytes, bytearray)) else key
        if not isinstance(key, str) or key.lower() != wanted:
            continue
        value = value.decode("latin-1") if isinstance(value, (bytes, bytearray)) else value
        if isinstance(value, str):
            found.append(value)
    return ",".join(found) if found else None


@dataclass(frozen=True)
class _Receiver:
    secrets: tuple[str, ...] = field(repr=False)  # never in a repr: error reporters show the frames' locals
    on_event: OnEvent
    dedupe: Deduplicator | None
    tolerance: float
    clock: Callable[[], float]


def receiver(
    client_secret: Secrets,
    on_event: OnEvent,
    dedupe: Deduplicator | SingleUse | None,
    tolerance: float,
    clock: Callable[[], float],
    owner: object = None,
) -> _Receiver:
    """The checked settings of a receiver (a plain ``single_use`` callable becomes a :class:`Deduplicator`)."""
    if not callable(on_event):
        raise ConfigurationError("on_event", f"must be callable as on_event(event), not a {type(on_event).__name__}")
    if not callable(clock):
        raise ConfigurationError("clock", "must be callable, returning the time in unix seconds")
    if dedupe is not None and not isinstance(dedupe, Deduplicator):
        dedupe = Deduplicator(dedupe)
    secrets = check_secrets(client_secret)
    for secret in secrets:
        register_secret(secret, owner=owner)  # masked in any log event (pytok_sm.logs.Redactor)
    return _Receiver(secrets, on_event, dedupe, check_tolerance(tolerance), clock)


# The steps an I/O-free sequence asks its driver to carry out, and what the driver sends back.
_Step = tuple[str, Any]


def _steps(config: _Receiver, body: bytes, signature: str | None) -> Generator[_Step, Any, Outcome]:
    """The receiving of one delivery, as steps: ("claim"|"confirm"|"release", delivery_id) and
    ("call", event). A step that failed is thrown back in; the return value is the outcome."""
    try:
        verify(body, signature, client_secret=config.secrets, tolerance=config.tolerance, now=config.clock())
        event = parse_event(body)
    except WebhookError as error:
        return Outcome(error.status, error.check, None, error)
    key = event.delivery_id
    if config.dedupe is not None:
        try:
            fresh = yield ("claim", key)
        except Exception as error:  # noqa: BLE001 - any store failure: TikTok retries later
            return Outcome(500, "dedupe_unavailable", event, error)
        if not fresh:
            return Outcome(200, "duplicate", event)
    try:
        yield ("call", event)
    except Exception as error:  # noqa: BLE001 - the application's own failure: TikTok retries later
        if config.dedupe is not None:
            try:
                yield ("release", key)
            except Exception as failure:  # noqa: BLE001 - the claim then lapses after processing_ttl
                error.add_note(f"and releasing its de-duplication claim failed: {type(failure).__name__}")
        return Outcome(500, "handler_failed", event, error)
    if config.dedupe is not None:
        try:
            yield ("confirm", key)
        except Exception as failure:  # noqa: BLE001 - passed on already: 200 regardless
            return Outcome(200, "delivered", event, failure)
    return Outcome(200, "delivered", event)


def _report(outcome: Outcome) -> Outcome:
    event = outcome.event
    logs.emit(
        "webhook",
        status=outcome.status,
        reason=outcome.reason,
        tiktok_event=None if event is None else event.event,
        delivery_id=None if event is None else event.delivery_id,
        error=None if outcome.error is None else type(outcome.error).__name__,
    )
    return outcome


def _drive(config: _Receiver, body: bytes, signature: str | None) -> Outcome:
    steps = _steps(config, body, signature)
    try:
        step = next(steps)
        while True:
            kind, value = step
            try:
                if kind == "call":
                    answer = config.on_event(value)
                    if inspect.isawaitable(answer):
                        close = getattr(answer, "close", None)
                        if callable(close):
                            close()
                        raise ConfigurationError("on_event", "is a coroutine function: use handle_async or AsyncWebhookApp")
                    result: Any = None
                else:
                    assert config.dedupe is not None
                    result = getattr(config.dedupe, kind)(value)
            except Exception as error:  # noqa: BLE001 - thrown into the steps, which decide the answer
                step = steps.throw(error)
            else:
                step = steps.send(result)
    except StopIteration as done:
        return _report(done.value)


async def _drive_async(config: _Receiver, body: bytes, signature: str | None) -> Outcome:
    steps = _steps(config, body, signature)
    try:
        step = next(steps)
        while True:
            kind, value = step
            try:
                result: Any = None
                if kind == "call":
                    await _call(config.on_event, value)
                else:
                    assert config.dedupe is not None
                    method = getattr(config.dedupe, kind)
                    result = await asyncio.to_thread(method, value) if config.dedupe.blocking else method(value)
            except Exception as error:  # noqa: BLE001 - thrown into the steps, which decide the answer
                step = steps.throw(error)
            else:
                step = steps.send(result)
    except StopIteration as done:
        return _report(done.value)


async def _call(on_event: OnEvent, event: WebhookEvent) -> None:
    """A coroutine function is awaited; a plain one runs in a thread (it may block)."""
    if inspect.iscoroutinefunction(on_event) or inspect.iscoroutinefunction(type(on_event).__call__):
        await on_event(event)  # type: ignore[misc]
        return
    answer = await asyncio.to_thread(on_event, event)
    if inspect.isawaitable(answer):
        await answer


@hush
def handle(
    body: bytes,
    headers: Headers,
    *,
    client_secret: Secrets,
    on_event: OnEvent,
    dedupe: Deduplicator | SingleUse | None = DEFAULT_DEDUPE,
    tolerance: float = DEFAULT_TOLERANCE,
    clock: Callable[[], float] = time.time,
) -> Outcome:
    """Verify, parse and pass on one delivery; the :class:`Outcome` says what to answer.

    ``body`` is the raw request body; ``headers`` the request's headers (a mapping in any
    case, or pairs). ``on_event(event)`` runs once per delivery (``dedupe=None``: for every
    delivery). ``dedupe`` is a :class:`Deduplicator`, or a ``single_use`` with a ``release``
    to build one; by default this process's memory. ``clock`` gives unix seconds.
    """
    config = receiver(client_secret, on_event, dedupe, tolerance, clock)
    return _drive(config, body, header_value(headers))


@hush
async def handle_async(
    body: bytes,
    headers: Headers,
    *,
    client_secret: Secrets,
    on_event: OnEvent,
    dedupe: Deduplicator | SingleUse | None = DEFAULT_DEDUPE,
    tolerance: float = DEFAULT_TOLERANCE,
    clock: Callable[[], float] = time.time,
) -> Outcome:
    """:func:`handle` for asyncio: ``on_event`` may be a coroutine function (awaited) or a
    plain function (run in a thread); a blocking ``dedupe`` (SQLite, Redis) runs in a thread."""
    config = receiver(client_secret, on_event, dedupe, tolerance, clock)
    return await _drive_async(config, body, header_value(headers))
