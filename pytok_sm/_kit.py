"""``LoginKit`` and ``AsyncLoginKit``: the original PyTok API, thin adapters over the policy.

Everything a kit decides lives in :class:`~pytok_sm._policy.TokenPolicy` (sans-I/O); a kit
only carries out its two requests, "run this flow" (with a driver) and "hold the account's
refresh lock" (a ``threading.Lock``, or an ``asyncio.Lock``). Both kits take the same
keywords and offer the same methods with the same options.

A kit costs a few hundred bytes: every kit of a process shares one configuration object per
distinct set of settings and one HTTP connection pool (per event loop for async), made on
the first request, unless it is given ``http_client=`` or ``transport=``.

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
from typing import Any, TypeVar, Unpack

import httpx

from ._config import Config
from ._errors import TikTokError
from ._kit_base import ConfigOptions, _Kit, describe_keywords, kit_signature
from ._kit_posting import AsyncPosting, SyncPosting
from ._kit_videos import AsyncVideos, SyncVideos
from ._locks import account_lock, async_account_lock, call_store, call_store_sync
from ._policy import Exclusive, OnToken, Run, Step, StoreOp, Wait, WaitPost
from ._secrets import hush
from ._tiktok import DEFAULT_USER_FIELDS
from ._token import Token
from ._web import Query, SingleUse
from .drivers import AsyncDriver, SyncDriver
from .drivers._common import OnTick, ShowQr, TextSink
from .flows._base import Flow
from .flows._qr import QrFlow

__all__ = ["AsyncLoginKit", "LoginKit"]

T = TypeVar("T")
Opener = bool | Callable[[str], Any]


class LoginKit(SyncPosting, SyncVideos, _Kit):
    """TikTok Login Kit for one app and one person's token, the original PyTok API (sync).

    Safe to share between threads: concurrent refreshes of the same token make one request.
    """

    __slots__ = ("_lock",)

    @hush
    def __init__(
        self,
        client_key: str | None = None,
        client_secret: str | None = None,
        *,
        config: Config | None = None,
        token: Token | Mapping[str, Any] | None = None,
        on_token: OnToken | None = None,
        store: Any = None,
        open_id: str | None = None,
        snapshot_key: bytes | str | None = None,
        single_use: SingleUse | None = None,
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        **options: Unpack[ConfigOptions],
    ) -> None:
        super().__init__(client_key, client_secret, config, token, on_token, store, open_id, snapshot_key,
                         single_use, options)
        self._client = self._own_client(httpx.Client, http_client, httpx.BaseTransport, transport)
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the kit's own client, if it made one (a shared pool stays open)."""
        if self._owns_client and self._client is not None:
            self._client.close()

    def __enter__(self) -> LoginKit:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ the adapter
    def _drive(self, step: Step[T], driver: SyncDriver | None = None) -> T:
        """Carry out the policy's requests until it returns its value."""
        driver = driver or SyncDriver(self._client)
        value: Any = None
        error: TikTokError | None = None
        while True:
            try:
                op = step.throw(error) if error is not None else step.send(value)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
            value, error = None, None
            try:
                if isinstance(op, Run):
                    value = driver.run(op.flow, until=op.until)
                elif isinstance(op, StoreOp):
                    value = call_store_sync(self._policy.store, op.method, op.args)
                elif isinstance(op, WaitPost):
                    value = op.board.wait(op.client_key, op.publish_id, op.seconds)
                elif isinstance(op, Wait):
                    time.sleep(op.seconds)
                else:
                    assert isinstance(op, Exclusive)
                    with self._lock if op.key is None else account_lock(op.key):
                        value = self._drive(op.step, driver)
            except TikTokError as exc:
                error = exc

    def _driver(self, show_qr: ShowQr | None, on_tick: OnTick | None, stderr: TextSink | None) -> SyncDriver:
        return SyncDriver(self._client, show_qr=show_qr, on_tick=on_tick, stderr=stderr)

    def run(self, flow: Flow, *, until: Callable[[Flow], bool] | None = None, show_qr: ShowQr | None = None,
            on_tick: OnTick | None = None, stderr: TextSink | None = None) -> Any:
        """Run any flow with this kit's connection pool; returns its result or raises.

        ``show_qr(url)`` shows a QR code, ``on_tick(flow)`` is called while waiting, and
        ``stderr`` receives the authorize URL when no browser opens.
        """
        return self._driver(show_qr, on_tick, stderr).run(flow, until=until)

    # ------------------------------------------------------------------ logins
    def oauth_server(self, timeout: float = 300.0, *, open_browser: Opener | None = None,
                     on_tick: OnTick | None = None, stderr: TextSink | None = None) -> Token:
        """Log in through the browser and the loopback server; keeps and returns the token.

        ``open_browser`` overrides the configured one for this login; ``on_tick(flow)`` is
        called while waiting; ``stderr`` receives the URL when no browser opens. Raises
        :class:`~pytok_sm.AuthorizationDenied`, ``FlowTimeout``, ``CallbackPortBusy`` (before
        any browser opens), or another ``TikTokError``.
        """
        flow = self._policy.browser_flow(timeout, open_browser)
        return self._drive(self._policy.login(flow), self._driver(None, on_tick, stderr))

    def oath_server(self, timeout: float = 300.0, *, open_browser: Opener | None = None,
                    on_tick: OnTick | None = None, stderr: TextSink | None = None) -> Token:
        """Deprecated spelling of :meth:`oauth_server` from the original PyTok."""
        warnings.warn("oath_server() is deprecated; use oauth_server()", DeprecationWarning, stacklevel=2)
        return self.oauth_server(timeout, open_browser=open_browser, on_tick=on_tick, stderr=stderr)

    def generate_qr_code(self) -> tuple[str, str, str]:
        """Ask TikTok for a QR login: ``(qr_url, qr_token, client_ticket)``.

        Show ``qr_url`` as a QR code (:func:`pytok_sm.qr.render_terminal`), then call
        :meth:`oauth_qrcode` with the other two.
        """
        return self._drive(self._policy.qr_code())

    def oauth_qrcode(self, qr_token: str, client_ticket: str, timeout: float = 300.0, *,
                     on_tick: OnTick | None = None) -> Token:
        """Poll the QR login until confirmed, then exchange the code; keeps and returns the token."""
        flow = QrFlow(self.config, qr_token=qr_token, client_ticket=client_ticket, timeout=timeout)
        return self._drive(self._policy.login(flow), self._driver(None, on_tick, None))

    @hush
    def complete_browser_login(self, snapshot: dict[str, Any], query: Query) -> Token:
        """For web apps: finish :meth:`begin_browser_login` from the callback's query string."""
        return self._drive(self._policy.complete_browser_login(snapshot, query))

    # ------------------------------------------------------------------ tokens
    def refresh_access_token(self) -> Token:
        """Refresh now. Concurrent callers share one request; rotation is kept.

        ``ReauthorizationRequired`` means the person must log in again; on any failure the
        kit keeps the token it had.
        """
        return self._drive(self._policy.refresh())

    def revoke_access_token(self) -> None:
        """Revoke the token at TikTok and forget it locally (in every case)."""
        self._drive(self._policy.revoke())

    def get_user_info(self, fields: Iterable[str] = DEFAULT_USER_FIELDS) -> dict[str, Any]:
        """The person's profile (Display API). An expired token is refreshed first; an
        ``access_token_invalid`` answer gets one refresh and one retry."""
        return self._drive(self._policy.user_info(fields))


