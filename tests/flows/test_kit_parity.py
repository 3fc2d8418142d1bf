"""Both kits are thin adapters over one policy: the same names, keywords, options and
behaviour; every keyword validated and documented; every kit sharing one connection pool."""

from __future__ import annotations

import asyncio
import inspect
import io
import json
import pydoc
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

import pytok_sm
from pytok_sm import _errors as errors
from pytok_sm._config import keyword_docs
from pytok_sm._kit_base import ConfigOptions
from pytok_sm.flows import RefreshFlow
from pytok_sm.testing import FakeBrowser, FakeClock

from ..fake_tiktok import FakeTikTok

SAVED = {"access_token": "act.saved", "expires_in": 7200, "open_id": "open-1", "refresh_token": "rft.saved",
         "refresh_expires_in": 86400, "scope": "user.info.basic"}
FAST = pytok_sm.RetryPolicy(max_attempts=2, backoff_base=0.01, backoff_cap=0.02)
WILDCARD = {"port": 0, "redirect_uri": "http://127.0.0.1:*/callback/"}

#: The public surface of a kit: PyTok's names, then ours. Adding one is a decision.
KIT_PUBLIC = sorted([
    "AUTHORIZATION_URL", "BASE_API_URL", "CLIENT_TICKET_LENGTH", "CODE_VERIFIER_LENGTH", "CSRF_STATE_LENGTH",
    "PORT", "REDIRECT_URI", "REQUEST_HEADER", "SCOPES",
    "current_access_token", "generate_qr_code", "oath_server", "oauth_qrcode", "oauth_server",
    "refresh_access_token", "revoke_access_token",
    "begin_browser_login", "complete_browser_login", "config", "get_user_info", "granted_scopes", "load_token",
    "run", "token", "update_scopes",
    # the Content Posting API (issue 15)
    "cancel_post", "creator_info", "post_photos", "post_video", "prepare_post_video", "publish_status",
    "resume_post", "run_post",
    # the Display API's videos
    "list_videos", "query_videos",
])


def public(cls: type) -> list[str]:
    return sorted(name for name in dir(cls) if not name.startswith("_") and name not in ("close", "aclose"))


# ---------------------------------------------------------------- one surface
def test_both_kits_have_exactly_the_pinned_public_surface() -> None:
    assert public(pytok_sm.LoginKit) == KIT_PUBLIC
    assert public(pytok_sm.AsyncLoginKit) == KIT_PUBLIC
    assert hasattr(pytok_sm.LoginKit, "close") and hasattr(pytok_sm.AsyncLoginKit, "aclose")


@pytest.mark.parametrize("name", [n for n in KIT_PUBLIC if callable(getattr(pytok_sm.LoginKit, n))])
def test_every_method_takes_the_same_parameters_on_both_kits(name: str) -> None:
    sync = inspect.signature(getattr(pytok_sm.LoginKit, name))
    async_ = inspect.signature(getattr(pytok_sm.AsyncLoginKit, name))
    assert [(p.name, p.kind, p.default) for p in sync.parameters.values()] == [
        (p.name, p.kind, p.default) for p in async_.parameters.values()
    ]
    assert "kwargs" not in sync.parameters and all(p.kind is not p.VAR_KEYWORD for p in sync.parameters.values())


@pytest.mark.parametrize("name", ["post_video", "post_photos", "run_post", "resume_post", "publish_status"])
def test_the_posting_waits_take_a_post_board_on_both_kits(name: str) -> None:
    for kit in (pytok_sm.LoginKit, pytok_sm.AsyncLoginKit):
        events = inspect.signature(getattr(kit, name)).parameters["events"]
        assert (events.kind, events.default) == (events.KEYWORD_ONLY, None), (kit, name)


def test_the_kit_keywords_are_configs_fields_and_nothing_is_restated() -> None:
    config_fields = [name for name, _, _ in keyword_docs()]
    assert list(ConfigOptions.__annotations__) == config_fields[2:]
    signature = inspect.signature(pytok_sm.LoginKit)
    for name, default, _ in keyword_docs()[2:]:
        assert signature.parameters[name].default == default, name  # the default shown is Config's own
    assert inspect.signature(pytok_sm.AsyncLoginKit) == signature


def test_help_lists_every_keyword_with_its_meaning() -> None:
    text = pydoc.render_doc(pytok_sm.LoginKit, renderer=pydoc.plaintext)
    for name, _, doc in keyword_docs():
        assert f"{name}: {doc}" in " ".join(text.split()), name
    for name in ("config", "token", "on_token", "http_client", "transport"):
        assert f"{name}: " in text, name
    assert "**kwargs" not in text and "**options" not in text.split("Keywords")[0]


