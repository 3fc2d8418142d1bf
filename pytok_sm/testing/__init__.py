"""Helpers for testing apps that use pytok_sm (and pytok_sm itself).

* :func:`capture_transitions`: a list of every ``transition`` event while active.
* :class:`FakeClock`: a clock to inject (``clock=``) and advance by hand.

Example:
    >>> from pytok_sm.testing import capture_transitions, FakeClock
    >>> clock = FakeClock(1000.0)
    >>> clock.advance(5)
    1005.0
    >>> with capture_transitions() as events:
    ...     pass
    >>> events
    []
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from .. import logs

__all__ = ["FakeClock", "capture_transitions"]


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

    logs._captures.append(sink)
    try:
        yield events
    finally:
        logs._captures.remove(sink)


class FakeClock:
    """A wall clock that only moves when told to; pass it as ``clock=`` to kits and flows."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = float(start)
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        with self._lock:
            self.now += seconds
            return self.now
