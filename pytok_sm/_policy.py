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

from collections.abc import Callable, Generator, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from ._callback import Verdict, parse_callback_query
from ._config import Config
from ._errors import AccessTokenInvalid, CallbackRejected, ConfigurationError, NotLoggedIn
from ._tiktok import DEFAULT_USER_FIELDS
from ._token import Token
from .flows._base import Flow
from .flows._browser import BrowserFlow
from .flows._effects import ShowQrCode
from .flows._qr import QrFlow
from .flows._refresh import RefreshFlow
from .flows._revoke import RevokeFlow
from .flows._user_info import UserInfoFlow

__all__ = ["Exclusive", "OnToken", "Run", "Step", "TokenPolicy"]

T = TypeVar("T")
OnToken = Callable[[Token | None], object]


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

    __slots__ = ("config", "token", "on_token")

    def __init__(self, config: Config, *, token: Token | None = None, on_token: OnToken | None = None) -> None:
        if on_token is not None and not callable(on_token):
            raise ConfigurationError("on_token", f"must be a callable taking the new Token (or None), got {on_token!r}")
        self.config = config
        self.token = token
        self.on_token = on_token

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
        self.token = token
        if notify and self.on_token is not None:
            self.on_token(token)

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
        return flow.authorization_url, flow.snapshot()

    def complete_browser_login(self, snapshot: dict[str, Any], query: str) -> Step[Token]:
        """A web app's second half: judge the callback's query, exchange its code, keep the token."""
        flow = BrowserFlow.resume(snapshot, self.config)
        callback = parse_callback_query(query.lstrip("?"))
        verdict, reason = flow.judge(callback)
        flow.send(callback)
        if verdict is Verdict.REJECT:
            raise CallbackRejected(reason, flow=flow.KIND, state=flow.state)
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
        new: Token = yield Run(RefreshFlow(self.config, previous=current))
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
            return dict((yield Run(UserInfoFlow(self.config, access_token=token.access_token, fields=names))))
        except AccessTokenInvalid:
            if token.refresh_token is None:
                raise
        token = yield Exclusive(self._refresh_unless_replaced(token))
        return dict((yield Run(UserInfoFlow(self.config, access_token=token.access_token, fields=names))))
