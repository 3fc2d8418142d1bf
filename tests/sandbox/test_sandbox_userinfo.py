"""GET /v2/user/info/: bearer tokens, field scopes, envelope, rate limit (TIKTOK-API.md §5-7)."""

from __future__ import annotations

import httpx
import pytest

from pytok_sm import _contract as contract
from pytok_sm.sandbox import Sandbox
from pytok_sm.sandbox import _messages as messages

from .helpers import AppDriver

ALL_FIELDS = ",".join(contract.FIELD_SCOPES)
ALL_USER_SCOPES = "user.info.basic,user.info.profile,user.info.stats"


def assert_api_error(answer: httpx.Response, code: str, message: str) -> None:
    assert answer.status_code == contract.API_ERROR_STATUS[code], answer.text
    body = answer.json()
    assert body["data"] == {}
    assert (body["error"]["code"], body["error"]["message"]) == (code, message)
    assert body["error"]["log_id"]


class TestSuccess:
    def test_only_the_requested_fields_come_back_in_the_envelope(self, app: AppDriver) -> None:
        tokens = app.tokens()
        answer = app.user_info(tokens["access_token"], "open_id,display_name,avatar_url")
        assert answer.status_code == 200
        body = answer.json()
        assert set(body) == {"data", "error"}
        assert (body["error"]["code"], body["error"]["message"]) == ("ok", "")
        assert body["error"]["log_id"]
        user = body["data"]["user"]
        assert list(user) == ["open_id", "display_name", "avatar_url"]
        assert user["open_id"] == tokens["open_id"]
        assert user["display_name"] == "Sandbox Creator"
        assert user["avatar_url"].startswith("http://127.0.0.1:")

    def test_every_field_with_every_user_scope(self, app: AppDriver) -> None:
        user = app.user_info(app.tokens(ALL_USER_SCOPES)["access_token"], ALL_FIELDS).json()["data"]["user"]
        assert set(user) == set(contract.FIELD_SCOPES)
        assert user["username"] == "sandbox.creator"
        assert isinstance(user["is_verified"], bool)
        for count in ("follower_count", "following_count", "likes_count", "video_count"):
            assert isinstance(user[count], int)

    def test_blanks_and_duplicates_in_fields_are_tolerated(self, app: AppDriver) -> None:
        answer = app.user_info(app.tokens()["access_token"], " open_id , open_id,,display_name")
        assert list(answer.json()["data"]["user"]) == ["open_id", "display_name"]

    def test_the_bearer_scheme_is_case_insensitive(self, app: AppDriver, http: httpx.Client) -> None:
        token = app.tokens()["access_token"]
        answer = http.get(
            contract.USER_INFO_PATH, params={"fields": "open_id"}, headers={"Authorization": f"bearer {token}"}
        )
        assert answer.status_code == 200


class TestAccessTokenInvalid:
    def test_missing_token_is_401_with_the_documented_body(self, app: AppDriver) -> None:
        assert_api_error(app.user_info(None), "access_token_invalid", contract.MSG_ACCESS_TOKEN_INVALID)

    @pytest.mark.parametrize("case", ["unknown", "expired", "revoked", "refresh token", "not bearer"])
    def test_bad_tokens(self, app: AppDriver, sandbox: Sandbox, http: httpx.Client, case: str) -> None:
        tokens = app.tokens()
        token = tokens["access_token"]
        if case == "unknown":
            token = "act.unknown"
        elif case == "expired":
            sandbox.clock.advance(7200)
        elif case == "revoked":
            app.revoke(token)
        elif case == "refresh token":
            token = tokens["refresh_token"]
        if case == "not bearer":
            answer = http.get(contract.USER_INFO_PATH, params={"fields": "open_id"}, headers={"Authorization": token})
        else:
            answer = app.user_info(token)
        assert_api_error(answer, "access_token_invalid", contract.MSG_ACCESS_TOKEN_INVALID)

    def test_a_token_is_good_until_its_last_second(self, app: AppDriver, sandbox: Sandbox) -> None:
        token = app.tokens()["access_token"]
        sandbox.clock.advance(7199)
        assert app.user_info(token).status_code == 200


class TestFieldsAndScopes:
    def test_fields_needing_an_ungranted_scope_are_scope_permission_missed(self, app: AppDriver) -> None:
        answer = app.user_info(app.tokens()["access_token"], "open_id,username,follower_count")
        message = messages.MSG_SCOPE_PERMISSION_MISSED.format(scopes="user.info.profile,user.info.stats")
        assert_api_error(answer, "scope_permission_missed", message)

    def test_scope_not_authorized_when_the_switch_says_so(self, app: AppDriver, sandbox: Sandbox) -> None:
        sandbox.switches.missing_scope_error = "scope_not_authorized"
        answer = app.user_info(app.tokens()["access_token"], "bio_description")
        assert_api_error(answer, "scope_not_authorized", messages.MSG_SCOPE_NOT_AUTHORIZED)

    def test_scopes_unticked_on_the_consent_page_are_missing(self, app: AppDriver) -> None:
        login = app.login("user.info.basic,user.info.profile", ticked=[])
        token = app.exchange(login).json()["access_token"]
        assert app.user_info(token, "display_name").status_code == 200
        assert app.user_info(token, "username").json()["error"]["code"] == "scope_permission_missed"

    @pytest.mark.parametrize("fields", ["open_id,birthday", "", "OPEN_ID"])
    def test_unknown_or_missing_fields_are_invalid_params(self, app: AppDriver, fields: str) -> None:
        answer = app.user_info(app.tokens()["access_token"], fields)
        assert_api_error(answer, "invalid_params", messages.MSG_FIELDS_INVALID)

    def test_post_is_not_allowed(self, app: AppDriver, http: httpx.Client) -> None:
        token = app.tokens()["access_token"]
        answer = http.post(contract.USER_INFO_PATH, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 405


class TestRateLimit:
    def test_default_is_the_documented_600_per_minute(self, sandbox: Sandbox) -> None:
        assert sandbox.switches.user_info_rate_limit == contract.USER_INFO_RATE_LIMIT_PER_MINUTE == 600
        assert sandbox.switches.user_info_rate_window == 60.0

    def test_over_the_limit_is_429_rate_limit_exceeded_on_a_sliding_window(
        self, app: AppDriver, sandbox: Sandbox
    ) -> None:
        sandbox.switches.user_info_rate_limit = 3
        token = app.tokens()["access_token"]
        for _ in range(3):
            assert app.user_info(token).status_code == 200
            sandbox.clock.advance(10)
        assert_api_error(app.user_info(token), "rate_limit_exceeded", messages.MSG_RATE_LIMIT)
        assert "retry-after" not in app.user_info(token).headers  # none documented
        sandbox.clock.advance(31)  # the first call (t=0) leaves the 60 s window at t=60
        assert app.user_info(token).status_code == 200
        assert app.user_info(token).status_code == 429

    def test_the_limit_counts_per_app_not_per_token(self, app: AppDriver, sandbox: Sandbox) -> None:
        sandbox.switches.user_info_rate_limit = 2
        first, second = app.tokens()["access_token"], app.tokens()["access_token"]
        assert app.user_info(first).status_code == app.user_info(second).status_code == 200
        assert app.user_info(app.tokens()["access_token"]).status_code == 429
