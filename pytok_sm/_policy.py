"""The account policy, written once and sans-I/O: what a kit does around the flows.

* a login keeps the token it got;
* a call that needs an access token first refreshes an expired one;
* concurrent refreshes of one token make one request (single flight): whoever waited
  finds the token already replaced and takes the new one;
* ``access_token_invalid`` gets one refresh and one retry, never more;
* a new token (rotation included) is handed to ``on_token`` before its access token is
  returned to anyone, so a saved refresh token is never one TikTok already killed.

Each operation is a generator, the shape of httpx's ``Auth.auth_flow``: it yields what it
needs done, :class:`Run` (run this flow to its end, send back its result or throw its
error in) or :class:`Exclusive` (drive this inner step while holding the account's
refresh lock), and returns its value. :class:`pytok_sm.LoginKit` and
:class:`pytok_sm.AsyncLoginKit` are thin adapters that do those two things with threads
or with asyncio.

Example (driven by hand, as a kit does):
    >>> from pytok_sm import Config, Token
    >>> from pytok_sm.flows import Response
    >>> policy = TokenPolicy(Config("aw_key", "s"), token=Token("act.old", 0.0, refresh_token="rft.old"))
    >>> step = policy.refresh()
    >>> op = next(step)                          # the refresh needs the account's lock
    >>> inner = op.step
    >>> run = next(inner)                        # ... and a refresh flow run
    >>> _ = run.flow.start()
    >>> token = run.flow.send(Response(200, {}, b'{"access_token": "act.new", "expires_in": 60}')).result
    >>> try:
    ...     inner.send(token)
    ... except StopIteration as done:
    ...     print(done.value.access_token, policy.token.access_token)
    act.new act.new
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Generator, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from ._callback import Verdict, parse_callback_query
from ._config import Config
from ._errors import (
    AccessTokenInvalid,
    AccountMismatch,
    CallbackRejected,
    CallbackReplayed,
    ConfigurationError,
    NotLoggedIn,
    ReauthorizationRequired,
    TikTokError,
)
from ._tiktok import DEFAULT_USER_FIELDS
from ._token import Token
from ._web import SINGLE_USE, Query, SingleUse, query_text
from .flows import _snapshot as snapshots
from .flows._base import Flow
from .flows._browser import BrowserFlow
from .flows._effects import Failed, Finished, RunFlow, ShowQrCode, Sleep, Slept, StoreStep
from .flows._qr import QrFlow
from .flows._refresh import RefreshFlow
from .flows._revoke import RevokeFlow
from .flows._store_refresh import StoreRefreshFlow, due
from .flows._user_info import UserInfoFlow

__all__ = ["Exclusive", "OnToken", "Run", "Step", "StoreOp", "TokenPolicy", "Wait", "WaitPost"]

T = TypeVar("T")
OnToken = Callable[[Token | None], object]


@dataclass(frozen=True, slots=True)
class Run:
    """Run ``flow`` (until ``until(flow)`` holds, if given); send back its result."""

    flow: Flow
    until: Callable[[Flow], bool] | None = None


@dataclass(frozen=True, slots=True)
class Exclusive:
    """Drive ``step`` to its end while holding the refresh lock of account ``key`` in this
    process (None: this policy's own); send back its value."""

    step: Generator[Any, Any, Any]
    key: object = None


@dataclass(frozen=True, slots=True)
class StoreOp:
    """Call ``method(*args)`` on the token store; send back its result (or throw its error in)."""

    method: str
    args: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Wait:
    """Wait ``seconds``, then send back None."""

    seconds: float


@dataclass(frozen=True, slots=True)
class WaitPost(Wait):
    """Wait up to ``seconds`` for the status of post ``publish_id`` on ``board`` (a webhook's,
    :mod:`pytok_sm._post_policy`); send back that :class:`~pytok_sm.PublishStatus` as soon as
    it is recorded, or None when the time is up. A kit blocks (sync) or awaits (async); an
    adapter that knows only :class:`Wait` just sleeps ``seconds`` (None), and the post is
    polled then."""

    board: Any
    client_key: str
    publish_id: str


Step = Generator[Run | Exclusive | StoreOp | Wait, Any, T]


def _showing_qr_code(flow: Flow) -> bool:
    return isinstance(flow.effect, ShowQrCode)


class TokenPolicy:
    """One account's token and the rules around it (no I/O, no locks: see the module doc)."""

    __slots__ = ("config", "token", "on_token", "snapshot_key", "single_use", "open_id", "store")

    def __init__(self, config: Config, *, token: Token | None = None, on_token: OnToken | None = None,
                 snapshot_key: bytes | str | None = None, single_use: SingleUse | None = None,
                 open_id: str | None = None, store: Any = None) -> None:
        if on_token is not None and not callable(on_token):
            raise ConfigurationError("on_token", f"must be a callable taking the new Token (or None), got {on_token!r}")
        if single_use is not None and not callable(single_use):
            raise ConfigurationError("single_use", "must be a callable(snapshot_id, seconds) -> bool")
        if snapshot_key is not None:
            snapshots.seal_key(config, snapshot_key)  # checks it now, not at the first login
        self.config = config
        self.token = token
        self.on_token = on_token
        self.snapshot_key = snapshot_key
        self.single_use = single_use
        if open_id is not None and (not isinstance(open_id, str) or not open_id):
            raise ConfigurationError("open_id", "must be the TikTok account's open_id (a non-empty string)")
        #: The account this policy is bound to, when the app said so (``open_id=``).
        self.open_id = open_id
        #: The token store, the source of truth when there is one (``store=``).
        self.store = store
        if store is not None and not all(hasattr(store, m) for m in ("get", "put", "compare_and_set", "acquire_lease")):
            raise ConfigurationError("store", "must be a token store from pytok_sm.stores (or follow TokenStore)")

    # ------------------------------------------------------------------ the held token
    def load(self, data: Token | Mapping[str, Any], *, notify: bool) -> Token:
        """Hold a saved token: a Token, ``Token.to_dict()`` or the token endpoint's JSON."""
        if isinstance(data, Token):
            token = data
        elif isinstance(data, Mapping):
            token = Token.from_dict(data, now=self.config.clock())
        else:
            raise ConfigurationError("token", f"must be a pytok_sm.Token or a mapping, got {type(data).__name__}")
        self.keep(token, notify=notify)
        return token

    def keep(self, token: Token | None, *, notify: bool = True) -> None:
        """Hold ``token`` and hand it to ``on_token`` (before anyone can use it)."""
        if token is not None and self.open_id and token.open_id not in (None, "", self.open_id):
            raise AccountMismatch("the token")
        self.token = token
        if notify and self.on_token is not None:
            self.on_token(token)

    def account(self) -> str | None:
        """The account answers must be about: the one bound, else the held token's (if it names one)."""
        return self.open_id or (self.token.open_id if self.token is not None else None)

    def require(self) -> Token:
        if self.token is None:
            raise NotLoggedIn()
        return self.token

    # ------------------------------------------------------------------ logins
    def browser_flow(self, timeout: float, open_browser: bool | Callable[[str], Any] | None = None) -> BrowserFlow:
        """A browser login flow; ``open_browser`` overrides the configured opener."""
        config = self.config if open_browser is None else self.config.replace(open_browser=open_browser)
        return BrowserFlow(config, timeout=timeout)

    def login(self, flow: Flow, until: Callable[[Flow], bool] | None = None) -> Step[Token]:
        """Run a login flow and keep its token (and write the account into the store)."""
        token: Token = yield Run(flow, until)
        self.keep(token)
        if self.store is not None:
            yield StoreOp("put", (self.config.client_key, token))
        return token

    def qr_code(self) -> Step[tuple[str, str, str]]:
        """Ask for a QR code: ``(qr_url, qr_token, client_ticket)``."""
        flow = QrFlow(self.config)
        yield Run(flow, _showing_qr_code)
        if flow.error is not None:
            raise flow.error
        assert flow.qr_url is not None and flow.qr_token is not None
        return flow.qr_url, flow.qr_token, flow.client_ticket

    def begin_browser_login(self, timeout: float) -> tuple[str, dict[str, Any]]:
        """A web app's first half: the authorize URL and the snapshot to keep (no I/O)."""
        flow = BrowserFlow(self.config, timeout=timeout)
        flow.start_web()
        return flow.authorization_url, flow.snapshot(key=self.snapshot_key)

    def complete_browser_login(self, snapshot: dict[str, Any], query: Query) -> Step[Token]:
        """A web app's second half: check the snapshot, judge the callback, claim the snapshot
        (a code is exchanged once: a second caller gets CallbackReplayed), exchange, keep."""
        flow = BrowserFlow.resume(snapshot, self.config, key=self.snapshot_key)
        callback = parse_callback_query(query_text(query))
        verdict, reason = flow.judge(callback)
        if verdict is Verdict.REJECT:
            flow.send(callback)
            raise CallbackRejected(reason, flow=flow.KIND, state=flow.state)
        assert flow.deadline is not None  # a resumed web flow always has one
        seconds = max(flow.deadline - flow.clock(), 0.0) + 60.0
        if not (self.single_use or SINGLE_USE)(str(snapshot["seal"]), seconds):
            raise CallbackReplayed(flow=flow.KIND, state=flow.state)
        flow.send(callback)
        return (yield from self.login(flow))

    # ------------------------------------------------------------------ tokens
    def refresh(self) -> Step[Token]:
        """Refresh now; callers that waited for a concurrent refresh take its token."""
        # With a store, a rotation another worker wrote while this call waited satisfies it.
        since = self.config.clock()
        seen = (yield from self._held())
        token: Token = yield Exclusive(self._refresh_unless_replaced(seen, since), self._lock_key())
        return token

    def refresh_if_due(self, within: float) -> Step[Token]:
        """Refresh when the token expires within ``within`` seconds (checked again under the
        store's lease: a keeper running beside others refreshes each account once)."""
        token = (yield from self._held())
        if token.refresh_token is None or not due(token, self.config.clock(), within):
            return token
        refreshed: Token = yield Exclusive(self._refresh_unless_replaced(token, due_within=within), self._lock_key())
        return refreshed

    def fresh_token(self) -> Step[Token]:
        """The held token (the store's, when there is one), refreshed first when it has expired."""
        token = (yield from self._held())
        if token.is_expired(self.config.clock()) and token.refresh_token is not None:
            token = yield Exclusive(self._refresh_unless_replaced(token), self._lock_key())
        return token

    def _refresh_unless_replaced(self, seen: Token, since: float | None = None,
                                 due_within: float | None = None) -> Step[Token]:
        # With a store, the held token is enough here: another thread of this process that
        # refreshed while this one waited for the lock has kept its token; other processes'
        # rotations are seen by the protocol's own read under the lease (one store read less).
        current = self.require() if self.store is not None else (yield from self._held())
        if current is not seen:
            return current  # another caller refreshed while this one waited for the lock
        if current.refresh_token is None:
            raise NotLoggedIn("refresh token")
        if self.store is not None:
            return (yield from self._refresh_in_store(current, since, due_within))
        new: Token = yield Run(RefreshFlow(self.config, previous=current, open_id=self.account()))
        self.keep(new)  # the rotated refresh token is saved before anyone uses the new access token
        return new

    def revoke(self) -> Step[None]:
        """Revoke at TikTok; the token is forgotten in every case (and marked removed in the store)."""
        token = (yield from self._held())
        try:
            yield Run(RevokeFlow(self.config, access_token=token.access_token))
        finally:
            self.keep(None)
            if self.store is not None and token.open_id:
                yield StoreOp("mark", (self.config.client_key, token.open_id, "removed", "revoked"))

    # ------------------------------------------------------------------ the store, the source of truth
    def _lock_key(self) -> object:
        if self.store is None:
            return None
        return (id(self.store), self.config.client_key, self.account())

    def _held(self) -> Step[Token]:
        """The token to use: the store's account when there is a store (another process may have
        rotated it), else the one held."""
        if self.store is None:
            return self.require()
        open_id = self.account()
        if not open_id:
            raise NotLoggedIn("account (give open_id= to a store-backed kit)")
        account = yield StoreOp("get", (self.config.client_key, open_id))
        if account is None:
            raise NotLoggedIn(f"stored account {open_id}")
        if account.state == "removed":
            raise NotLoggedIn(f"active account {open_id} (removed: {account.reason or 'no reason given'})")
        if account.state == "reauth_required":
            raise ReauthorizationRequired(description=account.reason or "")
        held = self.token
        if held is None or (held.access_token, held.refresh_token) != (account.token.access_token,
                                                                       account.token.refresh_token):
            self.keep(account.token, notify=False)  # another holder's token: adopted, not new
        return self.require()

    def _refresh_in_store(self, held: Token, since: float | None, due_within: float | None) -> Step[Token]:
        """Drive the refresh protocol (:class:`~pytok_sm.flows.StoreRefreshFlow`): lease, re-read,
        adopt or refresh, compare-and-set, release."""
        holder = f"{os.getpid()}:{secrets.token_hex(8)}"
        flow = StoreRefreshFlow(self.config, held=held, holder=holder, open_id=self.account(), since=since,
                                due_within=due_within)
        effect = flow.start()
        while not isinstance(effect, (Finished, Failed)):
            result: Any = None
            try:
                if isinstance(effect, StoreStep):
                    result = yield StoreOp(effect.method, effect.args)
                elif isinstance(effect, RunFlow):
                    result = yield Run(effect.flow)
                else:
                    assert isinstance(effect, Sleep)
                    yield Wait(effect.seconds)
                    result = Slept()
            except TikTokError as error:
                result = error
            effect = flow.send(result)
        if isinstance(effect, Failed):
            rescued = getattr(effect.error, "token", None)
            if isinstance(rescued, Token):
                self.keep(rescued)  # rotated but not saved: on_token gets it, so it is not lost
            raise effect.error
        token: Token = effect.result
        self.keep(token, notify=not flow.adopted)  # a token another worker rotated is not new to on_token
        return token

    def user_info(self, fields: Iterable[str] = DEFAULT_USER_FIELDS) -> Step[dict[str, Any]]:
        """The person's profile; ``access_token_invalid`` gets one refresh and one retry."""
        names = tuple(fields)
        token = yield from self.fresh_token()
        try:
            return dict((yield Run(self._user_info(token, names))))
        except AccessTokenInvalid:
            if token.refresh_token is None:
                raise
        token = yield Exclusive(self._refresh_unless_replaced(token))
        return dict((yield Run(self._user_info(token, names))))

    def _user_info(self, token: Token, fields: tuple[str, ...]) -> UserInfoFlow:
        return UserInfoFlow(self.config, access_token=token.access_token, fields=fields, open_id=self.account())
