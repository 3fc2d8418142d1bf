"""Token: what the token endpoint grants, with absolute expiry times (issue 2, item 4)."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytok_sm._errors import ProtocolError
from pytok_sm._token import MAX_LIFETIME, Token, mask

NOW = 1_700_000_000.0
ACCESS = "act.1234567890abcdefACCESS"
REFRESH = "rft.0987654321fedcbaREFRESH"


def answer(**changes: Any) -> dict[str, Any]:
    """The token endpoint's success answer; ``...`` as a value removes the field."""
    body: dict[str, Any] = {
        "access_token": ACCESS,
        "expires_in": 86400,
        "open_id": "open-id-1",
        "refresh_expires_in": 31536000,
        "refresh_token": REFRESH,
        "scope": "user.info.basic,video.list",
        "token_type": "Bearer",
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


# --------------------------------------------------------------------------- from_response


def test_from_response_reads_every_field() -> None:
    tok = Token.from_response(answer(), now=NOW)
    assert tok.access_token == ACCESS
    assert tok.refresh_token == REFRESH
    assert tok.open_id == "open-id-1"
    assert tok.token_type == "Bearer"
    assert tok.scopes == frozenset({"user.info.basic", "video.list"})
    assert tok.expires_at == NOW + 86400
    assert tok.refresh_expires_at == NOW + 31536000


@pytest.mark.parametrize("now", [0.0, 1000.0, NOW, NOW + 12.5])
def test_expiry_times_come_from_the_injected_now(now: float) -> None:
    tok = Token.from_response(answer(expires_in=7200, refresh_expires_in=15552000), now=now)
    assert tok.expires_at == now + 7200
    assert tok.refresh_expires_at == now + 15552000


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        ("user.info.basic", {"user.info.basic"}),
        ("user.info.basic,video.list,user.info.stats", {"user.info.basic", "video.list", "user.info.stats"}),
        (" user.info.basic , video.list ,", {"user.info.basic", "video.list"}),
        ("user.info.basic,user.info.basic", {"user.info.basic"}),
        ("", set()),
        (["video.list", "user.info.basic"], {"video.list", "user.info.basic"}),
    ],
)
def test_scopes_are_parsed_from_commas_into_a_set(scope: object, expected: set[str]) -> None:
    tok = Token.from_response(answer(scope=scope), now=NOW)
    assert tok.scopes == frozenset(expected)


def test_plural_scopes_field_is_read_too() -> None:
    tok = Token.from_response(answer(scope=..., scopes="video.list"), now=NOW)
    assert tok.scopes == {"video.list"}


def test_client_credentials_answer_has_only_an_access_token() -> None:
    tok = Token.from_response({"access_token": "clt.appwide", "expires_in": 7200, "token_type": "Bearer"}, now=NOW)
    assert tok.open_id is None
    assert tok.refresh_token is None
    assert tok.refresh_expires_at is None
    assert tok.scopes == frozenset()
    assert tok.refresh_is_expired(NOW)


def test_missing_token_type_defaults_to_bearer() -> None:
    assert Token.from_response(answer(token_type=...), now=NOW).token_type == "Bearer"


def test_expiry_checks() -> None:
    tok = Token.from_response(answer(expires_in=3600, refresh_expires_in=7200), now=NOW)
    assert not tok.is_expired(NOW)
    assert tok.is_expired(NOW + 3600 - 30)  # inside the default 60 s leeway
    assert not tok.is_expired(NOW + 3600 - 30, leeway=0)
    assert not tok.refresh_is_expired(NOW + 7199)
    assert tok.refresh_is_expired(NOW + 7200)


# --------------------------------------------------------------------------- secrets hidden


def test_repr_and_str_hide_the_secrets() -> None:
    tok = Token.from_response(answer(), now=NOW)
    for text in (repr(tok), str(tok), f"{tok}", repr([tok]), repr({"t": tok})):
        assert ACCESS not in text
        assert REFRESH not in text
        assert "1234567890" not in text
        assert "0987654321" not in text
    assert "open-id-1" in repr(tok)
    assert "act.…" in repr(tok)
    assert "rft.…" in repr(tok)


