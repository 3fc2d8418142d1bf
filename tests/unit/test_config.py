"""Config: the original PyTok keywords, validated and frozen (issue 2, item 2)."""

from __future__ import annotations

import dataclasses
import math

import pytest

from pytok_sm import _contract as contract
from pytok_sm._config import Config, normalize_scopes
from pytok_sm._errors import ConfigurationError, TikTokError
from pytok_sm._retry import RetryPolicy

from .conftest import CLIENT_KEY, CLIENT_SECRET


def make(**changes: object) -> Config:
    return Config(CLIENT_KEY, CLIENT_SECRET, **changes)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- defaults


def test_defaults_are_the_original_pytok_keywords() -> None:
    cfg = make()
    assert cfg.port == 3456
    assert cfg.scopes == ("user.info.basic",)
    assert cfg.redirect_uri == "http://127.0.0.1:3456/callback/"
    assert cfg.authorization_url == "https://www.tiktok.com/v2/auth/authorize/"
    assert cfg.base_api_url == "https://open.tiktokapis.com/v2/"
    assert cfg.code_verifier_length == 64
    assert cfg.client_ticket_length == 64
    assert dict(cfg.request_header) == {"Content-Type": "application/x-www-form-urlencoded"}
    assert cfg.csrf_state_length == 32
    assert isinstance(cfg.retry, RetryPolicy)


def test_default_redirect_follows_the_port() -> None:
    assert make(port=8080).redirect_uri == "http://127.0.0.1:8080/callback/"


def test_client_secret_is_not_in_repr() -> None:
    cfg = make()
    assert CLIENT_SECRET not in repr(cfg)
    assert CLIENT_SECRET not in str(cfg)
    assert CLIENT_KEY in repr(cfg)


def test_base_api_url_gains_a_trailing_slash_and_endpoints_join_to_it() -> None:
    cfg = make(base_api_url="http://127.0.0.1:9000/v2")
    assert cfg.base_api_url == "http://127.0.0.1:9000/v2/"
    assert cfg.endpoint(contract.TOKEN_PATH) == "http://127.0.0.1:9000/v2/oauth/token/"


def test_loopback_and_wildcard_properties() -> None:
    assert make().is_loopback
    assert not make().wildcard_port
    web = make(redirect_uri="https://app.example.com/tiktok/callback/")
    assert not web.is_loopback
    assert not web.wildcard_port


# --------------------------------------------------------------------------- scopes


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("user.info.basic", ("user.info.basic",)),
        ("user.info.basic,video.list", ("user.info.basic", "video.list")),
        (" video.list , user.info.basic ", ("video.list", "user.info.basic")),
        ("video.list,user.info.basic,video.list", ("video.list", "user.info.basic")),
        ("user.info.basic,,video.list,", ("user.info.basic", "video.list")),
        (["user.info.stats", "user.info.basic"], ("user.info.stats", "user.info.basic")),
        (["video.list", "video.list", "user.info.basic"], ("video.list", "user.info.basic")),
        (("user.info.profile",), ("user.info.profile",)),
        (iter(["video.upload", "video.publish"]), ("video.upload", "video.publish")),
    ],
)
def test_scopes_are_an_ordered_set(given: object, expected: tuple[str, ...]) -> None:
    assert make(scopes=given).scopes == expected


def test_normalize_scopes_keeps_first_seen_order() -> None:
    assert normalize_scopes("b.x,a.y,b.x,c.z") == ("b.x", "a.y", "c.z")


# --------------------------------------------------------------------------- frozen


def test_assignment_raises() -> None:
    cfg = make()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.port = 80  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.client_secret = "other"  # type: ignore[misc]
    assert cfg.port == 3456


@pytest.mark.parametrize(
    "mutate",
    [
        lambda h: h.__setitem__("X-Extra", "1"),
        lambda h: h.__delitem__("Content-Type"),
        lambda h: h.update({"X-Extra": "1"}),
        lambda h: h.setdefault("X-Extra", "1"),
        lambda h: h.pop("Content-Type"),
        lambda h: h.popitem(),
        lambda h: h.clear(),
    ],
)
def test_request_header_is_read_only(mutate) -> None:  # type: ignore[no-untyped-def]
    cfg = make()
    with pytest.raises(TypeError, match="read-only"):
        mutate(cfg.request_header)
    assert dict(cfg.request_header) == {"Content-Type": "application/x-www-form-urlencoded"}


def test_request_header_is_copied_from_the_callers_dict() -> None:
    mine = {"Content-Type": "application/x-www-form-urlencoded", "X-App": "demo"}
    cfg = make(request_header=mine)
    mine["X-App"] = "changed"
    assert cfg.request_header["X-App"] == "demo"


