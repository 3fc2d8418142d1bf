"""Config refuses what cannot work, at once, naming the field: headers the HTTP stack would
choke on or that would reframe a request, credentials in URLs, a base URL that garbles every
endpoint, and per-call timeouts that never end or end at once."""

from __future__ import annotations

import asyncio
import math
import socket
from typing import Any

import h11
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytok_sm import _config
from pytok_sm import _contract as contract
from pytok_sm._config import Config
from pytok_sm._errors import ConfigurationError
from pytok_sm.flows import BrowserFlow, QrFlow

from .conftest import CLIENT_KEY, CLIENT_SECRET


def make(**changes: object) -> Config:
    return Config(CLIENT_KEY, CLIENT_SECRET, **changes)  # type: ignore[arg-type]


def refused(field: str, **changes: object) -> str:
    """Make a Config that must be refused; return the message (it starts with the field)."""
    with pytest.raises(ConfigurationError) as caught:
        make(**changes)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")
    return str(caught.value)


def sendable(headers: dict[str, str]) -> None:
    """What the drivers do with the headers: httpx builds the request, h11 frames it."""
    merged = {"Content-Type": contract.FORM_CONTENT_TYPE, **headers, "Accept": "application/json"}
    request = httpx.Request("POST", "https://open.tiktokapis.com/v2/oauth/token/", headers=merged, content=b"a=b")
    h11.Request(method="POST", target="/v2/oauth/token/", headers=list(request.headers.raw))


# --------------------------------------------------------------------------- header names


@pytest.mark.parametrize("name", ["X-A\n", "X-A\r\n", "X-A\r", "\nX-A", "X-A\x00", "X-A:", "X A", ""])
def test_a_header_name_with_a_line_break_or_separator_is_refused(name: str) -> None:
    message = refused("request_header", request_header={name: "v"})
    assert "header name" in message


# --------------------------------------------------------------------------- header values


CONTROL = [chr(c) for c in range(0x20) if chr(c) != "\t"] + ["\x7f"]


@pytest.mark.parametrize("char", CONTROL, ids=lambda c: f"0x{ord(c):02x}")
def test_a_control_character_in_a_header_value_is_refused(char: str) -> None:
    message = refused("request_header", request_header={"X-App": f"a{char}b"})
    assert "X-App" in message and "control characters" in message


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("caf\u00e9", id="latin-1-e-acute"),
        pytest.param("\u20ac5", id="euro-sign"),
        pytest.param("a\u2028b", id="unicode-line-separator"),
        pytest.param("a\u0085b", id="next-line"),
        pytest.param("\ud800", id="lone-surrogate"),
        pytest.param("\U0001f600", id="emoji"),
    ],
)
def test_a_header_value_outside_ascii_is_refused(value: str) -> None:
    # httpx encodes header values as ASCII: anything else is a bare UnicodeEncodeError per call.
    message = refused("request_header", request_header={"X-App": value})
    assert "X-App" in message and "ASCII" in message


@pytest.mark.parametrize("value", [" lead", "trail ", "\t", "tab\t", " "])
def test_a_header_value_with_surrounding_whitespace_is_refused(value: str) -> None:
    # h11 refuses such a value when it frames the request (Illegal header value).
    message = refused("request_header", request_header={"X-App": value})
    assert "X-App" in message and "spaces" in message


@pytest.mark.parametrize(
    "name",
    ["Content-Length", "content-length", "HOST", "Host", "Transfer-Encoding", "transfer-encoding", "Connection",
     "Keep-Alive", "Upgrade", "TE", "Trailer", "Proxy-Connection"],
)
def test_a_header_that_frames_or_routes_the_request_cannot_be_overridden(name: str) -> None:
    message = refused("request_header", request_header={name: "5"})
    assert name in message and "set by the HTTP client" in message


def test_a_header_given_twice_in_different_case_is_refused() -> None:
    message = refused("request_header", request_header={"X-App": "a", "x-app": "b"})
    assert "twice" in message


def test_ordinary_headers_still_pass_and_are_sendable() -> None:
    headers = {
        "User-Agent": "my-app/1.0 (+https://example.com/bot; a=b)",
        "X-Trace": "a\tb  c",
        "X-Empty": "",
        "Content-Type": contract.FORM_CONTENT_TYPE,
        "Accept-Language": "en-US,en;q=0.9",
    }
    assert dict(make(request_header=headers).request_header) == headers
    sendable(headers)