@pytest.mark.parametrize(
    ("secret", "shown"),
    [("act.1234567890", "act.…"), ("rft.abc", "rft.…"), ("clt.xyz", "clt.…"), ("opaque", "…"),
     ("longprefix.secret", "…"), ("", "-"), (None, "-")],
)
def test_mask(secret: str | None, shown: str) -> None:
    assert mask(secret) == shown


# --------------------------------------------------------------------------- to_dict / from_dict


def test_to_dict_from_dict_round_trip() -> None:
    tok = Token.from_response(answer(), now=NOW)
    data = tok.to_dict()
    assert data["schema_version"] == 1
    assert json.loads(json.dumps(data)) == data  # JSON-safe
    assert Token.from_dict(data) == tok
    assert Token.from_dict(json.loads(json.dumps(data))) == tok


def test_round_trip_of_a_token_without_refresh() -> None:
    tok = Token.from_response({"access_token": "clt.appwide", "expires_in": 7200}, now=NOW)
    assert Token.from_dict(tok.to_dict()) == tok


def test_from_dict_of_the_endpoint_json_uses_now() -> None:
    tok = Token.from_dict(answer(), now=1000.0)
    assert tok.expires_at == 1000.0 + 86400
    assert tok.refresh_expires_at == 1000.0 + 31536000
    assert tok.access_token == ACCESS


def test_from_dict_of_the_endpoint_json_defaults_to_the_current_time() -> None:
    import time

    before = time.time()
    tok = Token.from_dict(answer(expires_in=60))
    assert before + 60 <= tok.expires_at <= time.time() + 60


@pytest.mark.parametrize(
    "data",
    [
        pytest.param([], id="list"),
        pytest.param("token", id="string"),
        pytest.param({"access_token": ACCESS, "expires_at": "soon"}, id="expires-at-text"),
        pytest.param({"access_token": ACCESS, "expires_at": None}, id="expires-at-null"),
        pytest.param({"access_token": ACCESS, "expires_at": math.nan}, id="expires-at-nan"),
        pytest.param({"access_token": ACCESS, "expires_at": [1]}, id="expires-at-list"),
        pytest.param({"access_token": ACCESS, "expires_at": 1.0, "refresh_expires_at": "x"}, id="refresh-at-text"),
        pytest.param({"access_token": ACCESS, "expires_at": 1.0, "refresh_expires_at": math.nan}, id="refresh-at-nan"),
        pytest.param({"expires_at": 1.0}, id="no-access-token"),
        pytest.param({"access_token": 5, "expires_at": 1.0}, id="access-token-int"),
    ],
)
def test_from_dict_of_a_damaged_file_is_a_protocol_error(data: object) -> None:
    with pytest.raises(ProtocolError):
        Token.from_dict(data)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- odd values (ROBUSTNESS.md)


@pytest.mark.parametrize(
    ("expires_in", "lifetime"),
    [
        pytest.param("3600", 3600.0, id="digit-string"),
        pytest.param(" 7200 ", 7200.0, id="digit-string-spaces"),
        pytest.param(12.5, 12.5, id="float"),
        pytest.param(0, 0.0, id="zero"),
        pytest.param(-5, 0.0, id="negative"),
        pytest.param("-300", 0.0, id="negative-string"),
        pytest.param(10**30, float(MAX_LIFETIME), id="huge-int"),
        pytest.param(10**400, float(MAX_LIFETIME), id="int-too-big-for-float"),
        pytest.param(1e308, float(MAX_LIFETIME), id="huge-float"),
        pytest.param(math.inf, float(MAX_LIFETIME), id="inf"),
        pytest.param("1e400", float(MAX_LIFETIME), id="1e400-string"),
        pytest.param(-math.inf, 0.0, id="minus-inf"),
    ],
)
def test_expires_in_is_clamped_to_zero_and_ten_years(expires_in: object, lifetime: float) -> None:
    tok = Token.from_response(answer(expires_in=expires_in), now=NOW)
    assert tok.expires_at == NOW + lifetime


