"""The sync driver: runs any flow with an :class:`httpx.Client` and real waiting.

Example:
    >>> import httpx
    >>> from pytok_sm import Config
    >>> from pytok_sm.flows import RevokeFlow
    >>> transport = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
    >>> driver = SyncDriver(httpx.Client(transport=transport))
    >>> driver.run(RevokeFlow(Config("aw_key", "s"), access_token="act.x")) is None
    True
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from .._errors import ProtocolError
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
)
from ._common import CANCELLED, OnTick, ShowQr, TextSink, every, is_upload, open_url, outcome_page, primitive, tell_url
from ._loopback import LoopbackServer
from ._pool import armed, shared_client
from ._transport import send

__all__ = ["SyncDriver"]


class SyncDriver:
    """Carry out a flow's effects: HTTP through one ``httpx.Client`` (the process's shared
    pool unless one is given; each call ends by its deadline, to the socket), the loopback
    server, the browser, sleeps. :meth:`cancel` (from any thread) ends a running flow.

    ``show_qr(url)`` shows a QR code; ``on_tick(flow)`` is called about every ``tick``
    seconds while waiting and at most that often while a file upload's body is written (between
    its pieces), then once the flow took the upload's answer (for progress lines); ``stderr``
    receives the authorize URL when no browser could be opened.
    """

    def __init__(
        self,
        client: httpx.Client | None = None,
        *,
        show_qr: ShowQr | None = None,
        on_tick: OnTick | None = None,
        stderr: TextSink | None = None,
        tick: float = 0.25,
    ) -> None:
        # A client of the caller's own is armed too: its sockets then wait no longer than the
        # deadline of the kit's calls (its other uses are unchanged).
        self.client = armed(client) if client is not None else shared_client()
        self.show_qr = show_qr
        self.on_tick = on_tick
        self.stderr = stderr
        self.tick = tick
        self._cancel = threading.Event()
        self._server: LoopbackServer | None = None
        self._flow: Flow | None = None

    def cancel(self) -> None:
        """Ask the running flow to stop; it ends in ``cancelled``."""
        self._cancel.set()

    def run(self, flow: Flow, *, until: Callable[[Flow], bool] | None = None) -> Any:
        """Run ``flow`` to its end (or until ``until(flow)`` holds); return its result or raise."""
        self._cancel.clear()
        self._flow = flow
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
                result = getattr(self, primitive(effect))(effect)
                done, effect = effect, flow.cancel() if result is CANCELLED else flow.send(result)
                if is_upload(done):
                    self._ticked()  # the flow took the chunk's answer: a progress bar moves
        except KeyboardInterrupt:
            flow.cancel()
            raise
        finally:
            if self._server is not None:
                self._server.settle(outcome_page(flow))  # the browser sees how the exchange ended
                self._server.close()
                self._server = None

    # ------------------------------------------------------------------ the I/O primitives
    def _send(self, effect: Send) -> object:
        on_piece = every(self.tick, self._ticked) if is_upload(effect) and self.on_tick is not None else None
        return send(self.client, effect, on_piece)

    def _listen(self, effect: Listen) -> object:
        assert self._flow is not None
        server = LoopbackServer(
            effect.port, effect.path, effect.judge, host=effect.host,
            log_fields={"flow": self._flow.KIND, "flow_id": self._flow.flow_id},
        )
        port = server.start()
        if port is None:
            return PortBusy(effect.port)
        self._server = server
        return Listening(port)

    def _open_browser(self, effect: OpenBrowser) -> object:
        opened = open_url(effect.opener, effect.url)
        if not opened:
            tell_url(self.stderr or sys.stderr, effect.url)
        return BrowserOpened(opened)

    def _await_callback(self, effect: AwaitCallback) -> object:
        server = self._server
        if server is None:
            raise ProtocolError("no loopback server is running for this flow")
        while True:
            remaining = effect.remaining()
            if self._cancel.is_set():
                return TimedOut() if remaining <= 0 else CANCELLED
            if remaining <= 0:
                return TimedOut()
            self._ticked()
            try:
                return server.results.get(timeout=min(self.tick, remaining))
            except queue.Empty:
                continue

    def _show_qr_code(self, effect: ShowQrCode) -> object:
        if self.show_qr is not None:
            self.show_qr(effect.url)
        return Shown()

    def _sleep(self, effect: Sleep) -> object:
        end = time.monotonic() + effect.seconds
        while not self._cancel.is_set():
            left = end - time.monotonic()
            if left <= 0:
                return Slept()
            self._ticked()
            self._cancel.wait(min(self.tick, left))
        return CANCELLED

    def _ticked(self) -> None:
        if self.on_tick is not None and self._flow is not None:
            self.on_tick(self._flow)
