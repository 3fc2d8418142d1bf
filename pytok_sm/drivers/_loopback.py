"""The loopback server that receives the browser's redirect (RFC 8252 sections 7.3 and 8.3).

It listens where the redirect URI points: 127.0.0.1, ::1, or, for ``localhost``, both
families on one port (the name is never resolved; a port taken on either family counts as
busy, so no other local program can squat the half the browser may pick). Only loopback
addresses are ever bound.

One thread runs a ``selectors`` loop, so a silent or half-sent connection (browsers open
pre-connections) never blocks the real callback: each connection has its own read deadline
and buffer. Requests are read strictly (:mod:`._loopback_http`) and answered with small
static pages; only a GET on the exact redirect path, for the redirect URI's own ``Host``,
with the right ``state`` reaches the flow, and only once. The request line and query are
never logged, only the verdict.

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

import errno
import ipaddress
import queue
import selectors
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .. import logs
from .._callback import Callback, Verdict, parse_callback_query
from ._loopback_http import DENIED_TITLE, UNSETTLED_PAGE, expected_hosts, page, render, triage

__all__ = ["LoopbackServer", "loopback_addresses"]

MAX_CONNECTIONS = 512
#: A wildcard port for ``localhost`` is tried this many times to find one free on both families.
_PORT_TRIES = 8
#: A family missing on this machine (no IPv6): ``localhost`` then listens on the other alone.
_ABSENT = {errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT}


def loopback_addresses(host: str) -> tuple[str, ...]:
    """The addresses to listen on for a redirect to ``host``: ``localhost`` is both loopback
    families (never resolved: a hosts file may point it elsewhere); a loopback IP literal is
    itself. Anything else is refused (ValueError): the server never leaves loopback."""
    if host.lower() == "localhost":
        return ("127.0.0.1", "::1")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"{host!r} is not a loopback address") from None
    if not address.is_loopback:
        raise ValueError(f"{host!r} is not a loopback address")
    return (str(address),)


def _listener(address: str, port: int) -> socket.socket:
    six = ":" in address
    sock = socket.socket(socket.AF_INET6 if six else socket.AF_INET, socket.SOCK_STREAM)
    try:
        if six:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        if hasattr(socket, "SO_EXCLUSIVEADDRUSE"):  # Windows: SO_REUSEADDR would let others share the port
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
        else:
            # Closed callback connections linger in TIME_WAIT on this port; on Linux SO_REUSEADDR
            # lets the next login bind it again, but still refuses while anything *listens* on it.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def _bind_all(addresses: tuple[str, ...], port: int) -> list[socket.socket] | None:
    """Listening sockets on every address, all on one port (``port``, or any when 0), or
    None when that cannot be had. An address family this machine lacks is skipped when
    another one is bound."""
    for _ in range(_PORT_TRIES if port == 0 and len(addresses) > 1 else 1):
        socks: list[socket.socket] = []
        chosen = port
        try:
            for address in addresses:
                try:
                    socks.append(_listener(address, chosen))
                except OSError as exc:
                    if exc.errno in _ABSENT and len(addresses) > 1:
                        continue
                    raise
                chosen = socks[-1].getsockname()[1]
            if socks:
                return socks
        except OSError:
            pass
        for sock in socks:
            sock.close()
    return None


class _Held:
    """Returned for an accepted callback: hold the browser's page until :meth:`LoopbackServer.settle`."""


_HOLD = _Held()


@dataclass
class _Conn:
    sock: socket.socket
    deadline: float
    buffer: bytearray = field(default_factory=bytearray)
    out: bytes = b""
    #: An accepted callback's browser, held until the app says how the exchange ended.
    held: bool = False


