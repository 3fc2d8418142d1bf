"""The sync driver: runs any flow with an :class:`httpx.Client` and real waiting.

Example:
    >>> import httpx
    >>> from pytok_sm._config import Config
    >>> from pytok_sm.flows import RevokeFlow
    >>> transport = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
    >>> driver = SyncDriver(httpx.Client(transport=transport))
    >>> driver.run(RevokeFlow(Config("aw_key", "s"), access_token="act.x")) is None
    True
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TextIO

import httpx

from .. import logs
from .._errors import ProtocolError, TikTokError
from ..flows._base import Flow
from ..flows._effects import (
    AwaitCallback,
    BrowserOpened,
    Failed,
    Finished,
    Listen,
    Listening,
    OpenBrowser,
    PortBusy,
    Send,
    Shown,
    ShowQrCode,
    Sleep,
    Slept,
    TimedOut,
    TransportFailure,
)
from ._loopback import LoopbackServer
from .._tiktok import Request, Response
from . import _transport as _http

__all__ = ["OpenBrowserSetting", "SyncDriver", "open_url"]

OpenBrowserSetting = bool | Callable[[str], Any]


def open_url(setting: OpenBrowserSetting, url: str) -> bool:
    """Open ``url`` as configured: True = :mod:`webbrowser` (honours ``BROWSER``), False = no,
    a callable = call it. Returns whether a browser was opened; never raises."""
    if setting is False:
        return False
    try:
        if setting is True:
            import webbrowser

            return bool(webbrowser.open(url))
        return bool(setting(url)) if callable(setting) else False
    except Exception as exc:  # noqa: BLE001 - a broken browser launcher must not end the login
        logs.emit("browser_open_failed", error=type(exc).__name__)
        return False


def tell_url(stream: TextIO, url: str) -> None:
    stream.write(f"Open this URL in your browser to log in:\n  {url}\n")
    stream.flush()


class SyncDriver:
    """Carry out a flow's effects: HTTP through one reused ``httpx.Client``, the loopback
    server, the browser, sleeps. :meth:`cancel` (from any thread) ends a running flow.

    ``on_tick(flow)`` is called about four times a second while waiting (for progress lines);
    ``show_qr(url)`` shows a QR code.
    """

    def __init__(
        self,
        client: httpx.Client | None = None,
        *,
        open_browser: OpenBrowserSetting = True,
        show_qr: Callable[[str], None] | None = None,
        on_tick: Callable[[Flow], None] | None = None,
        stderr: TextIO | None = None,
        tick: float = 0.25,
    ) -> None:
        self.client = client or httpx.Client(follow_redirects=False)
        self.open_browser = open_browser
        self.show_qr = show_qr
        self.on_tick = on_tick
        self.stderr = stderr
        self.tick = tick
        self._cancel = threading.Event()

    def cancel(self) -> None:
        """Ask the running flow to stop; it ends in ``cancelled``."""
        self._cancel.set()

    def close(self) -> None:
        self.client.close()

    def run(self, flow: Flow, *, until: Callable[[Flow], bool] | None = None) -> Any:
        """Run ``flow`` to its end (or until ``until(flow)`` holds); return its result or raise."""
        self._cancel.clear()
        server: LoopbackServer | None = None
        effect = flow.effect if flow.effect is not None else flow.start()
        try:
            while True:
                if until is not None and until(flow):
                    return None
                if isinstance(effect, Finished):
                    return effect.result
                if isinstance(effect, Failed):
                    raise effect.error
                if self._cancel.is_set():
                    effect = flow.cancel()
                    continue
                if isinstance(effect, Send):
                    effect = flow.send(self.send(effect.request, flow))
                elif isinstance(effect, Listen):
                    server, result = self._listen(flow, effect)
                    effect = flow.send(result)
                elif isinstance(effect, OpenBrowser):
                    opened = open_url(self.open_browser, effect.url)
                    if not opened:
                        tell_url(self.stderr or sys.stderr, effect.url)
                    effect = flow.send(BrowserOpened(opened))
                elif isinstance(effect, AwaitCallback):
                    result = self._await(flow, server, effect.deadline)
                    effect = flow.cancel() if isinstance(result, _Cancelled) else flow.send(result)
                elif isinstance(effect, ShowQrCode):
                    if self.show_qr is not None:
                        self.show_qr(effect.url)
                    effect = flow.send(Shown())
                elif isinstance(effect, Sleep):
                    self._sleep(flow, effect.seconds)
                    effect = flow.send(Slept())
                else:  # pragma: no cover - the effect union is closed
                    raise TypeError(f"unknown effect {effect!r}")
        except KeyboardInterrupt:
            flow.cancel()
            raise
        finally:
            if server is not None:
                server.close()

    # ------------------------------------------------------------------ effects
    def send(self, request: Request, flow: Flow | None = None) -> Response | TransportFailure:
        """Send one request within the config's overall deadline; never raises httpx errors."""
        config = flow.config if flow is not None else None
        per_read = config.http_timeout if config else 10.0
        deadline = time.monotonic() + (config.call_deadline if config else 30.0)
        try:
            built = _http.build(self.client, request, per_read)
            answer = self.client.send(built, stream=True, follow_redirects=False)
            try:
                chunks: list[bytes] = []
                total = 0
                for chunk in answer.iter_bytes():
                    chunks.append(chunk)
                    total += len(chunk)
                    _http.check_size(total)
                    if time.monotonic() > deadline:
                        raise _http.DeadlineExceeded
                return _http.to_response(answer, b"".join(chunks))
            finally:
                answer.close()
        except _http.DeadlineExceeded:
            return TransportFailure(sent=True, reason="the answer took longer than the call deadline")
        except _http.TooLarge:
            return Response(502, {}, b"")
        except httpx.HTTPError as exc:
            return _http.failure(exc)

    def _listen(self, flow: Flow, effect: Listen) -> tuple[LoopbackServer | None, Listening | PortBusy]:
        from ..flows._browser import BrowserFlow

        assert isinstance(flow, BrowserFlow)
        server = LoopbackServer(
            effect.port, _redirect_path(flow), flow.judge, log_fields={"flow": flow.KIND, "flow_id": flow.flow_id}
        )
        try:
            port = server.start()
        except TikTokError:
            return None, PortBusy(effect.port)
        return server, Listening(flow.config.redirect_for_port(port))

    def _await(self, flow: Flow, server: LoopbackServer | None, deadline: float) -> Any:
        import queue

        if server is None:
            raise ProtocolError("no loopback server is running for this flow")
        while True:
            if self._cancel.is_set():
                return TimedOut() if flow.clock() >= deadline else _Cancelled()
            remaining = deadline - flow.clock()
            if remaining <= 0:
                return TimedOut()
            if self.on_tick is not None:
                self.on_tick(flow)
            try:
                return server.results.get(timeout=min(self.tick, remaining))
            except queue.Empty:
                continue

    def _sleep(self, flow: Flow, seconds: float) -> None:
        end = time.monotonic() + seconds
        while not self._cancel.is_set():
            left = end - time.monotonic()
            if left <= 0:
                return
            if self.on_tick is not None:
                self.on_tick(flow)
            self._cancel.wait(min(self.tick, left))


class _Cancelled:
    """Internal: the wait was cancelled; the run loop turns it into ``flow.cancel()``."""


def _redirect_path(flow: Flow) -> str:
    import urllib.parse

    uri = flow.config.redirect_uri or "/"
    return urllib.parse.urlsplit(uri.replace(":*/", ":0/", 1)).path or "/"
