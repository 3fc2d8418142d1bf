"""Logging of the ``pytok`` command: structlog is configured here, never in the library.

Without ``-v`` or ``--log-format`` nothing is configured, so the library's events stay
silent. With either, every event (one ``transition`` per state change, callback verdicts,
retries) goes to stderr, through :func:`pytok_sm.logs.processors` (redaction first, no
traceback locals): human-readable lines (``console``, the default) or JSON lines (``json``).

Example:
    >>> import io, structlog
    >>> stream = io.StringIO()
    >>> configure(verbose=1, log_format="json", stream=stream)
    True
    >>> from pytok_sm import logs
    >>> logs.emit("transition", flow="revoke", source="created", dest="revoking", access_token="act.x")
    >>> '"dest": "revoking"' in stream.getvalue(), "act.x" in stream.getvalue()
    (True, False)
    >>> reset()
"""

from __future__ import annotations

import logging
from typing import Any

import structlog

from .. import logs

__all__ = ["configure", "reset"]


def configure(*, verbose: int, log_format: str | None, stream: Any) -> bool:
    """Send pytok_sm's events to ``stream`` when asked for; returns whether it configured.

    ``-vv`` also shows debug-level events. ``stream`` needs ``write`` and ``flush``.
    """
    if not verbose and log_format is None:
        return False
    level = logging.DEBUG if verbose > 1 else logging.INFO
    structlog.configure(
        processors=logs.processors(json=log_format == "json"),
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        cache_logger_on_first_use=False,
    )
    return True


def reset() -> None:
    """Undo :func:`configure` (the process is left as it found structlog)."""
    structlog.reset_defaults()
