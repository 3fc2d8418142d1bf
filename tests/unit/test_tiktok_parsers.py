"""The parsers of pytok_sm._tiktok: the body decides, odd answers are typed errors."""

from __future__ import annotations

import email.utils
import json
import time
import traceback
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytok_sm import _contract as contract
from pytok_sm._callback import Callback, parse_callback_query
from pytok_sm._errors import (
    AccessTokenInvalid,
    ApiError,
    OAuthError,
    ProtocolError,
    RateLimited,
    ReauthorizationRequired,
    ScopeError,
    TikTokError,
)
from pytok_sm._http import MAX_BODY_BYTES, Response, parse_json
from pytok_sm._retry import Outcome, RequestKind, outcome_of
from pytok_sm._tiktok import (
    QrCode,
    QrStatus,
    parse_check_qrcode,
    parse_get_qrcode,
    parse_oauth,
    parse_revoke,
    parse_token,
    parse_user_info,
)
from pytok_sm._token import Token

CANARY = "CANARY-body-7f3a"


def resp(status: int, body: bytes | dict[str, Any] | str = b"", **headers: str) -> Response:
    if isinstance(body, dict):
        body = json.dumps(body).encode()
    elif isinstance(body, str):
        body = body.encode()
    return Response(status, {k.replace("_", "-"): v for k, v in headers.items()}, body)


def oauth_error(error: str, description: str = "", log_id: str = "LOG123") -> dict[str, str]:
    return {"error": error, "error_description": description, "log_id": log_id}


def envelope(code: str, message: str = "", log_id: str = "LOG456", data: object = None) -> dict[str, Any]:
    return {"data": {} if data is None else data, "error": {"code": code, "message": message, "log_id": log_id}}


# --------------------------------------------------------------------------- parse_json