class AsyncLoginKit(AsyncPosting, AsyncVideos, _Kit):
    """The same API on asyncio: every network method is a coroutine, with the same options.

    Example:
        >>> import asyncio
        >>> async def main():
        ...     async with AsyncLoginKit("aw_key", "s") as kit:
        ...         return kit.current_access_token
        >>> asyncio.run(main()) is None
        True
    """

    __slots__ = ("_lock",)

    @hush
    def __init__(
        self,
        client_key: str | None = None,
        client_secret: str | None = None,
        *,
        config: Config | None = None,
        token: Token | Mapping[str, Any] | None = None,
        on_token: OnToken | None = None,
        store: Any = None,
        open_id: str | None = None,
        snapshot_key: bytes | str | None = None,
        single_use: SingleUse | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        **options: Unpack[ConfigOptions],
    ) -> None:
        super().__init__(client_key, client_secret, config, token, on_token, store, open_id, snapshot_key,
                         single_use, options)
        self._client = self._own_client(httpx.AsyncClient, http_client, httpx.AsyncBaseTransport, transport)
        self._lock: asyncio.Lock | None = None

    async def aclose(self) -> None:
        """Close the kit's own client, if it made one (a shared pool stays open)."""
        if self._owns_client and self._client is not None:
            await self._client.aclose()

    async def __aenter__(self) -> AsyncLoginKit:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ the adapter
    async def _drive(self, step: Step[T], driver: AsyncDriver | None = None) -> T:
        """Carry out the policy's requests until it returns its value."""
        driver = driver or AsyncDriver(self._client)
        value: Any = None
        error: TikTokError | None = None
        while True:
            try:
                op = step.throw(error) if error is not None else step.send(value)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
            value, error = None, None
            try:
                if isinstance(op, Run):
                    value = await driver.run(op.flow, until=op.until)
                elif isinstance(op, StoreOp):
                    value = await call_store(self._policy.store, op.method, op.args)
                elif isinstance(op, WaitPost):
                    value = await op.board.wait_async(op.client_key, op.publish_id, op.seconds)
                elif isinstance(op, Wait):
                    await asyncio.sleep(op.seconds)
                else:
                    assert isinstance(op, Exclusive)
                    lock: Any = async_account_lock(op.key) if op.key is not None else None
                    if lock is None:
                        lock = self._lock = self._lock or asyncio.Lock()
                    async with lock:
                        value = await self._drive(op.step, driver)
            except TikTokError as exc:
                error = exc

    def _driver(self, show_qr: ShowQr | None, on_tick: OnTick | None, stderr: TextSink | None) -> AsyncDriver:
        return AsyncDriver(self._client, show_qr=show_qr, on_tick=on_tick, stderr=stderr)

    async def run(self, flow: Flow, *, until: Callable[[Flow], bool] | None = None, show_qr: ShowQr | None = None,
                  on_tick: OnTick | None = None, stderr: TextSink | None = None) -> Any:
        """Run any flow with this kit's connection pool; returns its result or raises."""
        return await self._driver(show_qr, on_tick, stderr).run(flow, until=until)

    async def oauth_server(self, timeout: float = 300.0, *, open_browser: Opener | None = None,
                           on_tick: OnTick | None = None, stderr: TextSink | None = None) -> Token:
        """Log in through the browser and the loopback server; keeps and returns the token."""
        flow = self._policy.browser_flow(timeout, open_browser)
        return await self._drive(self._policy.login(flow), self._driver(None, on_tick, stderr))

    async def oath_server(self, timeout: float = 300.0, *, open_browser: Opener | None = None,
                          on_tick: OnTick | None = None, stderr: TextSink | None = None) -> Token:
        """Deprecated spelling of :meth:`oauth_server` from the original PyTok."""
        warnings.warn("oath_server() is deprecated; use oauth_server()", DeprecationWarning, stacklevel=2)
        return await self.oauth_server(timeout, open_browser=open_browser, on_tick=on_tick, stderr=stderr)

    async def generate_qr_code(self) -> tuple[str, str, str]:
        """Ask TikTok for a QR login: ``(qr_url, qr_token, client_ticket)``."""
        return await self._drive(self._policy.qr_code())

    async def oauth_qrcode(self, qr_token: str, client_ticket: str, timeout: float = 300.0, *,
                           on_tick: OnTick | None = None) -> Token:
        """Poll the QR login until confirmed, then exchange the code; keeps and returns the token."""
        flow = QrFlow(self.config, qr_token=qr_token, client_ticket=client_ticket, timeout=timeout)
        return await self._drive(self._policy.login(flow), self._driver(None, on_tick, None))

    @hush
    async def complete_browser_login(self, snapshot: dict[str, Any], query: Query) -> Token:
        """For web apps: finish ``begin_browser_login`` from the callback's query string."""
        return await self._drive(self._policy.complete_browser_login(snapshot, query))

    async def refresh_access_token(self) -> Token:
        """Refresh now. Concurrent callers share one request; rotation is kept."""
        return await self._drive(self._policy.refresh())

    async def revoke_access_token(self) -> None:
        """Revoke the token at TikTok and forget it locally (in every case)."""
        await self._drive(self._policy.revoke())

    async def get_user_info(self, fields: Iterable[str] = DEFAULT_USER_FIELDS) -> dict[str, Any]:
        """The person's profile; an expired token is refreshed first, ``access_token_invalid``
        gets one refresh and one retry."""
        return await self._drive(self._policy.user_info(fields))


for _kit in (LoginKit, AsyncLoginKit):
    _kit.__doc__ = (_kit.__doc__ or "") + describe_keywords()
    setattr(_kit.__init__, "__signature__", kit_signature())  # noqa: B010 - help() reads it
del _kit
