"""The drivers: loopback lifecycle, the browser setting, deadlines, cancellation, sync and async."""

from __future__ import annotations

import asyncio
import io
import socket
import threading
import time

import httpx
import pytest

import pytok_sm
from pytok_sm import _errors as errors
from pytok_sm.drivers import AsyncDriver, SyncDriver
from pytok_sm.flows import BrowserFlow, RefreshFlow
from pytok_sm.testing import FakeBrowser

from ..fake_tiktok import FakeTikTok
from ..ports import free_port, port_is_free

WILDCARD = {"port": 0, "redirect_uri": "http://127.0.0.1:*/callback/"}


def config(**kw: object) -> pytok_sm.Config:
    return pytok_sm.Config("aw_key", "aw_secret", **{**WILDCARD, **kw})  # type: ignore[arg-type]


def sync_driver(fake: FakeTikTok, **kw: object) -> SyncDriver:
    return SyncDriver(httpx.Client(transport=httpx.MockTransport(fake)), **kw)  # type: ignore[arg-type]


def listening_port(flow: BrowserFlow) -> int:
    assert flow.redirect_uri is not None
    return int(flow.redirect_uri.split(":")[2].split("/")[0])


@pytest.mark.parametrize("ending", ["authorized", "denied", "timed_out"])
def test_the_port_is_released_at_every_end(ending: str) -> None:
    browser = FakeBrowser("deny" if ending == "denied" else "approve", consent=False, opened=ending != "timed_out")
    flow = BrowserFlow(config(open_browser=browser), timeout=0.5 if ending == "timed_out" else 10)
    try:
        sync_driver(FakeTikTok(), stderr=io.StringIO()).run(flow)
    except errors.TikTokError:
        pass
    browser.join()
    assert flow.state == ending
    assert port_is_free(listening_port(flow))


def test_a_busy_port_is_an_error_naming_it_before_any_browser_opens() -> None:
    port = free_port()
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", port))
    blocker.listen(1)
    opened: list[str] = []
    try:
        with pytest.raises(errors.CallbackPortBusy, match=str(port)):
            sync_driver(FakeTikTok()).run(BrowserFlow(config(port=port, redirect_uri=None, open_browser=opened.append)))
    finally:
        blocker.close()
    assert opened == []


def test_without_a_browser_the_url_goes_to_stderr_and_the_flow_keeps_waiting() -> None:
    stderr = io.StringIO()
    flow = BrowserFlow(config(open_browser=False), timeout=10)
    result: dict[str, object] = {}
    runner = threading.Thread(target=lambda: result.setdefault(
        "token", sync_driver(FakeTikTok(), stderr=stderr).run(flow)))
    runner.start()
    deadline = time.monotonic() + 5
    while "Open this URL" not in stderr.getvalue() and time.monotonic() < deadline:
        time.sleep(0.01)
    url = stderr.getvalue().splitlines()[1].strip()
    assert url == flow.authorization_url
    assert flow.state == "awaiting_callback"
    FakeBrowser(consent=False)(url)  # the person pastes the URL into a browser later
    runner.join(10)
    assert isinstance(result["token"], pytok_sm.Token)


def test_a_browser_callable_that_raises_counts_as_not_opened() -> None:
    def broken(url: str) -> bool:
        raise OSError("no display")

    stderr = io.StringIO()
    flow = BrowserFlow(config(open_browser=broken), timeout=0.3)
    with pytest.raises(errors.FlowTimeout):
        sync_driver(FakeTikTok(), stderr=stderr).run(flow)
    assert "Open this URL" in stderr.getvalue()


def test_webbrowser_honours_the_BROWSER_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    import webbrowser

    from pytok_sm.drivers import open_url

    seen: list[str] = []

    class Recorder(webbrowser.BaseBrowser):
        def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
            seen.append(url)
            return True

    monkeypatch.setattr(webbrowser, "_tryorder", ["recorder"])
    monkeypatch.setattr(webbrowser, "_browsers", {"recorder": [None, Recorder("recorder")]})
    assert open_url(True, "https://example.test/x") is True
    assert seen == ["https://example.test/x"]