BAD_BODIES = [
    pytest.param(resp(200, f"<html><body>{CANARY}</body></html>", content_type="text/html"), "HTML", id="html-page"),
    pytest.param(resp(502, f"<!DOCTYPE html><p>{CANARY}</p>"), "HTML", id="html-no-content-type"),
    pytest.param(resp(200, f'{{"access_token": "{CANARY}", "expires_in'), "not valid JSON", id="truncated"),
    pytest.param(resp(200, f'["{CANARY}"]'), "list", id="json-list"),
    pytest.param(resp(200, f'"{CANARY}"'), "str", id="json-string"),
    pytest.param(resp(200, "42"), "int", id="json-number"),
    pytest.param(resp(200, "null"), "NoneType", id="json-null"),
    pytest.param(resp(200, f'{{"a": NaN, "b": "{CANARY}"}}'), "not valid JSON", id="nan"),
    pytest.param(resp(200, f'{{"a": Infinity, "b": "{CANARY}"}}'), "not valid JSON", id="infinity"),
    pytest.param(resp(200, f'{{"a": -Infinity, "b": "{CANARY}"}}'), "not valid JSON", id="minus-infinity"),
    pytest.param(resp(200, "[" * 100_000 + "]" * 100_000), "nested too deeply", id="100000-nested-lists"),
    pytest.param(resp(200, '{"a":' + "[" * 100_000 + "]" * 100_000 + "}"), "nested too deeply", id="deep-in-object"),
    pytest.param(resp(200, '{"a":' + '{"b":' * 40 + "1" + "}" * 40 + "}"), "nested too deeply", id="40-nested-objects"),
    pytest.param(resp(200, b""), "empty", id="empty"),
    pytest.param(resp(200, b" \r\n\t "), "empty", id="whitespace"),
    pytest.param(resp(200, b'{"a": "' + CANARY.encode() * (MAX_BODY_BYTES // 10) + b'"}'), "too large", id="oversize"),
    pytest.param(resp(200, b'{"a": "\xff\xfe' + CANARY.encode() + b'"}'), "not valid JSON", id="invalid-utf8"),
    pytest.param(resp(200, f'{{"a": 1}} {{"b": "{CANARY}"}}'), "not valid JSON", id="two-objects"),
]


@pytest.mark.parametrize(("response", "what"), BAD_BODIES)
def test_unreadable_body_is_a_protocol_error_without_the_body(response: Response, what: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_json(response)
    error = caught.value
    assert what in str(error)
    assert CANARY not in str(error)
    assert CANARY not in repr(error)
    assert error.http_status == response.status
    assert f"HTTP {response.status}" in str(error)
    assert error.__cause__ is None  # the decoder's error is not chained into the traceback
    assert error.__context__ is None or error.__suppress_context__
    assert CANARY not in "".join(traceback.format_exception(error))


def test_shallow_nesting_is_fine() -> None:
    body = '{"a":' + "[" * 20 + "]" * 20 + "}"
    assert parse_json(resp(200, body)) == json.loads(body)


def test_empty_body_allowed_when_asked() -> None:
    assert parse_json(resp(200, b""), allow_empty=True) == {}


def test_body_at_the_size_limit_is_still_read() -> None:
    filler = "x" * (MAX_BODY_BYTES - len('{"a": ""}'))
    assert parse_json(resp(200, f'{{"a": "{filler}"}}'))["a"] == filler


def test_5xx_protocol_error_is_transient() -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_json(resp(503, "<html>busy</html>"))
    assert caught.value.transient
    with pytest.raises(ProtocolError) as caught:
        parse_json(resp(200, "<html>login</html>"))
    assert not caught.value.transient


# --------------------------------------------------------------------------- parse_oauth


@pytest.mark.parametrize("status", [200, 400, 401, 403, 500])
def test_the_body_decides_a_top_level_error_is_a_failure_whatever_the_status(status: int) -> None:
    body = oauth_error("invalid_client", "Client key or secret is invalid.", "LOG-A")
    with pytest.raises(OAuthError) as caught:
        parse_oauth(resp(status, body), RequestKind.EXCHANGE_CODE)
    error = caught.value
    assert type(error) is OAuthError
    assert error.error == "invalid_client"
    assert error.description == "Client key or secret is invalid."
    assert error.log_id == "LOG-A"
    assert error.http_status == status
    assert "LOG-A" in str(error)


def test_invalid_grant_on_refresh_asks_to_log_in_again() -> None:
    body = oauth_error("invalid_grant", "Refresh token is invalid or expired.", "LOG-R")
    with pytest.raises(ReauthorizationRequired) as caught:
        parse_oauth(resp(200, body), RequestKind.REFRESH)
    error = caught.value
    assert "log in again" in str(error)
    assert (error.error, error.log_id, error.http_status) == ("invalid_grant", "LOG-R", 200)
    assert not error.transient


def test_invalid_grant_on_exchange_is_a_plain_oauth_error() -> None:
    body = oauth_error("invalid_grant", contract.DESC_CODE_EXPIRED)
    with pytest.raises(OAuthError) as caught:
        parse_oauth(resp(400, body), RequestKind.EXCHANGE_CODE)
    assert not isinstance(caught.value, ReauthorizationRequired)


@pytest.mark.parametrize("error", sorted(contract.OAUTH_ERRORS))
def test_every_documented_oauth_error_is_typed(error: str) -> None:
    with pytest.raises(OAuthError) as caught:
        parse_oauth(resp(400, oauth_error(error, "desc")), RequestKind.EXCHANGE_CODE)
    assert caught.value.error == error
    assert caught.value.transient == (error in ("server_error", "temporarily_unavailable"))


def test_429_with_retry_after_seconds() -> None:
    with pytest.raises(RateLimited) as caught:
        parse_oauth(resp(429, b"", retry_after="7"), RequestKind.EXCHANGE_CODE)
    assert caught.value.retry_after == 7.0
    assert caught.value.http_status == 429


def test_429_with_retry_after_http_date() -> None:
    when = email.utils.formatdate(time.time() + 120, usegmt=True)
    with pytest.raises(RateLimited) as caught:
        parse_oauth(resp(429, oauth_error("rate_limit_exceeded"), retry_after=when), RequestKind.REFRESH)
    assert caught.value.retry_after is not None
    assert 110 <= caught.value.retry_after <= 121


@pytest.mark.parametrize(
    "response",
    [
        pytest.param(resp(429, b""), id="empty"),
        pytest.param(resp(429, b"{}"), id="empty-object"),
        pytest.param(resp(429, oauth_error("invalid_request")), id="other-error"),
        pytest.param(resp(200, oauth_error("rate_limit_exceeded")), id="body-says-so"),
        pytest.param(resp(429, b"", retry_after="later"), id="garbage-retry-after"),
    ],
)
def test_rate_limits_without_retry_after(response: Response) -> None:
    with pytest.raises(RateLimited) as caught:
        parse_oauth(response, RequestKind.USER_INFO)
    assert caught.value.retry_after is None


def test_retry_after_header_name_is_case_insensitive() -> None:
    with pytest.raises(RateLimited) as caught:
        parse_oauth(Response(429, {"RETRY-AFTER": "3"}, b""), RequestKind.REVOKE)
    assert caught.value.retry_after == 3.0


def test_success_answer_is_returned_as_a_dict() -> None:
    body = {"access_token": "act.x", "expires_in": 86400}
    assert parse_oauth(resp(200, body), RequestKind.EXCHANGE_CODE) == body


@pytest.mark.parametrize("status", [301, 302, 307, 404, 500, 502])
def test_unexpected_status_without_error_is_a_protocol_error(status: int) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_oauth(resp(status, {"access_token": "act.x"}), RequestKind.EXCHANGE_CODE)
    assert caught.value.http_status == status


@pytest.mark.parametrize("value", [5, True, ["invalid_grant"]])
def test_odd_error_value_still_means_failure(value: object) -> None:
    with pytest.raises(OAuthError) as caught:
        parse_oauth(resp(200, {"error": value}), RequestKind.EXCHANGE_CODE)
    assert caught.value.error == "server_error"


def test_envelope_error_on_an_oauth_endpoint_is_an_api_error() -> None:
    body = envelope("access_token_invalid", contract.MSG_ACCESS_TOKEN_INVALID)
    with pytest.raises(AccessTokenInvalid):
        parse_oauth(resp(401, body), RequestKind.REVOKE)


def test_envelope_with_ok_is_success() -> None:
    body = envelope("ok")
    assert parse_oauth(resp(200, body), RequestKind.REVOKE) == body


def test_oauth_error_message_tells_what_to_do() -> None:
    with pytest.raises(OAuthError) as caught:
        parse_oauth(resp(200, oauth_error("invalid_client", "bad key", "L7")), RequestKind.EXCHANGE_CODE)
    assert str(caught.value) == "invalid_client: check client_key and client_secret (bad key) (log_id L7)"


# --------------------------------------------------------------------------- parse_token


def test_parse_token_builds_a_token() -> None:
    body = {"access_token": "act.x", "expires_in": 100, "open_id": "u1", "scope": "user.info.basic"}
    tok = parse_token(resp(200, body), RequestKind.EXCHANGE_CODE, now=1000.0)
    assert (tok.access_token, tok.expires_at, tok.open_id, tok.scopes) == ("act.x", 1100.0, "u1", {"user.info.basic"})


def test_parse_token_refuses_a_refresh_for_another_open_id() -> None:
    previous = Token("act.old", 0.0, open_id="u1", refresh_token="rft.old")
    body = {"access_token": "act.new", "expires_in": 100, "open_id": "u2"}
    with pytest.raises(ProtocolError, match="open_id"):
        parse_token(resp(200, body), RequestKind.REFRESH, now=1.0, previous=previous)


def test_parse_token_refresh_keeps_the_old_refresh_token() -> None:
    previous = Token("act.old", 0.0, open_id="u1", refresh_token="rft.old", refresh_expires_at=999.0)
    tok = parse_token(resp(200, {"access_token": "act.new", "expires_in": 100}), RequestKind.REFRESH, now=1.0,
                      previous=previous)
    assert (tok.refresh_token, tok.refresh_expires_at, tok.open_id) == ("rft.old", 999.0, "u1")


# --------------------------------------------------------------------------- parse_revoke


@pytest.mark.parametrize("body", [b"", b"{}", b"  ", b'{"data": {}}', json.dumps(envelope("ok")).encode()])
def test_revoke_success_shapes(body: bytes) -> None:
    assert parse_revoke(resp(200, body)) is None


def test_revoke_failure_is_the_oauth_error() -> None:
    with pytest.raises(OAuthError) as caught:
        parse_revoke(resp(200, oauth_error("invalid_request", contract.DESC_MALFORMED)))
    assert caught.value.error == "invalid_request"


# --------------------------------------------------------------------------- QR code


def test_parse_get_qrcode() -> None:
    url = "aweme://authorize?client_key=k&client_ticket=tobefilled&scope=user.info.basic"
    qr = parse_get_qrcode(resp(200, {"scan_qrcode_url": url, "token": "qr-secret-token"}))
    assert qr == QrCode(url, "qr-secret-token")
    assert "qr-secret-token" not in repr(qr)


@pytest.mark.parametrize(
    "body",
    [{"token": "t"}, {"scan_qrcode_url": "aweme://x"}, {"scan_qrcode_url": 5, "token": "t"},
     {"scan_qrcode_url": "aweme://x", "token": ""}, {}],
)
def test_parse_get_qrcode_needs_url_and_token(body: dict[str, Any]) -> None:
    with pytest.raises(ProtocolError):
        parse_get_qrcode(resp(200, body))


def test_parse_get_qrcode_error() -> None:
    with pytest.raises(OAuthError):
        parse_get_qrcode(resp(200, oauth_error("invalid_scope")))


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param({"client_ticket": "", "status": "new"}, QrStatus("new"), id="new"),
        pytest.param({"client_ticket": "T", "status": "scanned"}, QrStatus("scanned", "T"), id="scanned"),
        pytest.param({"client_ticket": "", "status": "expired"}, QrStatus("expired"), id="expired"),
        pytest.param({"client_ticket": "T", "status": "utilised"}, QrStatus("utilised", "T"), id="utilised"),
        pytest.param({"status": "new"}, QrStatus("new"), id="no-ticket"),
        pytest.param(
            {"client_ticket": "T", "status": "confirmed",
             "redirect_uri": "https://app.example.com/cb/?code=ab%2A%21cd&state=S1&scopes=user.info.basic"},
            QrStatus("confirmed", "T", "ab*!cd", "S1", "user.info.basic"),
            id="code-in-redirect-uri",
        ),
        pytest.param(
            {"client_ticket": "T", "status": "confirmed", "code": "bare*code", "state": "S2", "scopes": "video.list"},
            QrStatus("confirmed", "T", "bare*code", "S2", "video.list"),
            id="bare-fields",
        ),
        pytest.param(
            {"client_ticket": "T", "status": "confirmed", "code": "bare", "state": "S3",
             "redirect_uri": "https://app.example.com/cb/?code=fromuri&state=fromuri"},
            QrStatus("confirmed", "T", "bare", "S3", None),
            id="both-bare-wins",
        ),
        pytest.param(
            {"client_ticket": "T", "status": "confirmed", "code": "bare",
             "redirect_uri": "https://app.example.com/cb/?code=fromuri&state=S4"},
            QrStatus("confirmed", "T", "bare", "S4", None),
            id="both-state-from-uri",
        ),
        pytest.param(
            {"client_ticket": "T", "status": "confirmed", "redirect_uri": "https://app.example.com/cb/"},
            QrStatus("confirmed", "T"),
            id="confirmed-without-code",
        ),
        pytest.param(
            {"client_ticket": "T", "status": "confirmed", "code": 5, "state": ["x"]},
            QrStatus("confirmed", "T"),
            id="odd-bare-types-ignored",
        ),
    ],
)
def test_parse_check_qrcode(body: dict[str, Any], expected: QrStatus) -> None:
    got = parse_check_qrcode(resp(200, body))
    assert (got.status, got.client_ticket, got.code, got.state, got.scopes) == (
        expected.status, expected.client_ticket, expected.code, expected.state, expected.scopes,
    )


def test_qr_status_repr_hides_code_state_and_ticket() -> None:
    status = parse_check_qrcode(resp(200, {"client_ticket": "TICKET-S", "status": "confirmed", "code": "CODE-S",
                                           "state": "STATE-S"}))
    assert "TICKET-S" not in repr(status)
    assert "CODE-S" not in repr(status)
    assert "STATE-S" not in repr(status)


@pytest.mark.parametrize(
    "body",
    [{"status": "approved"}, {"status": ""}, {"status": 1}, {"client_ticket": "T"}, {"status": "NEW"},
     {"status": "new", "client_ticket": 5}, {"status": "new", "client_ticket": ["T"]},
     {"status": "confirmed", "client_ticket": "T", "redirect_uri": "https://[broken/?code=x&state=y"}],
)
def test_parse_check_qrcode_odd_answers_are_protocol_errors(body: dict[str, Any]) -> None:
    with pytest.raises(ProtocolError):
        parse_check_qrcode(resp(200, body))


def test_parse_check_qrcode_error() -> None:
    with pytest.raises(OAuthError) as caught:
        parse_check_qrcode(resp(200, oauth_error("invalid_request")))
    assert caught.value.error == "invalid_request"


# --------------------------------------------------------------------------- parse_user_info


def test_user_info_ok_envelope() -> None:
    user = {"open_id": "u1", "display_name": "Ada", "follower_count": 3}
    assert parse_user_info(resp(200, envelope("ok", data={"user": user}))) == user


def test_user_info_access_token_invalid() -> None:
    body = envelope("access_token_invalid", contract.MSG_ACCESS_TOKEN_INVALID, "LOG-U")
    with pytest.raises(AccessTokenInvalid) as caught:
        parse_user_info(resp(401, body))
    error = caught.value
    assert (error.code, error.log_id, error.http_status) == ("access_token_invalid", "LOG-U", 401)
    assert error.api_message == contract.MSG_ACCESS_TOKEN_INVALID
    assert not error.transient


@pytest.mark.parametrize(("code", "status"), [("scope_not_authorized", 401), ("scope_permission_missed", 400)])
def test_user_info_scope_errors(code: str, status: int) -> None:
    with pytest.raises(ScopeError) as caught:
        parse_user_info(resp(status, envelope(code, "missing scope")))
    assert caught.value.code == code
    assert not isinstance(caught.value, AccessTokenInvalid)


def test_user_info_rate_limit() -> None:
    with pytest.raises(RateLimited) as caught:
        parse_user_info(resp(429, envelope("rate_limit_exceeded", "slow down", "LOG-RL"), retry_after="12"))
    assert (caught.value.retry_after, caught.value.log_id, caught.value.code) == (12.0, "LOG-RL", "rate_limit_exceeded")


def test_user_info_rate_limit_with_an_empty_429() -> None:
    with pytest.raises(RateLimited):
        parse_user_info(resp(429, b""))


def test_user_info_internal_error_is_a_transient_api_error() -> None:
    with pytest.raises(ApiError) as caught:
        parse_user_info(resp(500, envelope("internal_error", "oops")))
    assert type(caught.value) is ApiError
    assert caught.value.transient


@pytest.mark.parametrize("code", ["invalid_params", "invalid_param", "some_new_code"])
def test_user_info_other_codes_are_api_errors(code: str) -> None:
    with pytest.raises(ApiError) as caught:
        parse_user_info(resp(400, envelope(code)))
    assert type(caught.value) is ApiError
    assert caught.value.code == code


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"data": {"user": {"open_id": "u"}}}, id="missing-error-object"),
        pytest.param({"data": {"user": {}}, "error": None}, id="null-error"),
        pytest.param({"data": {"user": {}}, "error": ["ok"]}, id="list-error"),
        pytest.param({"error": {"code": "ok"}}, id="no-data"),
        pytest.param({"data": {}, "error": {"code": "ok"}}, id="no-user"),
        pytest.param({"data": {"user": "u1"}, "error": {"code": "ok"}}, id="user-not-object"),
        pytest.param({"data": [], "error": {"code": "ok"}}, id="data-not-object"),
    ],
)
def test_user_info_odd_envelopes_are_protocol_errors(body: dict[str, Any]) -> None:
    with pytest.raises(ProtocolError):
        parse_user_info(resp(200, body))


