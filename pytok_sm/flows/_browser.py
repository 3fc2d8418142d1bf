"""The browser flow: authorize page in the person's browser, redirect to a loopback server.

https://developers.tiktok.com/doc/login-kit-desktop. PKCE with TikTok's hex challenge,
a CSRF ``state`` checked in constant time, the code exchanged exactly once.

Example (stepping by hand, as a web app would across two requests):
    >>> from pytok_sm import Config
    >>> from pytok_sm.flows import Listening, BrowserOpened
    >>> flow = BrowserFlow(Config("aw_key", "s"))
    >>> flow.start()
    Listen(port=3456, path='/callback/', host='127.0.0.1')
    >>> flow.send(Listening(3456))
    OpenBrowser()
    >>> flow.authorization_url.startswith("https://www.tiktok.com/v2/auth/authorize/?client_key=aw_key")
    True
    >>> type(flow.send(BrowserOpened(True))).__name__, flow.state
    ('AwaitCallback', 'awaiting_callback')

A web app skips the loopback server and the browser: its own page redirects the person,
and its callback handler finishes the flow from a snapshot (the ``start_web`` edge)::

    >>> web = BrowserFlow(Config("aw_key", "s", redirect_uri="https://app.example/cb"))
    >>> type(web.start_web()).__name__, web.state
    ('AwaitCallback', 'awaiting_callback')
"""

from __future__ import annotations

import hmac
from typing import Any

from .. import _contract as contract
from .. import _pkce as pkce
from .. import _tiktok as tiktok
from .. import logs
from .._callback import Callback, Verdict
from .._config import Config, check_timeout
from .._errors import AuthorizationDenied, CallbackPortBusy, FlowTimeout, FlowUsageError
from .._http import Request, Response
from .._retry import RequestKind
from .._token import Token
from . import _snapshot as snapshots
from ._base import StateSpec, t
from ._effects import (
    AwaitCallback,
    BrowserOpened,
    Effect,
    Listen,
    Listening,
    OpenBrowser,
    PortBusy,
    TimedOut,
)
from ._exchange import CodeExchange
from ._qr import MAX_CODE_CHARS

__all__ = ["BrowserFlow"]

_STATE_ALPHABET = frozenset(contract.VERIFIER_ALPHABET)


def _listen_host(redirect_uri: str | None) -> str:
    """Where the loopback server listens: the redirect URI's host (RFC 8252 section 7.3),
    ``127.0.0.1``, ``::1`` or ``localhost`` (the drivers bind both loopback families for it,
    never resolving the name); 127.0.0.1 for a redirect that is not loopback."""
    import urllib.parse

    from .._config import LOOPBACK_HOSTS

    host = urllib.parse.urlsplit((redirect_uri or "").replace(":*/", ":1/", 1)).hostname
    return host if host in LOOPBACK_HOSTS else "127.0.0.1"


