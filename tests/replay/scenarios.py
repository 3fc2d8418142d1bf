"""Every recorded scenario, written once and run twice: to record and to replay.

A scenario is a small function of a :class:`World`. Recording runs it in a
:class:`SandboxWorld` (the bundled emulator, real HTTP on 127.0.0.1, a scripted browser
and phone, faults and a clock to move); replaying runs the *same* function in a
:class:`ReplayWorld` (no emulator: answers come from the cassette, the browser is a
:class:`~pytok_sm.testing.FakeBrowser`, the phone does nothing because its effect is
already in the recorded answers). Each scenario's ``expect`` checks the outcome, and
holds in both worlds: the recorder refuses to write a cassette whose run did not do what
the scenario says, and the replay tests assert the same things offline.

What must be equal in both worlds so that replay matches: the kit's settings
(:func:`kit_settings`), the deterministic random source (:data:`SEED`), and the order in
which distinct secrets first appear (the scrubber numbers them in that order).

Example:
    >>> [s.name for s in SCENARIOS][:3]
    ['browser/success', 'browser/deny', 'browser/pkce_mismatch']
    >>> by_name("qr/confirmed").person
    'scan the QR code with the TikTok app, then confirm'
"""

from __future__ import annotations

import base64
import tempfile
import threading
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from pytok_sm import LoginKit, RetryPolicy, Token
from pytok_sm import _contract as contract
from pytok_sm._errors import (
    AuthorizationDenied,
    OAuthError,
    ProtocolError,
    QrCodeExpired,
    QrTicketMismatch,
    ReauthorizationRequired,
    TikTokError,
)
from pytok_sm._pkce import RandomSource
from pytok_sm.flows import QrFlow
from pytok_sm.sandbox import DEFAULT_CLIENT_KEY, Sandbox, SandboxUser
from pytok_sm.testing import DeterministicRandom, FakeBrowser, Scrubber, capture_transitions

from .media import write_video

#: The committed cassettes, one folder per flow.
CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"
#: The one documented command that records them all again.
RECORD_COMMAND = "python -m tests.replay.record"
#: Seed of the state / verifier / client_ticket source, in recording and in replay alike.
SEED = "pytok_sm cassettes v1"
#: Scrubber options shared by recording and replay: the emulator's QR session id in
#: ``scan_qrcode_url`` changes on every run and means nothing to the client.
SCRUB_OPTIONS: Mapping[str, Any] = {"volatile_params": ("qrcode_id",)}

CLIENT_KEY = DEFAULT_CLIENT_KEY
REDIRECT_URI = "http://127.0.0.1:*/callback/"
SCOPES = ("user.info.basic", "user.info.profile", "user.info.stats")
FIELDS = ("open_id", "union_id", "avatar_url", "display_name", "follower_count")
#: Fast retries so that a 429 costs milliseconds (recorded answers carry no Retry-After).
FAST_RETRY = RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_cap=0.05, retry_after_cap=3.0)
#: Distinct lengths, so that a drawn value can be told apart by its length alone.
STATE_LENGTH, VERIFIER_LENGTH, TICKET_LENGTH = 32, 64, 48
FOREIGN_TICKET = "another-apps-client-ticket-0000000000000000000000"


def kit_settings(**overrides: Any) -> dict[str, Any]:
    """The kit keywords both worlds share (everything that shapes a request)."""
    settings: dict[str, Any] = {
        "port": 0,
        "redirect_uri": REDIRECT_URI,
        "scopes": SCOPES,
        "retry": FAST_RETRY,
        "http_timeout": 5.0,
        "call_deadline": 10.0,
        "qr_poll_interval": 0.05,
        "csrf_state_length": STATE_LENGTH,
        "code_verifier_length": VERIFIER_LENGTH,
        "client_ticket_length": TICKET_LENGTH,
        "open_browser": False,
    }
    settings.update(overrides)
    return settings