def test_ten_years_is_the_clamp() -> None:
    assert MAX_LIFETIME == 10 * 365 * 24 * 3600


def test_negative_lifetime_counts_as_already_expired() -> None:
    tok = Token.from_response(answer(expires_in=-60), now=NOW)
    assert tok.is_expired(NOW, leeway=0)


def test_1e400_in_the_json_text_does_not_overflow() -> None:
    body = json.loads('{"access_token": "act.x", "expires_in": 1e400, "refresh_expires_in": 1e400}')
    tok = Token.from_response(body, now=NOW)
    assert tok.expires_at == NOW + MAX_LIFETIME
    assert tok.refresh_expires_at == NOW + MAX_LIFETIME


ODD_ANSWERS = [
    pytest.param(answer(expires_in="soon"), "expires_in", id="expires-in-text"),
    pytest.param(answer(expires_in="nan"), "expires_in", id="expires-in-nan-text"),
    pytest.param(answer(expires_in="9" * 40), "expires_in", id="expires-in-40-digits-text"),
    pytest.param(answer(expires_in=True), "expires_in", id="expires-in-true"),
    pytest.param(answer(expires_in=False), "expires_in", id="expires-in-false"),
    pytest.param(answer(expires_in=math.nan), "expires_in", id="expires-in-nan"),
    pytest.param(answer(expires_in=[3600]), "expires_in", id="expires-in-list"),
    pytest.param(answer(expires_in={"s": 1}), "expires_in", id="expires-in-dict"),
    pytest.param(answer(expires_in=...), "expires_in", id="expires-in-missing"),
    pytest.param(answer(expires_in=None), "expires_in", id="expires-in-null"),
    pytest.param(answer(refresh_expires_in="never"), "refresh_expires_in", id="refresh-expires-in-text"),
    pytest.param(answer(refresh_expires_in=True), "refresh_expires_in", id="refresh-expires-in-bool"),
    pytest.param(answer(access_token=...), "access_token", id="access-token-missing"),
    pytest.param(answer(access_token=""), "access_token", id="access-token-empty"),
    pytest.param(answer(access_token=None), "access_token", id="access-token-null"),
    pytest.param(answer(access_token=["act.x"]), "access_token", id="access-token-list"),
    pytest.param(answer(access_token={"v": "act.x"}), "access_token", id="access-token-dict"),
    pytest.param(answer(access_token=12345), "access_token", id="access-token-int"),
    pytest.param(answer(access_token="act.has space"), "access_token", id="access-token-space"),
    pytest.param(answer(access_token="act.x\n"), "access_token", id="access-token-newline"),
    pytest.param(answer(access_token="a" * 5000), "access_token", id="access-token-huge"),
    pytest.param(answer(refresh_token=42), "refresh_token", id="refresh-token-int"),
    pytest.param(answer(open_id=12345), "open_id", id="open-id-int"),
    pytest.param(answer(open_id=["u"]), "open_id", id="open-id-list"),
    pytest.param(answer(scope=7), "scope", id="scope-int"),
    pytest.param(answer(scope={"a": 1}), "scope", id="scope-dict"),
    pytest.param(answer(scope=["ok", 3]), "scope", id="scope-list-with-int"),
    pytest.param(answer(token_type=5), "token_type", id="token-type-int"),
]


