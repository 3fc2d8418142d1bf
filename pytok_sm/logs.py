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
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

import structlog

from . import _secrets

__all__ = ["Redactor", "emit", "listen", "processors", "register_secret"]

from ._secrets import register_secret  # noqa: E402 - re-exported here, where users look

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


class Redactor:
    """A structlog processor masking secret keys and registered secret values.

    Put it before the renderer in the application's chain::

        structlog.configure(processors=[..., pytok_sm.logs.Redactor(), structlog.processors.JSONRenderer()])
    """

    def __init__(self, keys: frozenset[str] = SECRET_KEYS, placeholder: str = "[redacted]") -> None:
        self.keys = keys
        self.placeholder = placeholder

    def _clean(self, value: Any, secrets: _secrets.SecretRegistry, depth: int = 0) -> Any:
        if isinstance(value, str):
            return secrets.mask(value, self.placeholder)
        if isinstance(value, (bytes, bytearray)):
            text = bytes(value).decode("utf-8", "surrogateescape")
            masked = secrets.mask(text, self.placeholder)
            return value if masked == text else masked.encode("utf-8", "surrogateescape")
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
        secrets = _secrets.REGISTRY
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