class DrawLog:
    """A random source that remembers what it drew (the recorder's secret inventory)."""

    def __init__(self, source: RandomSource) -> None:
        self.source = source
        self.drawn: list[str] = []

    def __call__(self, alphabet: str, length: int) -> str:
        value = self.source(alphabet, length)
        self.drawn.append(value)
        return value


# ---------------------------------------------------------------------------- worlds
class World:
    """What a scenario may ask for; each world answers in its own way."""

    def __init__(self) -> None:
        self.kits: list[LoginKit] = []
        self.random = DrawLog(DeterministicRandom(SEED))
        #: Flows run to prepare a scenario (a login first), left out of its outcome.
        self.hidden_flows: set[str] = set()
        self._files: tempfile.TemporaryDirectory[str] | None = None

    def kit(self, **overrides: Any) -> LoginKit:
        raise NotImplementedError

    def tokens(self, scopes: Sequence[str] = SCOPES) -> dict[str, Any]:
        """A fresh login's token answer to start from (granting ``scopes``)."""
        raise NotImplementedError

    def video(self, size: int) -> Path:
        """A video file of ``size`` bytes, the same bytes in every world (:mod:`.media`);
        removed when the scenario finishes."""
        if self._files is None:
            self._files = tempfile.TemporaryDirectory(prefix="pytok-cassette-media-")
        return write_video(Path(self._files.name) / f"video-{size}.mp4", size)

    def advance(self, seconds: float) -> None:
        """The emulator's clock moves ``seconds`` ahead (an upload URL's hour passes)."""

    def unrecorded(self, act: Callable[[World], Any]) -> None:
        """What happened before the scenario (an earlier post today): ``act`` runs against
        the emulator only, unrecorded, and its flows are left out of the outcome."""

    def kill(self, token: str) -> None:
        """The token dies behind the client's back (the user removed the app)."""

    def fault(self, endpoint: str, kind: str, **params: Any) -> None:
        """The next request to ``endpoint`` misbehaves."""

    def switch(self, name: str, value: Any) -> None:
        """Flip one of the emulator's readings of an undocumented point."""

    def browser(self, decision: str = "approve", *, challenge: str = "hex", expire_code: bool = False) -> Any:
        """An ``open_browser=`` that approves or denies (and may spoil the login)."""
        raise NotImplementedError

    def phone(self, script: Mapping[int, str]) -> dict[str, Any]:
        """Driver keywords for a QR login: after the n-th poll, the phone does ``script[n]``."""
        return {}

    def finish(self) -> None:
        """Wait for background helpers; close the kits; remove the video files."""
        for kit in self.kits:
            kit.close()
        if self._files is not None:
            self._files.cleanup()
            self._files = None


