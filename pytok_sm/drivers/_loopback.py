"""The loopback server that receives the browser's redirect on 127.0.0.1 (RFC 8252 section 7.3).

One thread runs a ``selectors`` loop, so a silent or half-sent connection (browsers open
pre-connections) never blocks the real callback: each connection has its own read deadline
and buffer. Requests are parsed strictly and answered with small static pages; only a GET
on the exact redirect path with the right ``state`` reaches the flow, and only once.
The request line and query are never logged, only the verdict.

Example:
    >>> from pytok_sm.flows import Verdict
    >>> server = LoopbackServer(0, "/callback/", judge=lambda cb: (Verdict.REJECT, "state mismatch"))
    >>> port = server.start()
    >>> import urllib.request, urllib.error
    >>> try:
    ...     urllib.request.urlopen(f"http://127.0.0.1:{port}/callback/?state=x")
    ... except urllib.error.HTTPError as e:
    ...     print(e.code)
    400
    >>> server.close()
"""

from __future__ import annotations

import html
import queue
import selectors
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .. import logs
from .._callback import Callback, Verdict, parse_callback_query

__all__ = ["LoopbackServer"]

MAX_HEAD_BYTES = 8192
MAX_REQUEST_LINE = 4096
MAX_CONNECTIONS = 512

_SECURITY_HEADERS = (
    ("Content-Type", "text/html; charset=utf-8"),
    ("Cache-Control", "no-store"),
    ("Pragma", "no-cache"),
    ("Referrer-Policy", "no-referrer"),
    ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Connection", "close"),
)
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 408: "Request Timeout",
            414: "URI Too Long", 431: "Request Header Fields Too Large"}


def page(title: str, message: str) -> bytes:
    """A static, self-contained page; both strings are HTML-escaped."""
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em}</style>"
        f"</head><body><h1>{html.escape(title)}</h1><p>{html.escape(message)}</p></body></html>"
    ).encode()


SUCCESS_PAGE = page("Authentication workflow completed", "You can close this window and return to the application.")
DENIED_TITLE = "Authorization declined"


def _response(status: int, body: bytes, extra: tuple[tuple[str, str], ...] = (), *, head: bool = False) -> bytes:
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}"]
    lines += [f"{k}: {v}" for k, v in (*_SECURITY_HEADERS, *extra)]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + (b"" if head else body)


@dataclass
class _Conn:
    sock: socket.socket
    deadline: float
    buffer: bytearray = field(default_factory=bytearray)
    out: bytes = b""