@pytest.mark.parametrize(("body", "field"), ODD_ANSWERS)
def test_odd_field_is_a_protocol_error_naming_the_field(body: dict[str, Any], field: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        Token.from_response(body, now=NOW)
    assert field in str(caught.value)
    assert ACCESS not in str(caught.value)
    assert REFRESH not in str(caught.value)


@pytest.mark.parametrize("body", [None, [], "access_token", 42, 1.5, True, [("access_token", "x")]])
def test_body_that_is_not_an_object_is_a_protocol_error(body: object) -> None:
    with pytest.raises(ProtocolError, match="not a JSON object"):
        Token.from_response(body, now=NOW)  # type: ignore[arg-type]


def test_empty_open_id_is_no_open_id() -> None:
    assert Token.from_response(answer(open_id=""), now=NOW).open_id is None


# --------------------------------------------------------------------------- refresh merges


def test_refresh_without_refresh_token_keeps_the_old_one() -> None:
    old = Token.from_response(answer(), now=NOW)
    new = Token.from_response({"access_token": "act.new", "expires_in": 7200}, now=NOW + 100, previous=old)
    assert new.access_token == "act.new"
    assert new.expires_at == NOW + 100 + 7200
    assert new.refresh_token == REFRESH
    assert new.refresh_expires_at == old.refresh_expires_at
    assert new.open_id == old.open_id
    assert new.scopes == old.scopes


def test_refresh_with_a_new_refresh_token_replaces_the_old_one() -> None:
    old = Token.from_response(answer(), now=NOW)
    body = answer(access_token="act.new", refresh_token="rft.rotated", refresh_expires_in=100, scope="video.list")
    new = Token.from_response(body, now=NOW + 10, previous=old)
    assert new.refresh_token == "rft.rotated"
    assert new.refresh_expires_at == NOW + 10 + 100
    assert new.scopes == {"video.list"}


def test_rotated_refresh_token_without_lifetime_keeps_the_known_expiry() -> None:
    old = Token.from_response(answer(), now=NOW)
    new = Token.from_response(
        {"access_token": "act.new", "expires_in": 60, "refresh_token": "rft.rotated"}, now=NOW + 10, previous=old
    )
    assert new.refresh_token == "rft.rotated"
    assert new.refresh_expires_at == old.refresh_expires_at


def test_an_odd_refresh_answer_raises_and_leaves_the_previous_token_alone() -> None:
    old = Token.from_response(answer(), now=NOW)
    before = old.to_dict()
    with pytest.raises(ProtocolError):
        Token.from_response({"access_token": "act.new", "expires_in": "soon"}, now=NOW, previous=old)
    assert old.to_dict() == before


# --------------------------------------------------------------------------- property

TOKEN_KEYS = ["access_token", "expires_in", "open_id", "refresh_token", "refresh_expires_in", "scope", "scopes",
              "token_type", "expires_at", "refresh_expires_at", "error"]

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**400)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
    | st.sampled_from(["3600", "-1", "1e400", "nan", "inf", " 12 ", "act.x", "a,b", ""])
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
json_like_dicts = st.dictionaries(st.sampled_from(TOKEN_KEYS) | st.text(max_size=10), json_values, max_size=10)


@settings(max_examples=400, deadline=None)
@given(body=json_like_dicts, now=st.floats(min_value=0, max_value=4e9))
def test_any_json_like_dict_is_a_token_or_a_protocol_error(body: dict[str, Any], now: float) -> None:
    try:
        tok = Token.from_response(body, now=now)
    except ProtocolError as error:
        assert "Traceback" not in str(error)
        return
    assert isinstance(tok.access_token, str) and tok.access_token
    assert now <= tok.expires_at <= now + MAX_LIFETIME
    assert tok.refresh_expires_at is None or now <= tok.refresh_expires_at <= now + MAX_LIFETIME
    assert all(isinstance(s, str) for s in tok.scopes)
    bare = dataclasses.replace(tok, open_id=None, scopes=frozenset())  # nothing else in the repr can echo it
    if len(tok.access_token) >= 8 and not set(tok.access_token) <= set("0123456789.e+-"):
        assert tok.access_token not in repr(bare)
    assert Token.from_dict(tok.to_dict()) == tok


@settings(max_examples=300, deadline=None)
@given(data=json_like_dicts)
def test_from_dict_of_anything_is_a_token_or_a_protocol_error(data: dict[str, Any]) -> None:
    try:
        Token.from_dict(data, now=NOW)
    except ProtocolError:
        pass
