"""The HTTP server and :class:`Sandbox`, the object tests and the demo hold.

A :class:`http.server.ThreadingHTTPServer` on 127.0.0.1 (never all interfaces), one
thread per connection with a read timeout, ``Connection: close`` on every answer. The
handler turns bytes into a :class:`~pytok_sm.sandbox.wire.Request`, takes the next queued
fault for the endpoint, lets the :class:`~pytok_sm.sandbox.router.Router` answer (unless the
fault says otherwise), logs names only, and writes. ``stop()`` ends everything: listening
socket closed, open connections shut, every thread joined.

Example:
    >>> import httpx
    >>> with Sandbox() as sb:
    ...     r = httpx.post(sb.base_url + "/v2/oauth/token/",
    ...                    data={"client_key": sb.client_key, "client_secret": sb.client_secret,
    ...                          "grant_type": "client_credentials"})
    ...     r.json()["access_token"].startswith("clt.")
    True
"""

from __future__ import annotations

import copy
import socket
import socketserver
import struct
import threading
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pytok_sm import _contract as contract

from . import qr
from .apps import App
from .clock import Clock
from .context import Context
from .faults import FAULT_ENDPOINTS, Drip, Drop, Faults, render_fault
from .oauth import issue_user_tokens, user_token_body
from .router import Router, endpoint_name
from .scopes import granted
from .state import CodeRecord, QrSession, RequestRecord, SandboxState, TokenKind, TokenRecord
from .switches import Switches
from .user import SandboxUser
from .wire import Reply, Request, json_reply

__all__ = ["MAX_BODY_BYTES", "Sandbox"]

#: Larger bodies are refused with 413 (no TikTok OAuth body comes near).
MAX_BODY_BYTES = 1 << 20
_HOST = "127.0.0.1"
#: How often the accept loop checks for stop(); bounds how long stop() waits.
_POLL_INTERVAL = 0.02


class _Server(ThreadingHTTPServer):
    """Tracks its connection threads and sockets so that stop() leaves nothing behind."""

    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, port: int, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._connection_threads: set[threading.Thread] = set()
        self._connections: set[socket.socket] = set()
        self._to_reset: set[socket.socket] = set()
        super().__init__((_HOST, port), _Handler)

    def server_bind(self) -> None:
        # Skip HTTPServer's reverse DNS lookup (socket.getfqdn): it can stall offline.
        socketserver.TCPServer.server_bind(self)
        self.server_name = _HOST
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
    server: _Server
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
        body = self._read_body()
        if body is None:
            return
        parts = urlsplit(self.path)
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
            real = sandbox._router.handle(request) if fault is None or fault.process else None
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