class LoopbackServer:
    """Serve one redirect path on ``host`` (a loopback IP literal or ``localhost``) until
    :meth:`close`.

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
        self.addresses = loopback_addresses(host)
        self.requested_port = port
        self.path = path
        self.judge = judge
        self.connection_timeout = connection_timeout
        self.results: queue.Queue[Callback] = queue.Queue()
        self.port: int | None = None
        self._used = False
        self._socks: list[socket.socket] = []
        self._hosts: frozenset[str] = frozenset()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._wake_r, self._wake_w = socket.socketpair()
        self._on_result: Callable[[Callback], None] | None = None
        self._drain_until = 0.0
        #: The page for the held browser (set by :meth:`settle`, from any thread).
        self._settled: bytes | None = None
        self.hold_timeout = 300.0

    def start(self) -> int | None:
        """Bind and serve; returns the port, or None when it cannot be bound (busy, refused)."""
        socks = _bind_all(self.addresses, self.requested_port)
        if socks is None:
            self._wake_r.close()
            self._wake_w.close()
            return None
        for sock in socks:
            sock.setblocking(False)
        self._socks = socks
        self.port = port = int(socks[0].getsockname()[1])
        self._hosts = expected_hosts(self.host, port)
        self._thread = threading.Thread(target=self._serve, name=f"pytok-loopback-{port}", daemon=True)
        self._thread.start()
        return port

    def on_result(self, callback: Callable[[Callback], None]) -> None:
        """Also call ``callback`` (from the server thread) for each accepted or denied callback."""
        self._on_result = callback

    def settle(self, body: bytes) -> None:
        """Answer the browser of the accepted callback with ``body`` (the exchange's outcome:
        success, or what went wrong). Until then its page is held open; thread-safe."""
        if self._settled is None:
            self._settled = render(200, body)
            try:
                self._wake_w.send(b"x")
            except OSError:
                pass

    def close(self, *, drain: float = 2.0) -> None:
        """Stop serving and release the port (idempotent).

        Pages already being written (the success page) are finished first, for at most
        ``drain`` seconds; idle and half-read connections are dropped at once.
        """
        self._drain_until = time.monotonic() + drain
        if self._settled is None:
            self._settled = render(200, UNSETTLED_PAGE)  # a held browser is never left hanging
        self._stop.set()
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(drain + 3)
        for sock in self._socks:
            sock.close()
        self._socks = []
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
        sel = selectors.DefaultSelector()
        for sock in self._socks:
            sel.register(sock, selectors.EVENT_READ, None)
        sel.register(self._wake_r, selectors.EVENT_READ, "wake")
        conns: dict[int, _Conn] = {}
        listening = True
        try:
            while True:
                if self._settled is not None:
                    for conn in [c for c in conns.values() if c.held]:
                        self._answer(sel, conn, self._settled)
                if self._stop.is_set():
                    if listening:  # stop accepting; drop everything not being answered
                        for sock in self._socks:
                            sel.unregister(sock)
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
                        self._accept(sel, conns, key.fileobj)  # type: ignore[arg-type]
                    else:
                        self._io(sel, conns, key.data, mask)
                now = time.monotonic()
                for conn in [c for c in conns.values() if c.deadline <= now]:
                    if conn.held:  # the app took too long: tell the browser where to look
                        self._answer(sel, conn, render(200, UNSETTLED_PAGE))
                    else:
                        self._drop(sel, conns, conn)
        finally:
            for conn in list(conns.values()):
                self._drop(sel, conns, conn)
            sel.close()

    def _accept(self, sel: selectors.BaseSelector, conns: dict[int, _Conn], listener: socket.socket) -> None:
        for _ in range(64):
            try:
                sock, _addr = listener.accept()
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

    def _answer(self, sel: selectors.BaseSelector, conn: _Conn, response: bytes) -> None:
        conn.held, conn.out = False, response
        conn.deadline = time.monotonic() + self.connection_timeout
        sel.modify(conn.sock, selectors.EVENT_WRITE, conn)

    def _io(self, sel: selectors.BaseSelector, conns: dict[int, _Conn], conn: _Conn, mask: int) -> None:
        if conn.held:  # only a hang-up matters while the page is held
            try:
                gone = not conn.sock.recv(4096)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                gone = True
            if gone:
                self._drop(sel, conns, conn)
            return
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
            if answer is _HOLD:
                conn.held = True
                conn.deadline = time.monotonic() + self.hold_timeout
            elif isinstance(answer, bytes):
                self._answer(sel, conn, answer)
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
    def _maybe_answer(self, buffer: bytearray) -> bytes | _Held | None:
        """The full response once the head is complete (or clearly bad), else None."""
        verdict = triage(buffer, self.path, self._hosts)
        if verdict is None or isinstance(verdict, str):
            return None if verdict is None else self._callback(verdict)
        if verdict.logged:
            logs.emit("callback", **self.log_fields, verdict="reject", reason=verdict.message,
                      http_status=verdict.status)
        return verdict.response()

    def _callback(self, query: str) -> bytes | _Held:
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
            return render(
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
            return render(200, page(DENIED_TITLE, f"The login was declined: {detail}. You can close this window."))
        return _HOLD  # the page says how the exchange ended: see settle()
