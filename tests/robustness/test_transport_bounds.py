"""Every HTTP call is bounded in bytes and in time, whichever driver carries it.

A decompression bomb (1 KB on the wire, 512 MiB once decoded) must never be materialised;
an answer over the 1 MiB cap is a ProtocolError saying it is too large; a server dripping
its head, its body or its TLS handshake is cut at ``call_deadline`` by both drivers, using
the process's shared pool, which must still reuse its connections.

Real sockets on 127.0.0.1 only; every server loop here ends by itself within seconds.
"""

from __future__ import annotations

import asyncio
import gzip
import socket
import struct
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import pytest

import pytok_sm
from pytok_sm import ProtocolError, TransportError
from pytok_sm.drivers import AsyncDriver, SyncDriver
from pytok_sm.flows import RefreshFlow

from ..fake_tiktok import FakeTikTok

MiB = 1 << 20
BOMB_DECODED = 512 * MiB
DRIP_LIMIT = 4.0  # a drip server gives up after this long (longer than any deadline here)

Answer = Callable[[socket.socket], bool]  # writes one answer; False: close the connection


# ------------------------------------------------------------------ a raw loopback HTTP server
class RawServer:
    """HTTP/1.1 on 127.0.0.1 (or ::1) that reads each request and lets ``answer`` write the
    reply, byte by byte if it likes. Counts the connections it accepted."""

    def __init__(self, answer: Answer, host: str = "127.0.0.1") -> None:
        self.answer = answer
        self.host = host
        self.connections = 0
        self.requests = 0
        self.stop = threading.Event()
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = int(self.sock.getsockname()[1])
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        ends = time.monotonic() + 30
        while not self.stop.is_set() and time.monotonic() < ends:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        with conn:
            for _ in range(16):  # requests per connection
                if not self._read_request(conn):
                    return
                self.requests += 1
                try:
                    if not self.answer(conn) or self.stop.is_set():
                        return
                except OSError:
                    return

    @staticmethod
    def _read_request(conn: socket.socket) -> bool:
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return False
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            while len(body) < length:
                chunk = conn.recv(65536)
                if not chunk:
                    return False
                body += chunk
        except OSError:
            return False
        return True

    def close(self) -> None:
        self.stop.set()
        self.sock.close()
        self.thread.join(5)


@pytest.fixture
def serve() -> Iterator[Callable[[Answer], RawServer]]:
    servers: list[RawServer] = []

    def start(answer: Answer) -> RawServer:
        servers.append(RawServer(answer))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def reply(body: bytes, *, encoding: str | None = None, status: int = 200, keep_alive: bool = False) -> Answer:
    head = f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    if encoding:
        head += f"Content-Encoding: {encoding}\r\n"
    head += "" if keep_alive else "Connection: close\r\n"

    def answer(conn: socket.socket) -> bool:
        conn.sendall(head.encode() + b"\r\n" + body)
        return keep_alive

    return answer


def drip(prefix: bytes, then: bytes) -> Answer:
    """Send ``prefix`` at once, then ``then`` one byte every 50 ms (well within any per-read
    timeout) for at most DRIP_LIMIT seconds."""

    def answer(conn: socket.socket) -> bool:
        conn.sendall(prefix)
        ends = time.monotonic() + DRIP_LIMIT
        for byte in then:
            if time.monotonic() > ends:
                break
            conn.sendall(bytes([byte]))
            time.sleep(0.05)
        return False

    return answer


# ------------------------------------------------------------------ running a refresh either way
def config(port: int, *, scheme: str = "http", **kw: Any) -> pytok_sm.Config:
    return pytok_sm.Config(
        "aw_key", "aw_secret", base_api_url=f"{scheme}://127.0.0.1:{port}/v2/",
        retry=pytok_sm.RetryPolicy(max_attempts=1), **kw,
    )