def test_user_info_error_object_without_code_is_an_api_error() -> None:
    with pytest.raises(ApiError) as caught:
        parse_user_info(resp(200, {"data": {}, "error": {"message": "?"}}))
    assert caught.value.code == "unknown_error"


def test_user_info_flat_oauth_error_is_an_oauth_error() -> None:
    with pytest.raises(OAuthError):
        parse_user_info(resp(401, oauth_error("invalid_request")))


def test_user_info_html_page() -> None:
    with pytest.raises(ProtocolError):
        parse_user_info(resp(502, f"<html>{CANARY}</html>"))


# --------------------------------------------------------------------------- outcome_of

OUTCOMES = [
    pytest.param(resp(200, b"{}"), RateLimited(), Outcome.RATE_LIMITED, id="rate-limited"),
    pytest.param(resp(200, b"{}"), OAuthError("temporarily_unavailable"), Outcome.UNAVAILABLE, id="temporarily-unavailable"),
    pytest.param(resp(200, b"{}"), OAuthError("server_error"), Outcome.SERVER_ERROR, id="oauth-server-error"),
    pytest.param(resp(400, b"{}"), OAuthError("invalid_grant"), None, id="invalid-grant"),
    pytest.param(resp(503, b"{}"), OAuthError("invalid_client"), None, id="oauth-terminal-beats-status"),
    pytest.param(resp(200, b"{}"), ReauthorizationRequired(), None, id="reauthorization"),
    pytest.param(resp(500, b"{}"), ApiError("internal_error"), Outcome.SERVER_ERROR, id="internal-error"),
    pytest.param(resp(401, b"{}"), AccessTokenInvalid("access_token_invalid"), None, id="access-token-invalid"),
    pytest.param(resp(401, b"{}"), ScopeError("scope_not_authorized"), None, id="scope"),
    pytest.param(resp(429, b"<html>"), ProtocolError("x", http_status=429), Outcome.RATE_LIMITED, id="429-html"),
    pytest.param(resp(503, b"<html>"), ProtocolError("x", http_status=503), Outcome.UNAVAILABLE, id="503-html"),
    pytest.param(resp(500, b"<html>"), ProtocolError("x", http_status=500), Outcome.SERVER_ERROR, id="500-html"),
    pytest.param(resp(502, b"<html>"), ProtocolError("x", http_status=502), Outcome.SERVER_ERROR, id="502-html"),
    pytest.param(resp(504, b""), None, Outcome.SERVER_ERROR, id="504-no-error"),
    pytest.param(resp(200, b"<html>"), ProtocolError("x", http_status=200), None, id="200-html"),
    pytest.param(resp(302, b""), ProtocolError("x", http_status=302), None, id="redirect"),
    pytest.param(resp(200, b"{}"), None, None, id="success"),
    pytest.param(None, None, None, id="nothing"),
]


