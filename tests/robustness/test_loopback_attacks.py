"""The loopback callback server under attack (docs/ROBUSTNESS.md, "Loopback callback server").

Each test drives raw sockets against a browser flow that is waiting for its callback, then
sends the genuine callback: it must still complete, no server thread may die, and the port
must be free at the end.
"""

from __future__ import annotations

import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

import pytok_sm
from pytok_sm.drivers import SyncDriver
from pytok_sm.flows import BrowserFlow
from pytok_sm.testing import capture_transitions

from ..fake_tiktok import FakeTikTok
from ..ports import port_is_free


@dataclass
class Waiting:
    """A browser flow waiting on 127.0.0.1 with a driver thread behind it."""

    flow: BrowserFlow
    fake: FakeTikTok
    thread: threading.Thread
    outcome: dict[str, Any] = field(default_factory=dict)

    @property
    def port(self) -> int:
        assert self.flow.redirect_uri
        return int(urllib.parse.urlsplit(self.flow.redirect_uri).port or 0)

    @property
    def state(self) -> str:
        return self.flow.csrf_state

    def raw(self, data: bytes, *, read: bool = True, timeout: float = 5.0) -> bytes:
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as s:
            s.sendall(data)
            if not read:
                return b""
            chunks = []
            while True:
                try:
                    chunk = s.recv(65536)
                except TimeoutError:
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            return b"".join(chunks)

    def get(self, target: str) -> tuple[int, bytes]:
        answer = self.raw(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        return status_of(answer), answer

    def genuine(self) -> tuple[int, bytes]:
        return self.get(f"/callback/?code=real%2Acode%21&scopes=user.info.basic&state={self.state}")

    def finish(self) -> pytok_sm.Token:
        status, body = self.genuine()
        assert status == 200, body
        self.thread.join(5)
        assert not self.thread.is_alive()
        token = self.outcome["token"]
        assert isinstance(token, pytok_sm.Token)
        return token


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0


@pytest.fixture
def thread_errors() -> Iterator[list[BaseException]]:
    seen: list[BaseException] = []
    previous = threading.excepthook
    threading.excepthook = lambda args: seen.append(args.exc_value)  # type: ignore[assignment, return-value]
    yield seen
    threading.excepthook = previous
    assert seen == []


def start_waiting(fake: FakeTikTok) -> tuple[Waiting, SyncDriver]:
    """Run a browser flow in a thread until it waits for its callback."""
    cfg = pytok_sm.Config("aw_key", "aw_secret", port=0, redirect_uri="http://127.0.0.1:*/callback/",
                          open_browser=lambda url: True)
    flow = BrowserFlow(cfg, timeout=30)
    driver = SyncDriver(httpx.Client(transport=httpx.MockTransport(fake)))
    box = Waiting(flow, fake, threading.Thread(target=lambda: None))

    def run() -> None:
        try:
            box.outcome["token"] = driver.run(flow)
        except pytok_sm.TikTokError as exc:
            box.outcome["error"] = exc

    box.thread = threading.Thread(target=run, daemon=True)
    box.thread.start()
    deadline = time.monotonic() + 5
    while flow.state != "awaiting_callback" and time.monotonic() < deadline:
        time.sleep(0.005)
    return box, driver


def stop(box: Waiting, driver: SyncDriver) -> None:
    if box.thread.is_alive():
        driver.cancel()
        box.thread.join(5)
    assert port_is_free(box.port)


@pytest.fixture
def waiting(thread_errors: list[BaseException]) -> Iterator[Waiting]:
    box, driver = start_waiting(FakeTikTok())
    yield box
    stop(box, driver)


# ------------------------------------------------------------------ paths and methods
@pytest.mark.parametrize("path", ["/favicon.ico", "/robots.txt", "/callback", "/callback/x", "/"])
def test_other_paths_get_a_fast_404_and_change_nothing(waiting: Waiting, path: str) -> None:
    status, _ = waiting.get(f"{path}?state={waiting.state}&code=x")
    assert status == 404
    assert waiting.flow.state == "awaiting_callback"
    waiting.finish()


@pytest.mark.parametrize("method", ["HEAD", "POST", "OPTIONS", "PUT", "DELETE"])
def test_only_get_is_allowed(waiting: Waiting, method: str) -> None:
    answer = waiting.raw(f"{method} /callback/?state={waiting.state}&code=x HTTP/1.1\r\nHost: h\r\n"
                         "Content-Length: 0\r\n\r\n".encode())
    assert status_of(answer) == 405
    assert b"Allow: GET" in answer
    waiting.finish()
    assert waiting.fake.count("token") == 1


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET http://127.0.0.1/callback/?code=x HTTP/1.1\r\n\r\n", 400),  # absolute-form
        (b"GET /callback/?code=x\r\n\r\n", 400),  # HTTP/0.9
        (b"GET /callback/ HTTP/2.0\r\n\r\n", 400),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(256)) + b"\r\n\r\n", 400),  # TLS hello
        (b"\x00\xff\xfe garbage \x01\r\n\r\n", 400),
        (b"GET /" + b"a" * 10000 + b" HTTP/1.1\r\n\r\n", 414),
        (b"GET /callback/ HTTP/1.1\r\n" + b"X-Big: " + b"b" * 9000 + b"\r\n\r\n", 431),
        (b"GET /callback/ HTTP/1.1\r\n" + b"X: y\r\n" * 2000 + b"\r\n", 431),
    ],
    ids=["absolute-form", "http-0.9", "http-2", "tls-hello", "binary", "long-line", "big-header", "many-headers"],
)
def test_malformed_requests_get_an_error_status_and_no_crash(
    waiting: Waiting, request_bytes: bytes, status: int
) -> None:
    assert status_of(waiting.raw(request_bytes)) == status
    waiting.finish()


