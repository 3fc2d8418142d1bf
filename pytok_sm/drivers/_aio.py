"""The async driver: runs any flow with an :class:`httpx.AsyncClient` on asyncio.

It follows the same effect table as the sync driver (:data:`PRIMITIVES`); only its
primitives differ. The loopback server is the same threaded one; its callbacks reach the
event loop through ``call_soon_threadsafe``. Cancelling the task cancels the flow (it ends
in ``cancelled``) and releases the port.

Example:
    >>> import asyncio, httpx
    >>> from pytok_sm import Config
    >>> from pytok_sm.flows import RevokeFlow
    >>> async def main():
    ...     transport = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
    ...     async with httpx.AsyncClient(transport=transport) as client:
    ...         return await AsyncDriver(client).run(RevokeFlow(Config("aw_key", "s"), access_token="act.x"))
    >>> asyncio.run(main()) is None
    True
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx

from .._callback import Callback
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
from ._common import OnTick, ShowQr, TextSink, every, is_upload, open_url, outcome_page, primitive, tell_url
from ._loopback import LoopbackServer
from ._pool import shared_async_client
from ._transport import send_async

__all__ = ["AsyncDriver"]


class AsyncDriver:
    """Carry out a flow's effects on asyncio with one ``httpx.AsyncClient`` (the event
    loop's shared pool unless one is given). Options as :class:`SyncDriver`'s."""

    def __init__(
        self,
        client: httpx.AsyncClient | None = None,
        *,
        show_qr: ShowQr | None = None,
        on_tick: OnTick | None = None,
        stderr: TextSink | None = None,
        tick: float = 0.25,
    ) -> None:
        self._client = client
        self.show_qr = show_qr
        self.on_tick = on_tick
        self.stderr = stderr
        self.tick = tick
        self._server: LoopbackServer | None = None
        self._inbox: asyncio.Queue[Callback] | None = None
        self._flow: Flow | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        """The client in use: the one given, else the running loop's shared pool."""
        return self._client if self._client is not None else shared_async_client()

    async def run(self, flow: Flow, *, until: Callable[[Flow], bool] | None = None) -> Any:
        """Run ``flow`` to its end (or until ``until(flow)``); return its result or raise."""
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
                done, effect = effect, flow.send(await getattr(self, primitive(effect))(effect))
                if is_upload(done):
                    self._ticked()  # the flow took the chunk's answer: a progress bar moves
        except asyncio.CancelledError:
            flow.cancel()
            raise
        finally:
            if self._server is not None:
                self._server.settle(outcome_page(flow))  # the browser sees how the exchange ended
                self._server.close()
                self._server = None

    # ------------------------------------------------------------------ the I/O primitives
    async def _send(self, effect: Send) -> object:
        on_piece = every(self.tick, self._ticked) if is_upload(effect) and self.on_tick is not None else None
        return await send_async(self.client, effect, on_piece)

    async def _listen(self, effect: Listen) -> object:
        assert self._flow is not None
        loop = asyncio.get_running_loop()
        inbox: asyncio.Queue[Callback] = asyncio.Queue()
        server = LoopbackServer(
            effect.port, effect.path, effect.judge, host=effect.host,
            log_fields={"flow": self._flow.KIND, "flow_id": self._flow.flow_id},
        )
        def deliver(callback: Callback) -> None:  # from the server's thread to this loop
            loop.call_soon_threadsafe(inbox.put_nowait, callback)

        server.on_result(deliver)
        port = server.start()
        if port is None:
            return PortBusy(effect.port)
        self._server, self._inbox = server, inbox
        return Listening(port)

    async def _open_browser(self, effect: OpenBrowser) -> object:
        opened = await asyncio.to_thread(open_url, effect.opener, effect.url)
        if not opened:
            tell_url(self.stderr or sys.stderr, effect.url)
        return BrowserOpened(opened)

    async def _await_callback(self, effect: AwaitCallback) -> object:
        if self._server is None or self._inbox is None:
            raise ProtocolError("no loopback server is running for this flow")
        while True:
            remaining = effect.remaining()
            if remaining <= 0:
                return TimedOut()
            self._ticked()
            try:
                return await asyncio.wait_for(self._inbox.get(), min(self.tick, remaining))
            except TimeoutError:
                continue

    async def _show_qr_code(self, effect: ShowQrCode) -> object:
        if self.show_qr is not None:
            self.show_qr(effect.url)
        return Shown()

    async def _sleep(self, effect: Sleep) -> object:
        end = time.monotonic() + effect.seconds
        while (left := end - time.monotonic()) > 0:
            self._ticked()
            await asyncio.sleep(min(self.tick, left))
        return Slept()

    def _ticked(self) -> None:
        if self.on_tick is not None and self._flow is not None:
            self.on_tick(self._flow)
