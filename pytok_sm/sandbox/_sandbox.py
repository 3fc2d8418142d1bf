"""The :class:`Sandbox`, the object tests and the demo hold: start and stop it, read its
addresses, credentials, switches, clock and records, and take shortcuts past HTTP.

Example:
    >>> with Sandbox() as sb:
    ...     tokens = sb.issue_tokens(["user.info.basic"])
    ...     sb.is_alive(tokens["access_token"]), sb.count("token")
    (True, 0)
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable
from types import TracebackType
from typing import Any

from pytok_sm import _contract as contract

from . import _qr as qr
from ._apps import App
from ._clock import Clock
from ._context import Context
from ._creators import Creator
from ._faults import Faults
from ._oauth import issue_user_tokens, user_token_body
from ._posts import PostRecord, refresh_status
from ._router import Router
from ._scopes import granted
from ._server import HOST, POLL_INTERVAL, Server
from ._state import CodeRecord, QrSession, RequestRecord, SandboxState, TokenKind, TokenRecord
from ._switches import Switches
from ._user import SandboxUser
from ._videos import VideoRecord, library, seed
from ._webhook_worker import WebhookWorker
from ._webhooks import WebhookDelivery, deauthorize, set_webhook_url, take_down
from ._wire import Request

__all__ = ["Sandbox"]


class Sandbox:
    """TikTok in a box on 127.0.0.1: authorize page, OAuth, QR login, user info, Content
    Posting (creators, posts, the upload host), faults.

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
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._webhooks: WebhookWorker | None = None
        self._lifecycle = threading.Lock()

    # --- lifecycle --------------------------------------------------------------------
    def start(self) -> Sandbox:
        """Bind 127.0.0.1 (port 0: an ephemeral one) and serve in a background thread."""
        with self._lifecycle:
            if self._server is not None:
                return self
            server = Server(self._requested_port, self)
            self._server = server
            self._ctx.base_url = f"http://{HOST}:{server.server_address[1]}"
            self._thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": POLL_INTERVAL},
                name="pytok-sandbox-server",
                daemon=True,
            )
            self._thread.start()
            self._webhooks = WebhookWorker(self._ctx, self._record_error)
            self._webhooks.start()
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
            worker_stopped = self._webhooks is None or self._webhooks.stop(timeout)
            self._server = None
            self._thread = None
            self._webhooks = None
            if not worker_stopped:  # pragma: no cover - would mean a POST ignores its shut socket
                raise RuntimeError("the sandbox's webhook thread did not stop")
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
        return f"http://{HOST}:{self.port}"

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

    def creator(self, open_id: str | None = None) -> Creator:
        """The live, mutable posting settings of an account (default: :attr:`user`'s).

        Example: ``sb.creator().private_account = True``; ``sb.creator(other).banned = True``.
        """
        with self._ctx.state.lock:
            return self._ctx.posting.creators.get(open_id or self.user.open_id, self.user)

    @property
    def posts(self) -> list[PostRecord]:
        """Copies of every post (Content Posting), oldest first, statuses read on the clock now."""
        now = self.clock.now()
        with self._ctx.state.lock:
            for post in self._ctx.posting.posts.values():
                refresh_status(post, self.switches, now=now)
            return self._snapshot(self._ctx.posting.posts.values())

    def seed_videos(self, n: int, open_id: str | None = None) -> None:
        """Give an account (default: :attr:`user`) exactly ``n`` seeded videos (12 until then):
        the same ids and times for the same open_id in every sandbox (Display API, video/list)."""
        seed(self._ctx, n, open_id)

    def videos(self, open_id: str | None = None) -> list[VideoRecord]:
        """An account's public videos as video/list walks them, newest first: the seeded ones and
        the posts this sandbox published (public, PUBLISH_COMPLETE)."""
        return library(self._ctx, open_id or self.user.open_id)

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

    # --- webhooks (see _webhooks.py) --------------------------------------------------
    def set_webhook_url(self, url: str | None, client_key: str | None = None) -> None:
        """Where the app (default: :attr:`app`) receives webhooks from now on; None: nowhere.
        https, or plain http to a loopback host. Example: ``sb.set_webhook_url(receiver_url)``."""
        set_webhook_url(self._ctx, url, client_key or self.client_key)

    def deauthorize(self, open_id: str | None = None, reason: int = 1, client_key: str | None = None) -> int:
        """The account (default: :attr:`user`) removes the app (default: :attr:`app`): every
        token of theirs for it is revoked, then ``authorization.removed`` with ``reason`` is
        queued. Returns the tokens revoked; LookupError if there is no authorization to remove."""
        return deauthorize(self._ctx, open_id or self.user.open_id, reason, client_key or self.client_key)

    def take_down(self, publish_id: str) -> None:
        """A public post stops being public: ``post.publish.no_longer_publicaly_available``."""
        take_down(self._ctx, publish_id)

    @property
    def webhook_deliveries(self) -> list[WebhookDelivery]:
        """Every webhook attempt so far, oldest first (event, url, attempt, status or error, ...)."""
        with self._ctx.state.lock:
            return list(self._ctx.webhooks.records)

    # --- shortcuts --------------------------------------------------------------------
    def issue_tokens(self, scopes: Iterable[str] | None = None, *, client_key: str | None = None,
                     open_id: str | None = None) -> dict[str, Any]:
        """Log the user in without any HTTP: the token endpoint's answer for a fresh grant.

        ``scopes`` default to all scopes of the app; user.info.basic is always included.
        ``open_id`` names another account than the sandbox's user (many accounts, one app).
        """
        app = self._ctx.apps[client_key or self.client_key]
        with self._ctx.state.lock:
            chosen = granted(app.scopes if scopes is None else tuple(scopes))
            access, refresh = issue_user_tokens(
                self._ctx, client_key=app.client_key, open_id=open_id or self.user.open_id, scopes=chosen
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