@pytest.mark.parametrize(("response", "error", "outcome"), OUTCOMES)
def test_outcome_of(response: Response | None, error: BaseException | None, outcome: Outcome | None) -> None:
    assert outcome_of(response.status if response else None, error) is outcome


def test_outcome_of_parsed_answers() -> None:
    def outcome(response: Response, kind: RequestKind = RequestKind.EXCHANGE_CODE) -> Outcome | None:
        try:
            parse_oauth(response, kind)
        except TikTokError as error:
            return outcome_of(response.status, error)
        return outcome_of(response.status, None)

    assert outcome(resp(200, oauth_error("temporarily_unavailable"))) is Outcome.UNAVAILABLE
    assert outcome(resp(429, b"")) is Outcome.RATE_LIMITED
    assert outcome(resp(503, "<html>down</html>")) is Outcome.UNAVAILABLE
    assert outcome(resp(200, oauth_error("invalid_grant")), RequestKind.REFRESH) is None
    assert outcome(resp(200, {"access_token": "act.x"})) is None


# --------------------------------------------------------------------------- parse_callback_query


def test_callback_success() -> None:
    cb = parse_callback_query("code=ab%2A%21cd&scopes=user.info.basic%2Cvideo.list&state=xyz")
    assert cb == Callback(state="xyz", code="ab*!cd", scopes="user.info.basic,video.list")
    assert cb.problem is None


