"""An injectable clock: wall time plus an offset that tests move forward.

Every expiry in the sandbox (codes, QR sessions, tokens, rate-limit windows) reads this
clock, so a test can jump ten minutes ahead without sleeping. Network pacing (the
``delay`` and ``slow_drip`` faults) uses real time instead: it exists to exercise the
client's real timeouts.

Example:
    >>> clock = Clock()
    >>> before = clock.now()
    >>> clock.advance(300)
    >>> clock.now() - before >= 300
    True
"""

from __future__ import annotations

import threading
import time

__all__ = ["Clock"]


class Clock:
    """Wall-clock seconds (``time.time()``) shifted by an offset that only grows.

    Example:
        >>> clock = Clock()
        >>> clock.advance(10.5)
        >>> clock.offset
        10.5
    """

    def __init__(self, offset: float = 0.0) -> None:
        self._lock = threading.Lock()
        self._offset = float(offset)

    def now(self) -> float:
        """Seconds since the epoch, as the sandbox sees them."""
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the sandbox's time forward by ``seconds`` (must not be negative)."""
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        with self._lock:
            self._offset += float(seconds)

    @property
    def offset(self) -> float:
        """How far ahead of real time the sandbox is, in seconds."""
        with self._lock:
            return self._offset

    def __repr__(self) -> str:
        return f"Clock(offset={self.offset!r})"
