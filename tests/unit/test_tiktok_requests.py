"""The request builders of pytok_sm._tiktok: method, URL, form field names and values."""

from __future__ import annotations

import urllib.parse

import pytest

from pytok_sm import _contract as contract
from pytok_sm import _pkce as pkce
from pytok_sm._config import Config
from pytok_sm._errors import ConfigurationError
from pytok_sm._http import Request
from pytok_sm._retry import RequestKind
from pytok_sm._tiktok import (
    DEFAULT_USER_FIELDS,
    authorize_url,
    check_qrcode_request,
    client_credentials_request,
    exchange_request,
    fill_client_ticket,
    get_qrcode_request,
    refresh_request,
    revoke_request,
    user_info_request,
)

from .conftest import CLIENT_KEY, CLIENT_SECRET

TOKEN_URL = "https://open.tiktokapis.com/v2/oauth/token/"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
HEX_CHALLENGE = "13d31e961a1ad8ec2f16b10c4c982e0876a878ad6df144566ee1894acb70f9c3"


def query_pairs(url: str) -> list[tuple[str, str]]:
    return urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query, keep_blank_values=True)


def form_of(request: Request) -> dict[str, str]:
    """The form as the server will read it from the encoded body."""
    return dict(urllib.parse.parse_qsl(request.encoded_form().decode("ascii"), keep_blank_values=True))


# --------------------------------------------------------------------------- authorize URL


def test_authorize_url_params_in_order_with_hex_challenge_and_s256() -> None:
    cfg = Config(CLIENT_KEY, CLIENT_SECRET, scopes="user.info.basic,video.list")
    url = authorize_url(
        cfg, state="state-abc", code_challenge=pkce.hex_challenge(VERIFIER), redirect_uri=cfg.redirect_uri or ""
    )
    parts = urllib.parse.urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://www.tiktok.com/v2/auth/authorize/"
    assert query_pairs(url) == [
        ("client_key", CLIENT_KEY),
        ("scope", "user.info.basic,video.list"),
        ("redirect_uri", "http://127.0.0.1:3456/callback/"),
        ("state", "state-abc"),
        ("response_type", "code"),
        ("code_challenge", HEX_CHALLENGE),
        ("code_challenge_method", "S256"),
    ]
    assert CLIENT_SECRET not in url


def test_authorize_url_uses_the_redirect_it_is_given() -> None:
    cfg = Config(CLIENT_KEY, CLIENT_SECRET, port=0)
    url = authorize_url(cfg, state="s" * 32, code_challenge="c", redirect_uri=cfg.redirect_for_port(50123))
    assert dict(query_pairs(url))["redirect_uri"] == "http://127.0.0.1:50123/callback/"


def test_authorize_url_encodes_the_redirect_and_commas() -> None:
    cfg = Config(CLIENT_KEY, CLIENT_SECRET, scopes="user.info.basic,video.list")
    url = authorize_url(cfg, state="st", code_challenge="ab", redirect_uri=cfg.redirect_uri or "")
    assert "redirect_uri=http%3A%2F%2F127.0.0.1%3A3456%2Fcallback%2F" in url
    assert "scope=user.info.basic%2Cvideo.list" in url


def test_authorize_url_appends_to_an_existing_query() -> None:
    cfg = Config(CLIENT_KEY, CLIENT_SECRET, authorization_url="https://auth.example.com/authorize/?tenant=1")
    url = authorize_url(cfg, state="st", code_challenge="ab", redirect_uri=cfg.redirect_uri or "")
    assert url.startswith("https://auth.example.com/authorize/?tenant=1&client_key=")
    assert query_pairs(url)[0] == ("tenant", "1")


# --------------------------------------------------------------------------- token endpoint


def test_exchange_request_with_verifier_and_redirect(config: Config) -> None:
    req = exchange_request(config, code="code*!x", redirect_uri="http://127.0.0.1:3456/callback/", code_verifier=VERIFIER)
    assert req.method == "POST"
    assert req.url == TOKEN_URL
    assert req.kind is RequestKind.EXCHANGE_CODE
    assert dict(req.form) == {
        "client_key": CLIENT_KEY,
        "client_secret": CLIENT_SECRET,
        "code": "code*!x",
        "grant_type": "authorization_code",
        "redirect_uri": "http://127.0.0.1:3456/callback/",
        "code_verifier": VERIFIER,
    }
    assert form_of(req) == dict(req.form)  # the body carries the decoded code, encoded once
    assert b"code=code%2A%21x" in req.encoded_form()
    assert req.headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_exchange_request_without_verifier_or_redirect(config: Config) -> None:
    # A QR-issued code: no verifier, and the redirect only when known.
    req = exchange_request(config, code="qr-code", redirect_uri=None, code_verifier=None)
    assert dict(req.form) == {
        "client_key": CLIENT_KEY,
        "client_secret": CLIENT_SECRET,
        "code": "qr-code",
        "grant_type": "authorization_code",
    }