def refresh(driver: str, cfg: pytok_sm.Config) -> tuple[object, float]:
    """The token or the error of one refresh through the shared pool, and the seconds it took."""
    flow = RefreshFlow(cfg, refresh_token="rft.x")
    started = time.monotonic()
    try:
        if driver == "sync":
            outcome: object = SyncDriver().run(flow)
        else:
            outcome = asyncio.run(AsyncDriver().run(flow))
    except pytok_sm.TikTokError as error:
        outcome = error
    return outcome, time.monotonic() - started


DRIVERS = pytest.mark.parametrize("driver", ["sync", "async"])


# ------------------------------------------------------------------ bombs
@cache
def zeros_deflated(size: int) -> tuple[bytes, int, int]:
    """Raw deflate of ``size`` zero bytes (built from one flushed MiB: cheap), its CRC-32
    and Adler-32."""
    piece = bytes(MiB)
    squeeze = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = squeeze.compress(piece) + squeeze.flush(zlib.Z_FULL_FLUSH)
    crc, adler = 0, 1
    for _ in range(size // MiB):
        crc, adler = zlib.crc32(piece, crc), zlib.adler32(piece, adler)
    return segment * (size // MiB) + squeeze.flush(), crc, adler


def gzip_of_zeros(size: int) -> bytes:
    raw, crc, _ = zeros_deflated(size)
    return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + raw + struct.pack("<II", crc, size & 0xFFFFFFFF)


def zlib_of_zeros(size: int) -> bytes:
    raw, _, adler = zeros_deflated(size)
    return b"\x78\xda" + raw + struct.pack(">I", adler)


BOMBS = {
    "gzip, gzip": lambda: gzip.compress(gzip_of_zeros(BOMB_DECODED), 9),
    "deflate, gzip": lambda: gzip.compress(zlib_of_zeros(BOMB_DECODED), 9),
    "gzip": lambda: gzip_of_zeros(BOMB_DECODED),
    "deflate": lambda: zlib_of_zeros(BOMB_DECODED),
}


@DRIVERS
@pytest.mark.parametrize("encoding", list(BOMBS))
def test_a_decompression_bomb_is_cut_at_the_cap_while_decoding(
    serve: Callable[[Answer], RawServer], driver: str, encoding: str
) -> None:
    body = BOMBS[encoding]()
    if "," in encoding:
        assert len(body) < 2048  # about 1 KB on the wire, 512 MiB once decoded
    server = serve(reply(body, encoding=encoding))
    tracemalloc.start()
    try:
        outcome, _ = refresh(driver, config(server.port))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * MiB, f"decoding took {peak / MiB:.0f} MiB at its peak"
    assert isinstance(outcome, ProtocolError), repr(outcome)
    assert "too large" in str(outcome)


@DRIVERS
def test_an_answer_over_the_cap_is_a_protocol_error_saying_it_is_too_large(
    serve: Callable[[Answer], RawServer], driver: str
) -> None:
    server = serve(reply(b" " * (2 * MiB)))
    outcome, _ = refresh(driver, config(server.port))
    assert isinstance(outcome, ProtocolError), repr(outcome)
    assert "too large" in str(outcome) and "empty" not in str(outcome)


def deflate_raw(data: bytes) -> bytes:
    squeeze = zlib.compressobj(6, zlib.DEFLATED, -15)
    return squeeze.compress(data) + squeeze.flush()


ENCODED: dict[str, Callable[[bytes], bytes]] = {
    "identity": lambda b: b,
    "gzip": gzip.compress,
    "x-gzip": gzip.compress,
    "deflate": zlib.compress,  # RFC 9110: zlib-wrapped
    "Deflate": deflate_raw,  # what some servers send: raw deflate (httpx accepts both)
    "gzip, gzip": lambda b: gzip.compress(gzip.compress(b)),
    "deflate, gzip": lambda b: gzip.compress(zlib.compress(b)),
    "gzip, identity": gzip.compress,
}


@DRIVERS
@pytest.mark.parametrize("encoding", list(ENCODED))
def test_an_encoded_answer_within_the_cap_is_decoded(
    serve: Callable[[Answer], RawServer], driver: str, encoding: str
) -> None:
    import json

    body = ENCODED[encoding](json.dumps(FakeTikTok().token_body()).encode())
    head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"Content-Encoding: {encoding}\r\nConnection: close\r\n\r\n").encode()

    def in_pieces(conn: socket.socket) -> bool:  # decoder state must survive any split
        conn.sendall(head)
        for start in range(0, len(body), 3):
            conn.sendall(body[start:start + 3])
            time.sleep(0.001)
        return False

    server = serve(in_pieces)
    outcome, _ = refresh(driver, config(server.port))
    assert isinstance(outcome, pytok_sm.Token), repr(outcome)
    assert outcome.access_token.startswith("act.")


@DRIVERS
def test_a_broken_encoding_is_a_transport_error_naming_the_encoding(
    serve: Callable[[Answer], RawServer], driver: str
) -> None:
    server = serve(reply(b"\x1f\x8b\x08\x00 this is not gzip at all", encoding="gzip"))
    outcome, _ = refresh(driver, config(server.port))
    assert isinstance(outcome, TransportError), repr(outcome)
    assert "encoding" in str(outcome)


# ------------------------------------------------------------------ drips
HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n"
DRIPS = {
    "head": drip(b"HTTP/1.1 200 OK\r\n", b"X-Slow: " + b"a" * 4000),
    "body": drip(HEAD, b" " * 4096),
    # a TLS handshake record announced at 16 KiB, then dripped: the handshake never ends
    "tls-handshake": drip(b"\x16\x03\x03\x40\x00", b"\x02" * 16384),
}


@DRIVERS
@pytest.mark.parametrize("phase", list(DRIPS))
def test_a_dripping_server_is_cut_at_the_call_deadline(
    serve: Callable[[Answer], RawServer], driver: str, phase: str
) -> None:
    server = serve(DRIPS[phase])
    cfg = config(server.port, scheme="https" if phase == "tls-handshake" else "http",
                 call_deadline=1, http_timeout=5)
    outcome, took = refresh(driver, cfg)
    assert took < 1.5, f"the call took {took:.1f} s against a 1 s deadline"
    assert isinstance(outcome, TransportError), repr(outcome)
    assert "deadline" in str(outcome) and "passed" in str(outcome), str(outcome)
    # both drivers know a request that never got past its TLS handshake was never sent
    assert outcome.sent is (phase != "tls-handshake"), str(outcome)


@DRIVERS
def test_the_shared_pool_still_reuses_its_connection(serve: Callable[[Answer], RawServer], driver: str) -> None:
    import json

    def token(conn: socket.socket) -> bool:
        return reply(json.dumps(FakeTikTok().token_body()).encode(), keep_alive=True)(conn)

    server = serve(token)
    cfg = config(server.port, call_deadline=2)

    async def twice() -> list[object]:
        driver = AsyncDriver()
        return [await driver.run(RefreshFlow(cfg, refresh_token="rft.x")) for _ in range(2)]

    if driver == "sync":
        tokens: list[object] = [SyncDriver().run(RefreshFlow(cfg, refresh_token="rft.x")) for _ in range(2)]
    else:
        tokens = asyncio.run(twice())
    assert all(isinstance(t, pytok_sm.Token) for t in tokens)
    assert (server.requests, server.connections) == (2, 1)


def test_a_client_of_ones_own_is_held_to_the_deadline_too(serve: Callable[[Answer], RawServer]) -> None:
    import httpx

    dripping = serve(DRIPS["head"])
    with httpx.Client() as own:  # as a kit's http_client= or a SyncDriver(client)
        flow = RefreshFlow(config(dripping.port, call_deadline=1, http_timeout=5), refresh_token="rft.x")
        started = time.monotonic()
        with pytest.raises(TransportError, match="deadline of 1 s passed"):
            SyncDriver(own).run(flow)
        assert time.monotonic() - started < 1.5
        plain = serve(reply(b'{"ok": true}'))  # outside the kit's calls the client is unchanged
        assert own.get(f"http://127.0.0.1:{plain.port}/", timeout=5).json() == {"ok": True}