class BrowserFlow(CodeExchange):
    """Log in through the browser: listen, open the authorize page, take the code, exchange it."""

    KIND = "browser"
    STATES = (
        StateSpec("created", doc="nothing done yet"),
        StateSpec("listening", enter="_enter_listening", handle="_on_listening", doc="binding 127.0.0.1"),
        StateSpec("opening_browser", enter="_enter_opening", handle="_on_opened", doc="showing the authorize page"),
        StateSpec("awaiting_callback", enter="_enter_awaiting", handle="_on_callback", doc="waiting for the redirect",
                  waiting="Waiting for you to approve in the browser"),
        StateSpec("exchanging", enter="_enter_exchanging", handle="_on_token", doc="code -> token"),
        StateSpec("authorized", enter="_enter_authorized", final=True, doc="token issued"),
        StateSpec("denied", final=True, doc="the person declined"),
        StateSpec("timed_out", final=True, doc="nobody came back in time"),
        StateSpec("cancelled", final=True, doc="the caller cancelled"),
        StateSpec("failed", final=True, doc="an error, kept in flow.error"),
    )
    _LIVE = ("created", "listening", "opening_browser", "awaiting_callback", "exchanging")
    TRANSITIONS = (
        t("start", "created", "listening"),
        t("start_web", "created", "awaiting_callback"),
        t("listened", "listening", "opening_browser"),
        t("browser_opened", "opening_browser", "awaiting_callback"),
        t("reject_callback", "awaiting_callback", "awaiting_callback"),
        t("code_received", "awaiting_callback", "exchanging"),
        t("deny", "awaiting_callback", "denied"),
        t("time_out", "awaiting_callback", "timed_out"),
        t("retry", "exchanging", "exchanging"),
        t("token_issued", "exchanging", "authorized"),
        t("fail", ("listening", "exchanging"), "failed"),
        t("cancel", _LIVE, "cancelled"),
    )
    RESUMABLE = ("listening", "opening_browser", "awaiting_callback")
    SNAPSHOT_FIELDS = {
        "csrf_state": snapshots.STATE,
        "verifier": snapshots.VERIFIER,
        "redirect_uri": snapshots.optional(snapshots.text(max_len=511)),
        "code": snapshots.nothing,
        "granted_scopes": snapshots.optional(snapshots.text(max_len=1024)),
        "timeout": snapshots.TIMEOUT,
    }
    TIMED = ("awaiting_callback",)

    __slots__ = ("csrf_state", "verifier", "redirect_uri", "granted_scopes")

    def __init__(self, config: Config, *, timeout: float = 300.0, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self._init_data()
        self.timeout = check_timeout(timeout)
        self.csrf_state = pkce.new_state(config.csrf_state_length, source=self.random)
        self.verifier = pkce.new_verifier(config.code_verifier_length, source=self.random)
        logs.register_secret(self.csrf_state, owner=self)
        logs.register_secret(self.verifier, owner=self)

    def _init_data(self) -> None:
        self.redirect_uri: str | None = None
        self.code: str | None = None
        self.granted_scopes: str | None = None
        self.token: Token | None = None

    @property
    def authorization_url(self) -> str:
        """TikTok's authorize page for this flow (known once the redirect URI is)."""
        redirect = self.redirect_uri or self.config.redirect_for_port(self.config.port)
        return tiktok.authorize_url(
            self.config, state=self.csrf_state, code_challenge=pkce.hex_challenge(self.verifier), redirect_uri=redirect
        )

    # ------------------------------------------------------------------ steps
    def _begin(self) -> None:
        self._fire("start")

    def start_web(self) -> Effect:
        """Begin a web app's login: no loopback server, no browser to open.

        The app sends the person to :attr:`authorization_url` itself, keeps
        :meth:`snapshot`, and finishes in its callback handler (``resume`` then ``send``).
        """
        if self.state != self.INITIAL:
            raise FlowUsageError(f"{self.KIND} flow {self.flow_id} already started (state {self.state})")

        def begin() -> None:
            self.redirect_uri = self.config.redirect_for_port(self.config.port)
            self.deadline = self.clock() + self._seconds()
            self._fire("start_web")

        self._guard(begin)
        assert self.effect is not None
        return self.effect

    def _enter_listening(self, event: object) -> None:
        port = 0 if self.config.wildcard_port else self.config.port
        self.effect = Listen(port, self.config.redirect_path, self.judge, host=_listen_host(self.config.redirect_uri))

    def _on_listening(self, result: object) -> None:
        self._expect(result, Listening, PortBusy)
        if isinstance(result, PortBusy):
            raise CallbackPortBusy(result.port)
        assert isinstance(result, Listening)
        self.redirect_uri = self.config.redirect_for_port(result.port)
        self._fire("listened")

    def _enter_opening(self, event: object) -> None:
        self.effect = OpenBrowser(self.authorization_url, self.config.open_browser)

    def _on_opened(self, result: object) -> None:
        self._expect(result, BrowserOpened)
        assert isinstance(result, BrowserOpened)
        self.deadline = self.clock() + self._seconds()
        self._fire("browser_opened", opened=result.opened)

    def _enter_awaiting(self, event: object) -> None:
        assert self.deadline is not None
        self.effect = AwaitCallback(self.deadline, self.clock)

    def judge(self, callback: Callback) -> tuple[Verdict, str]:
        """Decide about a redirect without changing the flow: the verdict and its reason.

        The state is compared in constant time after a charset check; a request without
        the right state never ends or advances the flow (a drive-by page cannot cancel a login).
        """
        if callback.problem:
            return Verdict.REJECT, callback.problem
        given = callback.state
        if not given:
            return Verdict.REJECT, "state missing"
        if len(given) > 512 or not set(given) <= _STATE_ALPHABET:
            return Verdict.REJECT, "state mismatch"
        if not hmac.compare_digest(given.encode("ascii"), self.csrf_state.encode("ascii")):
            return Verdict.REJECT, "state mismatch"
        if self.state not in ("opening_browser", "awaiting_callback"):  # a fast browser may beat us
            return Verdict.REJECT, "state already used"
        if callback.error:
            return Verdict.DENY, callback.error
        if not callback.code:
            return Verdict.REJECT, "code missing"
        if len(callback.code) > MAX_CODE_CHARS:
            return Verdict.REJECT, "code too long"
        return Verdict.ACCEPT, "callback accepted"

    def _on_callback(self, result: object) -> None:
        self._expect(result, Callback, TimedOut)
        if isinstance(result, TimedOut) or (self.deadline is not None and self.clock() >= self.deadline):
            self._end_with(
                "time_out",
                FlowTimeout(f"nobody completed the login in the browser within {self.timeout:g} s; try again"),
            )
            return
        assert isinstance(result, Callback)
        verdict, reason = self.judge(result)
        if verdict is Verdict.REJECT:
            self._fire("reject_callback", error=reason)
        elif verdict is Verdict.DENY:
            self._end_with("deny", AuthorizationDenied(result.error or "access_denied", result.error_description or ""))
        else:
            self.code = result.code
            self.granted_scopes = result.scopes
            logs.register_secret(self.code, owner=self)
            self._fire("code_received")

    def _exchange(self) -> Request:
        assert self.code is not None
        return tiktok.exchange_request(
            self.config, code=self.code, redirect_uri=self.redirect_uri, code_verifier=self.verifier
        )

    def _parse_token(self, response: Response) -> Token:
        token = tiktok.parse_token(response, RequestKind.EXCHANGE_CODE, now=self.clock())
        if not token.scopes and self.granted_scopes:
            token = Token.from_dict({**token.to_dict(), "scope": self.granted_scopes})
        return token
