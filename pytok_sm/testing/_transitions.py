"""Collect the events pytok_sm emits, through the public :func:`pytok_sm.logs.listen` hook.

Example:
    >>> from pytok_sm import logs
    >>> with capture_transitions() as events:
    ...     logs.emit("transition", flow="demo", dest="done")
    ...     logs.emit("callback", verdict="accept")
    >>> events
    [{'event': 'transition', 'flow': 'demo', 'dest': 'done'}]
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from .. import logs

__all__ = ["capture_transitions"]


@contextlib.contextmanager
def capture_transitions(*, all_events: bool = False) -> Iterator[list[dict[str, Any]]]:
    """Collect ``transition`` events (or every pytok_sm event with ``all_events=True``).

    Thread-safe: events from driver threads land in the same list.
    """
    events: list[dict[str, Any]] = []
    lock = threading.Lock()

    def sink(entry: dict[str, Any]) -> None:
        if all_events or entry.get("event") == "transition":
            with lock:
                events.append(entry)

    with logs.listen(sink):
        yield events
