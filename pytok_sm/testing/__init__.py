"""Helpers for testing apps that use pytok_sm (and pytok_sm itself).

* :func:`capture_transitions`: a list of every ``transition`` event while active.
* :class:`FakeClock`: a clock to inject (``clock=``) and advance by hand.
* :class:`FakeBrowser`: an ``open_browser=`` callable that plays TikTok's redirect straight
  to the app's loopback server (approve or deny), without any authorize page.

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
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

from .. import logs

__all__ = ["FakeBrowser", "FakeClock", "capture_transitions"]


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


class FakeBrowser:
    """Stands in for the person's browser: given the authorize URL, it requests the app's
    redirect URI as TikTok's redirect would, from a background thread.

    ``deny=True`` sends ``error=access_denied``; ``state`` overrides the echoed state (to
    test CSRF handling); ``code`` is the authorization code to hand over. After
    :meth:`join`, ``status`` and ``body`` hold the loopback server's answer.

    Example:
        >>> browser = FakeBrowser(code="c*de!")
        >>> # LoginKit(..., open_browser=browser).oauth_server()  then  browser.join()
    """

    def __init__(
        self,
        *,
        deny: bool = False,
        code: str = "fake*code!",
        scopes: str | None = None,
        state: str | None = None,
        opened: bool = True,
    ) -> None:
        self.deny = deny
        self.code = code
        self.scopes = scopes
        self.state = state
        self.opened = opened
        self.urls: list[str] = []
        self.status: int | None = None
        self.body: str = ""
        self._thread: threading.Thread | None = None

    def callback_url(self, authorize_url: str) -> str:
        """The redirect TikTok would send for ``authorize_url``."""
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(authorize_url).query))
        state = self.state if self.state is not None else query.get("state", "")
        if self.deny:
            params = {"error": "access_denied", "error_description": "The user denied the request", "state": state}
        else:
            params = {"code": self.code, "scopes": self.scopes or query.get("scope", ""), "state": state}
        return f"{query['redirect_uri']}?{urllib.parse.urlencode(params)}"

    def __call__(self, url: str) -> bool:
        self.urls.append(url)
        if not self.opened:
            return False
        self._thread = threading.Thread(target=self._visit, args=(self.callback_url(url),), daemon=True)
        self._thread.start()
        return True

    def _visit(self, url: str) -> None:
        try:
            with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - loopback only
                self.status, self.body = answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            self.status, self.body = error.code, error.read().decode()

    def join(self, timeout: float = 10.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
