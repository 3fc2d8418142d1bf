"""ScriptedBrowser: clicks Approve or Deny on the consent page and follows the redirect."""

from __future__ import annotations

import httpx
import pytest

from pytok_sm.sandbox import BrowserError, Sandbox, ScriptedBrowser

from .helpers import AppDriver, CallbackReceiver


def authorize_url(app: AppDriver, redirect_uri: str, **overrides: str | None) -> str:
    params = app.authorize_params(redirect_uri=redirect_uri, **overrides)
    return str(httpx.URL(app.sb.authorization_url, params=params))


class TestScriptedBrowser:
    def test_approve_reaches_the_apps_callback_with_a_code(
        self, app: AppDriver, callback_receiver: CallbackReceiver
    ) -> None:
        browser = ScriptedBrowser()
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
        browser = ScriptedBrowser(decision="deny")
        browser(authorize_url(app, callback_receiver.redirect_uri, state="b-2"))
        browser.join(5)
        (query,) = callback_receiver.queries
        assert (query["error"], query["state"]) == ("access_denied", "b-2")
        assert app.sb.codes == []

    def test_unticks_optional_scopes_when_told(self, app: AppDriver, callback_receiver: CallbackReceiver) -> None:
        browser = ScriptedBrowser(scopes=["user.info.stats"])
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
        browser = ScriptedBrowser(follow_redirect=False, background=False)
        browser(authorize_url(app, callback_receiver.redirect_uri))
        assert browser.callback_url is not None and "code=" in browser.callback_url
        assert browser.last_callback_status is None and callback_receiver.queries == []

    def test_an_error_page_stops_the_browser_there(self, app: AppDriver, callback_receiver: CallbackReceiver) -> None:
        browser = ScriptedBrowser(background=False)
        browser(authorize_url(app, callback_receiver.redirect_uri, client_key="unknown"))
        assert browser.page_status == 400 and 'data-error="invalid_client"' in (browser.page_body or "")
        assert browser.callback_url is None and callback_receiver.queries == []

    def test_runs_in_the_background_so_the_caller_keeps_serving(
        self, app: AppDriver, callback_receiver: CallbackReceiver
    ) -> None:
        browser = ScriptedBrowser()
        browser(authorize_url(app, callback_receiver.redirect_uri))
        browser.join(5)
        assert browser.done and browser.exception is None

    def test_join_reraises_what_went_wrong_in_the_thread(self, sandbox: Sandbox) -> None:
        browser = ScriptedBrowser()
        browser(sandbox.base_url + "/sandbox/phone?url=x")  # a page with forms but no approve button
        with pytest.raises(BrowserError, match="approve"):
            browser.join(5)

    def test_only_approve_or_deny(self) -> None:
        with pytest.raises(ValueError):
            ScriptedBrowser(decision="maybe")  # type: ignore[arg-type]