@pytest.mark.parametrize("kit_class", [pytok_sm.LoginKit, pytok_sm.AsyncLoginKit])
@pytest.mark.parametrize(("keyword", "value"), [
    ("open_browser", "yes"), ("on_token", 5), ("clock", 5), ("random", "abc"), ("token", 42), ("token", ["x"]),
    ("http_client", object()), ("transport", object()), ("port", "3456"), ("retry", {"max_attempts": 2}),
    ("config", "not a config"),
])
def test_every_keyword_is_validated_when_the_kit_is_made(kit_class: type, keyword: str, value: object) -> None:
    with pytest.raises(errors.ConfigurationError, match=keyword):
        kit_class("aw_key", "aw_secret", **{keyword: value})


def test_a_kit_is_made_from_a_config_or_from_keywords_not_both() -> None:
    config = pytok_sm.Config("aw_key", "aw_secret", port=4000)
    assert pytok_sm.LoginKit(config=config).config is config
    assert pytok_sm.AsyncLoginKit(config=config).PORT == 4000
    with pytest.raises(errors.ConfigurationError, match="not both"):
        pytok_sm.LoginKit("aw_key", "aw_secret", config=config)
    with pytest.raises(errors.ConfigurationError, match="client_key"):
        pytok_sm.LoginKit()


def test_kits_with_the_same_settings_share_one_validated_config() -> None:
    first = pytok_sm.LoginKit("aw_key", "aw_secret", scopes=["user.info.basic"], port=0)
    second = pytok_sm.AsyncLoginKit("aw_key", "aw_secret", scopes=["user.info.basic"], port=0)
    assert first.config is second.config
    assert pytok_sm.LoginKit("aw_key", "aw_secret", port=1).config is not first.config


# ---------------------------------------------------------------- every method, every option, both kits
class Calls:
    """Every public method of a kit with every option, against a fake TikTok."""

    def __init__(self, fake: FakeTikTok) -> None:
        self.fake = fake
        self.ticks: list[str] = []
        self.shown: list[str] = []
        self.tokens: list[object] = []
        self.stderr = io.StringIO()

    def kit_options(self) -> dict[str, Any]:
        return dict(WILDCARD, retry=FAST, clock=FakeClock(), open_browser=False, token=SAVED,
                    on_token=self.tokens.append, scopes="user.info.basic")

    def script(self) -> list[tuple[str, tuple[Any, ...], dict[str, Any]]]:
        browser = FakeBrowser(consent=False)
        return [
            ("oauth_server", (5.0,), {"open_browser": browser, "on_tick": self.tick, "stderr": self.stderr}),
            ("oath_server", (5.0,), {"open_browser": FakeBrowser(consent=False), "on_tick": self.tick,
                                     "stderr": self.stderr}),
            ("refresh_access_token", (), {}),
            ("get_user_info", (["display_name"],), {}),
            ("run", (None,), {"until": None, "show_qr": self.shown.append, "on_tick": self.tick,
                              "stderr": self.stderr}),
            ("update_scopes", ("user.info.basic,user.info.stats",), {}),
            ("load_token", (SAVED,), {"notify": False}),
            ("revoke_access_token", (), {}),
        ]

    def tick(self, flow: object) -> None:
        self.ticks.append(type(flow).__name__)


def drive_sync(calls: Calls) -> list[str]:
    seen = []
    kit = pytok_sm.LoginKit("aw_key", "aw_secret", transport=httpx.MockTransport(calls.fake), **calls.kit_options())
    with pytest.warns(DeprecationWarning):  # oath_server, PyTok's old spelling
        for name, args, kwargs in calls.script():
            if name == "run":
                args = (RefreshFlow(kit.config, refresh_token="rft.saved"),)
            result = getattr(kit, name)(*args, **kwargs)
            seen.append(f"{name}: {type(result).__name__}")
    kit.close()
    return seen


async def drive_async(calls: Calls) -> list[str]:
    seen = []
    kit = pytok_sm.AsyncLoginKit("aw_key", "aw_secret", transport=httpx.MockTransport(calls.fake.handle_async),
                                 **calls.kit_options())
    with pytest.warns(DeprecationWarning):
        for name, args, kwargs in calls.script():
            if name == "run":
                args = (RefreshFlow(kit.config, refresh_token="rft.saved"),)
            result = getattr(kit, name)(*args, **kwargs)
            if inspect.isawaitable(result):
                result = await result
            seen.append(f"{name}: {type(result).__name__}")
    await kit.aclose()
    return seen


