"""A real HTTP/1.1 server on 127.0.0.1 for the upload tests: records each request's head and
hashes its body while reading it (never holding it), at the pace a test asks for.

``piece``/``delay``: read that many bytes, then sleep (a slow reader); ``rcvbuf`` shrinks the
kernel's receive buffer so the client really waits on the reader; ``stall_after``: stop
reading after that many bytes until :attr:`UploadServer.release` is set (a server that stops
reading). A body that ends before its ``Content-Length`` is recorded as incomplete and gets
no answer. Every handler gives up within seconds.

Example:
    >>> import httpx
    >>> with UploadServer() as server:
    ...     httpx.put(server.url("/u?a=1"), content=b"abc").status_code
    ...     server.wait_for(1)[0].path, server.received[0].complete
    206
    ('/u?a=1', True)
"""

from __future__ import annotations

import hashlib
import http.server
import socket
import threading
import time
from dataclasses import dataclass, field

__all__ = ["Received", "UploadServer"]


@dataclass
class Received:
    """One request as the server read it."""

    method: str
    path: str
    headers: list[tuple[str, str]]
    declared: int | None
    received: int = 0
    sha256: str = ""
    complete: bool = False
    small_body: bytes = b""  # the first 64 KiB, for JSON and form bodies
    ended_at: float = 0.0
    started_at: float = field(default_factory=time.monotonic)

    def header(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        pass

    def do_PUT(self) -> None:
        self._take()

    def do_POST(self) -> None:
        self._take()

    def _take(self) -> None:
        owner = self.server.owner
        length = self.headers.get("Content-Length")
        record = Received(self.command, self.path, list(self.headers.items()), int(length) if length else None)
        owner.received.append(record)
        if record.declared is None:  # chunked or no framing: refused, unread
            record.ended_at = time.monotonic()
            self.send_response(411)
            self.send_header("Content-Length", "0")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            owner.ended.release()
            return
        digest = hashlib.sha256()
        buffer = memoryview(bytearray(owner.piece))
        small = bytearray()
        try:
            while record.received < record.declared:
                if owner.stall_after is not None and record.received >= owner.stall_after:
                    owner.release.wait(10)
                    break
                want = min(owner.piece, record.declared - record.received)
                got = self.rfile.readinto(buffer[:want])
                if not got:
                    break
                digest.update(buffer[:got])
                if len(small) < 65536:
                    small += buffer[: min(got, 65536 - len(small))]
                record.received += got
                if owner.delay:
                    time.sleep(owner.delay)
        except OSError:
            pass
        record.sha256, record.small_body = digest.hexdigest(), bytes(small)
        record.complete = record.received == record.declared
        record.ended_at = time.monotonic()
        if record.complete:
            body = b'{"ok":true}'
            self.send_response(owner.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.close_connection = True
        owner.ended.release()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    owner: UploadServer

    def server_bind(self) -> None:
        if self.owner.rcvbuf:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.owner.rcvbuf)
        super().server_bind()

    def verify_request(self, request: object, client_address: object) -> bool:
        self.owner.connections += 1
        return True


class UploadServer:
    """The server, in a thread, while the ``with`` block runs."""

    def __init__(self, *, status: int = 206, piece: int = 64 * 1024, delay: float = 0.0,
                 rcvbuf: int | None = None, stall_after: int | None = None) -> None:
        self.status, self.piece, self.delay, self.rcvbuf, self.stall_after = status, piece, delay, rcvbuf, stall_after
        self.received: list[Received] = []
        self.connections = 0
        self.release = threading.Event()
        self.ended = threading.Semaphore(0)
        self._server = _Server(("127.0.0.1", 0), _Handler, bind_and_activate=False)
        self._server.owner = self  # read by server_bind
        self._server.server_bind()
        self._server.server_activate()
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """The first ``count`` requests, once the server finished reading each."""
        for _ in range(count):
            assert self.ended.acquire(timeout=timeout), "the server did not finish reading a request"
        return self.received[:count]

    def __enter__(self) -> UploadServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
