"""The sandbox's HTTP server: bytes in, the router's answer (or a fault) out.

A :class:`http.server.ThreadingHTTPServer` on 127.0.0.1 (never all interfaces), one
thread per connection with a read timeout, ``Connection: close`` on every answer. The
handler turns bytes into a :class:`~pytok_sm.sandbox._wire.Request`, takes the next queued
fault for the endpoint, lets the :class:`~pytok_sm.sandbox._router.Router` answer (unless the
fault says otherwise), logs names only, and writes. An upload's body is not read here: its
handler streams it from the connection (``Router.handle_stream``).
:meth:`Server.close_connections` and :meth:`Server.join_threads` let
:meth:`~pytok_sm.sandbox.Sandbox.stop` end everything: listening socket closed, open
connections shut, every thread joined.

Example:
    >>> import httpx
    >>> from pytok_sm.sandbox import Sandbox
    >>> with Sandbox() as sb:
    ...     r = httpx.post(sb.base_url + "/v2/oauth/token/",
    ...                    data={"client_key": sb.client_key, "client_secret": sb.client_secret,
    ...                          "grant_type": "client_credentials"})
    ...     r.json()["access_token"].startswith("clt.")
    True
"""

from __future__ import annotations

import socket
import socketserver
import struct
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from ._faults import FAULT_ENDPOINTS, Drip, Drop, render_fault
from ._router import STREAM_ROUTES, endpoint_name
from ._upload import drain
from ._wire import Reply, Request, json_reply

if TYPE_CHECKING:
    from ._sandbox import Sandbox

__all__ = ["HOST", "MAX_BODY_BYTES", "POLL_INTERVAL", "Server"]

#: Larger bodies are refused with 413 (no TikTok OAuth or API body comes near); uploads, read
#: in pieces by their handler, have their own cap (:func:`~pytok_sm.sandbox._upload.upload_cap`).
MAX_BODY_BYTES = 1 << 20
HOST = "127.0.0.1"
#: How often the accept loop checks for stop(); bounds how long stop() waits.
POLL_INTERVAL = 0.02


