"""What a person sees on stderr while ``pytok`` waits: a live line and status changes.

:class:`Terminal` owns stderr. On a terminal it keeps one *live line* at the bottom,
rewritten in place with ``\\r`` and cleared before any other output (status lines, log
events, errors), so nothing is ever drawn over it. When stderr is not a terminal (or
``TERM=dumb``) there is no live line and no ``\\r`` at all: plain lines only.

:class:`WaitProgress` is the driver's ``on_tick(flow)`` hook (called about four times a
second while a flow waits). It derives everything from the flow itself: ``flow.state``
for what we wait for, ``flow.deadline``, ``flow.timeout`` and ``flow.clock`` for the time.
QR status changes (new, scanned, confirmed) are printed as permanent lines when the
flow's state changes.

Example:
    >>> import io
    >>> out = io.StringIO()
    >>> term = Terminal(out, live=False)
    >>> term.show("Waiting, 0:01 of 5:00")    # no live line on a pipe
    >>> term.say("QR code status: scanned")
    >>> out.getvalue()
    'QR code status: scanned\\n'
    >>> clock_text(12), clock_text(300), clock_text(3725)
    ('0:12', '5:00', '1:02:05')
"""

from __future__ import annotations

import math
import os
import shutil
import threading
from typing import Any, TextIO

from ..flows._base import Flow

__all__ = ["Terminal", "WaitProgress", "clock_text", "is_interactive", "waiting_text"]

#: Permanent lines printed when a QR flow reaches a state (a test pins them to QrFlow's table).
QR_STATUS = {
    "awaiting_scan": "QR code status: new (scan it with the TikTok app)",
    "scanned": "QR code status: scanned (confirm the login in the TikTok app)",
}
QR_CONFIRMED_LINE = "QR code status: confirmed"


def is_interactive(stream: Any) -> bool:
    """True when ``stream`` is a terminal that understands ``\\r`` (not ``TERM=dumb``).

    Example:
        >>> import io
        >>> is_interactive(io.StringIO())
        False
    """
    try:
        tty = bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False
    return tty and os.environ.get("TERM", "") != "dumb"


def clock_text(seconds: float) -> str:
    """``m:ss`` (or ``h:mm:ss``) for a duration, rounded down to the second.

    Example:
        >>> clock_text(59.9), clock_text(-3)
        ('0:59', '0:00')
    """
    total = max(0, math.floor(seconds)) if math.isfinite(seconds) else 0
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def waiting_text(flow: Flow) -> str | None:
    """The live line for a waiting flow, or None when it is not waiting for a person.

    Example:
        >>> from pytok_sm._config import Config
        >>> from pytok_sm.flows import BrowserFlow
        >>> from pytok_sm.testing import FakeClock
        >>> clock = FakeClock(1000.0)
        >>> flow = BrowserFlow(Config("aw_key", "s"), clock=clock, timeout=300)
        >>> flow.state, flow.deadline = "awaiting_callback", 1300.0
        >>> _ = clock.advance(12)
        >>> waiting_text(flow)
        'Waiting for you to approve in the browser, 0:12 of 5:00, Ctrl+C to cancel'
    """
    what = flow.waiting_for  # from the flow's state table: a renamed state keeps its line
    timeout = flow.timeout
    if what is None or flow.deadline is None or timeout is None:
        return None
    elapsed = min(max(timeout - (flow.deadline - flow.clock()), 0.0), timeout)
    return f"{what}, {clock_text(elapsed)} of {clock_text(timeout)}, Ctrl+C to cancel"