def test_every_public_method_with_every_option_behaves_alike_on_both_kits() -> None:
    outcomes: dict[str, list[str]] = {}
    for kind in ("sync", "async"):
        calls = Calls(FakeTikTok())
        outcomes[kind] = drive_sync(calls) if kind == "sync" else asyncio.run(drive_async(calls))
        assert calls.ticks and set(calls.ticks) == {"BrowserFlow"}, kind  # on_tick reached both drivers
        assert kit_token_changes(calls.tokens) == ["Token", "Token", "Token", "NoneType"], kind
    assert outcomes["sync"] == outcomes["async"]
    assert outcomes["sync"][:4] == ["oauth_server: Token", "oath_server: Token", "refresh_access_token: Token",
                                    "get_user_info: dict"]


def kit_token_changes(tokens: list[object]) -> list[str]:
    return [type(t).__name__ for t in tokens]


def test_the_qr_methods_take_the_same_path_on_both_kits() -> None:
    def qr(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("get_qrcode/"):
            return httpx.Response(200, json={"scan_qrcode_url": "aweme://a?client_ticket=tobefilled", "token": "qr1"})
        return httpx.Response(200, json={"status": "expired"})

    async def qr_async(request: httpx.Request) -> httpx.Response:
        return qr(request)

    sync = pytok_sm.LoginKit("aw_key", "aw_secret", transport=httpx.MockTransport(qr))
    url, qr_token, ticket = sync.generate_qr_code()
    with pytest.raises(errors.QrCodeExpired):
        sync.oauth_qrcode(qr_token, ticket, timeout=5, on_tick=lambda flow: None)

    async def main() -> tuple[str, str, str]:
        kit = pytok_sm.AsyncLoginKit("aw_key", "aw_secret", transport=httpx.MockTransport(qr_async))
        answer = await kit.generate_qr_code()
        with pytest.raises(errors.QrCodeExpired):
            await kit.oauth_qrcode(answer[1], answer[2], timeout=5, on_tick=lambda flow: None)
        return answer

    assert asyncio.run(main())[1] == qr_token == "qr1"
    assert url.startswith("aweme://a?client_ticket=") and len(ticket) == 64


# ---------------------------------------------------------------- one pool
class CountingTikTok(ThreadingHTTPServer):
    """A local token endpoint that counts the TCP connections it accepts."""

    daemon_threads = True

    def __init__(self) -> None:
        self.connections = 0
        super().__init__(("127.0.0.1", 0), _TokenHandler)

    def get_request(self) -> Any:
        self.connections += 1
        return super().get_request()

    @property
    def base_api_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v2/"


class _TokenHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        body = json.dumps({"access_token": "act.new", "expires_in": 7200, "refresh_token": "rft.new",
                           "open_id": "open-1", "scope": "user.info.basic"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def counting() -> Iterator[CountingTikTok]:
    server = CountingTikTok()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_hundred_kits_refreshing_use_one_connection_and_closing_a_kit_keeps_it(counting: CountingTikTok) -> None:
    kits = [pytok_sm.LoginKit("aw_key", "aw_secret", base_api_url=counting.base_api_url, token=SAVED)
            for _ in range(100)]
    for kit in kits:
        kit.refresh_access_token()
        kit.close()  # a kit never closes the shared pool
    assert counting.connections == 1
    assert all(kit.current_access_token == "act.new" for kit in kits)


def test_kits_of_one_event_loop_share_its_pool(counting: CountingTikTok) -> None:
    async def main() -> None:
        kits = [pytok_sm.AsyncLoginKit("aw_key", "aw_secret", base_api_url=counting.base_api_url, token=SAVED)
                for _ in range(50)]
        for kit in kits:
            await kit.refresh_access_token()
            await kit.aclose()

    asyncio.run(main())
    assert counting.connections == 1
    asyncio.run(main())  # a new loop gets its own pool, not the closed loop's
    assert counting.connections == 2


def test_an_http_client_of_ones_own_is_used_and_never_closed(counting: CountingTikTok) -> None:
    requests: list[str] = []
    client = httpx.Client(event_hooks={"request": [lambda request: requests.append(request.url.path)]})
    with pytok_sm.LoginKit("aw_key", "aw_secret", base_api_url=counting.base_api_url, token=SAVED,
                           http_client=client) as kit:
        kit.refresh_access_token()
    assert requests == ["/v2/oauth/token/"] and not client.is_closed
    client.close()


def test_the_kits_posting_wait_is_the_flows_own() -> None:
    from pytok_sm import _kit_posting
    from pytok_sm.flows import _post

    assert _kit_posting.DEFAULT_WAIT == _post.DEFAULT_WAIT
