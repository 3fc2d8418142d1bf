"""Helpers for testing apps that use pytok_sm (and pytok_sm itself).

* :func:`capture_transitions`: a list of every ``transition`` event while active.
* :class:`FakeClock`: a clock to inject (``clock=``) and advance by hand.
* :class:`FakeBrowser`: an ``open_browser=`` callable that plays TikTok's redirect straight
  to the app's loopback server (approve or deny), without any authorize page.
* :class:`DeterministicRandom`: a seeded ``random=`` source, so recordings replay.
* Cassettes (:mod:`pytok_sm.testing.cassettes`, needs vcrpy): :func:`use_cassette`,
  :func:`vcr_config`, :func:`make_vcr`, :class:`Scrubber`, :func:`find_unscrubbed`; the
  pytest plugin adds the ``pytok_vcr`` / ``pytok_cassette`` fixtures and ``--pytok-record``.

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
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

from .. import logs
from .cassettes import (
    CassetteError,
    CassetteLibrary,
    CassetteMismatch,
    CassetteMissing,
    CassetteUnplayed,
    Scrubber,
    find_unscrubbed,
    make_vcr,
    use_cassette,
    vcr_config,
)
from .deterministic import DeterministicRandom

__all__ = [
    "CassetteError",
    "CassetteLibrary",
    "CassetteMismatch",
    "CassetteMissing",
    "CassetteUnplayed",
    "DeterministicRandom",
    "FakeBrowser",
    "FakeClock",
    "Scrubber",
    "capture_transitions",
    "find_unscrubbed",
    "make_vcr",
    "use_cassette",
    "vcr_config",
]


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
        if urllib.parse.urlsplit(url).scheme == "http":
            self.status, self.body = _plain_get(url)
            return
        try:
            with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - a test's own URL
                self.status, self.body = answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            self.status, self.body = error.code, error.read().decode()

    def join(self, timeout: float = 10.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout)


def _plain_get(url: str, timeout: float = 10.0) -> tuple[int, str]:
    """GET ``url`` over a bare socket, as a browser would: with no Python HTTP library in
    the way, nothing that intercepts them (vcrpy replaying a cassette) answers in the app's
    place, and vcrpy's passthrough (which unpatches every library for a moment, in every
    thread) never races with the app's own requests.

    Example:
        >>> import threading
        >>> from http.server import BaseHTTPRequestHandler, HTTPServer
        >>> class Page(BaseHTTPRequestHandler):
        ...     def do_GET(self):
        ...         self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers()
        ...         self.wfile.write(b"ok")
        ...     def log_message(self, *args): pass
        >>> server = HTTPServer(("127.0.0.1", 0), Page)
        >>> threading.Thread(target=server.handle_request, daemon=True).start()
        >>> _plain_get(f"http://127.0.0.1:{server.server_port}/callback/?code=x")
        (200, 'ok')
        >>> server.server_close()
    """
    parts = urllib.parse.urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    request = (
        f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\nUser-Agent: pytok-sm-FakeBrowser/1\r\n"
        "Accept: text/html\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=timeout) as conn:
        conn.sendall(request.encode("ascii"))
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].split()
    return int(status_line[1]), body.decode("utf-8", "replace")
