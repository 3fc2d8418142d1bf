"""``LoginKit`` and ``AsyncLoginKit``: the original PyTok API over the flows and drivers.

A kit holds one app's configuration and one person's token. It is safe to share between
threads (or tasks): the token is swapped atomically, and concurrent refreshes of the same
expired token make a single request (single-flight).

Example:
    >>> kit = LoginKit("aw_key", "aw_secret", scopes=["user.info.basic", "user.info.stats"])
    >>> kit.SCOPES, kit.PORT, kit.current_access_token
    (('user.info.basic', 'user.info.stats'), 3456, None)
    >>> kit.load_token({"access_token": "act.x", "expires_in": 7200, "open_id": "u1",
    ...                 "refresh_token": "rft.y", "refresh_expires_in": 86400, "scope": "user.info.basic"})
    Token(open_id='u1', scopes=['user.info.basic'], expires_at=..., access_token='act.…', refresh_token='rft.…')
    >>> kit.current_access_token
    'act.x'
    >>> kit.close()
"""

from __future__ import annotations

import asyncio
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import httpx

from . import _contract as contract, _tiktok as tiktok
from ._config import Config
from .drivers import AsyncDriver, SyncDriver
from .drivers._sync import OpenBrowserSetting
from ._errors import AccessTokenInvalid, CallbackRejected, NotLoggedIn
from .flows import BrowserFlow, QrFlow, RefreshFlow, RevokeFlow, UserInfoFlow
from .flows._base import Flow
from .flows._browser import Verdict
from .flows._effects import BrowserOpened, Listening, ShowQrCode
from ._pkce import RandomSource, system_random
from ._retry import RetryPolicy
from ._token import Token

__all__ = ["AsyncLoginKit", "LoginKit"]

_CONFIG_KEYWORDS = (
    "port",
    "scopes",
    "redirect_uri",
    "authorization_url",
    "base_api_url",
    "csrf_state_length",
    "code_verifier_length",
    "client_ticket_length",
    "request_header",
    "http_timeout",
    "call_deadline",
    "qr_poll_interval",
    "retry",
)


