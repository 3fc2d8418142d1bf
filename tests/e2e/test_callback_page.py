"""The page the browser sees after approving says how the login really ended: a wrong client
secret shows "could not be completed" with TikTok's reason, never "completed"."""

from __future__ import annotations

import asyncio

import pytest

import pytok_sm
from pytok_sm.sandbox import Sandbox
from pytok_sm.testing import FakeBrowser

WILDCARD = {"port": 0, "redirect_uri": "http://127.0.0.1:*/callback/"}


def settings(sb: Sandbox) -> dict[str, object]:
    return {"authorization_url": sb.authorization_url, "base_api_url": sb.base_api_url, **WILDCARD}


def test_a_wrong_client_secret_shows_the_failure_in_the_browser() -> None:
    with Sandbox() as sb:
        kit = pytok_sm.LoginKit(sb.client_key, "not-the-secret", **settings(sb))
        browser = FakeBrowser()
        with pytest.raises(pytok_sm.OAuthError, match="invalid_client"):
            kit.oauth_server(timeout=20, open_browser=browser)
        browser.join(10)
    assert browser.last_callback_status == 200
    assert "could not be completed" in browser.last_callback_body
    assert "invalid_client" in browser.last_callback_body and "client_secret" in browser.last_callback_body
    assert "Authentication workflow completed" not in browser.last_callback_body
    assert "not-the-secret" not in browser.last_callback_body


def test_a_successful_exchange_shows_completed_only_after_the_token_arrived() -> None:
    with Sandbox() as sb:
        kit = pytok_sm.LoginKit(sb.client_key, sb.client_secret, **settings(sb))
        browser = FakeBrowser()
        token = kit.oauth_server(timeout=20, open_browser=browser)
        browser.join(10)
        assert sb.is_alive(token.access_token)
    assert "Authentication workflow completed" in browser.last_callback_body


def test_the_async_kit_shows_the_outcome_too() -> None:
    with Sandbox() as sb:
        browser = FakeBrowser()

        async def main() -> None:
            kit = pytok_sm.AsyncLoginKit(sb.client_key, "not-the-secret", **settings(sb))
            with pytest.raises(pytok_sm.OAuthError):
                await kit.oauth_server(timeout=20, open_browser=browser)

        asyncio.run(main())
        browser.join(10)
    assert "could not be completed" in browser.last_callback_body