class SandboxWorld(World):
    """Recording: the emulator, a scripted browser and phone, real HTTP on 127.0.0.1."""

    def __init__(self, sb: Sandbox, scrubber: Scrubber | None = None) -> None:
        super().__init__()
        self.sb = sb
        #: The recording's scrubber, paused for what is not part of the scenario.
        self.scrubber = scrubber
        self._browsers: list[_SandboxBrowser] = []

    def kit(self, **overrides: Any) -> LoginKit:
        settings = kit_settings(
            authorization_url=self.sb.authorization_url, base_api_url=self.sb.base_api_url, random=self.random
        )
        settings.update(overrides)
        kit = LoginKit(self.sb.client_key, self.sb.client_secret, **settings)
        self.kits.append(kit)
        return kit

    def tokens(self, scopes: Sequence[str] = SCOPES) -> dict[str, Any]:
        return self.sb.issue_tokens(scopes)

    def kill(self, token: str) -> None:
        self.sb.kill_token(token)

    def advance(self, seconds: float) -> None:
        self.sb.clock.advance(seconds)

    def unrecorded(self, act: Callable[[World], Any]) -> None:
        if self.scrubber is None:
            raise RuntimeError("nothing to leave unrecorded: give SandboxWorld the recording's scrubber")
        with self.scrubber.paused(), capture_transitions() as before:
            act(self)
        self.hidden_flows.update(event["flow_id"] for event in before)

    def fault(self, endpoint: str, kind: str, **params: Any) -> None:
        self.sb.faults.add(endpoint, kind, **params)

    def switch(self, name: str, value: Any) -> None:
        setattr(self.sb.switches, name, value)

    def browser(self, decision: str = "approve", *, challenge: str = "hex", expire_code: bool = False) -> Any:
        browser = _SandboxBrowser(self.sb, decision, challenge=challenge, expire_code=expire_code)
        self._browsers.append(browser)
        return browser

    def phone(self, script: Mapping[int, str]) -> dict[str, Any]:
        shown: list[str] = []
        done: set[int] = set()

        def on_tick(flow: Any) -> None:
            polls = self.sb.count("check_qrcode")
            action = script.get(polls)
            if action is None or polls in done or not shown:
                return
            done.add(polls)
            url = shown[-1]
            if action == "scan":
                self.sb.phone_scan(url)
            elif action == "confirm":
                self.sb.phone_confirm(url)
            elif action == "scan_foreign":
                query = urllib.parse.urlencode({"client_ticket": FOREIGN_TICKET})
                self.sb.phone_scan(url.replace(f"client_ticket={urllib.parse.quote(_ticket_of(url), safe='')}", query))
            elif action == "expire":
                self.sb.clock.advance(self.sb.switches.qr_lifetime + 1)
            else:  # pragma: no cover - a typo in a scenario
                raise ValueError(f"unknown phone action {action!r}")

        return {"show_qr": shown.append, "on_tick": on_tick}

    def finish(self) -> None:
        for browser in self._browsers:
            browser.join()
        super().finish()


class ReplayWorld(World):
    """Replaying: TikTok's real URLs (answered by the cassette), a fake browser, no phone."""

    #: Any value works: the client secret is scrubbed to a placeholder before matching.
    CLIENT_SECRET = "replay-only-client-secret"

    def __init__(self) -> None:
        super().__init__()
        self._browsers: list[FakeBrowser] = []

    def kit(self, **overrides: Any) -> LoginKit:
        settings = kit_settings(random=self.random)
        settings.update(overrides)
        kit = LoginKit(CLIENT_KEY, self.CLIENT_SECRET, **settings)
        self.kits.append(kit)
        return kit

    def tokens(self, scopes: Sequence[str] = SCOPES) -> dict[str, Any]:
        # Any distinct token-shaped values: the scrubber numbers them as it numbered the
        # emulator's (first seen, first numbered), so the recorded requests match.
        return {
            "access_token": "act.replay-access-token",
            "expires_in": 7200,
            "open_id": SandboxUser().open_id,
            "refresh_expires_in": 15552000,
            "refresh_token": "rft.replay-refresh-token",
            "scope": ",".join(scopes),
            "token_type": "Bearer",
        }

    def browser(self, decision: str = "approve", *, challenge: str = "hex", expire_code: bool = False) -> Any:
        browser = FakeBrowser(decision, consent=False, code="replayed*code!")  # type: ignore[arg-type]
        self._browsers.append(browser)
        return browser

    def finish(self) -> None:
        for browser in self._browsers:
            browser.join()
        super().finish()


def _ticket_of(url: str) -> str:
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["client_ticket"][0]