def test_exchange_request_with_redirect_but_no_verifier(config: Config) -> None:
    req = exchange_request(config, code="c", redirect_uri="https://app.example.com/cb/", code_verifier=None)
    assert req.form["redirect_uri"] == "https://app.example.com/cb/"
    assert "code_verifier" not in req.form


def test_refresh_request(config: Config) -> None:
    req = refresh_request(config, "rft.old-refresh")
    assert (req.method, req.url, req.kind) == ("POST", TOKEN_URL, RequestKind.REFRESH)
    assert dict(req.form) == {
        "client_key": CLIENT_KEY,
        "client_secret": CLIENT_SECRET,
        "grant_type": "refresh_token",
        "refresh_token": "rft.old-refresh",
    }


def test_client_credentials_request(config: Config) -> None:
    req = client_credentials_request(config)
    assert (req.method, req.url, req.kind) == ("POST", TOKEN_URL, RequestKind.CLIENT_CREDENTIALS)
    assert dict(req.form) == {
        "client_key": CLIENT_KEY,
        "client_secret": CLIENT_SECRET,
        "grant_type": "client_credentials",
    }


def test_revoke_request(config: Config) -> None:
    req = revoke_request(config, "act.to-revoke")
    assert (req.method, req.url, req.kind) == ("POST", "https://open.tiktokapis.com/v2/oauth/revoke/", RequestKind.REVOKE)
    assert dict(req.form) == {"client_key": CLIENT_KEY, "client_secret": CLIENT_SECRET, "token": "act.to-revoke"}


# --------------------------------------------------------------------------- QR code


def test_get_qrcode_request_without_state() -> None:
    cfg = Config(CLIENT_KEY, CLIENT_SECRET, scopes="user.info.basic,user.info.stats")
    req = get_qrcode_request(cfg)
    assert (req.method, req.url, req.kind) == (
        "POST", "https://open.tiktokapis.com/v2/oauth/get_qrcode/", RequestKind.GET_QRCODE,
    )
    # No secret, no redirect_uri, no PKCE.
    assert dict(req.form) == {"client_key": CLIENT_KEY, "scope": "user.info.basic,user.info.stats"}


def test_get_qrcode_request_with_state(config: Config) -> None:
    req = get_qrcode_request(config, state="qr-state-1")
    assert dict(req.form) == {"client_key": CLIENT_KEY, "scope": "user.info.basic", "state": "qr-state-1"}


def test_check_qrcode_request(config: Config) -> None:
    req = check_qrcode_request(config, "qr-poll-token")
    assert (req.method, req.url, req.kind) == (
        "POST", "https://open.tiktokapis.com/v2/oauth/check_qrcode/", RequestKind.CHECK_QRCODE,
    )
    assert dict(req.form) == {"client_key": CLIENT_KEY, "client_secret": CLIENT_SECRET, "token": "qr-poll-token"}


# --------------------------------------------------------------------------- user info


def test_user_info_request_with_fields_and_bearer_header(config: Config) -> None:
    req = user_info_request(config, "act.user-access", ["open_id", "display_name", "follower_count", "open_id"])
    assert (req.method, req.url, req.kind) == ("GET", "https://open.tiktokapis.com/v2/user/info/", RequestKind.USER_INFO)
    assert req.headers["Authorization"] == "Bearer act.user-access"
    assert dict(req.params) == {"fields": "open_id,display_name,follower_count"}
    assert dict(req.form) == {}


def test_user_info_request_default_fields(config: Config) -> None:
    req = user_info_request(config, "act.x")
    assert req.params["fields"] == ",".join(DEFAULT_USER_FIELDS)
    assert all(contract.FIELD_SCOPES[name] == "user.info.basic" for name in DEFAULT_USER_FIELDS)


@pytest.mark.parametrize("fields", [[], ["display name"], ["a&b"], ["x,y"], [""], [5]])
def test_user_info_request_refuses_bad_fields(config: Config, fields: list[object]) -> None:
    with pytest.raises(ConfigurationError) as caught:
        user_info_request(config, "act.x", fields)  # type: ignore[arg-type]
    assert caught.value.field == "fields"