def test_callback_code_with_raw_star_and_bang() -> None:
    assert parse_callback_query("code=ab*!cd&state=s").code == "ab*!cd"


def test_callback_denied() -> None:
    cb = parse_callback_query("error=access_denied&error_description=The+user+denied&state=xyz")
    assert (cb.error, cb.error_description, cb.state, cb.code) == ("access_denied", "The user denied", "xyz", None)


def test_callback_repr_hides_code_and_state() -> None:
    cb = parse_callback_query("code=CODE-SECRET&state=STATE-SECRET")
    assert "CODE-SECRET" not in repr(cb)
    assert "STATE-SECRET" not in repr(cb)


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("code=a&code=b&state=s", "duplicate code parameter"),
        ("state=a&code=x&state=b", "duplicate state parameter"),
        ("state=a&state=a&code=x", "duplicate state parameter"),
        ("error=a&error=b&state=s", "duplicate error parameter"),
        ("scopes=a&scopes=b&state=s", "duplicate scopes parameter"),
        ("code=x&state=a%0Ab", "control characters in state"),
        ("code=x%0D%0A&state=s", "control characters in code"),
        ("code=x&state=s%00", "control characters in state"),
        ("code=x&state=s\x07", "control characters in state"),
        ("code=x&state=s&error_description=a%1Bb", "control characters in error_description"),
        ("code=x&state=" + "a" * 9000, "query too long"),
        ("code=x&state=%FF%FE", "query is not valid UTF-8"),
    ],
)
def test_callback_problems(query: str, problem: str) -> None:
    cb = parse_callback_query(query)
    assert cb.problem == problem
    assert cb.code is None
    assert cb.state is None