class _SandboxBrowser:
    """The person's browser on the emulator's consent page, in a background thread.

    ``challenge="base64url"`` sends RFC 7636's challenge instead of TikTok's hex one (the
    classic PKCE mistake); ``expire_code`` lets the code expire before the redirect reaches
    the app. The redirect goes to the app's loopback server: not TikTok traffic, not recorded.
    """

    def __init__(self, sb: Sandbox, decision: str, *, challenge: str, expire_code: bool) -> None:
        self.sb = sb
        self.decision = decision
        self.challenge = challenge
        self.expire_code = expire_code
        self.error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def __call__(self, url: str) -> bool:
        if self.challenge == "base64url":
            url = base64url_challenge(url)
        self._thread = threading.Thread(target=self._visit, args=(url,), daemon=True)
        self._thread.start()
        return True

    def _visit(self, url: str) -> None:
        try:
            page = FakeBrowser(self.decision, follow_redirect=False, background=False)  # type: ignore[arg-type]
            page(url)
            if page.callback_url is None:
                raise RuntimeError(f"the consent page answered {page.page_status}")
            if self.expire_code:
                self.sb.clock.advance(self.sb.switches.code_lifetime + 1)
            # httpx, not urllib: vcrpy lets a request it does not record pass by calling the
            # real transport, but for urllib it unpatches every library in every thread meanwhile.
            httpx.get(page.callback_url, timeout=5, trust_env=False)
        except BaseException as exc:  # noqa: BLE001 - re-raised by join()
            self.error = exc

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join(10)
        if self.error is not None:
            raise self.error


def base64url_challenge(url: str) -> str:
    """The same SHA-256, written as RFC 7636's base64url instead of TikTok's hex."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query)
    swapped = [
        (k, base64.urlsafe_b64encode(bytes.fromhex(v)).rstrip(b"=").decode() if k == "code_challenge" else v)
        for k, v in query
    ]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(swapped)))


# ---------------------------------------------------------------------------- outcomes
@dataclass
class Outcome:
    """How a scenario ended: its value or error, the transition events, the last kit."""

    value: Any
    error: TikTokError | None
    events: list[dict[str, Any]]
    kit: LoginKit | None
    drawn: list[str] = field(default_factory=list)

    @property
    def path(self) -> list[str]:
        """The transitions as ``flow.trigger->dest``, in order."""
        return [f"{e['flow']}.{e['trigger']}->{e['dest']}" for e in self.events]

    def event(self, trigger: str, flow: str | None = None) -> dict[str, Any]:
        """The first transition event fired by ``trigger`` (in ``flow``)."""
        return next(e for e in self.events if e["trigger"] == trigger and flow in (None, e["flow"]))


@dataclass(frozen=True)
class Scenario:
    """One cassette: what to do, what must come of it, and what a person must do for it
    against real TikTok (None: only the emulator can stage it)."""

    name: str
    summary: str
    act: Callable[[World], Any]
    expect: Callable[[Outcome], None]
    person: str | None = None

    @property
    def cassette(self) -> str:
        return f"{self.name}.yaml"


def run(scenario: Scenario, world: World) -> Outcome:
    """Run ``scenario`` in ``world``; a TikTokError becomes the outcome's ``error``."""
    value: Any = None
    error: TikTokError | None = None
    with capture_transitions() as events:
        try:
            value = scenario.act(world)
        except TikTokError as exc:
            error = exc
        finally:
            world.finish()
    kept = [
        {k: v for k, v in e.items() if k not in ("flow_id", "event")}
        for e in events
        if e.get("flow_id") not in world.hidden_flows
    ]
    return Outcome(value, error, kept, world.kits[-1] if world.kits else None, list(world.random.drawn))


# ---------------------------------------------------------------------------- the scenarios
_BROWSER_START = ["browser.start->listening", "browser.listened->opening_browser", "browser.browser_opened->awaiting_callback"]
_QR_START = ["qr.start->requesting_qrcode", "qr.qrcode_issued->showing_qrcode", "qr.qrcode_shown->awaiting_scan"]
_REFRESHED = ["refresh.start->refreshing", "refresh.token_issued->refreshed"]


def _is_token(value: Any) -> Token:
    assert isinstance(value, Token), value
    assert value.access_token.startswith("act.") and (value.refresh_token or "").startswith("rft.")
    return value


def _browser_login(world: World, **browser: Any) -> Token:
    kit = world.kit(open_browser=world.browser(**browser))
    return kit.oauth_server(timeout=300)  # minutes, for a person at a real browser (--real)