class Terminal:
    """stderr for a person: permanent lines (:meth:`say`), one live line (:meth:`show`).

    It is also a minimal text stream (:meth:`write`, :meth:`flush`) for loggers and for the
    driver's "open this URL" message: whatever is written clears the live line first.
    Thread-safe (the loopback server's log events come from another thread).
    """

    def __init__(self, stream: TextIO, *, live: bool | None = None) -> None:
        self.stream = stream
        self.live = is_interactive(stream) if live is None else live
        self._lock = threading.RLock()
        self._shown = ""  # the live line on screen now ("" = none)
        self._width = 0  # how many columns of it clear() must blank out

    # -------------------------------------------------------------- permanent output
    def say(self, text: str) -> None:
        """Print one permanent line (clearing the live line first)."""
        self.write(text + "\n")

    def write(self, text: str) -> int:
        """File-like write: clears the live line, then writes ``text`` as is."""
        with self._lock:
            self._clear_locked()
            self.stream.write(text)
            self.stream.flush()
        return len(text)

    def flush(self) -> None:
        with self._lock:
            self.stream.flush()

    def isatty(self) -> bool:
        return self.live

    # -------------------------------------------------------------- the live line
    def show(self, text: str) -> None:
        """Draw (or redraw) the live line; nothing when the stream is not a terminal."""
        if not self.live:
            return
        width = max(self._columns() - 1, 10)
        text = text[:width]  # a wrapped line could not be rewritten with \r
        with self._lock:
            if text == self._shown:
                return
            previous, self._shown = self._shown, text
            # A Ctrl+C may cut this write short: until it is done, either line may be on screen.
            self._width = max(len(previous), len(text))
            padding = " " * max(len(previous) - len(text), 0)
            self.stream.write("\r" + text + padding)
            if padding:
                self.stream.write("\r" + text)
            self.stream.flush()
            self._width = len(text)

    def _columns(self) -> int:
        try:
            return os.get_terminal_size(self.stream.fileno()).columns or 80
        except (AttributeError, ValueError, OSError):
            return shutil.get_terminal_size((80, 24)).columns

    def clear(self) -> None:
        """Remove the live line (at the end of a wait, before an error message)."""
        with self._lock:
            self._clear_locked()
            self.stream.flush()

    def _clear_locked(self) -> None:
        if self._shown:
            self.stream.write("\r" + " " * self._width + "\r")
            self._shown = ""
            self._width = 0


class WaitProgress:
    """The ``on_tick`` hook of ``pytok login``: live line, QR status changes, plain notice.

    On a pipe it prints one plain line per kind of wait ("Waiting for you to approve in
    the browser (up to 5:00)") instead of the live line.

    Example:
        >>> import io
        >>> from pytok_sm._config import Config
        >>> from pytok_sm.flows import QrFlow
        >>> out = io.StringIO()
        >>> progress = WaitProgress(Terminal(out, live=False))
        >>> flow = QrFlow(Config("aw_key", "s"), qr_token="q", client_ticket="T" * 22)
        >>> _ = flow.start()
        >>> progress.on_tick(flow)
        >>> print(out.getvalue(), end="")
        QR code status: new (scan it with the TikTok app)
        Waiting for the QR code to be scanned in the TikTok app (up to 5:00); Ctrl+C to cancel
    """

    def __init__(self, terminal: Terminal) -> None:
        self.terminal = terminal
        self.flow: Flow | None = None  # the last flow seen (oauth_* make theirs inside)
        self._state: str | None = None
        self._announced: set[str] = set()

    def on_tick(self, flow: Flow) -> None:
        """Called by the driver while ``flow`` waits (for a callback, or between polls)."""
        self.flow = flow
        if flow.state != self._state:
            self._state = flow.state
            status = QR_STATUS.get(flow.state) if flow.KIND == "qr" else None
            if status is not None:
                self.terminal.say(status)
        text = waiting_text(flow)
        if text is None:
            self.terminal.clear()
        elif self.terminal.live:
            self.terminal.show(text)
        else:
            what = flow.waiting_for or ""
            if what not in self._announced:
                self._announced.add(what)
                self.terminal.say(f"{what} (up to {clock_text(flow.timeout or 0.0)}); Ctrl+C to cancel")

    def finish(self, *, confirmed: bool = False) -> None:
        """The wait is over: clear the live line; ``confirmed`` prints the QR status line."""
        self.terminal.clear()
        if confirmed:
            self.terminal.say(QR_CONFIRMED_LINE)