def test_callback_unrelated_duplicates_are_ignored() -> None:
    cb = parse_callback_query("utm=a&utm=b&code=c&state=s")
    assert (cb.problem, cb.code, cb.state) == (None, "c", "s")


@pytest.mark.parametrize("query", ["", "&&&", "state=", "code=&state=", "foo"])
def test_callback_without_code(query: str) -> None:
    cb = parse_callback_query(query)
    assert cb.code is None
    assert cb.problem is None


def test_callback_keeps_an_empty_state_distinct_from_a_missing_one() -> None:
    assert parse_callback_query("code=c&state=").state == ""
    assert parse_callback_query("code=c").state is None


# --------------------------------------------------------------------------- properties


@settings(max_examples=500, deadline=None)
@given(query=st.text(max_size=300) | st.text(alphabet="%&=;+*!abcstateodeFf0123456789\x00\n", max_size=120))
def test_parse_callback_query_of_any_text_returns_a_callback(query: str) -> None:
    cb = parse_callback_query(query)
    assert isinstance(cb, Callback)
    if cb.problem is not None:
        assert cb.code is None and cb.state is None
    for value in (cb.state, cb.code, cb.error, cb.scopes, cb.error_description):
        assert value is None or value.isprintable()


statuses = st.sampled_from([200, 201, 204, 301, 302, 400, 401, 403, 404, 429, 500, 502, 503, 504]) | st.integers(100, 599)
json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=15,
)
interesting_keys = st.sampled_from(
    ["error", "error_description", "log_id", "code", "message", "data", "user", "status", "client_ticket",
     "redirect_uri", "state", "scopes", "scan_qrcode_url", "token", "access_token", "expires_in"]
)
json_objects = st.dictionaries(interesting_keys | st.text(max_size=8), json_values, max_size=8)
bodies = (
    st.binary(max_size=300)
    | json_objects.map(lambda o: json.dumps(o).encode())
    | st.builds(
        lambda status, url: json.dumps({"status": status, "client_ticket": "T", "redirect_uri": url}).encode(),
        st.sampled_from(sorted(contract.QR_STATUSES)),
        st.text(max_size=60).map(lambda t: "https://x/" + t) | st.text(max_size=60),
    )
    | st.builds(
        lambda code, msg: json.dumps({"data": {"user": {}}, "error": {"code": code, "message": msg}}).encode(),
        st.sampled_from(sorted(contract.API_ERROR_STATUS)) | json_scalars,
        json_scalars,
    )
)
headers = st.dictionaries(
    st.sampled_from(["Retry-After", "retry-after", "Content-Type", "X-Other"]),
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=40)
    | st.sampled_from(["5", "0", "-3", "Wed, 21 Oct 2015 07:28:00 GMT", "99999999999999", "²", "text/html"]),
    max_size=3,
)
parsers = st.sampled_from(
    [
        lambda r: parse_oauth(r, RequestKind.EXCHANGE_CODE),
        lambda r: parse_oauth(r, RequestKind.REFRESH),
        lambda r: parse_token(r, RequestKind.REFRESH, now=1000.0),
        parse_revoke,
        parse_get_qrcode,
        parse_check_qrcode,
        parse_user_info,
    ]
)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parse=parsers, status=statuses, body=bodies, headers=headers)
def test_parsers_return_a_value_or_raise_a_tiktok_error_only(parse, status: int, body: bytes, headers) -> None:  # type: ignore[no-untyped-def]
    response = Response(status, headers, body)
    try:
        parse(response)
    except TikTokError as error:
        text = str(error)
        if len(body) >= 12 and body.strip():
            assert body.decode("utf-8", "replace") not in text
        retry_after = getattr(error, "retry_after", None)
        assert retry_after is None or retry_after >= 0
