"""``TikTokApp`` and ``AsyncTikTokApp``: one TikTok app, many accounts, one token store.

The shape of MSAL's application object: the store is the source of truth, kits are made per
account on demand (reading and sending nothing, a few microseconds each), and a keeper
(:meth:`TikTokApp.refresh_due`, or ``pytok refresh-due`` from cron) refreshes what is about
to expire, once per account however many processes run it at the same time.

Example:
    >>> from pytok_sm.stores import MemoryStore
    >>> from pytok_sm import Token
    >>> app = TikTokApp("aw_key", "aw_secret", store=MemoryStore())
    >>> _ = app.store.put("aw_key", Token("act.a", 9e9, open_id="u1", refresh_token="rft.a"))
    >>> app.accounts()
    ['u1']
    >>> app.kit("u1").current_access_token is None  # nothing read yet
    True
    >>> app.access_token("u1")
    'act.a'
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Unpack

import httpx

from ._config import Config
from ._errors import ConfigurationError, ReauthorizationRequired, TikTokError
from ._kit import AsyncLoginKit, LoginKit
from ._kit_base import ConfigOptions, _make_config
from ._policy import OnToken
from ._token import Token
from .flows._store_refresh import due as _due

__all__ = ["AsyncTikTokApp", "RefreshReport", "TikTokApp"]


@dataclass
class RefreshReport:
    """What :meth:`TikTokApp.refresh_due` did, by open_id.

    ``refreshed``: this call rotated the token; ``unchanged``: not due, or another worker
    rotated it meanwhile (adopted, nothing sent); ``reauth_required``: the person must log in
    again (the record is kept, marked); ``failed``: open_id -> what went wrong (try again).
    """

    refreshed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    reauth_required: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return (f"{len(self.refreshed)} refreshed, {len(self.unchanged)} unchanged, "
                f"{len(self.reauth_required)} need a new login, {len(self.failed)} failed")


def _check(store: Any, within: object, concurrency: object) -> tuple[float, int]:
    if store is None:
        raise ConfigurationError("store", "is required: a token store from pytok_sm.stores")
    if isinstance(within, bool) or not isinstance(within, (int, float)) or not 0 <= within <= 400 * 86400:
        raise ConfigurationError("within", f"must be a number of seconds 0..{400 * 86400}, got {within!r}")
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or not 1 <= concurrency <= 256:
        raise ConfigurationError("concurrency", f"must be a whole number 1..256, got {concurrency!r}")
    return float(within), concurrency


class _App:
    def __init__(self, client_key: str | None, client_secret: str | None, *, store: Any, config: Config | None,
                 on_token: OnToken | None, options: dict[str, Any]) -> None:
        if store is None:
            raise ConfigurationError("store", "is required: a token store from pytok_sm.stores")
        self.config = _make_config(client_key, client_secret, config, options)
        self.store = store
        self.on_token = on_token

    @property
    def client_key(self) -> str:
        return self.config.client_key

    def _noting(self, rotated: list[Token | None]) -> OnToken:
        """An ``on_token`` that notes a rotation for the report and hands it on to the app's own
        (so a rotated token the store could not take still reaches the app)."""
        def note(token: Token | None) -> None:
            rotated.append(token)
            if self.on_token is not None:
                self.on_token(token)

        return note


class TikTokApp(_App):
    """One TikTok app over a token store, for any number of accounts, threads and processes."""

    def __init__(self, client_key: str | None = None, client_secret: str | None = None, *, store: Any = None,
                 config: Config | None = None, on_token: OnToken | None = None,
                 http_client: httpx.Client | None = None, transport: httpx.BaseTransport | None = None,
                 **options: Unpack[ConfigOptions]) -> None:
        super().__init__(client_key, client_secret, store=store, config=config, on_token=on_token,
                         options=dict(options))
        if http_client is None and transport is not None:
            http_client = httpx.Client(transport=transport)
        self._client = http_client

    def accounts(self) -> list[str]:
        """The open_ids in the store for this app (every state), sorted."""
        return list(self.store.open_ids(self.client_key))

    def kit(self, open_id: str | None = None, *, on_token: OnToken | None = None) -> LoginKit:
        """A kit bound to ``open_id`` (None: a kit to log a new account in), sharing the app's
        configuration and pool; it reads the store on first use."""
        return LoginKit(config=self.config, store=self.store, open_id=open_id, http_client=self._client,
                        on_token=on_token or self.on_token)

    def access_token(self, open_id: str) -> str:
        """A fresh access token of ``open_id`` (refreshed first when it has expired)."""
        kit = self.kit(open_id)
        return kit._drive(kit._policy.fresh_token()).access_token

    def refresh_due(self, *, within: float = 3600.0, concurrency: int = 8) -> RefreshReport:
        """Refresh every active account whose token expires within ``within`` seconds."""
        within, concurrency = _check(self.store, within, concurrency)
        report = RefreshReport()
        due = _sort_out(self.store.accounts(self.client_key), within, report)

        def one(open_id: str) -> tuple[str, str, str]:
            rotated: list[Token | None] = []
            try:
                kit = self.kit(open_id, on_token=self._noting(rotated))
                kit._drive(kit._policy.refresh_if_due(within))
            except ReauthorizationRequired:
                return open_id, "reauth_required", ""
            except TikTokError as error:
                return open_id, "failed", error.message
            return open_id, "refreshed" if rotated else "unchanged", ""

        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            for open_id, outcome, why in pool.map(one, due):
                _file(report, open_id, outcome, why)
        return report


class AsyncTikTokApp(_App):
    """:class:`TikTokApp` on asyncio (an :class:`~pytok_sm.stores.AsyncRedisStore`, or any store)."""

    def __init__(self, client_key: str | None = None, client_secret: str | None = None, *, store: Any = None,
                 config: Config | None = None, on_token: OnToken | None = None,
                 http_client: httpx.AsyncClient | None = None, transport: httpx.AsyncBaseTransport | None = None,
                 **options: Unpack[ConfigOptions]) -> None:
        super().__init__(client_key, client_secret, store=store, config=config, on_token=on_token,
                         options=dict(options))
        if http_client is None and transport is not None:
            http_client = httpx.AsyncClient(transport=transport)
        self._client = http_client

    async def accounts(self) -> list[str]:
        """The open_ids in the store for this app (every state), sorted."""
        from ._locks import call_store

        return list(await call_store(self.store, "open_ids", (self.client_key,)))

    def kit(self, open_id: str | None = None, *, on_token: OnToken | None = None) -> AsyncLoginKit:
        """An async kit bound to ``open_id``, sharing the app's configuration and pool."""
        return AsyncLoginKit(config=self.config, store=self.store, open_id=open_id, http_client=self._client,
                             on_token=on_token or self.on_token)

    async def access_token(self, open_id: str) -> str:
        """A fresh access token of ``open_id`` (refreshed first when it has expired)."""
        kit = self.kit(open_id)
        token: Token = await kit._drive(kit._policy.fresh_token())
        return token.access_token

    async def refresh_due(self, *, within: float = 3600.0, concurrency: int = 8) -> RefreshReport:
        """Refresh every active account whose token expires within ``within`` seconds."""
        from ._locks import call_store

        within, concurrency = _check(self.store, within, concurrency)
        report = RefreshReport()
        due = _sort_out(await call_store(self.store, "accounts", (self.client_key,)), within, report)
        gate = asyncio.Semaphore(concurrency)

        async def one(open_id: str) -> tuple[str, str, str]:
            rotated: list[Token | None] = []
            async with gate:
                try:
                    kit = self.kit(open_id, on_token=self._noting(rotated))
                    await kit._drive(kit._policy.refresh_if_due(within))
                except ReauthorizationRequired:
                    return open_id, "reauth_required", ""
                except TikTokError as error:
                    return open_id, "failed", error.message
            return open_id, "refreshed" if rotated else "unchanged", ""

        for open_id, outcome, why in await asyncio.gather(*(one(open_id) for open_id in due)):
            _file(report, open_id, outcome, why)
        return report


def _sort_out(accounts: Any, within: float, report: RefreshReport) -> list[str]:
    """The open_ids due for a refresh; the others go straight into the report."""
    now, due = time.time(), []
    for account in accounts:
        if account.state == "reauth_required":
            report.reauth_required.append(account.open_id)
        elif account.state == "active" and _due(account.token, now, within):
            due.append(account.open_id)
        elif account.state == "active":
            report.unchanged.append(account.open_id)
    return due


def _file(report: RefreshReport, open_id: str, outcome: str, why: str) -> None:
    if outcome == "failed":
        report.failed[open_id] = why
    else:
        getattr(report, outcome).append(open_id)
