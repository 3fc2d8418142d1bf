"""The browser login in a real browser: LoginKit opens headless Chromium on the sandbox's
consent page, the person clicks Authorize or Cancel, TikTok redirects to the app's loopback
server, and the browser shows the app's page while ``oauth_server`` returns or raises."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import pytok_sm
from pytok_sm.sandbox import Sandbox

from .helpers import Background, BrowserOpener, kit_options, query_of

SUCCESS_TITLE = "Authentication workflow completed"
DECLINED_TITLE = "Authorization declined"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def by_css(driver: Any, selector: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, selector)


def wait_for_title(driver: Any, title: str, timeout: float = 10.0) -> None:
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(expected_conditions.title_is(title))


def screenshot(driver: Any, path: Path) -> Path:
    assert driver.save_screenshot(str(path)), f"Chromium could not save {path.name}"
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 1000, f"{path.name} is not a real PNG"
    return path


class Login:
    """A LoginKit whose ``open_browser`` is the real browser, ``oauth_server`` running in the
    background while the test plays the person in front of the consent page."""

    def __init__(self, sb: Sandbox, driver: Any, **kit_overrides: Any) -> None:
        self.driver = driver
        self.browser = BrowserOpener(driver)
        self.kit = pytok_sm.LoginKit(
            sb.client_key, sb.client_secret, **kit_options(sb, open_browser=self.browser, **kit_overrides)
        )
        self.call = Background(self.kit.oauth_server, 30)
        self.authorize_url = self.browser.wait_until_loaded()
        self.redirect_uri = query_of(self.authorize_url)["redirect_uri"]

    def click(self, button_id: str, then_title: str) -> None:
        by_css(self.driver, f"#{button_id}").click()
        wait_for_title(self.driver, then_title)

    def result(self) -> pytok_sm.Token:
        try:
            token: pytok_sm.Token = self.call.result(20)
            return token
        finally:
            self.kit.close()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    folder = tmp_path / "screenshots"
    folder.mkdir()
    return folder


def test_authorize_on_the_consent_page_lands_on_the_success_page_and_returns_the_token(
    sandbox: Sandbox, blank_chromium: Any, screenshots: Path
) -> None:
    login = Login(sandbox, blank_chromium, scopes="user.info.basic,user.info.stats")
    driver = login.driver

    # The kit opened TikTok's (the sandbox's) authorize page, naming a concrete loopback port.
    assert login.authorize_url.startswith(sandbox.authorization_url + "?")
    assert login.redirect_uri.startswith("http://127.0.0.1:") and login.redirect_uri.endswith("/callback/")
    assert "*" not in login.redirect_uri

    # The consent page names the app, the user, and every scope asked for.
    assert driver.title == f"Authorize {sandbox.app.name} | TikTok (sandbox)"
    assert sandbox.app.name in by_css(driver, "h1").text
    assert by_css(driver, "#user").text == sandbox.user.display_name
    page_text = by_css(driver, "main").text
    assert "user.info.basic" in page_text and "user.info.stats" in page_text
    assert by_css(driver, 'input[name="scope"][value="user.info.stats"]').is_selected()
    consent_png = screenshot(driver, screenshots / "consent.png")

    login.click("approve", then_title=SUCCESS_TITLE)

    # TikTok redirected the browser to the kit's loopback server, which showed its success page.
    assert driver.current_url.startswith(login.redirect_uri + "?")
    callback = query_of(driver.current_url)
    assert callback["state"] == query_of(login.authorize_url)["state"]
    assert callback["scopes"] == "user.info.basic,user.info.stats"
    assert SUCCESS_TITLE in driver.page_source
    assert "You can close this window" in by_css(driver, "body").text
    success_png = screenshot(driver, screenshots / "success.png")
    assert consent_png.read_bytes() != success_png.read_bytes()

    token = login.result()
    assert sandbox.is_alive(token.access_token)
    assert token.refresh_token is not None and sandbox.is_alive(token.refresh_token)
    assert token.open_id == sandbox.user.open_id
    assert token.scopes == {"user.info.basic", "user.info.stats"}
    assert login.kit.current_access_token == token.access_token


def test_an_unticked_optional_scope_is_not_granted(sandbox: Sandbox, blank_chromium: Any) -> None:
    login = Login(sandbox, blank_chromium, scopes="user.info.basic,user.info.stats")
    stats = by_css(login.driver, 'input[name="scope"][value="user.info.stats"]')
    stats.click()
    assert not stats.is_selected()

    login.click("approve", then_title=SUCCESS_TITLE)
    assert query_of(login.driver.current_url)["scopes"] == "user.info.basic"

    token = login.result()
    assert token.scopes == {"user.info.basic"}
    assert login.kit.granted_scopes == {"user.info.basic"}
    record = sandbox.token(token.access_token)
    assert record is not None and "user.info.stats" not in record.scopes


def test_cancel_on_the_consent_page_shows_the_declined_page_and_raises_authorization_denied(
    sandbox: Sandbox, blank_chromium: Any
) -> None:
    login = Login(sandbox, blank_chromium)

    login.click("deny", then_title=DECLINED_TITLE)

    driver = login.driver
    assert driver.current_url.startswith(login.redirect_uri + "?")
    assert query_of(driver.current_url)["error"] == "access_denied"
    assert "The login was declined" in by_css(driver, "body").text
    with pytest.raises(pytok_sm.AuthorizationDenied, match="access_denied"):
        login.result()
    assert login.kit.token is None
    assert sandbox.count("token") == 0