def _expect_browser_success(o: Outcome) -> None:
    token = _is_token(o.value)
    assert o.error is None
    assert o.path == [*_BROWSER_START, "browser.code_received->exchanging", "browser.token_issued->authorized"]
    assert o.kit is not None and o.kit.token is token
    assert set(SCOPES) <= token.scopes


def _expect_browser_deny(o: Outcome) -> None:
    assert isinstance(o.error, AuthorizationDenied) and o.error.error == "access_denied"
    assert o.path == [*_BROWSER_START, "browser.deny->denied"]
    assert o.kit is not None and o.kit.token is None


def _expect_exchange_refused(error: str, description: str) -> Callable[[Outcome], None]:
    def expect(o: Outcome) -> None:
        assert isinstance(o.error, OAuthError), repr(o.error)
        assert (o.error.error, o.error.description, o.error.http_status) == (error, description, 200)
        assert o.path == [*_BROWSER_START, "browser.code_received->exchanging", "browser.fail->failed"]
        assert o.event("fail")["error"] == error and o.event("fail")["log_id"] == o.error.log_id
        assert o.kit is not None and o.kit.token is None

    return expect


def _qr_login(world: World, script: Mapping[int, str]) -> Token:
    kit = world.kit()
    token: Token = kit.run(QrFlow(kit.config, timeout=600), **world.phone(script))  # TikTok's QR lifetime is undocumented
    kit.load_token(token)
    return token


def _expect_qr_confirmed(o: Outcome) -> None:
    _is_token(o.value)
    assert o.path == [*_QR_START, "qr.scan->scanned", "qr.confirm->exchanging", "qr.token_issued->authorized"]
    assert o.event("scan")["qr_status"] == "scanned" and o.event("confirm")["qr_status"] == "confirmed"


def _expect_qr_expired(o: Outcome) -> None:
    assert isinstance(o.error, QrCodeExpired), repr(o.error)
    assert o.path == [*_QR_START, "qr.expire->expired"]


def _expect_qr_foreign(o: Outcome) -> None:
    assert isinstance(o.error, QrTicketMismatch), repr(o.error)
    assert o.path == [*_QR_START, "qr.refuse_ticket->refused"]
    assert o.kit is not None and o.kit.token is None


def _refresh_twice(world: World) -> list[Token]:
    kit = world.kit(token=world.tokens())
    start = kit.token
    assert start is not None
    return [start, kit.refresh_access_token(), kit.refresh_access_token()]


def _expect_rotation(o: Outcome) -> None:
    start, first, second = o.value
    for token in (first, second):
        _is_token(token)
    refresh_tokens = {start.refresh_token, first.refresh_token, second.refresh_token}
    access_tokens = {start.access_token, first.access_token, second.access_token}
    assert len(refresh_tokens) == 3 and len(access_tokens) == 3, "each refresh rotates both tokens"
    assert o.path == _REFRESHED * 2
    assert [e.get("rotated") for e in o.events if e["trigger"] == "token_issued"] == [True, True]
    assert o.kit is not None and o.kit.token is second


def _refresh_with_dead_refresh_token(world: World) -> Token:
    tokens = world.tokens()
    world.kill(tokens["refresh_token"])
    kit = world.kit(token=tokens)
    return kit.refresh_access_token()


def _expect_reauth(o: Outcome) -> None:
    assert isinstance(o.error, ReauthorizationRequired), repr(o.error)
    assert o.path == ["refresh.start->refreshing", "refresh.refresh_rejected->reauth_required"]
    assert o.kit is not None and o.kit.token is not None, "a failed refresh keeps the token it had"


def _refresh_into_gateway_page(world: World) -> Token:
    world.fault("token", "html_5xx", status=502)
    kit = world.kit(token=world.tokens())
    return kit.refresh_access_token()


def _expect_html_5xx(o: Outcome) -> None:
    assert isinstance(o.error, ProtocolError), repr(o.error)
    assert o.error.http_status == 502 and "HTML" in str(o.error)
    assert o.path == ["refresh.start->refreshing", "refresh.fail->failed"]
    assert o.event("fail")["http_status"] == 502
    assert o.kit is not None and o.kit.token is not None, "no blind retry of a refresh; the token is kept"