class Sandbox:
    """TikTok in a box on 127.0.0.1: authorize page, OAuth, QR login, user info, faults.

    Example:
        >>> with Sandbox() as sb:
        ...     sb.authorization_url == sb.base_url + "/v2/auth/authorize/"
        True
        >>> sb = Sandbox(switches=Switches(token_lifetimes="classic")).start()
        >>> sb.issue_tokens()["expires_in"]
        86400
        >>> sb.stop()
    """

    def __init__(
        self,
        *,
        port: int = 0,
        apps: Iterable[App] | None = None,
        switches: Switches | None = None,
        clock: Clock | None = None,
        user: SandboxUser | None = None,
        connection_timeout: float = 10.0,
    ) -> None:
        self._requested_port = port
        self._ctx = Context.default(apps)
        self._ctx.switches = switches if switches is not None else Switches()
        self._ctx.clock = clock if clock is not None else Clock()
        self._ctx.user = user if user is not None else SandboxUser()
        self._router = Router(self._ctx)
        self.faults = Faults()
        #: Seconds a connection may stay silent before its thread gives up.
        self.connection_timeout = connection_timeout
        self._errors: list[str] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._lifecycle = threading.Lock()

    # --- lifecycle --------------------------------------------------------------------
    def start(self) -> Sandbox:
        """Bind 127.0.0.1 (port 0: an ephemeral one) and serve in a background thread."""
        with self._lifecycle:
            if self._server is not None:
                return self
            server = _Server(self._requested_port, self)
            self._server = server
            self._ctx.base_url = f"http://{_HOST}:{server.server_address[1]}"
            self._thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": _POLL_INTERVAL},
                name="pytok-sandbox-server",
                daemon=True,
            )
            self._thread.start()
            return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving, close every socket and join every thread (idempotent)."""
        with self._lifecycle:
            server, thread = self._server, self._thread
            if server is None:
                return
            server.stopping.set()
            server.shutdown()
            server.server_close()
            server.close_connections()
            left = server.join_threads(timeout)
            if thread is not None:
                thread.join(timeout)
            self._server = None
            self._thread = None
            if left:  # pragma: no cover - would mean a handler ignores its socket
                raise RuntimeError(f"{len(left)} sandbox connection thread(s) did not stop")

    close = stop

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """True between start() and stop()."""
        return self._server is not None

    # --- addresses and credentials ----------------------------------------------------
    @property
    def port(self) -> int:
        """The bound port (only while running)."""
        if self._server is None:
            raise RuntimeError("the sandbox is not running")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        return f"http://{_HOST}:{self.port}"

    @property
    def authorization_url(self) -> str:
        """The authorize page, the sandbox's ``https://www.tiktok.com/v2/auth/authorize/``."""
        return self.base_url + contract.AUTHORIZE_PATH

    @property
    def base_api_url(self) -> str:
        """The API root, the sandbox's ``https://open.tiktokapis.com/v2/`` (trailing slash)."""
        return self.base_url + "/v2/"

    @property
    def apps(self) -> dict[str, App]:
        """Registered apps by client_key."""
        return dict(self._ctx.apps)

    @property
    def app(self) -> App:
        """The default desktop app (the first desktop app registered, else the first app)."""
        apps = list(self._ctx.apps.values())
        return next((a for a in apps if a.kind == "desktop"), apps[0])

    @property
    def web_app(self) -> App | None:
        """The first web app registered, if any."""
        return next((a for a in self._ctx.apps.values() if a.kind == "web"), None)

    @property
    def client_key(self) -> str:
        """client_key of :attr:`app`."""
        return self.app.client_key

    @property
    def client_secret(self) -> str:
        """client_secret of :attr:`app`."""
        return self.app.client_secret

    @property
    def redirect_uris(self) -> tuple[str, ...]:
        """Registered redirect URIs of :attr:`app` (fixed port first, then wildcards)."""
        return self.app.redirect_uris

    @property
    def web_client_key(self) -> str:
        """client_key of :attr:`web_app`."""
        return self._require_web().client_key

    @property
    def web_client_secret(self) -> str:
        """client_secret of :attr:`web_app`."""
        return self._require_web().client_secret

    @property
    def web_redirect_uris(self) -> tuple[str, ...]:
        """Registered redirect URIs of :attr:`web_app`."""
        return self._require_web().redirect_uris

    def _require_web(self) -> App:
        app = self.web_app
        if app is None:
            raise LookupError("no web app is registered")
        return app

    # --- configuration ----------------------------------------------------------------
    @property
    def switches(self) -> Switches:
        """The live behaviour switches (assign attributes to change them)."""
        return self._ctx.switches

    @property
    def clock(self) -> Clock:
        """The sandbox clock (``sandbox.clock.advance(seconds)``)."""
        return self._ctx.clock

    @property
    def user(self) -> SandboxUser:
        """The sandbox's only TikTok user."""
        return self._ctx.user

    @property
    def state(self) -> SandboxState:
        """The live state (lock ``state.lock`` before touching it; prefer the accessors)."""
        return self._ctx.state

    # --- inspection -------------------------------------------------------------------
    def _snapshot(self, items: Iterable[Any]) -> list[Any]:
        with self._ctx.state.lock:
            return [copy.deepcopy(item) for item in items]

    @property
    def codes(self) -> list[CodeRecord]:
        """Copies of every authorization code issued, oldest first."""
        return self._snapshot(self._ctx.state.codes.values())

    def tokens(self, kind: TokenKind | None = None, *, alive: bool | None = None) -> list[TokenRecord]:
        """Copies of the tokens issued, filtered by kind and by being alive now."""
        now = self.clock.now()
        with self._ctx.state.lock:
            return self._snapshot(
                t
                for t in self._ctx.state.tokens.values()
                if (kind is None or t.kind == kind) and (alive is None or t.alive(now) == alive)
            )

    def token(self, value: str) -> TokenRecord | None:
        """A copy of the record of one token, None if the sandbox never issued it."""
        with self._ctx.state.lock:
            record = self._ctx.state.tokens.get(value)
            return None if record is None else copy.deepcopy(record)

    def is_alive(self, value: str) -> bool:
        """True if the token was issued here and is neither expired nor revoked."""
        with self._ctx.state.lock:
            record = self._ctx.state.tokens.get(value)
            return record is not None and record.alive(self.clock.now())

    def kill_token(self, value: str, reason: str = "revoked") -> None:
        """Revoke one token behind the client's back (as a user removing the app would)."""
        with self._ctx.state.lock:
            self._ctx.state.tokens[value].kill(reason)

    @property
    def qr_sessions(self) -> list[QrSession]:
        """Copies of every QR session, with their current status."""
        with self._ctx.state.lock:
            for session in self._ctx.state.qr_sessions.values():
                qr.current_status(self._ctx, session)
            return self._snapshot(self._ctx.state.qr_sessions.values())

    @property
    def requests(self) -> list[RequestRecord]:
        """The request log (method, path, endpoint, field names; never values)."""
        with self._ctx.state.lock:
            return list(self._ctx.state.requests)

    def count(self, endpoint: str) -> int:
        """Requests received by ``endpoint`` (e.g. ``"token"``), faulted ones included."""
        return self._ctx.state.count(endpoint)

    def clear_requests(self) -> None:
        """Forget the request log and the counters."""
        with self._ctx.state.lock:
            self._ctx.state.requests.clear()
            self._ctx.state.counts.clear()

    @property
    def errors(self) -> list[str]:
        """Exceptions raised inside the sandbox (should stay empty: a bug otherwise)."""
        return list(self._errors)

    # --- shortcuts --------------------------------------------------------------------
    def issue_tokens(self, scopes: Iterable[str] | None = None, *, client_key: str | None = None) -> dict[str, Any]:
        """Log the user in without any HTTP: the token endpoint's answer for a fresh grant.

        ``scopes`` default to all scopes of the app; user.info.basic is always included.
        """
        app = self._ctx.apps[client_key or self.client_key]
        with self._ctx.state.lock:
            chosen = granted(app.scopes if scopes is None else tuple(scopes))
            access, refresh = issue_user_tokens(
                self._ctx, client_key=app.client_key, open_id=self.user.open_id, scopes=chosen
            )
            return user_token_body(access, refresh, self.clock.now())

    def phone_scan(self, url: str) -> str:
        """The phone scans ``url`` (the QR URL with the app's client_ticket): ``scanned``."""
        return qr.phone_scan(self._ctx, url)

    def phone_confirm(self, url: str, scopes: Iterable[str] | None = None) -> str:
        """The user authorizes on the phone (scanning first if needed): ``confirmed``."""
        return qr.phone_confirm(self._ctx, url, scopes)

    def phone_deny(self, url: str) -> str:
        """The user cancels on the phone: ``switches.qr_deny_status`` (``expired``)."""
        return qr.phone_deny(self._ctx, url)

    # --- internals --------------------------------------------------------------------
    def _record_error(self, exc: BaseException) -> None:
        self._errors.append(f"{type(exc).__name__}: {exc}")

    def _log(self, request: Request, endpoint: str, status: int | None, fault: str | None) -> None:
        auth = request.headers.get("authorization", "").strip()
        self._ctx.state.log_request(
            RequestRecord(
                method=request.method,
                path=request.path,
                endpoint=endpoint,
                query_fields=tuple(request.query),
                form_fields=request.form_field_names(),
                content_type=request.content_type,
                auth_scheme=auth.split(" ", 1)[0] if auth else None,
                status=status,
                fault=fault,
                at=self.clock.now(),
            )
        )

    def __repr__(self) -> str:
        where = self.base_url if self.running else "stopped"
        return f"<Sandbox {where}>"