class _KitCore:
    """What both kits share: configuration, the held token, and the flow factories."""

    def __init__(
        self,
        client_key: str,
        client_secret: str,
        *,
        port: int = 3456,
        scopes: str | Iterable[str] = ("user.info.basic",),
        redirect_uri: str | None = None,
        authorization_url: str = contract.AUTHORIZATION_URL,
        base_api_url: str = contract.BASE_API_URL,
        csrf_state_length: int = 32,
        code_verifier_length: int = 64,
        client_ticket_length: int = 64,
        request_header: Mapping[str, str] | None = None,
        http_timeout: float = 10.0,
        call_deadline: float = 30.0,
        qr_poll_interval: float = 1.0,
        retry: RetryPolicy | None = None,
        open_browser: OpenBrowserSetting = True,
        token: Token | Mapping[str, Any] | None = None,
        on_token: Callable[[Token | None], None] | None = None,
        clock: Callable[[], float] = time.time,
        random: RandomSource = system_random,
    ) -> None:
        extra: dict[str, Any] = {}
        if request_header is not None:
            extra["request_header"] = request_header
        if retry is not None:
            extra["retry"] = retry
        self._config = Config(
            client_key,
            client_secret,
            port=port,
            scopes=scopes,
            redirect_uri=redirect_uri,
            authorization_url=authorization_url,
            base_api_url=base_api_url,
            csrf_state_length=csrf_state_length,
            code_verifier_length=code_verifier_length,
            client_ticket_length=client_ticket_length,
            http_timeout=http_timeout,
            call_deadline=call_deadline,
            qr_poll_interval=qr_poll_interval,
            **extra,
        )
        self.open_browser = open_browser
        self.on_token = on_token
        self.clock = clock
        self.random = random
        self._token: Token | None = None
        self._generation = 0  # bumped on every token change (single-flight refresh)
        self._lock = threading.RLock()
        if token is not None:
            self.load_token(token)

    # ------------------------------------------------------------------ configuration
    @property
    def config(self) -> Config:
        """The validated configuration (immutable; :meth:`update_scopes` swaps it)."""
        return self._config

    BASE_API_URL = property(lambda self: self._config.base_api_url, doc="TikTok's API base URL.")
    AUTHORIZATION_URL = property(lambda self: self._config.authorization_url, doc="The authorize page.")
    REDIRECT_URI = property(lambda self: self._config.redirect_uri, doc="The registered redirect URI.")
    PORT = property(lambda self: self._config.port, doc="The loopback port (0: any).")
    SCOPES = property(lambda self: self._config.scopes, doc="Scopes asked for, in order.")
    CSRF_STATE_LENGTH = property(lambda self: self._config.csrf_state_length, doc="Length of ``state``.")
    CODE_VERIFIER_LENGTH = property(lambda self: self._config.code_verifier_length, doc="PKCE verifier length.")
    CLIENT_TICKET_LENGTH = property(lambda self: self._config.client_ticket_length, doc="QR ticket length.")
    REQUEST_HEADER = property(lambda self: dict(self._config.request_header), doc="Headers of OAuth requests.")

    def update_scopes(self, scopes: str | Iterable[str]) -> tuple[str, ...]:
        """Ask for these scopes in later logins; the current token keeps its granted set.

        Example:
            >>> kit = LoginKit("aw_key", "s")
            >>> kit.update_scopes("user.info.basic,video.list")
            ('user.info.basic', 'video.list')
        """
        with self._lock:
            self._config = self._config.replace(scopes=scopes)
            return tuple(self._config.scopes)

    # ------------------------------------------------------------------ the token
    @property
    def token(self) -> Token | None:
        """The token held now (None before login and after revoke)."""
        return self._token

    @property
    def current_access_token(self) -> str | None:
        """The access token string held now, or None."""
        token = self._token
        return token.access_token if token else None

    @property
    def granted_scopes(self) -> frozenset[str]:
        """The scopes the person actually granted (may be fewer than asked)."""
        token = self._token
        return token.scopes if token else frozenset()

    def load_token(self, data: Token | Mapping[str, Any], *, notify: bool = True) -> Token:
        """Restore a saved token: a :class:`Token`, ``Token.to_dict()`` or the endpoint's JSON.

        ``notify=False`` skips the ``on_token`` callback (the token came from storage).
        """
        token = data if isinstance(data, Token) else Token.from_dict(data, now=self.clock())
        self._set_token(token, notify=notify)
        return token

    def _set_token(self, token: Token | None, *, notify: bool = True) -> None:
        with self._lock:
            self._token = token
            self._generation += 1
        if notify and self.on_token is not None:
            self.on_token(token)

    def _require_token(self) -> Token:
        token = self._token
        if token is None:
            raise NotLoggedIn()
        return token

    # ------------------------------------------------------------------ flow factories
    def _kw(self) -> dict[str, Any]:
        return {"clock": self.clock, "random": self.random}

    def browser_flow(self, *, timeout: float = 300.0) -> BrowserFlow:
        """A new, unstarted browser flow for this app (to step by hand or run with a driver)."""
        return BrowserFlow(self._config, timeout=timeout, **self._kw())

    def qr_flow(self, *, qr_token: str | None = None, client_ticket: str | None = None, timeout: float = 300.0) -> QrFlow:
        """A new QR flow; with ``qr_token`` and ``client_ticket`` it polls an existing QR code."""
        return QrFlow(self._config, qr_token=qr_token, client_ticket=client_ticket, timeout=timeout, **self._kw())

    def _refresh_flow(self, token: Token) -> RefreshFlow:
        if token.refresh_token is None:
            raise NotLoggedIn("refresh token")
        return RefreshFlow(self._config, previous=token, **self._kw())

    def _user_info_flow(self, token: Token, fields: Iterable[str]) -> UserInfoFlow:
        return UserInfoFlow(self._config, access_token=token.access_token, fields=fields, **self._kw())

    # ------------------------------------------------------------------ web apps
    def begin_browser_login(self, *, timeout: float = 600.0) -> tuple[str, dict[str, Any]]:
        """For web apps: the authorize URL to redirect the person to, and a snapshot to keep.

        The snapshot holds the CSRF state and PKCE verifier: keep it server-side like a
        password, and pass it to :meth:`complete_browser_login` with the callback's query.
        """
        flow = self.browser_flow(timeout=timeout)
        flow.start()
        flow.send(Listening(self._config.redirect_for_port(self._config.port or 0)))
        flow.send(BrowserOpened(True))
        return flow.authorization_url, flow.snapshot()

    def _resume_callback(self, snapshot: dict[str, Any], query: str) -> BrowserFlow:
        flow = BrowserFlow.resume(snapshot, self._config, **self._kw())
        callback = tiktok.parse_callback_query(query.lstrip("?"))
        verdict, reason = flow.judge(callback)
        flow.send(callback)
        if verdict is Verdict.REJECT:
            raise CallbackRejected(reason, flow=flow.KIND, state=flow.state)
        return flow


