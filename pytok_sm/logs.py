"""Structured logging: the ``transition`` event, quiet defaults, and a redaction processor.

pytok_sm never configures structlog globally. Its events go

* to structlog, when the application has configured structlog (``structlog.configure``);
* otherwise to the stdlib logger ``pytok_sm`` at INFO (silent unless the app enables it);
* and to every active :func:`pytok_sm.testing.capture_transitions` list.

Secrets are never passed to a log call in the first place. :class:`Redactor` is a second
line for the application's own processor chain: it masks values under secret-looking keys
and any registered secret value wherever it appears. :func:`processors` gives a complete,
safe chain (tracebacks without locals).

Example:
    >>> redact = Redactor()
    >>> redact(None, "info", {"event": "x", "refresh_token": "rft.abc", "note": "ok"})
    {'event': 'x', 'refresh_token': '[redacted]', 'note': 'ok'}
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

import structlog

__all__ = ["Redactor", "emit", "listen", "processors", "register_secret"]

_log = structlog.get_logger("pytok_sm")
_stdlib = logging.getLogger("pytok_sm")

#: The sinks of every active :func:`listen` (:func:`pytok_sm.testing.capture_transitions` uses one).
_captures: list[Callable[[dict[str, Any]], None]] = []

SECRET_KEYS = frozenset(
    {
        "access_token",
        "refresh_token",
        "client_secret",
        "code",
        "code_verifier",
        "verifier",
        "state",
        "token",
        "client_ticket",
        "authorization",
        "password",
        "secret",
    }
)


@contextlib.contextmanager
def listen(sink: Callable[[dict[str, Any]], None]) -> Iterator[None]:
    """Call ``sink(event_dict)`` for every pytok_sm event (from any thread) while active.

    This is how a program follows flows as they move (the CLI's progress lines, the demo)
    without configuring structlog. ``sink`` must be quick and must not raise.

    Example:
        >>> seen = []
        >>> with listen(seen.append):
        ...     emit("transition", flow="demo")
        >>> seen
        [{'event': 'transition', 'flow': 'demo'}]
    """
    _captures.append(sink)
    try:
        yield
    finally:
        _captures.remove(sink)


def emit(event: str, **fields: Any) -> None:
    """Write one event. Callers pass no secret; this routes it to wherever the app listens."""
    if _captures:
        entry = {"event": event, **fields}
        for sink in list(_captures):
            sink(dict(entry))
    if structlog.is_configured():
        _log.info(event, **fields)
    elif _stdlib.isEnabledFor(logging.INFO):
        _stdlib.info("%s %s", event, " ".join(f"{k}={v}" for k, v in fields.items()))


#: Registered values shorter than this are ignored (too likely to occur by chance).
_KEY = 6


class _SecretRegistry:
    """The most recent secret values (bounded, so long-running services do not grow).

    Masking must not cost more as more secrets are registered (a service registers a few
    per login and refresh; a scan of all 4096 per logged string cost about 0.7 ms per
    event). So values are also indexed by their first :data:`_KEY` characters (the
    shortest value kept), with the lengths registered under each: a string is masked with
    one dict lookup per position, plus a set lookup per length where a prefix matches.
    """

    def __init__(self, capacity: int = 4096) -> None:
        self._values: OrderedDict[str, None] = OrderedDict()
        #: first _KEY characters -> {length: how many registered values have both}
        self._by_key: dict[str, dict[int, int]] = {}
        self._capacity = capacity
        self._lock = threading.Lock()

    def add(self, value: str | None) -> None:
        if not value or len(value) < _KEY:
            return
        with self._lock:
            if value in self._values:
                self._values.move_to_end(value)
                return
            self._values[value] = None
            lengths = self._by_key.setdefault(value[:_KEY], {})
            lengths[len(value)] = lengths.get(len(value), 0) + 1
            while len(self._values) > self._capacity:
                old, _ = self._values.popitem(last=False)
                self._forget(old)

    def _forget(self, value: str) -> None:
        key, size = value[:_KEY], len(value)
        lengths = self._by_key[key]
        if lengths[size] > 1:
            lengths[size] -= 1
            return
        del lengths[size]
        if not lengths:
            del self._by_key[key]

    def snapshot(self) -> list[str]:
        with self._lock:
            return sorted(self._values, key=len, reverse=True)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where registered values occur in ``text``: (start, end) pairs, merged where they overlap."""
        index, values, size = self._by_key, self._values, len(text)
        if not index or size < _KEY:
            return []
        found: list[tuple[int, int]] = []
        for i in [i for i in range(size - _KEY + 1) if text[i : i + _KEY] in index]:
            lengths = list(index.get(text[i : i + _KEY], ()))  # list(): a snapshot, taken atomically
            end = max((i + n for n in lengths if i + n <= size and text[i : i + n] in values), default=0)
            if not end:
                continue
            if found and i < found[-1][1]:
                found[-1] = (found[-1][0], max(found[-1][1], end))
            else:
                found.append((i, end))
        return found

    def mask(self, text: str, placeholder: str) -> str:
        """``text`` with every occurrence of a registered value replaced by ``placeholder``.

        Overlapping occurrences (a secret and its own prefix, two secrets sharing characters)
        are masked as one span, so no character of any of them survives.
        """
        found = self.spans(text)
        if not found:
            return text
        parts: list[str] = []
        done = 0
        for start, end in found:
            parts += (text[done:start], placeholder)
            done = end
        parts.append(text[done:])
        return "".join(parts)


_registry = _SecretRegistry()


def register_secret(value: str | None) -> None:
    """Let :class:`Redactor` mask this value wherever it appears in an event."""
    _registry.add(value)


class Redactor:
    """A structlog processor masking secret keys and registered secret values.

    Put it before the renderer in the application's chain::

        structlog.configure(processors=[..., pytok_sm.logs.Redactor(), structlog.processors.JSONRenderer()])
    """

    def __init__(self, keys: frozenset[str] = SECRET_KEYS, placeholder: str = "[redacted]") -> None:
        self.keys = keys
        self.placeholder = placeholder

    def _clean(self, value: Any, secrets: _SecretRegistry, depth: int = 0) -> Any:
        if isinstance(value, str):
            return secrets.mask(value, self.placeholder)
        if depth > 8:
            return value
        if isinstance(value, dict):
            return {
                k: self.placeholder if str(k).lower() in self.keys else self._clean(v, secrets, depth + 1)
                for k, v in value.items()
            }
        if isinstance(value, (list, tuple)):
            cleaned = [self._clean(v, secrets, depth + 1) for v in value]
            if hasattr(value, "_make"):  # a namedtuple takes its fields as separate arguments
                return value._make(cleaned)
            return type(value)(cleaned)
        if isinstance(value, BaseException):
            text = self._clean(str(value), secrets, depth + 1)
            return f"{type(value).__name__}: {text}"
        return value

    def __call__(self, logger: Any, method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        secrets = _registry
        # Most events carry a few short strings and no secret: look for registered values in
        # all of them at once (joined), and mask string by string only when one shows up.
        texts = [value for value in event_dict.values() if isinstance(value, str)]
        dirty = bool(texts) and bool(secrets.spans("\x00".join(texts)))
        for key in list(event_dict):
            value = event_dict[key]
            if key.lower() in self.keys:
                event_dict[key] = self.placeholder
            elif not isinstance(value, str):
                event_dict[key] = self._clean(value, secrets)
            elif dirty:
                event_dict[key] = secrets.mask(value, self.placeholder)
        return event_dict


def processors(*, json: bool = False) -> list[Any]:
    """A safe processor chain for applications: redaction, no traceback locals, a renderer.

    Example:
        >>> import structlog
        >>> structlog.configure(processors=processors(json=True))  # doctest: +SKIP
    """
    from structlog import processors as p
    from structlog.tracebacks import ExceptionDictTransformer

    chain: list[Any] = [
        structlog.contextvars.merge_contextvars,
        p.add_log_level,
        p.TimeStamper(fmt="iso", utc=True),
    ]
    if json:
        chain += [p.ExceptionRenderer(ExceptionDictTransformer(show_locals=False)), Redactor(), p.JSONRenderer()]
    else:
        chain += [
            p.format_exc_info,
            Redactor(),
            structlog.dev.ConsoleRenderer(colors=False, sort_keys=False, exception_formatter=structlog.dev.plain_traceback),
        ]
    return chain