class Server(ThreadingHTTPServer):
    """Tracks its connection threads and sockets so that stop() leaves nothing behind."""

    daemon_threads = True
    # A sandbox stopped and started again on the same port (pytok sandbox stop; start --port N)
    # must not wait a minute for its closed connections' TIME_WAIT. On POSIX, SO_REUSEADDR
    # still refuses a port something listens on; on Windows it would not, so not there.
    allow_reuse_address = sys.platform != "win32"

    def __init__(self, port: int, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._connection_threads: set[threading.Thread] = set()
        self._connections: set[socket.socket] = set()
        self._to_reset: set[socket.socket] = set()
        super().__init__((HOST, port), _Handler)

    def server_bind(self) -> None:
        # Skip HTTPServer's reverse DNS lookup (socket.getfqdn): it can stall offline.
        socketserver.TCPServer.server_bind(self)
        self.server_name = HOST
        self.server_port = int(self.server_address[1])

    def process_request(self, request: Any, client_address: Any) -> None:
        if self.stopping.is_set():
            self.shutdown_request(request)
            return
        thread = threading.Thread(
            target=self._serve_connection,
            args=(request, client_address),
            name="pytok-sandbox-connection",
            daemon=True,
        )
        with self._lock:
            self._connection_threads.add(thread)
            self._connections.add(request)
        thread.start()

    def _serve_connection(self, request: socket.socket, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception as exc:  # noqa: BLE001 - recorded for tests, never printed
            self.sandbox._record_error(exc)
        finally:
            self.shutdown_request(request)
            with self._lock:
                self._connections.discard(request)
                self._connection_threads.discard(threading.current_thread())

    def reset_after(self, request: socket.socket) -> None:
        """Close this connection with an RST instead of an orderly FIN."""
        with self._lock:
            self._to_reset.add(request)

    def shutdown_request(self, request: Any) -> None:
        with self._lock:
            reset = request in self._to_reset
            self._to_reset.discard(request)
        if reset:
            try:
                request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
            self.close_request(request)
            return
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:  # pragma: no cover
        # Only reached through socketserver's own paths; never print (no request data leaks).
        pass

    def close_connections(self) -> None:
        """Wake every connection thread by shutting its socket."""
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def join_threads(self, timeout: float) -> list[threading.Thread]:
        """Join connection threads; returns those still alive after ``timeout``."""
        with self._lock:
            threads = list(self._connection_threads)
        for thread in threads:
            thread.join(timeout)
        return [t for t in threads if t.is_alive()]


class _Handler(BaseHTTPRequestHandler):
    server: Server
    protocol_version = "HTTP/1.1"
    server_version = "pytok-sm-sandbox/1"
    sys_version = ""
    #: Errors about unparseable request lines still get a status line and headers.
    default_request_version = "HTTP/1.0"

    def parse_request(self) -> bool:
        raw: bytes = getattr(self, "raw_requestline", b"")
        if len(str(raw, "iso-8859-1").split()) == 2:  # HTTP/0.9: refuse instead of answering bare bodies
            self.command, self.request_version, self.requestline = "", self.default_request_version, ""
            self.send_error(400, "HTTP/0.9 is not supported")
            return False
        return super().parse_request()

    def setup(self) -> None:
        super().setup()
        # Per-connection read timeout: a silent or half-sent connection frees its thread.
        self.connection.settimeout(self.server.sandbox.connection_timeout)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Silent: the request line carries codes and states; the sandbox logs names only."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Silent, like log_message."""

    def do_GET(self) -> None:  # noqa: N802
        self._serve()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = do_GET  # noqa: N815

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self._write(Reply(411, [("Content-Type", "text/plain")], b"Length Required"))
            return None
        raw = self.headers.get("Content-Length", "0") or "0"
        if not raw.isdigit():
            self._write(Reply(400, [("Content-Type", "text/plain")], b"Bad Content-Length"))
            return None
        length = int(raw)
        if length > MAX_BODY_BYTES:
            self._write(Reply(413, [("Content-Type", "text/plain")], b"Payload Too Large"))
            return None
        return self.rfile.read(length)

    def _serve(self) -> None:
        self.close_connection = True
        sandbox = self.server.sandbox
        parts = urlsplit(self.path)
        streamed = parts.path in STREAM_ROUTES  # uploads: the handler reads the body in pieces
        body = b"" if streamed else self._read_body()
        if body is None:
            return
        request = Request(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
        )
        endpoint = endpoint_name(request.path)
        fault = sandbox.faults.take(endpoint) if endpoint in FAULT_ENDPOINTS else None
        if fault is not None and fault.kind == "delay" and self.server.stopping.wait(float(fault.params["seconds"])):
            return
        outcome: Reply | Drop | Drip
        try:
            real = None
            if fault is None or fault.process:
                real = sandbox._router.handle_stream(request, self.rfile) if streamed else sandbox._router.handle(request)
            elif streamed:
                drain(self.rfile, request, sandbox.switches)  # the client, still sending, reads the fault
            if fault is None:
                assert real is not None
                outcome = real
            else:
                outcome = render_fault(fault, real, base_url=sandbox.base_url, now=sandbox.clock.now())
        except Exception as exc:  # noqa: BLE001 - a sandbox bug must still answer
            sandbox._record_error(exc)
            outcome = json_reply({"error": "server_error", "error_description": "sandbox bug", "log_id": ""}, 500)
        status = (
            outcome.reply.status if isinstance(outcome, Drip) else None if isinstance(outcome, Drop) else outcome.status
        )
        sandbox._log(request, endpoint, status, None if fault is None else fault.kind)
        if isinstance(outcome, Drop):
            self.server.reset_after(self.connection)
        elif isinstance(outcome, Drip):
            self._write(outcome.reply, drip_seconds=outcome.seconds)
        else:
            self._write(outcome)

    def _write(self, reply: Reply, drip_seconds: float | None = None) -> None:
        try:
            self.send_response(reply.status)
            for name, value in reply.headers:
                if name.lower() not in ("content-length", "connection"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command == "HEAD" or not reply.body:
                return
            if drip_seconds is None:
                self.wfile.write(reply.body)
                return
            pause = drip_seconds / len(reply.body)
            for index in range(len(reply.body)):
                self.wfile.write(reply.body[index : index + 1])
                self.wfile.flush()
                if self.server.stopping.wait(pause):
                    return
        except OSError:
            pass  # the client went away; nothing to tell it