def _revoke(world: World, *, dead: bool) -> None:
    tokens = world.tokens()
    if dead:
        world.switch("revoke_dead_token", "error")  # the stricter reading: TikTok answers invalid_grant
        world.kill(tokens["access_token"])
    kit = world.kit(token=tokens)
    kit.revoke_access_token()


def _expect_revoked(o: Outcome) -> None:
    assert o.error is None
    assert o.path == ["revoke.start->revoking", "revoke.token_revoked->revoked"]
    assert "already_dead" not in o.event("token_revoked")
    assert o.kit is not None and o.kit.token is None


def _expect_revoked_dead(o: Outcome) -> None:
    assert o.error is None
    assert o.path == ["revoke.start->revoking", "revoke.token_revoked->revoked"]
    event = o.event("token_revoked")
    assert event["already_dead"] is True and event["error"] == "invalid_grant"
    assert o.kit is not None and o.kit.token is None


def _user_info(world: World, *, fault: tuple[str, str] | None = None, dead_access: bool = False) -> dict[str, Any]:
    tokens = world.tokens()
    if fault:
        world.fault(*fault)
    if dead_access:
        world.kill(tokens["access_token"])
    kit = world.kit(token=tokens)
    return kit.get_user_info(FIELDS)


def _expect_profile(o: Outcome) -> None:
    assert o.error is None
    user = o.value
    assert sorted(user) == sorted(FIELDS)
    assert user["display_name"] == "Sandbox Creator" and user["follower_count"] == 1234
    assert user["open_id"] == SandboxUser().open_id
    assert user["avatar_url"].endswith("/sandbox/avatar/720.jpeg")  # the emulator's origin is canonical in cassettes


def _expect_user_info(o: Outcome) -> None:
    _expect_profile(o)
    assert o.path == ["user_info.start->fetching", "user_info.user_received->fetched"]


def _expect_rate_limited_then_ok(o: Outcome) -> None:
    _expect_profile(o)
    assert o.path == [
        "user_info.start->fetching",
        "user_info.retry->fetching",
        "user_info.user_received->fetched",
    ]
    retry = o.event("retry")
    assert (retry["attempt"], retry["http_status"], retry["error"]) == (2, 429, contract.API_RATE_LIMIT_EXCEEDED)


