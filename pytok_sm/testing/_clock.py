"""A wall clock that only moves when told to.

Example:
    >>> clock = FakeClock(1000.0)
    >>> clock(), clock.advance(5), clock()
    (1000.0, 1005.0, 1005.0)
"""

from __future__ import annotations

import threading

__all__ = ["FakeClock"]


class FakeClock:
    """A wall clock that only moves when told to; pass it as ``clock=`` to kits and flows."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = float(start)
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        """Move the clock ``seconds`` forward; the new time."""
        with self._lock:
            self.now += seconds
            return self.now