class LoginKit(_KitCore):
    """TikTok Login Kit for one app, the original PyTok API (sync).

    Configuration keywords are those of PyTok's ``LoginKit``; see :class:`~pytok_sm.Config`.
    ``transport`` or ``http_client`` plug in another HTTP layer (tests, proxies).
    """

    def __init__(
        self,
        client_key: str,
        client_secret: str,
        *,
        transport: httpx.BaseTransport | None = None,
        http_client: httpx.Client | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(client_key, client_secret, **kwargs)
        self._client = http_client or httpx.Client(transport=transport, follow_redirects=False)
        self._owns_client = http_client is None
        self._refresh_lock = threading.Lock()

    def close(self) -> None:
        """Close the connection pool (the kit may not be used afterwards)."""
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> LoginKit:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def driver(self, **kwargs: Any) -> SyncDriver:
        """A sync driver sharing this kit's connection pool."""
        kwargs.setdefault("open_browser", self.open_browser)
        return SyncDriver(self._client, **kwargs)

    def run(self, flow: Flow, *, until: Callable[[Flow], bool] | None = None, **driver_kwargs: Any) -> Any:
        """Run any flow with this kit's connection pool; returns its result or raises."""
        return self.driver(**driver_kwargs).run(flow, until=until)

    # ------------------------------------------------------------------ logins
    def oauth_server(self, timeout: float = 300.0, **driver_kwargs: Any) -> Token:
        """Log in through the browser and the loopback server; keeps and returns the token.

        Raises :class:`~pytok_sm.AuthorizationDenied`, ``FlowTimeout``,
        ``CallbackPortBusy`` (before any browser opens), or another ``TikTokError``.
        """
        token: Token = self.run(self.browser_flow(timeout=timeout), **driver_kwargs)
        self._set_token(token)
        return token

    def oath_server(self, timeout: float = 300.0, **driver_kwargs: Any) -> Token:
        """Deprecated spelling of :meth:`oauth_server` from the original PyTok."""
        warnings.warn("oath_server() is deprecated; use oauth_server()", DeprecationWarning, stacklevel=2)
        return self.oauth_server(timeout, **driver_kwargs)

    def generate_qr_code(self) -> tuple[str, str, str]:
        """Ask TikTok for a QR login: ``(qr_url, qr_token, client_ticket)``.

        Show ``qr_url`` as a QR code (:func:`pytok_sm.qr.render_terminal`), then call
        :meth:`oauth_qrcode` with the other two.
        """
        flow = self.qr_flow()
        self.run(flow, until=lambda f: isinstance(f.effect, ShowQrCode))
        if flow.error is not None:
            raise flow.error
        assert flow.qr_url is not None and flow.qr_token is not None
        return flow.qr_url, flow.qr_token, flow.client_ticket

    def oauth_qrcode(self, qr_token: str, client_ticket: str, timeout: float = 300.0, **driver_kwargs: Any) -> Token:
        """Poll the QR login until confirmed, then exchange the code; keeps and returns the token."""
        token: Token = self.run(
            self.qr_flow(qr_token=qr_token, client_ticket=client_ticket, timeout=timeout), **driver_kwargs
        )
        self._set_token(token)
        return token

    def complete_browser_login(self, snapshot: dict[str, Any], query: str) -> Token:
        """For web apps: finish :meth:`begin_browser_login` from the callback's query string."""
        token: Token = self.run(self._resume_callback(snapshot, query))
        self._set_token(token)
        return token

    # ------------------------------------------------------------------ tokens
    def refresh_access_token(self) -> Token:
        """Refresh now. Concurrent callers share one request; rotation is kept.

        ``ReauthorizationRequired`` means the person must log in again; on any failure the
        kit keeps the token it had.
        """
        seen = self._generation
        with self._refresh_lock:
            if self._generation != seen and self._token is not None:
                return self._token  # another caller refreshed while we waited
            token = self._require_token()
            new: Token = self.run(self._refresh_flow(token))
            self._set_token(new)  # the rotated refresh token is stored before anyone uses the new access token
            return new

    def revoke_access_token(self) -> None:
        """Revoke the token at TikTok and forget it locally (in every case)."""
        token = self._require_token()
        try:
            self.run(RevokeFlow(self._config, access_token=token.access_token, **self._kw()))
        finally:
            self._set_token(None)

    def get_user_info(self, fields: Iterable[str] = tiktok.DEFAULT_USER_FIELDS) -> dict[str, Any]:
        """The person's profile (Display API). An expired token is refreshed first; an
        ``access_token_invalid`` answer gets one refresh and one retry."""
        fields = tuple(fields)
        token = self._fresh_token()
        try:
            return dict(self.run(self._user_info_flow(token, fields)))
        except AccessTokenInvalid:
            if token.refresh_token is None:
                raise
        token = self._refresh_if_unchanged(token)
        return dict(self.run(self._user_info_flow(token, fields)))

    def _fresh_token(self) -> Token:
        token = self._require_token()
        if token.is_expired(self.clock()) and token.refresh_token is not None:
            return self._refresh_if_unchanged(token)
        return token

    def _refresh_if_unchanged(self, token: Token) -> Token:
        with self._refresh_lock:
            current = self._require_token()
            if current is not token:
                return current
            new: Token = self.run(self._refresh_flow(token))
            self._set_token(new)
            return new


class AsyncLoginKit(_KitCore):
    """The same API on asyncio: every network method is a coroutine.

    Example:
        >>> import asyncio
        >>> async def main():
        ...     async with AsyncLoginKit("aw_key", "s") as kit:
        ...         return kit.current_access_token
        >>> asyncio.run(main()) is None
        True
    """

    def __init__(
        self,
        client_key: str,
        client_secret: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(client_key, client_secret, **kwargs)
        self._client = http_client or httpx.AsyncClient(transport=transport, follow_redirects=False)
        self._owns_client = http_client is None
        self._refresh_lock: asyncio.Lock | None = None

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> AsyncLoginKit:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def driver(self, **kwargs: Any) -> AsyncDriver:
        kwargs.setdefault("open_browser", self.open_browser)
        return AsyncDriver(self._client, **kwargs)

    async def run(self, flow: Flow, *, until: Callable[[Flow], bool] | None = None, **driver_kwargs: Any) -> Any:
        """Run any flow with this kit's connection pool; returns its result or raises."""
        return await self.driver(**driver_kwargs).run(flow, until=until)

    def _lock_for_loop(self) -> asyncio.Lock:
        if self._refresh_lock is None:
            self._refresh_lock = asyncio.Lock()
        return self._refresh_lock

    async def oauth_server(self, timeout: float = 300.0, **driver_kwargs: Any) -> Token:
        token: Token = await self.run(self.browser_flow(timeout=timeout), **driver_kwargs)
        self._set_token(token)
        return token

    async def oath_server(self, timeout: float = 300.0, **driver_kwargs: Any) -> Token:
        warnings.warn("oath_server() is deprecated; use oauth_server()", DeprecationWarning, stacklevel=2)
        return await self.oauth_server(timeout, **driver_kwargs)

    async def generate_qr_code(self) -> tuple[str, str, str]:
        flow = self.qr_flow()
        await self.run(flow, until=lambda f: isinstance(f.effect, ShowQrCode))
        if flow.error is not None:
            raise flow.error
        assert flow.qr_url is not None and flow.qr_token is not None
        return flow.qr_url, flow.qr_token, flow.client_ticket

    async def oauth_qrcode(
        self, qr_token: str, client_ticket: str, timeout: float = 300.0, **driver_kwargs: Any
    ) -> Token:
        token: Token = await self.run(
            self.qr_flow(qr_token=qr_token, client_ticket=client_ticket, timeout=timeout), **driver_kwargs
        )
        self._set_token(token)
        return token

    async def complete_browser_login(self, snapshot: dict[str, Any], query: str) -> Token:
        token: Token = await self.run(self._resume_callback(snapshot, query))
        self._set_token(token)
        return token

    async def refresh_access_token(self) -> Token:
        seen = self._generation
        async with self._lock_for_loop():
            if self._generation != seen and self._token is not None:
                return self._token
            token = self._require_token()
            new: Token = await self.run(self._refresh_flow(token))
            self._set_token(new)
            return new

    async def revoke_access_token(self) -> None:
        token = self._require_token()
        try:
            await self.run(RevokeFlow(self._config, access_token=token.access_token, **self._kw()))
        finally:
            self._set_token(None)

    async def get_user_info(self, fields: Iterable[str] = tiktok.DEFAULT_USER_FIELDS) -> dict[str, Any]:
        fields = tuple(fields)
        token = await self._fresh_token()
        try:
            return dict(await self.run(self._user_info_flow(token, fields)))
        except AccessTokenInvalid:
            if token.refresh_token is None:
                raise
        token = await self._refresh_if_unchanged(token)
        return dict(await self.run(self._user_info_flow(token, fields)))

    async def _fresh_token(self) -> Token:
        token = self._require_token()
        if token.is_expired(self.clock()) and token.refresh_token is not None:
            return await self._refresh_if_unchanged(token)
        return token

    async def _refresh_if_unchanged(self, token: Token) -> Token:
        async with self._lock_for_loop():
            current = self._require_token()
            if current is not token:
                return current
            new: Token = await self.run(self._refresh_flow(token))
            self._set_token(new)
            return new