# ------------------------------------------------------------------ connections that never finish
def test_a_silent_and_a_half_sent_connection_do_not_block_the_real_callback(waiting: Waiting) -> None:
    silent = socket.create_connection(("127.0.0.1", waiting.port))
    half = socket.create_connection(("127.0.0.1", waiting.port))
    half.sendall(b"GET /callback/?state=")
    try:
        started = time.monotonic()
        waiting.finish()
        assert time.monotonic() - started < 2
    finally:
        silent.close()
        half.close()


def test_two_hundred_idle_connections_do_not_block_the_real_callback(waiting: Waiting) -> None:
    idle = [socket.create_connection(("127.0.0.1", waiting.port)) for _ in range(200)]
    try:
        started = time.monotonic()
        waiting.finish()
        assert time.monotonic() - started < 2
    finally:
        for s in idle:
            s.close()


# ------------------------------------------------------------------ the state parameter
@pytest.mark.parametrize(
    "query",
    [
        "code=x",  # missing
        "code=x&state=",  # empty
        "code=x&state=wrong",
        "code=x&state=%C3%A9t%C3%A9",  # non-ASCII
        "code=x&state=" + "s" * 3000,  # over-long (but under the request-line cap)
        "code=x&state={state}&state={state}",  # duplicated
        "code=x&code=y&state={state}",  # duplicate code
        "code=x%00y&state={state}",  # control characters
        "code=x&state={state}%0d%0a",
        "state={state}",  # right state but no code
        "code=x&state=%ff%fe",  # not UTF-8
    ],
    ids=["missing", "empty", "wrong", "non-ascii", "over-long", "duplicated", "duplicate-code", "nul",
         "crlf", "no-code", "not-utf8"],
)
def test_bad_callbacks_get_400_and_the_flow_keeps_waiting(waiting: Waiting, query: str) -> None:
    status, body = waiting.get("/callback/?" + query.format(state=waiting.state))
    assert status == 400
    assert waiting.state.encode() not in body
    assert waiting.flow.state == "awaiting_callback"
    assert waiting.fake.count("token") == 0
    waiting.finish()


def test_a_hostile_error_description_is_escaped_on_the_denied_page(waiting: Waiting) -> None:
    hostile = urllib.parse.quote("<script>alert(1)</script>")
    status, body = waiting.get(f"/callback/?error=access_denied&error_description={hostile}&state={waiting.state}")
    assert status == 200
    assert b"<script>" not in body and b"&lt;script&gt;" in body
    waiting.thread.join(5)
    assert isinstance(waiting.outcome["error"], pytok_sm.AuthorizationDenied)
    assert waiting.flow.state == "denied"


def test_a_replayed_callback_after_success_is_refused_and_never_exchanged(waiting: Waiting) -> None:
    with capture_transitions():
        waiting.finish()
    assert waiting.fake.count("token") == 1
    with pytest.raises(ConnectionRefusedError):  # nothing listens once the flow has ended
        waiting.genuine()
    assert waiting.fake.count("token") == 1


def test_the_success_page_is_static_escaped_and_carries_security_headers(waiting: Waiting) -> None:
    status, answer = waiting.genuine()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert status == 200
    assert b"Authentication workflow completed" in body
    for header in (b"Cache-Control: no-store", b"Referrer-Policy: no-referrer",
                   b"Content-Security-Policy: default-src 'none'", b"Connection: close",
                   b"X-Content-Type-Options: nosniff"):
        assert header in head
    assert b"http" not in body.lower().replace(b"http-equiv", b"")  # no external resources
    waiting.thread.join(5)


def test_a_second_genuine_callback_while_the_first_is_exchanged_is_refused(thread_errors: list[BaseException]) -> None:
    box, driver = start_waiting(FakeTikTok(delay=0.5))
    try:
        first: list[int] = []
        browser = threading.Thread(target=lambda: first.append(box.genuine()[0]))
        browser.start()  # its page is held until the exchange ends
        deadline = time.monotonic() + 5
        while box.flow.state != "exchanging" and time.monotonic() < deadline:
            time.sleep(0.005)
        assert box.flow.state == "exchanging"
        assert box.genuine()[0] == 400  # the second, while the first is exchanged
        browser.join(5)
        assert first == [200]
        box.thread.join(5)
        assert box.fake.count("token") == 1
        assert isinstance(box.outcome["token"], pytok_sm.Token)
    finally:
        stop(box, driver)


def test_two_flows_in_one_process_each_receive_only_their_own_callback(
    thread_errors: list[BaseException],
) -> None:
    fake = FakeTikTok()
    (first, first_driver), (second, second_driver) = start_waiting(fake), start_waiting(fake)
    try:
        assert first.port != second.port
        assert first.get(f"/callback/?code=x&state={second.state}")[0] == 400  # the other flow's state
        assert second.get(f"/callback/?code=x&state={first.state}")[0] == 400
        assert first.finish() != second.finish()
    finally:
        stop(first, first_driver)
        stop(second, second_driver)
