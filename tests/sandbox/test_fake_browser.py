"""FakeBrowser (pytok_sm.testing): clicks Approve or Deny on the sandbox's consent page and
follows the redirect, or (``consent=False``) plays TikTok's redirect itself."""

from __future__ import annotations

import httpx
import pytest

from pytok_sm.sandbox import Sandbox
from pytok_sm.testing import BrowserError, FakeBrowser

from ..ports import free_port
from .helpers import AppDriver, CallbackReceiver


def authorize_url(app: AppDriver, redirect_uri: str, **overrides: str | None) -> str:
    params = app.authorize_params(redirect_uri=redirect_uri, **overrides)
    return str(httpx.URL(app.sb.authorization_url, params=params))


class TestOnTheConsentPage:
    def test_approve_reaches_the_apps_callback_with_a_code(
        self, app: AppDriver, callback_receiver: CallbackReceiver
    ) -> None:
        browser = FakeBrowser()
        url = authorize_url(app, callback_receiver.redirect_uri, scope="user.info.basic,video.list", state="b-1")
        assert browser(url) is True
        browser.join(5)
        assert browser.opened_urls == [url]
        assert browser.last_callback_status == 200
        assert browser.last_callback_body == "You may close this window."
        assert browser.callback_url is not None and browser.callback_url.startswith(callback_receiver.redirect_uri)
        (query,) = callback_receiver.queries
        assert query["scopes"] == "user.info.basic,video.list" and query["state"] == "b-1"
        assert query["code"] == app.sb.codes[-1].code

    def test_deny_reaches_the_callback_with_access_denied(
        self, app: AppDriver, callback_receiver: CallbackReceiver
    ) -> None:
        browser = FakeBrowser(decision="deny")
        browser(authorize_url(app, callback_receiver.redirect_uri, state="b-2"))
        browser.join(5)
        (query,) = callback_receiver.queries
        assert (query["error"], query["state"]) == ("access_denied", "b-2")
        assert app.sb.codes == []

    @pytest.mark.parametrize("scopes", [["user.info.stats"], "user.info.stats"])
    def test_unticks_optional_scopes_when_told(
        self, app: AppDriver, callback_receiver: CallbackReceiver, scopes: list[str] | str
    ) -> None:
        browser = FakeBrowser(scopes=scopes)
        browser(
            authorize_url(
                app, callback_receiver.redirect_uri, scope="user.info.basic,user.info.profile,user.info.stats"
            )
        )
        browser.join(5)
        assert callback_receiver.queries[0]["scopes"] == "user.info.basic,user.info.stats"

    def test_without_follow_redirect_only_records_the_location(
        self, app: AppDriver, callback_receiver: CallbackReceiver
    ) -> None:
        browser = FakeBrowser(follow_redirect=False, background=False)
        browser(authorize_url(app, callback_receiver.redirect_uri))
        assert browser.callback_url is not None and "code=" in browser.callback_url
        assert browser.last_callback_status is None and callback_receiver.queries == []

    def test_a_forged_state_and_a_foreign_code_replace_what_the_page_gave(
        self, app: AppDriver, callback_receiver: CallbackReceiver
    ) -> None:
        browser = FakeBrowser(state="forged", code="never*issued!", background=False)
        browser(authorize_url(app, callback_receiver.redirect_uri, scope="user.info.basic", state="b-3"))
        (query,) = callback_receiver.queries
        assert (query["state"], query["code"], query["scopes"]) == ("forged", "never*issued!", "user.info.basic")
        assert app.sb.codes[-1].code != "never*issued!"

    def test_an_error_page_stops_the_browser_there(self, app: AppDriver, callback_receiver: CallbackReceiver) -> None:
        browser = FakeBrowser(background=False)
        browser(authorize_url(app, callback_receiver.redirect_uri, client_key="unknown"))
        assert browser.page_status == 400 and 'data-error="invalid_client"' in (browser.page_body or "")
        assert browser.callback_url is None and callback_receiver.queries == []

    def test_runs_in_the_background_so_the_caller_keeps_serving(
        self, app: AppDriver, callback_receiver: CallbackReceiver
    ) -> None:
        browser = FakeBrowser()
        browser(authorize_url(app, callback_receiver.redirect_uri))
        browser.join(5)
        assert browser.done and browser.exception is None

    def test_join_reraises_what_went_wrong_in_the_thread(self, sandbox: Sandbox) -> None:
        browser = FakeBrowser()
        browser(sandbox.base_url + "/sandbox/phone?url=x")  # a page with forms but no approve button
        with pytest.raises(BrowserError, match="approve"):
            browser.join(5)

    def test_is_webbrowser_open_compatible(self, sandbox: Sandbox) -> None:
        browser = FakeBrowser(background=False, follow_redirect=False)
        assert browser(sandbox.base_url + "/nothing", 2, True) is True
        assert browser.page_status == 404


class TestWithoutAConsentPage:
    def test_approve_sends_the_code_and_the_asked_scopes_straight_to_the_callback(
        self, app: AppDriver, callback_receiver: CallbackReceiver
    ) -> None:
        browser = FakeBrowser(consent=False)
        url = authorize_url(app, callback_receiver.redirect_uri, scope="user.info.basic,video.list", state="d-1")
        assert browser(url) is True
        browser.join(5)
        (query,) = callback_receiver.queries
        assert query == {"code": "fake*code!", "scopes": "user.info.basic,video.list", "state": "d-1"}
        assert browser.last_callback_status == 200 and browser.page_status is None
        assert app.sb.requests == []  # TikTok (here the sandbox) never saw the browser

    def test_deny_state_code_and_scopes_are_what_the_test_says(
        self, app: AppDriver, callback_receiver: CallbackReceiver
    ) -> None:
        url = authorize_url(app, callback_receiver.redirect_uri, state="d-2")
        FakeBrowser("deny", consent=False, background=False)(url)
        FakeBrowser(consent=False, background=False, state="forged", code="c*1!", scopes=["a", "b"])(url)
        denied, forged = callback_receiver.queries
        assert (denied["error"], denied["state"]) == ("access_denied", "d-2") and "code" not in denied
        assert forged == {"code": "c*1!", "scopes": "a,b", "state": "forged"}

    def test_redirect_url_is_the_redirect_without_visiting_it(self) -> None:
        url = "https://www.tiktok.com/v2/auth/authorize/?redirect_uri=https%3A%2F%2Fapp.test%2Fcb%2F&state=s&scope=x"
        browser = FakeBrowser(consent=False, code="web*code")
        assert browser.redirect_url(url) == "https://app.test/cb/?code=web%2Acode&scopes=x&state=s"
        assert browser.opened_urls == [] and browser.callback_url is None

    def test_a_browser_that_failed_to_open_does_nothing(self, callback_receiver: CallbackReceiver) -> None:
        browser = FakeBrowser(consent=False, opened=False)
        url = "https://x.test/?redirect_uri=" + callback_receiver.redirect_uri
        assert browser(url) is False
        browser.join(1)
        assert browser.opened_urls == [url] and callback_receiver.queries == []

    def test_join_reraises_a_callback_that_cannot_be_reached(self) -> None:
        browser = FakeBrowser(consent=False)
        browser(f"https://x.test/?redirect_uri=http://127.0.0.1:{free_port()}/callback/")  # nothing listens
        with pytest.raises(OSError):
            browser.join(5)


def test_only_approve_or_deny() -> None:
    with pytest.raises(ValueError):
        FakeBrowser(decision="maybe")  # type: ignore[arg-type]
