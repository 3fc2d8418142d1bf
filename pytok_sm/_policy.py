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

import threading
import time
import urllib.parse
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
)
from ._tiktok import DEFAULT_USER_FIELDS
from ._token import Token
from .flows import _snapshot as snapshots
from .flows._base import Flow
from .flows._browser import BrowserFlow
from .flows._effects import ShowQrCode
from .flows._qr import QrFlow
from .flows._refresh import RefreshFlow
from .flows._revoke import RevokeFlow
from .flows._user_info import UserInfoFlow

__all__ = ["SINGLE_USE", "Exclusive", "OnToken", "Query", "Run", "SingleUse", "Step", "TokenPolicy", "UsedSnapshots"]

T = TypeVar("T")
OnToken = Callable[[Token | None], object]
#: ``single_use(snapshot_id, seconds) -> bool``: record that a web login's snapshot is being
#: completed, for ``seconds``; False when it was recorded already (atomically: Redis SET NX EX).
SingleUse = Callable[[str, float], bool]
Query = str | bytes | Mapping[str, Any]


class UsedSnapshots:
    """The default ``single_use``: this process's memory of web logins being completed.

    Bounded: entries live until their snapshot's deadline, and past ``limit`` live entries
    the oldest is forgotten. Several worker processes need a shared ``single_use`` instead.

    Example:
        >>> used = UsedSnapshots()
        >>> used("s1", 60), used("s1", 60), used("s2", 60)
        (True, False, True)
    """

    def __init__(self, limit: int = 100_000) -> None:
        self.limit = limit
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def __call__(self, snapshot_id: str, seconds: float) -> bool:
        now = time.monotonic()
        with self._lock:
            until = self._until.get(snapshot_id)
            if until is not None and until > now:
                return False
            if len(self._until) >= self.limit:
                for key in [k for k, end in self._until.items() if end <= now]:
                    del self._until[key]
                while len(self._until) >= self.limit:
                    del self._until[next(iter(self._until))]
            self._until[snapshot_id] = now + seconds
            return True


#: The process-wide default of every kit.
SINGLE_USE = UsedSnapshots()


def query_text(query: Query) -> str:
    """A callback's query as text, from what web frameworks hand out: ``str``, ``bytes``
    (Flask's ``request.query_string``) or a mapping (``request.args``; list values kept).

    Example:
        >>> query_text(b"code=c&state=s"), query_text({"code": "c", "state": ["s", "t"]})
        ('code=c&state=s', 'code=c&state=s&state=t')
    """
    if isinstance(query, bytes):
        try:
            return query.decode("ascii")
        except UnicodeDecodeError:
            raise CallbackRejected("the query is not URL-encoded ASCII") from None
    if isinstance(query, str):
        return query.lstrip("?")
    if isinstance(query, Mapping):
        pairs = [(str(k), str(item)) for k, v in query.items() for item in (v if isinstance(v, (list, tuple)) else [v])]
        return urllib.parse.urlencode(pairs)
    raise CallbackRejected(f"the query is a {type(query).__name__}, not text, bytes or a mapping")


@dataclass(frozen=True, slots=True)
class Run:
    """Run ``flow`` (until ``until(flow)`` holds, if given); send back its result."""

    flow: Flow
    until: Callable[[Flow], bool] | None = None


@dataclass(frozen=True, slots=True)
class Exclusive:
    """Drive ``step`` to its end while holding this account's refresh lock; send back its value."""

    step: Generator[Any, Any, Any]


Step = Generator[Run | Exclusive, Any, T]


def _showing_qr_code(flow: Flow) -> bool:
    return isinstance(flow.effect, ShowQrCode)


class TokenPolicy:
    """One account's token and the rules around it (no I/O, no locks: see the module doc)."""

    __slots__ = ("config", "token", "on_token", "snapshot_key", "single_use", "open_id")

    def __init__(self, config: Config, *, token: Token | None = None, on_token: OnToken | None = None,
                 snapshot_key: bytes | str | None = None, single_use: SingleUse | None = None,
                 open_id: str | None = None) -> None:
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
        """Run a login flow and keep its token."""
        token: Token = yield Run(flow, until)
        self.keep(token)
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
        token: Token = yield Exclusive(self._refresh_unless_replaced(self.require()))
        return token

    def fresh_token(self) -> Step[Token]:
        """The held token, refreshed first when it has expired (and can be refreshed)."""
        token = self.require()
        if token.is_expired(self.config.clock()) and token.refresh_token is not None:
            token = yield Exclusive(self._refresh_unless_replaced(token))
        return token

    def _refresh_unless_replaced(self, seen: Token) -> Step[Token]:
        current = self.require()
        if current is not seen:
            return current  # another caller refreshed while this one waited for the lock
        if current.refresh_token is None:
            raise NotLoggedIn("refresh token")
        new: Token = yield Run(RefreshFlow(self.config, previous=current, open_id=self.account()))
        self.keep(new)  # the rotated refresh token is saved before anyone uses the new access token
        return new

    def revoke(self) -> Step[None]:
        """Revoke at TikTok; the token is forgotten in every case."""
        token = self.require()
        try:
            yield Run(RevokeFlow(self.config, access_token=token.access_token))
        finally:
            self.keep(None)

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