def test_cancel_from_another_thread_ends_the_wait_and_frees_the_port() -> None:
    driver = sync_driver(FakeTikTok())
    flow = BrowserFlow(config(open_browser=lambda url: True), timeout=30)
    threading.Timer(0.3, driver.cancel).start()
    with pytest.raises(errors.FlowCancelled):
        driver.run(flow)
    assert flow.state == "cancelled"
    assert port_is_free(listening_port(flow))


def test_keyboard_interrupt_cancels_the_flow_and_frees_the_port() -> None:
    def interrupt(flow: object) -> None:
        raise KeyboardInterrupt

    flow = BrowserFlow(config(open_browser=lambda url: True), timeout=30)
    with pytest.raises(KeyboardInterrupt):
        sync_driver(FakeTikTok(), on_tick=interrupt).run(flow)
    assert flow.state == "cancelled"
    assert port_is_free(listening_port(flow))


def test_a_slow_drip_answer_is_cut_by_the_overall_call_deadline() -> None:
    class Drip(httpx.SyncByteStream):
        def __iter__(self):  # type: ignore[no-untyped-def]
            for _ in range(100):
                time.sleep(0.05)
                yield b" "

    transport = httpx.MockTransport(lambda request: httpx.Response(200, stream=Drip()))
    cfg = config(call_deadline=0.3, retry=pytok_sm.RetryPolicy(max_attempts=1))
    started = time.monotonic()
    with pytest.raises(errors.TransportError, match="refresh"):
        SyncDriver(httpx.Client(transport=transport)).run(RefreshFlow(cfg, refresh_token="rft.x"))
    assert time.monotonic() - started < 2


def test_a_redirect_from_the_token_endpoint_is_not_followed() -> None:
    hits: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        hits.append(request.url.host)
        return httpx.Response(302, headers={"Location": "https://evil.example/steal"})

    with pytest.raises(errors.ProtocolError):
        SyncDriver(httpx.Client(transport=httpx.MockTransport(handler))).run(
            RefreshFlow(config(), refresh_token="rft.x"))
    assert hits == ["open.tiktokapis.com"]


def test_connection_refused_is_retried_even_for_a_refresh() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, json=FakeTikTok().token_body())

    cfg = config(retry=pytok_sm.RetryPolicy(backoff_base=0.01))
    token = SyncDriver(httpx.Client(transport=httpx.MockTransport(handler))).run(
        RefreshFlow(cfg, refresh_token="rft.x"))
    assert token.access_token.startswith("act.") and len(calls) == 2


# ---------------------------------------------------------------- async
def test_the_async_driver_runs_a_browser_login() -> None:
    async def main() -> pytok_sm.Token:
        async with httpx.AsyncClient(transport=httpx.MockTransport(FakeTikTok().handle_async)) as client:
            flow = BrowserFlow(config(open_browser=FakeBrowser(consent=False)), timeout=10)
            return await AsyncDriver(client).run(flow)  # type: ignore[no-any-return]

    assert asyncio.run(main()).access_token.startswith("act.")


def test_cancelling_the_async_task_cancels_the_flow_and_frees_the_port() -> None:
    flow = BrowserFlow(config(open_browser=lambda url: True), timeout=30)

    async def main() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(FakeTikTok().handle_async)) as client:
            task = asyncio.create_task(AsyncDriver(client).run(flow))
            await asyncio.sleep(0.3)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(main())
    assert flow.state == "cancelled"
    assert port_is_free(listening_port(flow))


def test_the_async_driver_times_out_and_frees_the_port() -> None:
    flow = BrowserFlow(config(open_browser=lambda url: True), timeout=0.3)

    async def main() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(FakeTikTok().handle_async)) as client:
            await AsyncDriver(client).run(flow)

    with pytest.raises(errors.FlowTimeout):
        asyncio.run(main())
    assert port_is_free(listening_port(flow))