def test_config_is_hashable_and_equal_by_value() -> None:
    assert make() == make()
    assert hash(make()) == hash(make())
    assert make() != make(port=4000)


# --------------------------------------------------------------------------- bad values

BAD_VALUES = [
    # (keywords, field named in the message, text that tells the allowed range or the reason)
    pytest.param({"port": 70000}, "port", "0..65535", id="port-70000"),
    pytest.param({"port": -1}, "port", "0..65535", id="port-negative"),
    pytest.param({"port": True}, "port", "0..65535", id="port-bool"),
    pytest.param({"port": "80"}, "port", "0..65535", id="port-string"),
    pytest.param({"port": 3456.0}, "port", "0..65535", id="port-float"),
    pytest.param(
        {"redirect_uri": "http://example.com:3456/callback/"}, "redirect_uri", "loopback", id="redirect-http-remote"
    ),
    pytest.param(
        {"redirect_uri": "http://192.168.1.10:3456/callback/"}, "redirect_uri", "loopback", id="redirect-http-lan"
    ),
    pytest.param(
        {"redirect_uri": "https://app.example.com:*/callback/"}, "redirect_uri", "wildcard", id="redirect-https-wildcard"
    ),
    pytest.param(
        {"redirect_uri": "http://127.0.0.1:3456/callback/?next=1"}, "redirect_uri", "query", id="redirect-query"
    ),
    pytest.param(
        {"redirect_uri": "https://app.example.com/callback/?a=b"}, "redirect_uri", "query", id="redirect-https-query"
    ),
    pytest.param({"redirect_uri": "http://127.0.0.1:3456/callback/#top"}, "redirect_uri", "fragment", id="redirect-fragment"),
    pytest.param({"redirect_uri": "http://127.0.0.1:4000/callback/"}, "redirect_uri", "port=3456", id="redirect-port-differs"),
    pytest.param(
        {"port": 0, "redirect_uri": "http://127.0.0.1:3456/callback/"}, "redirect_uri", "port=0", id="port0-fixed-redirect"
    ),
    pytest.param({"redirect_uri": "http://127.0.0.1/callback/"}, "redirect_uri", "port", id="redirect-loopback-no-port"),
    pytest.param({"redirect_uri": "ftp://127.0.0.1:3456/callback/"}, "redirect_uri", "http(s)", id="redirect-ftp"),
    pytest.param({"redirect_uri": "/callback/"}, "redirect_uri", "http(s)", id="redirect-relative"),
    pytest.param({"redirect_uri": "http://127.0.0.1:3456"}, "redirect_uri", "path", id="redirect-no-path"),
    pytest.param(
        {"redirect_uri": "https://app.example.com/" + "a" * 520}, "redirect_uri", "512", id="redirect-too-long"
    ),
    pytest.param(
        {"redirect_uri": "http://127.0.0.1:3456/call back/"}, "redirect_uri", "spaces", id="redirect-space"
    ),
    pytest.param({"authorization_url": "http://www.tiktok.com/v2/auth/authorize/"}, "authorization_url", "loopback",
                 id="authorize-url-plain-http"),
    pytest.param({"base_api_url": "not a url"}, "base_api_url", "spaces", id="base-url-garbage"),
    pytest.param({"base_api_url": "open.tiktokapis.com/v2/"}, "base_api_url", "http(s)", id="base-url-no-scheme"),
    pytest.param({"code_verifier_length": 20}, "code_verifier_length", "43..128", id="verifier-20"),
    pytest.param({"code_verifier_length": 42}, "code_verifier_length", "43..128", id="verifier-42"),
    pytest.param({"code_verifier_length": 129}, "code_verifier_length", "43..128", id="verifier-129"),
    pytest.param({"csrf_state_length": 16}, "csrf_state_length", "128 bits", id="state-16"),
    pytest.param({"csrf_state_length": 21}, "csrf_state_length", "22..", id="state-21"),
    pytest.param({"client_ticket_length": 600}, "client_ticket_length", "512", id="ticket-600"),
    pytest.param({"client_ticket_length": 512}, "client_ticket_length", "..511", id="ticket-512"),
    pytest.param({"client_ticket_length": 8}, "client_ticket_length", "22..", id="ticket-8"),
    pytest.param({"scopes": "user info"}, "scopes", "not a scope name", id="scope-with-space"),
    pytest.param({"scopes": "User.Info.Basic"}, "scopes", "not a scope name", id="scope-upper-case"),
    pytest.param({"scopes": "basic"}, "scopes", "not a scope name", id="scope-undotted"),
    pytest.param({"scopes": ""}, "scopes", "at least one scope", id="scopes-empty-string"),
    pytest.param({"scopes": " , ,"}, "scopes", "at least one scope", id="scopes-only-commas"),
    pytest.param({"scopes": []}, "scopes", "at least one scope", id="scopes-empty-list"),
    pytest.param({"scopes": ["user.info.basic", 7]}, "scopes", "strings", id="scopes-non-string-item"),
    pytest.param({"scopes": 42}, "scopes", "comma-separated", id="scopes-not-iterable"),
    pytest.param({"request_header": {"Bad Name": "x"}}, "request_header", "header name", id="header-name-space"),
    pytest.param({"request_header": {"X-Ok": "a\r\nInjected: 1"}}, "request_header", "line breaks", id="header-crlf"),
    pytest.param({"request_header": {"X-Ok": "a\nb"}}, "request_header", "line breaks", id="header-lf"),
    pytest.param({"request_header": {"X-Ok": 5}}, "request_header", "string", id="header-value-int"),
    pytest.param({"request_header": [("X", "y")]}, "request_header", "mapping", id="header-not-mapping"),
    pytest.param({"http_timeout": math.nan}, "http_timeout", "0.1..600", id="http-timeout-nan"),
    pytest.param({"http_timeout": math.inf}, "http_timeout", "0.1..600", id="http-timeout-inf"),
    pytest.param({"http_timeout": -1.0}, "http_timeout", "0.1..600", id="http-timeout-negative"),
    pytest.param({"http_timeout": 0}, "http_timeout", "0.1..600", id="http-timeout-zero"),
    pytest.param({"http_timeout": "10"}, "http_timeout", "0.1..600", id="http-timeout-string"),
    pytest.param({"http_timeout": True}, "http_timeout", "0.1..600", id="http-timeout-bool"),
    pytest.param({"call_deadline": math.nan}, "call_deadline", "0.1..3600", id="deadline-nan"),
    pytest.param({"call_deadline": -math.inf}, "call_deadline", "0.1..3600", id="deadline-minus-inf"),
    pytest.param({"call_deadline": -5}, "call_deadline", "0.1..3600", id="deadline-negative"),
    pytest.param({"qr_poll_interval": math.inf}, "qr_poll_interval", "0.05..60", id="poll-inf"),
    pytest.param({"qr_poll_interval": -0.5}, "qr_poll_interval", "0.05..60", id="poll-negative"),
    pytest.param({"retry": "three times"}, "retry", "RetryPolicy", id="retry-not-a-policy"),
    pytest.param({"retry": {"max_attempts": 3}}, "retry", "RetryPolicy", id="retry-dict"),
]


