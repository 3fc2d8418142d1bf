"""The authorize page: validation, consent page, Approve/Deny redirects (TIKTOK-API.md §1)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx
import pytest

from pytok_sm import _contract as contract
from pytok_sm.sandbox import App, Sandbox
from pytok_sm.sandbox._apps import default_desktop_app
from pytok_sm.sandbox._authorize import DECISION_PATH

from .helpers import AppDriver


def error_of(page: httpx.Response) -> tuple[str, str]:
    """(error value, parameter to fix) shown by a TikTok-style error page."""
    found = re.search(r'id="error" data-error="([^"]+)" data-param="([^"]+)"', page.text)
    assert found is not None, page.text
    return found.group(1), found.group(2)


class TestConsentPage:
    def test_names_the_app_and_the_requested_scopes(self, app: AppDriver) -> None:
        page = app.authorize(scope="user.info.basic,user.info.profile,video.list")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert "pytok_sm Sandbox App" in page.text
        for scope in ("user.info.basic", "user.info.profile", "video.list"):
            assert scope in page.text

    def test_is_a_real_post_form_with_approve_and_deny_buttons(self, app: AppDriver) -> None:
        page = app.authorize(scope="user.info.basic,video.list")
        tags: list[tuple[str, dict[str, str | None]]] = []

        class Collect(HTMLParser):
            def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
                tags.append((tag, dict(attrs)))

        Collect().feed(page.text)
        forms = [a for t, a in tags if t == "form"]
        buttons = {a["id"]: a for t, a in tags if t == "button"}
        assert forms == [{"method": "post", "action": DECISION_PATH, "id": "consent"}]
        assert buttons["approve"]["type"] == buttons["deny"]["type"] == "submit"
        assert (buttons["approve"]["value"], buttons["deny"]["value"]) == ("approve", "deny")

    def test_optional_scopes_are_ticked_checkboxes_and_basic_is_not_optional(self, app: AppDriver) -> None:
        page = app.authorize(scope="user.info.basic,user.info.stats,video.list")
        checkboxes = re.findall(r'<input type="checkbox" name="scope" value="([^"]+)" checked>', page.text)
        assert checkboxes == ["user.info.stats", "video.list"]

    def test_loads_nothing_external_and_sends_security_headers(self, app: AppDriver) -> None:
        page = app.authorize()
        assert not re.search(r"<script|<link|<img|src=|https?://", page.text)
        assert page.headers["cache-control"] == "no-store"
        assert page.headers["referrer-policy"] == "no-referrer"
        assert "default-src 'none'" in page.headers["content-security-policy"]

    def test_escapes_the_app_name(self) -> None:
        evil = App(
            client_key="evilkey",
            client_secret="s",
            name='<script>alert("x")</script>',
            kind="desktop",
            redirect_uris=("http://127.0.0.1:*/callback/",),
        )
        with Sandbox(apps=[evil]) as sb, httpx.Client(base_url=sb.base_url, trust_env=False) as http:
            params = {
                "client_key": "evilkey",
                "scope": "user.info.basic",
                "redirect_uri": "http://127.0.0.1:1/callback/",
                "response_type": "code",
                "code_challenge": "a" * 64,
                "code_challenge_method": "S256",
            }
            page = http.get(contract.AUTHORIZE_PATH, params=params)
        assert "<script>" not in page.text
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page.text


class TestApprove:
    def test_redirects_with_code_granted_scopes_and_state(self, app: AppDriver) -> None:
        login = app.login("user.info.basic,video.list", state="s-42")
        assert login.location.startswith(app.REDIRECT_URI + "?code=")
        assert login.scopes == "user.info.basic,video.list"
        assert login.state == "s-42"

    def test_code_contains_star_and_bang_percent_encoded_in_the_location(self, app: AppDriver) -> None:
        login = app.login()
        assert "*" in login.code and "!" in login.code
        raw = login.location.split("code=", 1)[1].split("&", 1)[0]
        assert "%2A" in raw and "%21" in raw and "*" not in raw and "!" not in raw

    def test_unticked_scopes_are_not_granted_but_basic_always_is(self, app: AppDriver) -> None:
        page = app.authorize(scope="user.info.profile,user.info.stats,video.list")
        answer = app.decide(page, scopes=["video.list"])
        assert app.query_of(answer.headers["location"])["scopes"] == "user.info.basic,video.list"

    def test_wildcard_port_registration_accepts_any_port(self, app: AppDriver) -> None:
        for uri in ("http://127.0.0.1:50123/callback/", "http://localhost:8080/callback/"):
            login = app.login(redirect_uri=uri)
            assert login.location.startswith(uri + "?")

    def test_state_is_omitted_when_none_was_sent(self, app: AppDriver) -> None:
        login = app.login(state=None)
        assert login.state is None and "state=" not in login.location

    def test_a_consent_can_be_decided_only_once(self, app: AppDriver) -> None:
        page = app.authorize()
        assert app.decide(page).status_code == 302
        again = app.decide(page)
        assert again.status_code == 400 and "expired or was already used" in again.text

    def test_a_consent_page_left_open_too_long_stops_working(self, app: AppDriver, sandbox: Sandbox) -> None:
        page = app.authorize()
        sandbox.clock.advance(901)
        assert app.decide(page).status_code == 400


class TestDeny:
    def test_redirects_with_access_denied_and_state(self, app: AppDriver) -> None:
        answer = app.decide(app.authorize(state="s-9"), decision="deny")
        assert answer.status_code == 302
        query = app.query_of(answer.headers["location"])
        assert query == {
            "error": "access_denied",
            "error_description": "The user denied the authorization request.",
            "state": "s-9",
        }
        assert sandbox_codes_count(app) == 0

    def test_error_type_is_added_when_the_switch_says_so(self, app: AppDriver, sandbox: Sandbox) -> None:
        sandbox.switches.deny_error_type = "user_cancelled"
        answer = app.decide(app.authorize(), decision="deny")
        assert app.query_of(answer.headers["location"])["error_type"] == "user_cancelled"


def sandbox_codes_count(app: AppDriver) -> int:
    return len(app.sb.codes)


class TestMisconfigurationShowsAnErrorPageInsteadOfRedirecting:
    @pytest.mark.parametrize(
        ("overrides", "error", "param"),
        [
            ({"client_key": "nope"}, "invalid_client", "client_key"),
            ({"client_key": None}, "invalid_client", "client_key"),
            ({"redirect_uri": "http://127.0.0.1:3456/callback"}, "invalid_request", "redirect_uri"),
            ({"redirect_uri": "http://127.0.0.1:3457/other/"}, "invalid_request", "redirect_uri"),
            ({"redirect_uri": "http://127.0.0.1:3456/callback/?x=1"}, "invalid_request", "redirect_uri"),
            ({"redirect_uri": "http://127.0.0.2:3456/callback/"}, "invalid_request", "redirect_uri"),
            ({"redirect_uri": "http://127.0.0.1:99999/callback/"}, "invalid_request", "redirect_uri"),
            ({"redirect_uri": None}, "invalid_request", "redirect_uri"),
            ({"response_type": "token"}, "unsupported_response_type", "response_type"),
            ({"response_type": None}, "unsupported_response_type", "response_type"),
            ({"scope": "user.info.basic,user.info.everything"}, "invalid_scope", "scope"),
            ({"scope": "user.info.basic user.info.profile"}, "invalid_scope", "scope"),
            ({"scope": ""}, "invalid_scope", "scope"),
            ({"code_challenge": None}, "invalid_request", "code_challenge"),
            ({"code_challenge_method": "plain"}, "invalid_request", "code_challenge_method"),
            ({"code_challenge_method": None}, "invalid_request", "code_challenge_method"),
            ({"code_challenge": "A" * 64}, "invalid_request", "code_challenge"),
            ({"code_challenge": "ab" * 31}, "invalid_request", "code_challenge"),
        ],
    )
    def test_bad_request(self, app: AppDriver, overrides: dict[str, str | None], error: str, param: str) -> None:
        page = app.authorize(**overrides)
        assert page.status_code == 400
        assert "location" not in page.headers
        assert error_of(page) == (error, param)
        assert "Something went wrong" in page.text

    def test_a_repeated_parameter_is_refused(self, app: AppDriver, http: httpx.Client) -> None:
        params = (*app.authorize_params().items(), ("state", "second"))
        page = http.get(contract.AUTHORIZE_PATH, params=params)
        assert page.status_code == 400 and error_of(page) == ("invalid_request", "state")

    def test_a_scope_the_app_may_not_use_is_refused(self) -> None:
        limited = App(
            client_key="limitedkey",
            client_secret="s",
            name="Limited",
            kind="desktop",
            redirect_uris=("http://127.0.0.1:*/callback/",),
            scopes=("user.info.basic",),
        )
        with Sandbox(apps=[limited]) as sb, httpx.Client(base_url=sb.base_url, trust_env=False) as http:
            page = http.get(
                contract.AUTHORIZE_PATH,
                params={
                    "client_key": "limitedkey",
                    "scope": "user.info.basic,video.list",
                    "redirect_uri": "http://127.0.0.1:5/callback/",
                    "response_type": "code",
                    "code_challenge": "0" * 64,
                    "code_challenge_method": "S256",
                },
            )
        assert error_of(page) == ("invalid_scope", "scope")


class TestPkceShapesOnThePage:
    def test_a_base64url_challenge_is_accepted_by_the_page(self, app: AppDriver) -> None:
        page = app.authorize(code_challenge="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
        assert page.status_code == 200

    def test_web_apps_may_skip_pkce_by_default(self, app: AppDriver, sandbox: Sandbox) -> None:
        web = type(app)(sandbox, app.http, sandbox.web_client_key, sandbox.web_client_secret)
        page = web.authorize(
            redirect_uri="https://app.example.test/callback/", code_challenge=None, code_challenge_method=None
        )
        assert page.status_code == 200

    def test_web_apps_must_send_pkce_when_the_switch_says_so(self, app: AppDriver, sandbox: Sandbox) -> None:
        sandbox.switches.web_requires_pkce = True
        web = type(app)(sandbox, app.http, sandbox.web_client_key, sandbox.web_client_secret)
        page = web.authorize(
            redirect_uri="https://app.example.test/callback/", code_challenge=None, code_challenge_method=None
        )
        assert error_of(page) == ("invalid_request", "code_challenge")

    def test_web_apps_register_https_only(self) -> None:
        with pytest.raises(ValueError, match="https"):
            App(client_key="w", client_secret="s", name="W", kind="web", redirect_uris=("http://x.test/cb/",))

    def test_desktop_apps_register_loopback_with_a_port(self) -> None:
        with pytest.raises(ValueError, match="desktop"):
            App(client_key="d", client_secret="s", name="D", kind="desktop", redirect_uris=("http://example.test/cb/",))
        assert default_desktop_app().matches_redirect_uri("http://127.0.0.1:3456/callback/")


class TestDecisionEndpoint:
    def test_get_is_not_allowed(self, http: httpx.Client) -> None:
        assert http.get(DECISION_PATH).status_code == 405

    def test_unknown_consent_is_refused(self, http: httpx.Client) -> None:
        answer = http.post(DECISION_PATH, data={"consent": "forged", "decision": "approve"})
        assert answer.status_code == 400 and "location" not in answer.headers

    def test_a_decision_other_than_approve_or_deny_is_refused(self, app: AppDriver) -> None:
        page = app.authorize()
        consent = re.search(r'name="consent" value="([^"]+)"', page.text)
        assert consent is not None
        answer = app.http.post(DECISION_PATH, data={"consent": consent.group(1), "decision": "maybe"})
        assert answer.status_code == 400
