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

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, MutableMapping
from typing import Any

import structlog

__all__ = ["Redactor", "emit", "processors", "register_secret"]

_log = structlog.get_logger("pytok_sm")
_stdlib = logging.getLogger("pytok_sm")

#: Lists that :func:`pytok_sm.testing.capture_transitions` appends events to.
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


class _SecretRegistry:
    """The most recent secret values (bounded, so long-running services do not grow)."""

    def __init__(self, capacity: int = 4096) -> None:
        self._values: OrderedDict[str, None] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def add(self, value: str | None) -> None:
        if not value or len(value) < 6:
            return
        with self._lock:
            self._values[value] = None
            self._values.move_to_end(value)
            while len(self._values) > self._capacity:
                self._values.popitem(last=False)

    def snapshot(self) -> list[str]:
        with self._lock:
            return sorted(self._values, key=len, reverse=True)


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

    def _clean(self, value: Any, secrets: list[str], depth: int = 0) -> Any:
        if isinstance(value, str):
            for secret in secrets:
                if secret in value:
                    value = value.replace(secret, self.placeholder)
            return value
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
        secrets = _registry.snapshot()
        for key in list(event_dict):
            if key.lower() in self.keys:
                event_dict[key] = self.placeholder
            else:
                event_dict[key] = self._clean(event_dict[key], secrets)
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