@pytest.mark.parametrize(("changes", "field", "allowed"), BAD_VALUES)
def test_bad_value_names_the_field_and_what_is_allowed(changes: dict[str, object], field: str, allowed: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        make(**changes)
    error = caught.value
    assert error.field == field
    assert str(error).startswith(f"{field}: ")
    assert allowed in str(error)
    assert isinstance(error, TikTokError)
    assert isinstance(error, ValueError)


def test_short_state_length_says_why() -> None:
    with pytest.raises(ConfigurationError) as caught:
        make(csrf_state_length=16)
    message = str(caught.value)
    assert "RFC 6749" in message
    assert "10.10" in message
    assert "128 bits" in message
    assert "16" in message


@pytest.mark.parametrize("name", ["client_key", "client_secret"])
@pytest.mark.parametrize("value", ["", "   ", None, "has space", "tab\there", "x" * 257])
def test_credentials_must_be_printable_words(name: str, value: object) -> None:
    values = {"client_key": CLIENT_KEY, "client_secret": CLIENT_SECRET, name: value}
    with pytest.raises(ConfigurationError) as caught:
        Config(**values)  # type: ignore[arg-type]
    assert caught.value.field == name
    if isinstance(value, str) and value.strip():
        assert value not in str(caught.value)  # a mistyped secret is not echoed


BAD_RETRY = [
    pytest.param({"max_attempts": 0}, "retry.max_attempts", "1..10", id="attempts-0"),
    pytest.param({"max_attempts": 11}, "retry.max_attempts", "1..10", id="attempts-11"),
    pytest.param({"max_attempts": True}, "retry.max_attempts", "1..10", id="attempts-bool"),
    pytest.param({"max_attempts": 2.5}, "retry.max_attempts", "1..10", id="attempts-float"),
    pytest.param({"backoff_base": -1}, "retry.backoff_base", "0..3600", id="base-negative"),
    pytest.param({"backoff_base": math.nan}, "retry.backoff_base", "0..3600", id="base-nan"),
    pytest.param({"backoff_cap": math.inf}, "retry.backoff_cap", "0..3600", id="cap-inf"),
    pytest.param({"backoff_cap": "8"}, "retry.backoff_cap", "0..3600", id="cap-string"),
    pytest.param({"retry_after_cap": 3601}, "retry.retry_after_cap", "0..3600", id="retry-after-cap-big"),
    pytest.param({"retry_after_cap": False}, "retry.retry_after_cap", "0..3600", id="retry-after-cap-bool"),
    pytest.param({"jitter": 1.5}, "retry.jitter", "0..1", id="jitter-big"),
    pytest.param({"jitter": -0.1}, "retry.jitter", "0..1", id="jitter-negative"),
    pytest.param({"jitter": math.nan}, "retry.jitter", "0..1", id="jitter-nan"),
]


@pytest.mark.parametrize(("changes", "field", "allowed"), BAD_RETRY)
def test_bad_retry_policy_names_the_field(changes: dict[str, object], field: str, allowed: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        RetryPolicy(**changes)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert allowed in str(caught.value)


# --------------------------------------------------------------------------- good edge values


@pytest.mark.parametrize(
    "changes",
    [
        {"port": 0},
        {"port": 65535, "redirect_uri": "http://127.0.0.1:65535/callback/"},
        {"redirect_uri": "http://localhost:3456/callback/"},
        {"redirect_uri": "http://[::1]:3456/callback/"},
        {"redirect_uri": "http://127.0.0.1:3456/callback"},
        {"redirect_uri": "https://app.example.com/tiktok/callback/"},
        {"code_verifier_length": 43},
        {"code_verifier_length": 128},
        {"csrf_state_length": 22},
        {"client_ticket_length": 511},
        {"http_timeout": 0.1, "call_deadline": 3600, "qr_poll_interval": 0.05},
        {"request_header": {}},
        {"retry": RetryPolicy(max_attempts=1, jitter=0)},
    ],
)
def test_edge_values_inside_the_ranges_are_accepted(changes: dict[str, object]) -> None:
    cfg = make(**changes)
    for name, value in changes.items():
        if name not in ("request_header", "port"):
            assert getattr(cfg, name) == value


# --------------------------------------------------------------------------- port 0 and wildcard


def test_port_zero_with_wildcard_redirect_fills_the_real_port() -> None:
    cfg = make(port=0, redirect_uri="http://127.0.0.1:*/callback/")
    assert cfg.wildcard_port
    assert cfg.is_loopback
    assert cfg.redirect_uri == "http://127.0.0.1:*/callback/"
    assert cfg.redirect_for_port(51234) == "http://127.0.0.1:51234/callback/"
    assert cfg.redirect_for_port(40001) == "http://127.0.0.1:40001/callback/"


def test_port_zero_alone_defaults_to_the_wildcard_redirect() -> None:
    cfg = make(port=0)
    assert cfg.redirect_uri == "http://127.0.0.1:*/callback/"
    assert cfg.redirect_for_port(60000) == "http://127.0.0.1:60000/callback/"


def test_redirect_for_port_leaves_a_fixed_redirect_alone() -> None:
    cfg = make()
    assert cfg.redirect_for_port(51234) == "http://127.0.0.1:3456/callback/"


# --------------------------------------------------------------------------- replace


def test_replace_validates_again() -> None:
    cfg = make()
    with pytest.raises(ConfigurationError, match="port"):
        cfg.replace(port=70000)
    with pytest.raises(ConfigurationError, match="csrf_state_length"):
        cfg.replace(csrf_state_length=8)
    with pytest.raises(ConfigurationError, match="scopes"):
        cfg.replace(scopes="user info")


def test_replace_normalizes_like_the_constructor() -> None:
    cfg = make().replace(scopes="video.list,user.info.basic,video.list")
    assert cfg.scopes == ("video.list", "user.info.basic")


def test_replace_leaves_the_original_untouched() -> None:
    cfg = make()
    other = cfg.replace(port=4000)
    assert cfg.port == 3456
    assert cfg.redirect_uri == "http://127.0.0.1:3456/callback/"
    assert other.port == 4000


def test_replace_port_moves_the_default_redirect_along() -> None:
    assert make().replace(port=4000).redirect_uri == "http://127.0.0.1:4000/callback/"


def test_replace_port_keeps_a_wildcard_redirect() -> None:
    cfg = make(port=0, redirect_uri="http://127.0.0.1:*/callback/").replace(port=5000)
    assert cfg.redirect_uri == "http://127.0.0.1:*/callback/"
    assert cfg.redirect_for_port(5000) == "http://127.0.0.1:5000/callback/"


def test_replace_port_never_rewrites_a_chosen_redirect() -> None:
    web = make(redirect_uri="https://app.example.com/tiktok/callback/")
    assert web.replace(port=4000).redirect_uri == "https://app.example.com/tiktok/callback/"
    custom = make(redirect_uri="http://localhost:3456/callback/")
    with pytest.raises(ConfigurationError, match="redirect_uri"):
        custom.replace(port=4000)
    assert custom.replace(port=4000, redirect_uri="http://localhost:4000/callback/").port == 4000
