"""The async driver: runs any flow with an :class:`httpx.AsyncClient` on asyncio.

The loopback server is the same threaded one as the sync driver's; its callbacks reach the
event loop through ``call_soon_threadsafe``. Cancelling the task cancels the flow (it ends
in ``cancelled``) and releases the port.

Example:
    >>> import asyncio, httpx
    >>> from pytok_sm._config import Config
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
from typing import Any, TextIO

import httpx

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
from .._tiktok import Callback, Request, Response
from . import _transport as _http
from ._sync import OpenBrowserSetting, _redirect_path, open_url, tell_url

__all__ = ["AsyncDriver"]


class AsyncDriver:
    """Carry out a flow's effects on asyncio with one reused ``httpx.AsyncClient``."""

    def __init__(
        self,
        client: httpx.AsyncClient | None = None,
        *,
        open_browser: OpenBrowserSetting = True,
        show_qr: Callable[[str], None] | None = None,
        stderr: TextIO | None = None,
    ) -> None:
        self.client = client or httpx.AsyncClient(follow_redirects=False)
        self.open_browser = open_browser
        self.show_qr = show_qr
        self.stderr = stderr

    async def aclose(self) -> None:
        await self.client.aclose()

    async def run(self, flow: Flow, *, until: Callable[[Flow], bool] | None = None) -> Any:
        """Run ``flow`` to its end (or until ``until(flow)``); return its result or raise."""
        server: LoopbackServer | None = None
        inbox: asyncio.Queue[Callback] = asyncio.Queue()
        effect = flow.effect if flow.effect is not None else flow.start()
        try:
            while True:
                if until is not None and until(flow):
                    return None
                if isinstance(effect, Finished):
                    return effect.result
                if isinstance(effect, Failed):
                    raise effect.error
                if isinstance(effect, Send):
                    effect = flow.send(await self.send(effect.request, flow))
                elif isinstance(effect, Listen):
                    server, result = self._listen(flow, effect, inbox)
                    effect = flow.send(result)
                elif isinstance(effect, OpenBrowser):
                    opened = await asyncio.to_thread(open_url, self.open_browser, effect.url)
                    if not opened:
                        tell_url(self.stderr or sys.stderr, effect.url)
                    effect = flow.send(BrowserOpened(opened))
                elif isinstance(effect, AwaitCallback):
                    if server is None:
                        raise ProtocolError("no loopback server is running for this flow")
                    remaining = effect.deadline - flow.clock()
                    try:
                        callback: Callback | TimedOut = await asyncio.wait_for(inbox.get(), max(0.0, remaining))
                    except TimeoutError:
                        callback = TimedOut()
                    effect = flow.send(callback)
                elif isinstance(effect, ShowQrCode):
                    if self.show_qr is not None:
                        self.show_qr(effect.url)
                    effect = flow.send(Shown())
                elif isinstance(effect, Sleep):
                    await asyncio.sleep(effect.seconds)
                    effect = flow.send(Slept())
                else:  # pragma: no cover - the effect union is closed
                    raise TypeError(f"unknown effect {effect!r}")
        except asyncio.CancelledError:
            flow.cancel()
            raise
        finally:
            if server is not None:
                server.close()

    async def send(self, request: Request, flow: Flow | None = None) -> Response | TransportFailure:
        """Send one request within the overall call deadline; never raises httpx errors."""
        config = flow.config if flow is not None else None
        per_read = config.http_timeout if config else 10.0
        deadline = config.call_deadline if config else 30.0
        start = time.monotonic()
        try:
            async with asyncio.timeout(deadline):
                built = _http.build(self.client, request, per_read)
                answer = await self.client.send(built, stream=True, follow_redirects=False)
                try:
                    chunks: list[bytes] = []
                    total = 0
                    async for chunk in answer.aiter_bytes():
                        chunks.append(chunk)
                        total += len(chunk)
                        _http.check_size(total)
                    return _http.to_response(answer, b"".join(chunks))
                finally:
                    await answer.aclose()
        except TimeoutError:
            sent = time.monotonic() - start > 0
            return TransportFailure(sent=sent, reason="the answer took longer than the call deadline")
        except _http.TooLarge:
            return Response(502, {}, b"")
        except httpx.HTTPError as exc:
            return _http.failure(exc)

    def _listen(
        self, flow: Flow, effect: Listen, inbox: asyncio.Queue[Callback]
    ) -> tuple[LoopbackServer | None, Listening | PortBusy]:
        from ..flows._browser import BrowserFlow

        assert isinstance(flow, BrowserFlow)
        loop = asyncio.get_running_loop()
        server = LoopbackServer(
            effect.port, _redirect_path(flow), flow.judge, log_fields={"flow": flow.KIND, "flow_id": flow.flow_id}
        )

        def deliver(callback: Callback) -> None:
            loop.call_soon_threadsafe(inbox.put_nowait, callback)

        server.on_result(deliver)
        try:
            port = server.start()
        except TikTokError:
            return None, PortBusy(effect.port)
        return server, Listening(flow.config.redirect_for_port(port))