def _expect_refreshed_then_ok(o: Outcome) -> None:
    _expect_profile(o)
    assert o.path == [
        "user_info.start->fetching",
        "user_info.fail->failed",
        *_REFRESHED,
        "user_info.start->fetching",
        "user_info.user_received->fetched",
    ]
    failed = o.event("fail", "user_info")
    assert (failed["error"], failed["http_status"]) == (contract.API_ACCESS_TOKEN_INVALID, 401)
    assert o.kit is not None and o.kit.token is not None
    assert o.kit.token.refresh_token != "rft.replay-refresh-token"


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "browser/success",
        "approve on the consent page; the code is exchanged (PKCE, hex challenge)",
        _browser_login,
        _expect_browser_success,
        person="press Authorize in the browser",
    ),
    Scenario(
        "browser/deny",
        "press Cancel on the consent page: no request reaches the API",
        lambda w: _browser_login(w, decision="deny"),
        _expect_browser_deny,
        person="press Cancel in the browser",
    ),
    Scenario(
        "browser/pkce_mismatch",
        "a base64url (RFC 7636) challenge: the consent page accepts it, the exchange does not",
        lambda w: _browser_login(w, challenge="base64url"),
        _expect_exchange_refused("invalid_request", contract.DESC_PKCE_INVALID),
        person="press Authorize in the browser (the exchange then fails)",
    ),
    Scenario(
        "browser/invalid_grant",
        "the code expires before it reaches the app: invalid_grant",
        lambda w: _browser_login(w, expire_code=True),
        _expect_exchange_refused("invalid_grant", contract.DESC_CODE_EXPIRED),
    ),
    Scenario(
        "qr/confirmed",
        "QR code: polls answer new, scanned, confirmed; the code is exchanged",
        lambda w: _qr_login(w, {1: "scan", 2: "confirm"}),
        _expect_qr_confirmed,
        person="scan the QR code with the TikTok app, then confirm",
    ),
    Scenario(
        "qr/expired",
        "QR code nobody scans until it expires",
        lambda w: _qr_login(w, {1: "expire"}),
        _expect_qr_expired,
        person="do not scan; wait until TikTok expires the code",
    ),
    Scenario(
        "qr/foreign_ticket",
        "the scan carries another app's client_ticket: refused, never exchanged",
        lambda w: _qr_login(w, {1: "scan_foreign"}),
        _expect_qr_foreign,
    ),
    Scenario(
        "refresh/rotation",
        "refresh twice; each answer rotates the refresh token and the next request sends the new one",
        _refresh_twice,
        _expect_rotation,
        person="log in once first (browser); then no action",
    ),
    Scenario(
        "refresh/invalid_grant",
        "the refresh token was revoked: invalid_grant, log in again, nothing retried",
        _refresh_with_dead_refresh_token,
        _expect_reauth,
    ),
    Scenario(
        "refresh/html_5xx",
        "a load balancer's 502 HTML page instead of JSON: typed error, refresh not retried, token kept",
        _refresh_into_gateway_page,
        _expect_html_5xx,
    ),
    Scenario(
        "revoke/success",
        "revoke the access token: empty 200 answer, local token cleared",
        lambda w: _revoke(w, dead=False),
        _expect_revoked,
        person="log in once first (browser); then no action",
    ),
    Scenario(
        "revoke/already_dead",
        "revoke a token that is already dead: invalid_grant counts as revoked",
        lambda w: _revoke(w, dead=True),
        _expect_revoked_dead,
    ),
    Scenario(
        "user_info/success",
        "read the profile fields",
        lambda w: _user_info(w),
        _expect_user_info,
        person="log in once first (browser); then no action",
    ),
    Scenario(
        "user_info/rate_limited",
        "429 rate_limit_exceeded, then success on the retry",
        lambda w: _user_info(w, fault=("user_info", "rate_limit_429")),
        _expect_rate_limited_then_ok,
    ),
    Scenario(
        "user_info/token_invalid",
        "401 access_token_invalid: one refresh, one retry, success",
        lambda w: _user_info(w, dead_access=True),
        _expect_refreshed_then_ok,
    ),
)

_BY_NAME = {s.name: s for s in SCENARIOS}


def by_name(name: str) -> Scenario:
    """The scenario called ``name`` (e.g. ``"refresh/rotation"``)."""
    return _BY_NAME[name]


def select(names: list[str] | tuple[str, ...] | None, among: Sequence[Scenario] = SCENARIOS) -> list[Scenario]:
    """Scenarios (of ``among``) by name or by flow folder (``"qr"``); all of them for None or empty."""
    if not names:
        return list(among)
    chosen: list[Scenario] = []
    for name in names:
        name = name.removesuffix(".yaml").strip("/")
        matches = [s for s in among if s.name == name or s.name.startswith(name + "/")]
        if not matches:
            raise KeyError(f"no scenario {name!r}; known: {', '.join(s.name for s in among)}")
        chosen.extend(m for m in matches if m not in chosen)
    return chosen



def replay(scenario: Scenario, cassette_dir: Path = CASSETTES) -> Outcome:
    """Run ``scenario`` against its cassette only (strict: every recorded answer is used once)."""
    from pytok_sm.testing import use_cassette

    hint = f"record it again: {RECORD_COMMAND} {scenario.name}"
    with use_cassette(cassette_dir / scenario.cassette, record=False, hint=hint, **SCRUB_OPTIONS):
        return run(scenario, ReplayWorld())