class LoopbackServer:
    """Serve one redirect path on 127.0.0.1 until :meth:`close`.

    ``judge(callback) -> (Verdict, reason)`` decides each request on the path (the flow's
    ``judge``, which the ``Listen`` effect carries). Accepted and denied callbacks are put on
    :attr:`results`; after the first, the server answers every other one with 400.
    """

    def __init__(
        self,
        port: int,
        path: str,
        judge: Callable[[Callback], tuple[Verdict, str]],
        *,
        host: str = "127.0.0.1",
        connection_timeout: float = 5.0,
        log_fields: dict[str, str] | None = None,
    ) -> None:
        self.log_fields = dict(log_fields or {})
        self.host = host
        self.requested_port = port
        self.path = path
        self.judge = judge
        self.connection_timeout = connection_timeout
        self.results: queue.Queue[Callback] = queue.Queue()
        self.port: int | None = None
        self._used = False
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._wake_r, self._wake_w = socket.socketpair()
        self._on_result: Callable[[Callback], None] | None = None
        self._drain_until = 0.0

    def start(self) -> int | None:
        """Bind and serve; returns the port, or None when it cannot be bound (busy, refused)."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # Closed callback connections linger in TIME_WAIT on this port; on Linux SO_REUSEADDR
        # lets the next login bind it again, but still refuses while anything *listens* on it.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.requested_port))
            sock.listen(128)
        except OSError:
            sock.close()
            self._wake_r.close()
            self._wake_w.close()
            return None
        sock.setblocking(False)
        self._sock = sock
        self.port = sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, name=f"pytok-loopback-{self.port}", daemon=True)
        self._thread.start()
        return self.port

    def on_result(self, callback: Callable[[Callback], None]) -> None:
        """Also call ``callback`` (from the server thread) for each accepted or denied callback."""
        self._on_result = callback

    def close(self, *, drain: float = 2.0) -> None:
        """Stop serving and release the port (idempotent).

        Pages already being written (the success page) are finished first, for at most
        ``drain`` seconds; idle and half-read connections are dropped at once.
        """
        self._drain_until = time.monotonic() + drain
        self._stop.set()
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(drain + 3)
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        for s in (self._wake_r, self._wake_w):
            s.close()

    def __enter__(self) -> LoopbackServer:
        if self.start() is None:
            raise OSError(f"port {self.requested_port} on {self.host} cannot be bound")
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ the loop
    def _serve(self) -> None:
        assert self._sock is not None
        sel = selectors.DefaultSelector()
        sel.register(self._sock, selectors.EVENT_READ, None)
        sel.register(self._wake_r, selectors.EVENT_READ, "wake")
        conns: dict[int, _Conn] = {}
        listening = True
        try:
            while True:
                if self._stop.is_set():
                    if listening:  # stop accepting; drop everything not being answered
                        sel.unregister(self._sock)
                        listening = False
                        for conn in [c for c in conns.values() if not c.out]:
                            self._drop(sel, conns, conn)
                    if not conns or time.monotonic() >= self._drain_until:
                        break
                now = time.monotonic()
                timeout = min((c.deadline for c in conns.values()), default=now + 1.0) - now
                for key, mask in sel.select(max(0.0, min(timeout, 0.2 if self._stop.is_set() else 1.0))):
                    if key.data == "wake":
                        try:
                            self._wake_r.recv(64)
                        except OSError:
                            pass
                        continue
                    if key.data is None:
                        self._accept(sel, conns)
                    else:
                        self._io(sel, conns, key.data, mask)
                now = time.monotonic()
                for conn in [c for c in conns.values() if c.deadline <= now]:
                    self._drop(sel, conns, conn)
        finally:
            for conn in list(conns.values()):
                self._drop(sel, conns, conn)
            sel.close()

    def _accept(self, sel: selectors.BaseSelector, conns: dict[int, _Conn]) -> None:
        assert self._sock is not None
        for _ in range(64):
            try:
                sock, _addr = self._sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            sock.setblocking(False)
            if len(conns) >= MAX_CONNECTIONS:  # shed the oldest idle connection
                oldest = min(conns.values(), key=lambda c: c.deadline)
                self._drop(sel, conns, oldest)
            conn = _Conn(sock, time.monotonic() + self.connection_timeout)
            conns[id(conn)] = conn
            sel.register(sock, selectors.EVENT_READ, conn)

    def _drop(self, sel: selectors.BaseSelector, conns: dict[int, _Conn], conn: _Conn) -> None:
        try:
            sel.unregister(conn.sock)
        except (KeyError, ValueError, OSError):
            pass
        conns.pop(id(conn), None)
        try:
            conn.sock.close()
        except OSError:
            pass

    def _io(self, sel: selectors.BaseSelector, conns: dict[int, _Conn], conn: _Conn, mask: int) -> None:
        if mask & selectors.EVENT_READ and not conn.out:
            try:
                chunk = conn.sock.recv(4096)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                self._drop(sel, conns, conn)
                return
            if not chunk:
                self._drop(sel, conns, conn)
                return
            conn.buffer += chunk
            answer = self._maybe_answer(conn.buffer)
            if answer is not None:
                conn.out = answer
                conn.deadline = time.monotonic() + self.connection_timeout
                sel.modify(conn.sock, selectors.EVENT_WRITE, conn)
            return
        if mask & selectors.EVENT_WRITE and conn.out:
            try:
                sent = conn.sock.send(conn.out)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                self._drop(sel, conns, conn)
                return
            conn.out = conn.out[sent:]
            if not conn.out:
                try:
                    conn.sock.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                self._drop(sel, conns, conn)

    # ------------------------------------------------------------------ HTTP
    def _maybe_answer(self, buffer: bytearray) -> bytes | None:
        """The full response once the head is complete (or clearly bad), else None."""
        first_end = buffer.find(b"\n")
        if first_end < 0:
            if len(buffer) > MAX_REQUEST_LINE:
                return self._error(414, "The request line is too long.")
            return None
        if first_end > MAX_REQUEST_LINE:
            return self._error(414, "The request line is too long.")
        line = bytes(buffer[:first_end]).rstrip(b"\r")
        try:
            text = line.decode("ascii")
        except UnicodeDecodeError:
            return self._error(400, "The request is not HTTP.")
        if not text.isprintable():
            return self._error(400, "The request is not HTTP.")
        parts = text.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            return self._error(400, "The request is not HTTP/1.x.")
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            end = buffer.find(b"\n\n")
        if end < 0:
            if len(buffer) > MAX_HEAD_BYTES:
                return self._error(431, "The request headers are too large.")
            return None
        if end > MAX_HEAD_BYTES:
            return self._error(431, "The request headers are too large.")
        method, target, _version = parts
        head = method == "HEAD"
        if not target.startswith("/"):
            return self._error(400, "Only origin-form request targets are accepted.")
        path, _, query = target.partition("?")
        if path != self.path:
            return _response(404, page("Not found", "There is nothing here."), head=head)
        if method != "GET":
            return _response(405, page("Method not allowed", "Only GET is allowed here."), (("Allow", "GET"),),
                             head=head)
        return self._callback(query)

    def _error(self, status: int, message: str) -> bytes:
        logs.emit("callback", **self.log_fields, verdict="reject", reason=message, http_status=status)
        return _response(status, page("Bad request", message))

    def _callback(self, query: str) -> bytes:
        callback = parse_callback_query(query)
        if self._used:
            verdict, reason = Verdict.REJECT, "state already used"
        else:
            try:
                verdict, reason = self.judge(callback)
            except Exception:  # noqa: BLE001 - a bug in judge must not kill the server thread
                verdict, reason = Verdict.REJECT, "internal error"
        logs.emit("callback", **self.log_fields, verdict=verdict.value, reason=reason)
        if verdict is Verdict.REJECT:
            return _response(
                400,
                page("This login link is not valid", f"The request was refused ({reason}). "
                     "Start the login again from the application."),
            )
        self._used = True
        self.results.put(callback)
        if self._on_result is not None:
            self._on_result(callback)
        if verdict is Verdict.DENY:
            detail = callback.error_description or callback.error or "access_denied"
            return _response(200, page(DENIED_TITLE, f"The login was declined: {detail}. You can close this window."))
        return _response(200, SUCCESS_PAGE)
