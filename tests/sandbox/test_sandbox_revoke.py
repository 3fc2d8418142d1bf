"""The revoke endpoint (TIKTOK-API.md §3)."""

from __future__ import annotations

import httpx
import pytest

from pytok_sm import _contract as contract
from pytok_sm.sandbox import Sandbox
from pytok_sm.sandbox import _messages as messages

from .helpers import AppDriver, revoked_reason


class TestRevoke:
    def test_success_is_200_with_an_empty_body_by_default(self, app: AppDriver, sandbox: Sandbox) -> None:
        tokens = app.tokens()
        answer = app.revoke(tokens["access_token"])
        assert (answer.status_code, answer.content) == (200, b"")
        assert not sandbox.is_alive(tokens["access_token"])
        assert app.user_info(tokens["access_token"]).status_code == 401

    def test_success_body_is_an_empty_object_when_the_switch_says_so(self, app: AppDriver, sandbox: Sandbox) -> None:
        sandbox.switches.revoke_success_body = "object"
        answer = app.revoke(app.tokens()["access_token"])
        assert (answer.status_code, answer.json()) == (200, {})

    def test_revoking_the_access_token_ends_the_whole_login(self, app: AppDriver, sandbox: Sandbox) -> None:
        tokens = app.tokens()
        app.revoke(tokens["access_token"])
        assert not sandbox.is_alive(tokens["refresh_token"])
        assert revoked_reason(sandbox, tokens["refresh_token"]) == "revoked"
        assert app.refresh(tokens["refresh_token"]).json()["error"] == "invalid_grant"

    def test_only_the_token_itself_when_the_grant_switch_is_off(self, app: AppDriver, sandbox: Sandbox) -> None:
        sandbox.switches.revoke_kills_grant = False
        tokens = app.tokens()
        app.revoke(tokens["access_token"])
        assert sandbox.is_alive(tokens["refresh_token"])

    def test_other_logins_are_untouched(self, app: AppDriver, sandbox: Sandbox) -> None:
        mine, other = app.tokens(), app.tokens()
        app.revoke(mine["access_token"])
        assert sandbox.is_alive(other["access_token"])

    @pytest.mark.parametrize("token", ["dead", "unknown"])
    def test_revoking_a_dead_or_unknown_token_succeeds_by_default(self, app: AppDriver, token: str) -> None:
        value = app.tokens()["access_token"] if token == "dead" else "act.never-issued"
        if token == "dead":
            app.revoke(value)
        answer = app.revoke(value)
        assert (answer.status_code, answer.content) == (200, b"")

    def test_revoking_a_dead_token_is_invalid_grant_when_the_switch_says_so(
        self, app: AppDriver, sandbox: Sandbox
    ) -> None:
        sandbox.switches.revoke_dead_token = "error"
        tokens = app.tokens()
        assert app.revoke(tokens["access_token"]).status_code == 200
        answer = app.revoke(tokens["access_token"])
        body = answer.json()
        assert (answer.status_code, body["error"], body["error_description"]) == (
            200,
            "invalid_grant",
            messages.DESC_TOKEN_INVALID,
        )
        assert body["log_id"]

    def test_a_token_of_another_app_is_not_revoked(self, app: AppDriver, sandbox: Sandbox) -> None:
        tokens = app.tokens()
        web = type(app)(sandbox, app.http, sandbox.web_client_key, sandbox.web_client_secret)
        assert web.revoke(tokens["access_token"]).status_code == 200
        assert sandbox.is_alive(tokens["access_token"])

    @pytest.mark.parametrize(
        ("overrides", "error", "description"),
        [
            ({"client_secret": "bad"}, "invalid_client", messages.DESC_INVALID_CLIENT),
            ({"client_key": "who"}, "invalid_client", messages.DESC_INVALID_CLIENT),
            ({"token": None}, "invalid_request", contract.DESC_MALFORMED),
        ],
    )
    def test_errors(
        self, app: AppDriver, sandbox: Sandbox, overrides: dict[str, str | None], error: str, description: str
    ) -> None:
        tokens = app.tokens()
        body = app.revoke(tokens["access_token"], **overrides).json()
        assert (body["error"], body["error_description"]) == (error, description)
        assert sandbox.is_alive(tokens["access_token"])

    def test_a_json_body_is_refused(self, app: AppDriver, http: httpx.Client) -> None:
        answer = http.post(contract.REVOKE_PATH, json={"client_key": app.client_key, "token": "x"})
        assert answer.json()["error"] == "invalid_request"