def test_requests_go_to_the_configured_api_host() -> None:
    cfg = Config(CLIENT_KEY, CLIENT_SECRET, base_api_url="http://127.0.0.1:8765/v2/")
    assert refresh_request(cfg, "rft.x").url == "http://127.0.0.1:8765/v2/oauth/token/"
    assert user_info_request(cfg, "act.x").url == "http://127.0.0.1:8765/v2/user/info/"


def test_configured_request_header_is_sent_on_form_requests() -> None:
    cfg = Config(CLIENT_KEY, CLIENT_SECRET, request_header={"Content-Type": contract.FORM_CONTENT_TYPE, "X-App": "demo"})
    req = refresh_request(cfg, "rft.x")
    assert req.headers["X-App"] == "demo"
    assert req.headers["Content-Type"] == contract.FORM_CONTENT_TYPE


# --------------------------------------------------------------------------- Request repr


def test_request_repr_names_fields_never_values(config: Config) -> None:
    requests = [
        exchange_request(config, code="SECRET-CODE", redirect_uri=config.redirect_uri, code_verifier="SECRET-VERIFIER"),
        refresh_request(config, "rft.SECRET-REFRESH"),
        revoke_request(config, "act.SECRET-ACCESS"),
        check_qrcode_request(config, "SECRET-QR-TOKEN"),
        client_credentials_request(config),
    ]
    for req in requests:
        text = repr(req) + str(req)
        for value in req.form.values():
            if value not in (CLIENT_KEY, "authorization_code", "refresh_token", "client_credentials"):
                assert value not in text
        assert CLIENT_SECRET not in text
        assert "SECRET" not in text
        for name in req.form:
            assert name in text


def test_user_info_request_repr_hides_the_bearer_token(config: Config) -> None:
    req = user_info_request(config, "act.SECRET-ACCESS")
    assert "SECRET" not in repr(req)


# --------------------------------------------------------------------------- fill_client_ticket


@pytest.mark.parametrize(
    ("url", "ticket", "expected"),
    [
        pytest.param(
            "aweme://authorize?client_key=k&client_ticket=tobefilled&scope=user.info.basic",
            "T1",
            "aweme://authorize?client_key=k&client_ticket=T1&scope=user.info.basic",
            id="plain",
        ),
        pytest.param(
            "aweme://authorize?next=tobefilled&client_ticket=tobefilled&other=tobefilled",
            "T1",
            "aweme://authorize?next=tobefilled&client_ticket=T1&other=tobefilled",
            id="other-tobefilled-untouched",
        ),
        pytest.param(
            "aweme://authorize?client_ticket=tobefilled&a=1#frag=tobefilled",
            "T1",
            "aweme://authorize?client_ticket=T1&a=1#frag=tobefilled",
            id="fragment-kept",
        ),
        pytest.param(
            "aweme://authorize?client_key=k",
            "T1",
            "aweme://authorize?client_key=k&client_ticket=T1",
            id="appended-when-missing",
        ),
        pytest.param("aweme://authorize", "T1", "aweme://authorize?client_ticket=T1", id="no-query"),
        pytest.param(
            "aweme://authorize?client_ticket=tobefilled",
            "a/b c+d&e=f~",
            "aweme://authorize?client_ticket=a%2Fb%20c%2Bd%26e%3Df~",
            id="ticket-percent-encoded",
        ),
        pytest.param(
            "aweme://authorize?x=%20y&client_ticket=tobefilled&z=a+b",
            "T1",
            "aweme://authorize?x=%20y&client_ticket=T1&z=a+b",
            id="other-params-byte-for-byte",
        ),
        pytest.param(
            "aweme://authorize?my_client_ticket=tobefilled&client_ticket=tobefilled",
            "T1",
            "aweme://authorize?my_client_ticket=tobefilled&client_ticket=T1",
            id="similar-name-untouched",
        ),
    ],
)
def test_fill_client_ticket(url: str, ticket: str, expected: str) -> None:
    assert fill_client_ticket(url, ticket) == expected


def test_filled_ticket_reads_back_as_the_ticket() -> None:
    ticket = pkce.new_client_ticket(64)
    url = fill_client_ticket("aweme://authorize?client_ticket=tobefilled&state=s", ticket)
    assert dict(query_pairs(url))["client_ticket"] == ticket


def test_a_configured_header_in_another_case_replaces_the_default_instead_of_doubling_it() -> None:
    config = Config(CLIENT_KEY, CLIENT_SECRET, request_header={"content-type": "application/x-www-form-urlencoded",
                                                               "accept": "text/plain", "X-Extra": "1"})
    headers = refresh_request(config, "rft.x").headers
    assert sorted(name.lower() for name in headers) == ["accept", "content-type", "x-extra"]
    assert headers["Accept"] == "application/json"  # the parsers need JSON