_TOKEN = "!#$%&'*+.^_`|~0123456789ABCXYZabcxyz-"
_header_name = st.one_of(
    st.sampled_from(["Content-Length", "Host", "X-A\n", "Connection", "transfer-encoding", "X-App", "x-app", "TE"]),
    st.text(st.sampled_from(_TOKEN), min_size=1, max_size=8),
    st.text(st.characters(codec="utf-8"), max_size=8),
)
_header_value = st.one_of(
    st.text(st.sampled_from(list(" \ta:~")), max_size=4),  # blanks at the edges
    st.text(st.sampled_from(list(" \t\r\n\x00\x0b\x1f\x7f\x80aZ~!:;\u00e9\u20ac\u2028")), max_size=6),
    st.text(st.characters(codec="utf-8"), max_size=12),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_header_name, _header_value, max_size=3))
def test_any_header_mapping_is_refused_or_sendable(headers: dict[str, str]) -> None:
    """The attacker's view: whatever the mapping, Config refuses it or the request can be sent."""
    try:
        config = make(request_header=headers)
    except ConfigurationError as error:
        assert error.field == "request_header"
        return
    sendable(dict(config.request_header))


# --------------------------------------------------------------------------- URLs


URL_FIELDS = {
    "redirect_uri": ["https://user:pw1@app.example.com/cb/", "http://user:pw1@127.0.0.1:3456/callback/",
                     "https://pw1@app.example.com/cb/", "https://@app.example.com/cb/"],
    "authorization_url": ["https://user:pw1@www.tiktok.com/v2/auth/authorize/", "https://@www.tiktok.com/v2/auth/"],
    "base_api_url": ["https://user:pw1@open.tiktokapis.com/v2/", "https://user:pw1@open.tiktokapis.com/v2",
                     "ftp://user:pw1@open.tiktokapis.com/v2/"],
}


@pytest.mark.parametrize(("field", "url"), [(f, u) for f, urls in URL_FIELDS.items() for u in urls])
def test_credentials_in_a_url_are_refused_without_echoing_them(field: str, url: str) -> None:
    message = refused(field, **{field: url})
    assert "user:password@" in message or "credentials" in message
    assert "pw1" not in message  # the password never reaches a log through the error


@pytest.mark.parametrize(
    "url",
    [
        "https://open.tiktokapis.com/v2/?debug=1",
        "https://open.tiktokapis.com/v2?debug=1",
        "https://open.tiktokapis.com/v2/?",
        "https://open.tiktokapis.com/v2/#",
        "https://open.tiktokapis.com/v2/#top",
    ],
)
def test_a_query_or_fragment_in_base_api_url_is_refused(url: str) -> None:
    # Today these become ".../v2/?debug=1/oauth/token/" or ".../v2/#/oauth/token/" (the path in the fragment).
    message = refused("base_api_url", base_api_url=url)
    assert "query" in message or "fragment" in message


@pytest.mark.parametrize("field", ["authorization_url", "base_api_url"])
@pytest.mark.parametrize(
    "url", ["https://www.tiktok.com:99999/v2/", "https://www.tiktok.com:abc/v2/", "https://[::1/v2/",
            "https://www.tiktok.com:0/v2/", "https://www.tiktok.com:-1/v2/"],
)
def test_an_impossible_host_or_port_is_refused_not_a_bare_value_error(field: str, url: str) -> None:
    message = refused(field, **{field: url})
    assert "port" in message or "host" in message


@pytest.mark.parametrize("url", ["https://app.example.com:99999/cb/", "https://app.example.com/cb/?", "https://[::1/cb/"])
def test_an_impossible_redirect_uri_is_refused(url: str) -> None:
    refused("redirect_uri", redirect_uri=url)


def test_the_default_urls_and_the_sandbox_style_ones_still_pass() -> None:
    cfg = make(base_api_url="http://127.0.0.1:9000/v2", authorization_url="http://localhost:9000/v2/auth/authorize/?x=1",
               port=0, redirect_uri="http://127.0.0.1:*/callback/")
    assert cfg.endpoint(contract.TOKEN_PATH) == "http://127.0.0.1:9000/v2/oauth/token/"
    assert make(redirect_uri="https://app.example.com:8443/tiktok/cb/").redirect_uri == "https://app.example.com:8443/tiktok/cb/"
    assert make(base_api_url="http://[::1]:9000/v2/").base_api_url == "http://[::1]:9000/v2/"


# --------------------------------------------------------------------------- per-call timeouts


BAD_TIMEOUTS = [
    pytest.param(math.nan, id="nan"),
    pytest.param(math.inf, id="inf"),
    pytest.param(-math.inf, id="minus-inf"),
    pytest.param(None, id="none"),
    pytest.param(-1, id="negative"),
    pytest.param(0, id="zero"),
    pytest.param(0.0, id="zero-float"),
    pytest.param(0.05, id="under-the-minimum"),
    pytest.param(86401, id="over-a-day"),
    pytest.param(1e300, id="huge"),
    pytest.param(True, id="bool-true"),
    pytest.param(False, id="bool-false"),
    pytest.param("300", id="string"),
    pytest.param([300], id="list"),
]


