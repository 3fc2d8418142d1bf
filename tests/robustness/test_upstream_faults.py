"""A faulty upstream (docs/ROBUSTNESS.md, "Upstream faults"), produced by the sandbox over real HTTP.

Every row of the faults table is queued on the sandbox (``sb.faults.add``) or set through its
switches, against every call the kit makes: the code exchange of a browser login, the QR
login (get_qrcode, check_qrcode and its exchange), refresh, revoke and user info. Each
case pins

* the outcome: a typed error (a ``TikTokError`` subclass, never a KeyError, JSONDecodeError,
  OverflowError or ValueError) or the documented recovery (retried, then success);
* how many requests TikTok saw (``sb.count``): bounded retries, and none at all for a code
  exchange or a refresh whose outcome is unknown;
* nothing half-written: after a failure the kit holds exactly the token it held before
  (revoke excepted: it forgets the token locally in every case);
* for unreadable answers, no piece of the raw body in the error or in any log event.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from pytok_sm import AsyncLoginKit, LoginKit, Token
from pytok_sm import _contract as contract
from pytok_sm._errors import (
    AccessTokenInvalid,
    ApiError,
    OAuthError,
    ProtocolError,
    QrCodeExpired,
    QrCodeUtilised,
    QrTicketMismatch,
    RateLimited,
    ReauthorizationRequired,
    ScopeError,
    TikTokError,
    TransportError,
)
from pytok_sm._token import MAX_LIFETIME
from pytok_sm.sandbox import Sandbox
from pytok_sm.testing import capture_transitions

from .sandbox_kit import (
    BROWSERS,
    FAST_RETRY,
    FIELDS,
    RefusingTransport,
    async_transport,
    browser_login,
    kit_settings,
    nothing_listens_on_the_callback_port,
    qr_login,
    sandbox_kit,
    settle,
)

MakeKit = Callable[..., LoginKit]


# --------------------------------------------------------------------------- the calls
@dataclass(frozen=True)
class Call:
    """One thing the kit asks TikTok, the sandbox endpoint it hits, and whether repeating
    it is harmless (a code exchange or a refresh is not: codes are single-use, refresh
    tokens rotate)."""

    name: str
    endpoint: str
    idempotent: bool
    run: Callable[[LoginKit, Sandbox], Any]

    def __str__(self) -> str:
        return self.name


CALLS = (
    Call("exchange", "token", False, lambda kit, sb: browser_login(kit)),
    Call("qr_exchange", "token", False, qr_login),
    Call("refresh", "token", False, lambda kit, sb: kit.refresh_access_token()),
    Call("revoke", "revoke", True, lambda kit, sb: kit.revoke_access_token()),
    Call("get_qrcode", "get_qrcode", True, lambda kit, sb: kit.generate_qr_code()),
    Call("check_qrcode", "check_qrcode", True, qr_login),
    Call("user_info", "user_info", True, lambda kit, sb: kit.get_user_info(FIELDS)),
)
CALL = {call.name: call for call in CALLS}
PATHS = {
    "token": contract.TOKEN_PATH,
    "revoke": contract.REVOKE_PATH,
    "get_qrcode": contract.GET_QRCODE_PATH,
    "check_qrcode": contract.CHECK_QRCODE_PATH,
    "user_info": contract.USER_INFO_PATH,
}


def log_in(kit: LoginKit, sb: Sandbox) -> Token:
    """The token the kit holds before the faulty call: a real sandbox login."""
    return kit.load_token(sb.issue_tokens(["user.info.basic"]))


def check_success(call: Call, kit: LoginKit, sb: Sandbox, held: Token, result: Any) -> None:
    if call.name == "revoke":
        assert result is None and kit.token is None
    elif call.name == "get_qrcode":
        url, _qr_token, ticket = result
        assert url.startswith("aweme://authorize?") and f"client_ticket={ticket}" in url
        assert kit.token is held
    elif call.name == "user_info":
        assert result["open_id"] == sb.user.open_id and kit.token is held
    else:  # a new token, alive at TikTok, kept by the kit
        assert isinstance(result, Token) and kit.token is result
        assert result.access_token != held.access_token and sb.is_alive(result.access_token)


def check_kept(call: Call, kit: LoginKit, held: Token) -> None:
    """Nothing half-written: the kit holds what it held (revoke forgets it in every case)."""
    if call.name == "revoke":
        assert kit.token is None
    else:
        assert kit.token is held


#: Pieces of the faulty bodies below; none may reach an error message or a log event.
RAW_BODY_MARKERS = (
    "Service busy", "sandbox-gateway", "Bad Gateway", "<html", "<!doctype", "[1, 2]", "NaN",
    "Infinity", '{"a":', "canned", '"client_ticket"', '"access_token"',
)


def assert_no_raw_body(error: BaseException, events: list[dict[str, Any]]) -> None:
    texts = [str(error), repr(error)] + [str(value) for event in events for value in event.values()]
    for text in texts:
        for marker in RAW_BODY_MARKERS:
            assert marker not in text, (marker, text)


# --------------------------------------------------------------------------- the faults table
@dataclass(frozen=True)
class Ok:
    """Success after ``attempts`` requests."""

    attempts: int


@dataclass(frozen=True)
class Fails:
    """This error type after ``attempts`` requests."""

    error: type[TikTokError]
    attempts: int


Expect = Ok | Fails


@dataclass(frozen=True)
class Fault:
    """A row: the sandbox fault (kind, parameters, how many requests it hits), the kit's
    settings it needs, and the expected outcome per call."""

    id: str
    kind: str
    expect: Callable[[Call], Expect]
    params: dict[str, Any] = field(default_factory=dict)
    times: int = 1
    kit: dict[str, Any] = field(default_factory=dict)
    #: Seconds after the call's start by which every request has been handled (``delay``).
    handled_within: float = 0.0


def everywhere(expect: Expect) -> Callable[[Call], Expect]:
    return lambda call: expect


def retried_unless_unsafe(error: type[TikTokError]) -> Callable[[Call], Expect]:
    """Idempotent calls are retried and succeed; a code exchange or refresh that TikTok may
    have acted on is not retried and ends in ``error``."""
    return lambda call: Ok(2) if call.idempotent else Fails(error, 1)


ATTEMPTS = FAST_RETRY.max_attempts
#: The ``delay`` fault holds the answer longer than the kit's per-read timeout.
READ_DELAY, READ_TIMEOUT = 0.5, 0.25

FAULTS = (
    # 200 with {"error": ...}: the body decides
    Fault("200-oauth-error", "oauth_error_200", everywhere(Fails(OAuthError, 1)), {"error": "invalid_client"}),
    Fault("200-server_error", "oauth_error_200", retried_unless_unsafe(OAuthError), {"error": "server_error"}),
    Fault("200-envelope-error", "api_error", everywhere(Fails(ApiError, 1)), {"code": "invalid_params", "status": 200}),
    # unreadable answers: a typed protocol error, the raw body nowhere
    Fault("not-json", "not_json", everywhere(Fails(ProtocolError, 1))),
    Fault("html-502", "html_5xx", retried_unless_unsafe(ProtocolError), {"status": 502}),
    Fault(
        "html-502-persistent", "html_5xx",
        lambda call: Fails(ProtocolError, ATTEMPTS if call.idempotent else 1), {"status": 502}, times=ATTEMPTS,
    ),
    Fault("truncated-json", "truncated_json", everywhere(Fails(ProtocolError, 1))),
    Fault("json-array", "non_object_json", everywhere(Fails(ProtocolError, 1))),
    Fault("nan", "nan_json", everywhere(Fails(ProtocolError, 1))),
    Fault("deep-nesting", "deep_json", everywhere(Fails(ProtocolError, 1))),
    # an empty 200 is revoke's documented success shape, and unreadable for everything else
    Fault("empty-body", "empty_body", lambda call: Ok(1) if call.name == "revoke" else Fails(ProtocolError, 1)),
    # 429 / 503 / temporarily_unavailable: TikTok refused before acting, so even a code
    # exchange is retried; bounded attempts, then a typed transient error
    Fault("429", "rate_limit_429", everywhere(Ok(2))),
    Fault("429-persistent", "rate_limit_429", everywhere(Fails(RateLimited, ATTEMPTS)), times=ATTEMPTS),
    Fault("503-html", "html_5xx", everywhere(Ok(2)), {"status": 503}),
    Fault(
        "503-html-persistent", "html_5xx", everywhere(Fails(ProtocolError, ATTEMPTS)), {"status": 503}, times=ATTEMPTS
    ),
    Fault("503-plain-text", "not_json", everywhere(Ok(2)), {"status": 503}),
    Fault("temporarily_unavailable", "temporarily_unavailable", everywhere(Ok(2))),
    Fault(
        "temporarily_unavailable-persistent", "temporarily_unavailable",
        lambda call: Fails(ApiError if call.name == "user_info" else OAuthError, ATTEMPTS), times=ATTEMPTS,
    ),
    # reset / read timeout after sending: idempotent calls retry; an exchange or refresh does not
    Fault("reset-after-processing", "connection_reset", retried_unless_unsafe(TransportError), {"process": True}),
    Fault("reset-before-processing", "connection_reset", retried_unless_unsafe(TransportError), {"process": False}),
    Fault(
        "read-timeout", "delay", retried_unless_unsafe(TransportError), {"seconds": READ_DELAY},
        kit={"http_timeout": READ_TIMEOUT}, handled_within=READ_DELAY + 0.1,
    ),
    # slow drip: the overall call deadline cuts it (revoke's success body is empty: nothing to drip)
    Fault(
        "slow-drip", "slow_drip",
        lambda call: Ok(1) if call.name == "revoke" else retried_unless_unsafe(TransportError)(call),
        {"seconds": 1.5}, kit={"call_deadline": 0.3},
    ),
    # 3xx: never followed (the sandbox's redirect target hands out a bogus token)
    Fault("redirect-302", "redirect_302", everywhere(Fails(ProtocolError, 1))),
    Fault("redirect-307", "redirect_302", everywhere(Fails(ProtocolError, 1)), {"status": 307}),
)


@pytest.mark.parametrize("call", CALLS, ids=str)
@pytest.mark.parametrize("fault", FAULTS, ids=lambda fault: fault.id)
def test_each_fault_gives_a_typed_error_or_the_documented_recovery(
    sb: Sandbox, make_kit: MakeKit, fault: Fault, call: Call
) -> None:
    kit = make_kit(**fault.kit)
    held = log_in(kit, sb)
    sb.faults.add(call.endpoint, fault.kind, times=fault.times, **fault.params)
    expected = fault.expect(call)
    started = time.monotonic()

    with capture_transitions(all_events=True) as events:
        if isinstance(expected, Ok):
            check_success(call, kit, sb, held, call.run(kit, sb))
        else:
            with pytest.raises(TikTokError) as caught:
                call.run(kit, sb)
            assert type(caught.value) is expected.error, repr(caught.value)
            check_kept(call, kit, held)
            assert_no_raw_body(caught.value, events)
            if fault.id.endswith("persistent"):  # retries used up: "try again later", said by the type
                assert caught.value.transient
            if call.name == "exchange":  # the login failed after the callback: its port is released
                assert nothing_listens_on_the_callback_port(BROWSERS[id(kit)])

    handled = started + fault.handled_within
    assert settle(sb, call.endpoint, expected.attempts, not_before=handled) == expected.attempts
    assert sb.count("redirect_target") == 0


# --------------------------------------------------------------------------- connection refused
@pytest.mark.parametrize("call", CALLS, ids=str)
def test_a_connection_refused_once_is_retried_even_for_a_code_exchange(sb: Sandbox, call: Call) -> None:
    transport = RefusingTransport(PATHS[call.endpoint], times=1)
    with sandbox_kit(sb, transport=transport) as kit:
        held = log_in(kit, sb)
        check_success(call, kit, sb, held, call.run(kit, sb))
    assert (transport.refused, sb.count(call.endpoint)) == (1, 1)


@pytest.mark.parametrize("call", CALLS, ids=str)
def test_a_connection_refused_every_time_ends_after_bounded_attempts(sb: Sandbox, call: Call) -> None:
    transport = RefusingTransport(PATHS[call.endpoint], times=10)
    with sandbox_kit(sb, transport=transport) as kit:
        held = log_in(kit, sb)
        with pytest.raises(TransportError) as caught:
            call.run(kit, sb)
        check_kept(call, kit, held)
    assert caught.value.sent is False
    assert (transport.refused, sb.count(call.endpoint)) == (ATTEMPTS, 0)


def test_a_closed_port_is_a_transport_error_saying_nothing_was_sent(sb: Sandbox, make_kit: MakeKit) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    kit = make_kit(base_api_url=f"http://127.0.0.1:{port}/v2/")
    held = log_in(kit, sb)
    with capture_transitions() as events, pytest.raises(TransportError) as caught:
        kit.refresh_access_token()
    assert caught.value.sent is False and "could not reach TikTok" in str(caught.value)
    assert [event["trigger"] for event in events].count("retry") == ATTEMPTS - 1
    assert kit.token is held


# --------------------------------------------------------------------------- unknown outcomes
@pytest.mark.parametrize(
    ("kind", "params", "settings", "error"),
    [
        ("connection_reset", {"process": True}, {}, TransportError),
        ("delay", {"seconds": READ_DELAY}, {"http_timeout": READ_TIMEOUT}, TransportError),
        ("slow_drip", {"seconds": 1.5}, {"call_deadline": 0.3}, TransportError),
        ("html_5xx", {"status": 502, "process": True}, {}, ProtocolError),
        ("oauth_error_200", {"error": "server_error", "process": True}, {}, OAuthError),
    ],
    ids=["reset", "read-timeout", "slow-drip", "502", "server_error"],
)
def test_a_code_exchange_with_an_unknown_outcome_is_never_retried(
    sb: Sandbox,
    make_kit: MakeKit,
    kind: str,
    params: dict[str, Any],
    settings: dict[str, Any],
    error: type[TikTokError],
) -> None:
    """TikTok exchanged the code but the answer was lost or unusable: sending the code again
    would be a reuse, which revokes everything issued from it (RFC 6749 section 4.1.2)."""
    kit = make_kit(**settings)
    held = log_in(kit, sb)
    sb.faults.add("token", kind, **params)
    started = time.monotonic()
    with pytest.raises(error) as caught:
        browser_login(kit)
    assert settle(sb, "token", 1, not_before=started + READ_DELAY + 0.1) == 1
    assert sb.codes[-1].used  # TikTok did act on it ...
    assert not [t for t in sb.tokens() if t.revoked_reason == "code_reused"]  # ... and never saw it twice
    assert kit.token is held
    if isinstance(caught.value, TransportError):
        assert caught.value.sent is True and "not retried" in str(caught.value)


@pytest.mark.parametrize("reached_tiktok", [True, False], ids=["processed", "lost-before"])
def test_a_refresh_with_an_unknown_outcome_is_not_retried_and_keeps_the_stored_refresh_token(
    sb: Sandbox, make_kit: MakeKit, reached_tiktok: bool
) -> None:
    kit = make_kit()
    held = log_in(kit, sb)
    sb.faults.add("token", "connection_reset", process=reached_tiktok)
    with pytest.raises(TransportError) as caught:
        kit.refresh_access_token()
    assert caught.value.sent is True and "refresh token is kept" in str(caught.value)
    assert sb.count("token") == 1 and kit.token is held
    if reached_tiktok:  # TikTok rotated: the kept token is dead and the next refresh says so, once
        assert not sb.is_alive(held.refresh_token or "")
        with pytest.raises(ReauthorizationRequired):
            kit.refresh_access_token()
        assert sb.count("token") == 2 and kit.token is held
    else:  # the kept refresh token still works
        assert sb.is_alive(held.refresh_token or "")
        assert sb.is_alive(kit.refresh_access_token().access_token)


# --------------------------------------------------------------------------- Retry-After
def test_retry_after_in_seconds_is_honoured(sb: Sandbox, make_kit: MakeKit) -> None:
    kit = make_kit()
    log_in(kit, sb)
    sb.faults.add("user_info", "rate_limit_429", retry_after=1)
    start = time.monotonic()
    assert kit.get_user_info(FIELDS)["open_id"] == sb.user.open_id
    waited = time.monotonic() - start
    assert sb.count("user_info") == 2
    assert 0.95 <= waited < 2.5  # the backoff alone would be under 0.05 s


def test_retry_after_as_an_http_date_is_honoured_even_for_a_refresh(sb: Sandbox, make_kit: MakeKit) -> None:
    kit = make_kit()
    held = log_in(kit, sb)
    sb.faults.add("token", "rate_limit_429", retry_after=2, http_date=True)  # whole seconds: waits 1..2 s
    start = time.monotonic()
    new = kit.refresh_access_token()
    waited = time.monotonic() - start
    assert sb.count("token") == 2 and new.access_token != held.access_token
    assert 0.9 <= waited < 3.0


@pytest.mark.parametrize("http_date", [False, True], ids=["seconds", "http-date"])
def test_a_retry_after_over_the_cap_ends_at_once_in_rate_limited(
    sb: Sandbox, make_kit: MakeKit, http_date: bool
) -> None:
    kit = make_kit()
    held = log_in(kit, sb)
    sb.faults.add("token", "rate_limit_429", retry_after=30, http_date=http_date)
    start = time.monotonic()
    with pytest.raises(RateLimited) as caught:
        kit.refresh_access_token()
    assert time.monotonic() - start < 1.0
    assert caught.value.retry_after is not None and 28.0 <= caught.value.retry_after <= 30.0
    assert sb.count("token") == 1 and kit.token is held


# --------------------------------------------------------------------------- TikTok's own OAuth errors
@pytest.mark.parametrize("status_switch", ["always_200", "mapped"])
def test_invalid_grant_on_refresh_asks_for_a_new_login_without_any_retry(
    sb: Sandbox, make_kit: MakeKit, status_switch: str
) -> None:
    sb.switches.oauth_error_status = status_switch
    kit = make_kit()
    held = log_in(kit, sb)
    sb.kill_token(held.refresh_token or "")
    for attempt in (1, 2):  # each call is one request, never a loop
        with pytest.raises(ReauthorizationRequired) as caught:
            kit.refresh_access_token()
        assert caught.value.http_status == (200 if status_switch == "always_200" else 400)
        assert sb.count("token") == attempt and kit.token is held


def test_invalid_grant_during_user_info_asks_for_a_new_login(sb: Sandbox, make_kit: MakeKit) -> None:
    kit = make_kit()
    body = sb.issue_tokens(["user.info.basic"])
    held = kit.load_token(Token.from_response(body, now=time.time() - 10 * 7200))  # expired locally
    sb.kill_token(body["refresh_token"])
    with pytest.raises(ReauthorizationRequired):
        kit.get_user_info(FIELDS)
    assert (sb.count("token"), sb.count("user_info")) == (1, 0)
    assert kit.token is held


@pytest.mark.parametrize("status_switch", ["always_200", "mapped"])
@pytest.mark.parametrize("call", [CALL["exchange"], CALL["refresh"]], ids=str)
def test_a_wrong_client_secret_is_a_typed_oauth_error_whatever_the_http_status(
    sb: Sandbox, make_kit: MakeKit, status_switch: str, call: Call
) -> None:
    sb.switches.oauth_error_status = status_switch
    kit = make_kit(client_secret="not-the-secret")
    held = log_in(kit, sb)
    with pytest.raises(OAuthError) as caught:
        call.run(kit, sb)
    assert caught.value.error == "invalid_client"
    assert caught.value.http_status == (200 if status_switch == "always_200" else 401)
    assert sb.count("token") == 1 and kit.token is held


# --------------------------------------------------------------------------- refresh rotation
def test_a_refresh_answer_without_refresh_token_keeps_the_old_one(sb: Sandbox, make_kit: MakeKit) -> None:
    sb.switches.rotate_refresh_tokens = False
    kit = make_kit()
    held = log_in(kit, sb)
    sb.faults.add("token", "odd_fields", drop=("refresh_token", "refresh_expires_in"))
    new = kit.refresh_access_token()
    assert new.access_token != held.access_token and sb.is_alive(new.access_token)
    assert (new.refresh_token, new.refresh_expires_at) == (held.refresh_token, held.refresh_expires_at)
    assert kit.refresh_access_token().access_token != new.access_token  # and it still works


def test_a_rotated_refresh_token_is_stored_before_the_access_token_is_handed_out(
    sb: Sandbox, make_kit: MakeKit
) -> None:
    stored: list[Token | None] = []
    kit = make_kit(on_token=lambda token: stored.append(kit.token if token is kit.token else None))
    held = log_in(kit, sb)
    stored.clear()
    new = kit.refresh_access_token()
    assert stored == [new]  # on_token (the app's store) had it before refresh_access_token returned
    assert new.refresh_token != held.refresh_token and sb.is_alive(new.refresh_token or "")
    assert not sb.is_alive(held.refresh_token or "")  # TikTok rotated: only the stored one works


def test_a_refreshed_token_for_another_open_id_is_refused(sb: Sandbox, make_kit: MakeKit) -> None:
    kit = make_kit()
    held = log_in(kit, sb)
    sb.faults.add("token", "odd_fields", overrides={"open_id": "somebody-else"})
    with pytest.raises(ProtocolError):
        kit.refresh_access_token()
    assert kit.token is held


# --------------------------------------------------------------------------- missing / odd fields
TOKEN_CALLS = [CALL["exchange"], CALL["qr_exchange"], CALL["refresh"]]


@pytest.mark.parametrize("call", TOKEN_CALLS, ids=str)
@pytest.mark.parametrize(
    "params",
    [
        {"drop": ("access_token",)},
        {"overrides": {"access_token": 12}},
        {"overrides": {"access_token": "act. with space"}},
        {"drop": ("expires_in",)},
        {"overrides": {"expires_in": True}},
        {"overrides": {"expires_in": "soon"}},
        {"overrides": {"expires_in": []}},
        {"overrides": {"expires_in": None}},
        {"overrides": {"scope": 5}},
        {"overrides": {"open_id": 7}},
        {"overrides": {"token_type": [1]}},
        {"overrides": {"refresh_token": {"value": "rft.x"}}},
    ],
    ids=[
        "no-access_token", "access_token-number", "access_token-space", "no-expires_in", "expires_in-bool",
        "expires_in-word", "expires_in-list", "expires_in-null", "scope-number", "open_id-number",
        "token_type-list", "refresh_token-object",
    ],
)
def test_odd_token_fields_are_a_protocol_error(
    sb: Sandbox, make_kit: MakeKit, call: Call, params: dict[str, Any]
) -> None:
    kit = make_kit()
    held = log_in(kit, sb)
    sb.faults.add("token", "odd_fields", **params)
    with pytest.raises(ProtocolError):
        call.run(kit, sb)
    assert sb.count("token") == 1 and kit.token is held


@pytest.mark.parametrize("call", TOKEN_CALLS, ids=str)
@pytest.mark.parametrize(
    ("expires_in", "lifetime"),
    [("7200", 7200.0), (7200.5, 7200.5), (-5, 0.0), (10**400, float(MAX_LIFETIME))],
    ids=["digit-string", "float", "negative", "huge"],
)
def test_odd_lifetimes_are_clamped_never_an_overflow(
    sb: Sandbox, make_kit: MakeKit, call: Call, expires_in: object, lifetime: float
) -> None:
    kit = make_kit()
    log_in(kit, sb)
    sb.faults.add("token", "odd_fields", overrides={"expires_in": expires_in})
    before = time.time()
    token = call.run(kit, sb)
    assert before + lifetime - 1 <= token.expires_at <= time.time() + lifetime
    assert kit.token is token and token.is_expired(time.time()) == (lifetime == 0.0)


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"drop": ("token",)}, ProtocolError),
        ({"drop": ("scan_qrcode_url",)}, ProtocolError),
        ({"overrides": {"token": 5}}, ProtocolError),
        ({"overrides": {"scan_qrcode_url": ""}}, ProtocolError),
    ],
    ids=["no-token", "no-url", "token-number", "url-empty"],
)
def test_odd_get_qrcode_fields_are_a_protocol_error(
    sb: Sandbox, make_kit: MakeKit, params: dict[str, Any], error: type[TikTokError]
) -> None:
    kit = make_kit()
    held = log_in(kit, sb)
    sb.faults.add("get_qrcode", "odd_fields", **params)
    with pytest.raises(error):
        kit.generate_qr_code()
    assert sb.count("get_qrcode") == 1 and kit.token is held


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"drop": ("status",)}, ProtocolError),
        ({"overrides": {"status": "approved"}}, ProtocolError),
        ({"overrides": {"status": 3}}, ProtocolError),
        ({"overrides": {"client_ticket": 5}}, ProtocolError),
        ({"drop": ("redirect_uri",)}, ProtocolError),
        ({"overrides": {"redirect_uri": "http://[::1/callback/?code=x"}}, ProtocolError),
        ({"overrides": {"client_ticket": "someone-elses-ticket-0123456789"}}, QrTicketMismatch),
        ({"overrides": {"client_ticket": ""}}, QrTicketMismatch),
        ({"drop": ("client_ticket",)}, QrTicketMismatch),
        ({"overrides": {"redirect_uri": "https://app.example.test/cb/?code=c0de&state=forged"}}, QrTicketMismatch),
    ],
    ids=[
        "no-status", "unknown-status", "status-number", "ticket-number", "no-code", "redirect-not-a-url",
        "foreign-ticket", "empty-ticket", "no-ticket", "foreign-state",
    ],
)
def test_an_odd_or_foreign_confirmation_is_refused_and_its_code_never_exchanged(
    sb: Sandbox, make_kit: MakeKit, params: dict[str, Any], error: type[TikTokError]
) -> None:
    kit = make_kit()
    held = log_in(kit, sb)
    sb.faults.add("check_qrcode", "odd_fields", **params)
    with pytest.raises(error):
        qr_login(kit, sb)
    assert sb.count("token") == 0 and not sb.codes[-1].used
    assert kit.token is held


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"drop": ("data",)}, ProtocolError),
        ({"drop": ("error",)}, ProtocolError),
        ({"overrides": {"data": {"user": []}}}, ProtocolError),
        ({"overrides": {"data": None}}, ProtocolError),
        ({"overrides": {"error": []}}, ProtocolError),
        ({"overrides": {"error": {"code": 5}}}, ApiError),
    ],
    ids=["no-data", "no-error", "user-list", "data-null", "error-list", "code-number"],
)
def test_odd_user_info_envelopes_are_typed_errors(
    sb: Sandbox, make_kit: MakeKit, params: dict[str, Any], error: type[TikTokError]
) -> None:
    kit = make_kit()
    held = log_in(kit, sb)
    sb.faults.add("user_info", "odd_fields", **params)
    with pytest.raises(error):
        kit.get_user_info(FIELDS)
    assert (sb.count("user_info"), sb.count("token")) == (1, 0) and kit.token is held


def test_unknown_extra_fields_in_a_revoke_answer_are_ignored(sb: Sandbox, make_kit: MakeKit) -> None:
    kit = make_kit()
    held = log_in(kit, sb)
    sb.faults.add("revoke", "odd_fields", overrides={"unexpected": [1, {"x": None}]})
    kit.revoke_access_token()
    assert kit.token is None and not sb.is_alive(held.access_token)


# --------------------------------------------------------------------------- user info 401
def test_user_info_401_gets_one_refresh_and_one_retry(sb: Sandbox, make_kit: MakeKit) -> None:
    kit = make_kit()
    held = log_in(kit, sb)
    sb.kill_token(held.access_token)  # e.g. the person changed their password; the refresh token still works
    assert kit.get_user_info(FIELDS)["open_id"] == sb.user.open_id
    assert (sb.count("user_info"), sb.count("token")) == (2, 1)
    assert kit.token is not held and sb.is_alive(kit.current_access_token or "")


def test_user_info_401_twice_gives_up_after_one_refresh(sb: Sandbox, make_kit: MakeKit) -> None:
    kit = make_kit()
    held = log_in(kit, sb)
    sb.faults.add("user_info", "api_error", times=2, code="access_token_invalid", message="gone")
    with pytest.raises(AccessTokenInvalid):
        kit.get_user_info(FIELDS)
    assert (sb.count("user_info"), sb.count("token")) == (2, 1)
    assert kit.token is not held and sb.is_alive(kit.token.refresh_token or "")  # the refresh itself was good


def test_scope_not_authorized_never_refreshes(sb: Sandbox, make_kit: MakeKit) -> None:
    sb.switches.missing_scope_error = "scope_not_authorized"  # a 401, like access_token_invalid
    kit = make_kit()
    held = log_in(kit, sb)  # granted user.info.basic only
    with pytest.raises(ScopeError) as caught:
        kit.get_user_info(("open_id", "follower_count"))
    assert caught.value.http_status == 401
    assert (sb.count("user_info"), sb.count("token")) == (1, 0) and kit.token is held


# --------------------------------------------------------------------------- QR statuses and tickets
def foreign(url: str) -> str:
    """The QR URL as a phone would read it if someone had swapped in their own ticket."""
    head, _, rest = url.partition("client_ticket=")
    _, amp, tail = rest.partition("&")
    return f"{head}client_ticket=someone-elses-ticket-0123456789{amp}{tail}"


@pytest.mark.parametrize("phone_action", ["confirm", "scan"])
def test_a_confirmation_with_a_foreign_ticket_is_refused_and_never_exchanged(
    sb: Sandbox, make_kit: MakeKit, phone_action: str
) -> None:
    kit = make_kit()
    held = log_in(kit, sb)
    act = sb.phone_confirm if phone_action == "confirm" else sb.phone_scan
    with pytest.raises(QrTicketMismatch):
        qr_login(kit, sb, phone=lambda url: act(foreign(url)))
    assert sb.count("token") == 0 and not [code for code in sb.codes if code.used]
    assert kit.token is held


@pytest.mark.parametrize("how", ["lifetime-over", "phone-denied"])
def test_an_expired_qr_code_is_a_typed_error_and_a_new_one_can_be_asked_for(
    sb: Sandbox, make_kit: MakeKit, how: str
) -> None:
    kit = make_kit()
    held = log_in(kit, sb)

    def phone(url: str) -> None:
        if how == "phone-denied":
            sb.phone_deny(url)
        else:
            sb.clock.advance(sb.switches.qr_lifetime + 1)

    with pytest.raises(QrCodeExpired):
        qr_login(kit, sb, phone=phone)
    assert sb.count("token") == 0 and kit.token is held
    assert sb.is_alive(qr_login(kit, sb).access_token)


def test_a_utilised_qr_code_is_a_typed_error_and_a_new_one_can_be_asked_for(sb: Sandbox, make_kit: MakeKit) -> None:
    kit = make_kit()
    held = log_in(kit, sb)

    def phone_then_thief(url: str) -> None:  # somebody else exchanges the code first
        sb.phone_confirm(url)
        code = next(s.code for s in sb.qr_sessions if s.status == contract.QR_CONFIRMED)
        form = {"client_key": sb.client_key, "client_secret": sb.client_secret, "code": code,
                "grant_type": "authorization_code"}
        assert httpx.post(sb.base_url + contract.TOKEN_PATH, data=form, trust_env=False).status_code == 200

    with pytest.raises(QrCodeUtilised):
        qr_login(kit, sb, phone=phone_then_thief)
    assert sb.count("token") == 1 and kit.token is held  # only the thief's exchange
    assert sb.is_alive(qr_login(kit, sb).access_token)


def test_generate_qr_code_then_oauth_qrcode_logs_in(sb: Sandbox, make_kit: MakeKit) -> None:
    """The split API: the polling flow is a new one, so it checks TikTok's answer by the
    client_ticket (its own CSRF state would not match the one get_qrcode sent)."""
    kit = make_kit()
    url, qr_token, client_ticket = kit.generate_qr_code()
    sb.phone_confirm(url)
    token = kit.oauth_qrcode(qr_token, client_ticket, timeout=5)
    assert sb.is_alive(token.access_token)


# --------------------------------------------------------------------------- revoke
@pytest.mark.parametrize("status_switch", ["always_200", "mapped"])
@pytest.mark.parametrize("answer", ["success", "error"])
def test_revoking_an_already_dead_token_succeeds_and_forgets_it(
    sb: Sandbox, make_kit: MakeKit, answer: str, status_switch: str
) -> None:
    sb.switches.revoke_dead_token = answer  # TikTok's answer for a dead token is undocumented
    sb.switches.oauth_error_status = status_switch
    kit = make_kit()
    held = log_in(kit, sb)
    sb.kill_token(held.access_token)
    kit.revoke_access_token()
    assert kit.token is None and sb.count("revoke") == 1


# --------------------------------------------------------------------------- the async kit
ASYNC_FAULTS = [
    ("reset", "connection_reset", {}, {}),
    ("429", "rate_limit_429", {}, {}),
    ("slow-drip", "slow_drip", {"seconds": 1.5}, {"call_deadline": 0.3}),
    ("truncated-json", "truncated_json", {}, {}),
]
ASYNC_EXPECT = {
    ("refresh", "reset"): Fails(TransportError, 1),
    ("refresh", "429"): Ok(2),
    ("refresh", "slow-drip"): Fails(TransportError, 1),
    ("refresh", "truncated-json"): Fails(ProtocolError, 1),
    ("user_info", "reset"): Ok(2),
    ("user_info", "429"): Ok(2),
    ("user_info", "slow-drip"): Ok(2),
    ("user_info", "truncated-json"): Fails(ProtocolError, 1),
}


@pytest.mark.parametrize("call", [CALL["refresh"], CALL["user_info"]], ids=str)
@pytest.mark.parametrize(("row", "kind", "params", "settings"), ASYNC_FAULTS, ids=[r[0] for r in ASYNC_FAULTS])
def test_the_async_kit_meets_the_same_faults_the_same_way(
    sb: Sandbox, call: Call, row: str, kind: str, params: dict[str, Any], settings: dict[str, Any]
) -> None:
    expected = ASYNC_EXPECT[(call.name, row)]

    async def main() -> None:
        settings_ = kit_settings(sb, transport=async_transport(), **settings)
        async with AsyncLoginKit(sb.client_key, sb.client_secret, **settings_) as kit:
            held = kit.load_token(sb.issue_tokens(["user.info.basic"]))
            sb.faults.add(call.endpoint, kind, **params)
            run = kit.refresh_access_token if call.name == "refresh" else lambda: kit.get_user_info(FIELDS)
            if isinstance(expected, Ok):
                await run()
                assert kit.token is not held if call.name == "refresh" else kit.token is held
            else:
                with pytest.raises(expected.error):
                    await run()
                assert kit.token is held

    asyncio.run(main())
    assert settle(sb, call.endpoint, expected.attempts) == expected.attempts
