"""Where the loopback server listens and whom it answers (RFC 8252 sections 7.3 and 8.3).

The server listens where the redirect URI points: 127.0.0.1 for ``127.0.0.1``, ::1 for
``[::1]``, and both families on one port for ``localhost`` (a port taken on either is
"port busy", so no other local program can squat the other family while a login waits).
A request whose ``Host`` is not the redirect URI's host (a DNS-rebinding page, another
port) gets 400 and never reaches the flow, even with the genuine state and code.

Real sockets on 127.0.0.1 and ::1 only; the IPv6 cases are skipped on a machine without
an IPv6 loopback.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

import pytok_sm
from pytok_sm import CallbackPortBusy
from pytok_sm.drivers import AsyncDriver, SyncDriver
from pytok_sm.flows import BrowserFlow, Listen

from ..fake_tiktok import FakeTikTok


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


HAS_IPV6 = _has_ipv6_loopback()
needs_ipv6 = pytest.mark.skipif(not HAS_IPV6, reason="this machine has no IPv6 loopback (::1)")


def free_port_on_both() -> int:
    """A port free on 127.0.0.1 and (when there is one) on ::1."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
            if not HAS_IPV6:
                return port
            try:
                with socket.socket(socket.AF_INET6) as six:
                    six.bind(("::1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no port free on both loopback families")


def accepts(address: str, port: int) -> bool:
    try:
        socket.create_connection((address, port), timeout=1).close()
    except OSError:
        return False
    return True


def ask(address: str, port: int, target: str, host: str | None, *extra: str) -> int:
    """Send one GET to ``address``:``port`` with this ``Host`` (None: none); the status."""
    lines = [f"GET {target} HTTP/1.1", *([f"Host: {host}"] if host is not None else []), *extra, "", ""]
    with socket.create_connection((address, port), timeout=5) as conn:
        conn.sendall("\r\n".join(lines).encode())
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0


@dataclass
class Waiting:
    """A browser flow waiting for its callback, run by a driver in a thread."""

    flow: BrowserFlow
    fake: FakeTikTok
    port: int = 0
    outcome: dict[str, Any] = field(default_factory=dict)
    thread: threading.Thread | None = None
    stop: Any = None

    def callback(self, address: str, host: str | None, *extra: str) -> int:
        target = f"/callback/?code=real%2Acode%21&scopes=user.info.basic&state={self.flow.csrf_state}"
        return ask(address, self.port, target, host, *extra)

    def finished(self) -> Any:
        assert self.thread is not None
        self.thread.join(5)
        assert not self.thread.is_alive()
        return self.outcome.get("token", self.outcome.get("error"))


def start(redirect_uri: str, driver: str, *, port: int = 0) -> Waiting:
    cfg = pytok_sm.Config("aw_key", "aw_secret", port=port, redirect_uri=redirect_uri, open_browser=lambda url: True)
    box = Waiting(BrowserFlow(cfg, timeout=15), FakeTikTok())

    def run() -> None:
        try:
            if driver == "sync":
                sync = SyncDriver(httpx.Client(transport=httpx.MockTransport(box.fake)))
                box.stop = sync.cancel
                box.outcome["token"] = sync.run(box.flow)
            else:
                box.outcome["token"] = asyncio.run(arun())
        except (pytok_sm.TikTokError, asyncio.CancelledError) as exc:
            box.outcome["error"] = exc

    async def arun() -> Any:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        box.stop = lambda: loop.call_soon_threadsafe(task.cancel)
        async with httpx.AsyncClient(transport=httpx.MockTransport(box.fake.handle_async)) as client:
            return await AsyncDriver(client).run(box.flow)

    box.thread = threading.Thread(target=run, daemon=True)
    box.thread.start()
    deadline = time.monotonic() + 5
    while box.flow.state in ("created", "listening", "opening_browser") and time.monotonic() < deadline:
        time.sleep(0.005)
    if box.flow.redirect_uri:
        box.port = int(box.flow.redirect_uri.rsplit(":", 1)[1].split("/")[0])
    return box


@pytest.fixture
def waiting() -> Iterator[list[Waiting]]:
    started: list[Waiting] = []
    yield started
    for box in started:
        if box.thread is not None and box.thread.is_alive() and box.stop is not None:
            box.stop()
        if box.thread is not None:
            box.thread.join(5)


DRIVERS = pytest.mark.parametrize("driver", ["sync", "async"])


# ------------------------------------------------------------------ the Listen effect
@pytest.mark.parametrize(
    ("redirect_uri", "port", "host"),
    [
        ("http://127.0.0.1:3456/callback/", 3456, "127.0.0.1"),
        ("http://127.0.0.1:*/callback/", 0, "127.0.0.1"),
        ("http://[::1]:3456/callback/", 3456, "::1"),
        ("http://[::1]:*/cb", 0, "::1"),
        ("http://localhost:3456/callback/", 3456, "localhost"),
        ("http://LocalHost:*/callback/", 0, "localhost"),
    ],
)
def test_the_listen_effect_carries_the_redirect_host(redirect_uri: str, port: int, host: str) -> None:
    effect = BrowserFlow(pytok_sm.Config("aw_key", "s", port=port, redirect_uri=redirect_uri)).start()
    assert isinstance(effect, Listen)
    assert (effect.host, effect.port) == (host, port)


# ------------------------------------------------------------------ where it listens
@needs_ipv6
@DRIVERS
def test_an_ipv6_literal_redirect_is_served_on_ipv6_loopback_only(waiting: list[Waiting], driver: str) -> None:
    box = start("http://[::1]:*/callback/", driver)
    waiting.append(box)
    assert box.flow.state == "awaiting_callback", box.outcome
    assert box.flow.redirect_uri == f"http://[::1]:{box.port}/callback/"
    assert not accepts("127.0.0.1", box.port)
    assert box.callback("::1", f"[::1]:{box.port}") == 200
    assert isinstance(box.finished(), pytok_sm.Token)


@needs_ipv6
@DRIVERS
def test_an_ipv4_literal_redirect_is_served_on_ipv4_loopback_only(waiting: list[Waiting], driver: str) -> None:
    box = start("http://127.0.0.1:*/callback/", driver)
    waiting.append(box)
    assert not accepts("::1", box.port)
    assert box.callback("127.0.0.1", f"127.0.0.1:{box.port}") == 200
    assert isinstance(box.finished(), pytok_sm.Token)


@needs_ipv6
@DRIVERS
@pytest.mark.parametrize("family", ["127.0.0.1", "::1"])
def test_a_localhost_redirect_listens_on_both_families_of_one_port(
    waiting: list[Waiting], driver: str, family: str
) -> None:
    box = start("http://localhost:*/callback/", driver)
    waiting.append(box)
    assert box.flow.state == "awaiting_callback", box.outcome
    assert accepts("127.0.0.1", box.port) and accepts("::1", box.port)
    with socket.socket(socket.AF_INET6) as squatter, pytest.raises(OSError):  # nobody can take the other family
        squatter.bind(("::1", box.port))
    assert box.callback(family, f"localhost:{box.port}") == 200
    assert isinstance(box.finished(), pytok_sm.Token)


@needs_ipv6
@DRIVERS
@pytest.mark.parametrize("taken", ["127.0.0.1", "::1"])
def test_a_localhost_port_taken_on_either_family_is_port_busy(driver: str, taken: str) -> None:
    port = free_port_on_both()
    squatter = socket.socket(socket.AF_INET6 if ":" in taken else socket.AF_INET)
    squatter.bind((taken, port))
    squatter.listen(1)
    opened: list[str] = []
    cfg = pytok_sm.Config("aw_key", "s", port=port, redirect_uri=f"http://localhost:{port}/callback/",
                          open_browser=opened.append)
    client = httpx.Client(transport=httpx.MockTransport(FakeTikTok()))
    try:
        with pytest.raises(CallbackPortBusy, match=str(port)):
            if driver == "sync":
                SyncDriver(client).run(BrowserFlow(cfg, timeout=5))
            else:
                asyncio.run(AsyncDriver(httpx.AsyncClient(transport=httpx.MockTransport(FakeTikTok().handle_async)))
                            .run(BrowserFlow(cfg, timeout=5)))
    finally:
        squatter.close()
    assert opened == []
    assert not accepts("127.0.0.1" if taken == "::1" else "::1", port)  # the half that was bound is released


# ------------------------------------------------------------------ whom it answers
@DRIVERS
@pytest.mark.parametrize(
    "host",
    ["evil.example:{port}", "evil.example", "127.0.0.1:{other}", "localhost:{port}", "127.0.0.2:{port}",
     "127.0.0.1:{port}.evil.example", None, "DUPLICATE"],
    ids=["rebinding", "rebinding-no-port", "other-port", "localhost", "other-address", "suffix", "missing",
         "duplicate"],
)
def test_a_request_for_another_host_gets_400_and_never_reaches_the_flow(
    waiting: list[Waiting], driver: str, host: str | None
) -> None:
    box = start("http://127.0.0.1:*/callback/", driver)
    waiting.append(box)
    extra: tuple[str, ...] = ()
    if host == "DUPLICATE":
        host, extra = f"127.0.0.1:{box.port}", (f"Host: evil.example:{box.port}",)
    elif host is not None:
        host = host.format(port=box.port, other=box.port + 1 if box.port < 65535 else box.port - 1)
    assert box.callback("127.0.0.1", host, *extra) == 400  # the genuine state and code, yet refused
    assert box.flow.state == "awaiting_callback" and box.fake.count("token") == 0
    assert box.callback("127.0.0.1", f"127.0.0.1:{box.port}") == 200  # the state was not used up
    assert isinstance(box.finished(), pytok_sm.Token)
    assert box.fake.count("token") == 1


@DRIVERS
@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "127.0.0.1"], ids=["with-port", "without-port"])
def test_the_redirect_host_is_answered(waiting: list[Waiting], driver: str, host: str) -> None:
    box = start("http://127.0.0.1:*/callback/", driver)
    waiting.append(box)
    assert box.callback("127.0.0.1", host.format(port=box.port)) == 200
    assert isinstance(box.finished(), pytok_sm.Token)


@needs_ipv6
def test_an_ipv6_redirect_refuses_an_ipv4_host(waiting: list[Waiting]) -> None:
    box = start("http://[::1]:*/callback/", "sync")
    waiting.append(box)
    assert box.callback("::1", f"127.0.0.1:{box.port}") == 400
    assert box.callback("::1", f"[::1]:{box.port}") == 200
    assert isinstance(box.finished(), pytok_sm.Token)


def test_a_localhost_redirect_on_a_machine_without_ipv6_listens_on_ipv4_alone(
    monkeypatch: pytest.MonkeyPatch, waiting: list[Waiting]
) -> None:
    import errno

    from pytok_sm.drivers import _loopback

    real = _loopback._listener

    def no_ipv6(address: str, port: int) -> socket.socket:
        if ":" in address:
            raise OSError(errno.EADDRNOTAVAIL, "Cannot assign requested address")
        return real(address, port)

    monkeypatch.setattr(_loopback, "_listener", no_ipv6)
    box = start("http://localhost:*/callback/", "sync")
    waiting.append(box)
    assert box.flow.state == "awaiting_callback", box.outcome
    assert box.callback("127.0.0.1", f"localhost:{box.port}") == 200
    assert isinstance(box.finished(), pytok_sm.Token)