def _timeout_refused(excinfo: pytest.ExceptionInfo[ConfigurationError], value: object) -> None:
    error = excinfo.value
    assert error.field == "timeout"
    assert "0.1..86400" in str(error)
    assert repr(value) in str(error)


@pytest.mark.parametrize("value", BAD_TIMEOUTS)
def test_check_timeout_names_the_value_and_the_range(value: object) -> None:
    with pytest.raises(ConfigurationError) as caught:
        _config.check_timeout(value)
    _timeout_refused(caught, value)


@pytest.mark.parametrize("value", [0.1, 1, 300, 86400, 86400.0])
def test_check_timeout_accepts_the_range_as_floats(value: float) -> None:
    assert _config.check_timeout(value) == float(value)
    assert type(_config.check_timeout(value)) is float


@pytest.mark.parametrize("value", BAD_TIMEOUTS)
@pytest.mark.parametrize("flow_class", [BrowserFlow, QrFlow])
def test_flows_refuse_a_bad_timeout_when_made(flow_class: type[Any], value: object, config: Config) -> None:
    with pytest.raises(ConfigurationError) as caught:
        flow_class(config, timeout=value)
    _timeout_refused(caught, value)


class _Touched(Exception):
    """Raised instead of binding a port or sending a request."""


@pytest.fixture
def no_io(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record (and stop) any port bound or request sent."""
    touched: list[str] = []

    def bind(self: socket.socket, address: Any) -> None:
        touched.append(f"bind {address}")
        raise _Touched("bind")

    def send(self: Any, request: httpx.Request, **kwargs: Any) -> Any:
        touched.append(f"send {request.url}")
        raise _Touched("send")

    async def asend(self: Any, request: httpx.Request, **kwargs: Any) -> Any:
        return send(self, request)

    monkeypatch.setattr(socket.socket, "bind", bind)
    monkeypatch.setattr(httpx.Client, "send", send)
    monkeypatch.setattr(httpx.AsyncClient, "send", asend)
    return touched


KIT_CALLS = ["oauth_server", "oauth_qrcode", "begin_browser_login"]


def _call(kit: Any, name: str, timeout: object) -> Any:
    opener = {"open_browser": lambda url: True}
    if name == "oauth_server":
        return kit.oauth_server(timeout=timeout, **opener)
    if name == "oauth_qrcode":
        return kit.oauth_qrcode("qr-token-0123456789", "ticket-0123456789abcdefghij", timeout=timeout)
    return kit.begin_browser_login(timeout=timeout)


@pytest.mark.timeout(20)
@pytest.mark.parametrize("value", [math.nan, math.inf, None, -5, 0, True, "60"], ids=repr)
@pytest.mark.parametrize("call", KIT_CALLS)
def test_login_kit_refuses_a_bad_timeout_before_binding_or_sending(call: str, value: object, no_io: list[str]) -> None:
    import pytok_sm

    kit = pytok_sm.LoginKit(CLIENT_KEY, CLIENT_SECRET, port=0, redirect_uri="http://127.0.0.1:*/callback/")
    try:
        with pytest.raises(ConfigurationError) as caught:
            _call(kit, call, value)
    finally:
        kit.close()
    _timeout_refused(caught, value)
    assert no_io == []


@pytest.mark.timeout(20)
@pytest.mark.parametrize("value", [math.nan, None, 0, "60"], ids=repr)
@pytest.mark.parametrize("call", KIT_CALLS)
def test_async_login_kit_refuses_a_bad_timeout_before_binding_or_sending(
    call: str, value: object, no_io: list[str]
) -> None:
    import pytok_sm

    async def main() -> None:
        kit = pytok_sm.AsyncLoginKit(CLIENT_KEY, CLIENT_SECRET, port=0, redirect_uri="http://127.0.0.1:*/callback/")
        try:
            result = _call(kit, call, value)
            if asyncio.iscoroutine(result):
                await result
        finally:
            closing = kit.aclose() if hasattr(kit, "aclose") else kit.close()
            if asyncio.iscoroutine(closing):
                await closing

    with pytest.raises(ConfigurationError) as caught:
        asyncio.run(main())
    _timeout_refused(caught, value)
    assert no_io == []


@pytest.mark.parametrize("interval", [float("nan"), 0, -1, None, "1", True, float("inf")])
def test_a_qr_poll_interval_given_per_flow_is_checked_like_a_timeout(interval: object) -> None:
    if interval is None:
        assert QrFlow(Config("aw_key", "s"), interval=None).interval == 1.0  # None: the configured one
        return
    with pytest.raises(ConfigurationError, match="interval"):
        QrFlow(Config("aw_key", "s"), interval=interval)  # type: ignore[arg-type]
