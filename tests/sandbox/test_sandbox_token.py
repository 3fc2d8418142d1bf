"""The token endpoint: code exchange with TikTok's hex PKCE, refresh rotation, client
credentials, and every error it can produce (TIKTOK-API.md §2)."""

from __future__ import annotations

import json

import httpx
import pytest

from pytok_sm import _contract as contract
from pytok_sm.sandbox import App, Sandbox
from pytok_sm.sandbox import _messages as messages

from .helpers import AppDriver, revoked_reason

RFC7636_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
HEX_CHALLENGE = "13d31e961a1ad8ec2f16b10c4c982e0876a878ad6df144566ee1894acb70f9c3"
BASE64URL_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def assert_oauth_error(answer: httpx.Response, error: str, description: str, status: int = 200) -> None:
    """A flat OAuth error with a log_id (HTTP 200 by default, as seen in the wild)."""
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert set(body) == {"error", "error_description", "log_id"}
    assert (body["error"], body["error_description"]) == (error, description)
    assert body["error"] in contract.OAUTH_ERRORS
    assert len(body["log_id"]) == 34 and body["log_id"][:14].isdigit()


class TestAuthorizationCode:
    def test_exchange_answers_the_flat_token_shape(self, app: AppDriver) -> None:
        answer = app.exchange(app.login("user.info.basic,video.list"))
        assert answer.status_code == 200
        assert answer.headers["cache-control"] == "no-store"
        body = answer.json()
        assert list(body) == [
            "access_token",
            "expires_in",
            "open_id",
            "refresh_expires_in",
            "refresh_token",
            "scope",
            "token_type",
        ]
        assert body["access_token"].startswith(contract.ACCESS_TOKEN_PREFIX)
        assert body["refresh_token"].startswith(contract.REFRESH_TOKEN_PREFIX)
        assert (body["expires_in"], body["refresh_expires_in"]) == (7200, 15552000)
        assert body["scope"] == "user.info.basic,video.list"
        assert body["token_type"] == "Bearer"
        assert body["open_id"] == app.sb.user.open_id

    def test_classic_lifetimes_preset(self, app: AppDriver, sandbox: Sandbox) -> None:
        sandbox.switches.token_lifetimes = "classic"
        body = app.exchange(app.login()).json()
        assert (body["expires_in"], body["refresh_expires_in"]) == (86400, 31536000)

    def test_scope_is_what_the_user_granted_not_what_was_asked(self, app: AppDriver) -> None:
        login = app.login("user.info.basic,user.info.profile,video.list", ticked=["video.list"])
        assert login.scopes == "user.info.basic,video.list"
        assert app.exchange(login).json()["scope"] == "user.info.basic,video.list"

    def test_the_rfc7636_test_vector_works_as_hex(self, app: AppDriver) -> None:
        login = app.login(verifier=RFC7636_VERIFIER)
        assert app.sb.codes[-1].code_challenge == HEX_CHALLENGE
        assert app.exchange(login).status_code == 200

    def test_a_base64url_challenge_makes_the_exchange_fail(self, app: AppDriver) -> None:
        login = app.login(verifier=RFC7636_VERIFIER, code_challenge=BASE64URL_CHALLENGE)
        assert_oauth_error(app.exchange(login), "invalid_request", contract.DESC_PKCE_INVALID)

    @pytest.mark.parametrize(
        "verifier",
        [
            None,  # missing
            "x" * 43,  # well-formed but not the one
            "a" * 42,  # one short of RFC 7636's minimum
            "a" * 129,  # one over the maximum
            "a" * 42 + "+",  # outside [A-Za-z0-9-._~]
        ],
    )
    def test_a_wrong_or_malformed_verifier_fails(self, app: AppDriver, verifier: str | None) -> None:
        login = app.login()
        assert_oauth_error(app.exchange(login, code_verifier=verifier), "invalid_request", contract.DESC_PKCE_INVALID)

    def test_a_32_character_verifier_needs_the_lenient_switch(self, app: AppDriver, sandbox: Sandbox) -> None:
        short = app.make_verifier(32)
        assert_oauth_error(app.exchange(app.login(verifier=short)), "invalid_request", contract.DESC_PKCE_INVALID)
        sandbox.switches.verifier_min_length = 32
        assert app.exchange(app.login(verifier=short)).status_code == 200

    def test_verifier_bounds_43_and_128_are_accepted(self, app: AppDriver) -> None:
        for length in (43, 128):
            assert app.exchange(app.login(verifier=app.make_verifier(length))).status_code == 200

    def test_a_code_is_single_use(self, app: AppDriver) -> None:
        login = app.login()
        assert app.exchange(login).status_code == 200
        assert_oauth_error(app.exchange(login), "invalid_grant", messages.DESC_CODE_REUSED)

    def test_reusing_a_code_revokes_the_tokens_issued_from_it(self, app: AppDriver, sandbox: Sandbox) -> None:
        login = app.login()
        first = app.exchange(login).json()
        rotated = app.refresh(first["refresh_token"]).json()
        app.exchange(login)
        for token in (first["access_token"], rotated["access_token"], rotated["refresh_token"]):
            assert not sandbox.is_alive(token)
        assert revoked_reason(sandbox, first["access_token"]) == "code_reused"
        assert app.user_info(rotated["access_token"]).status_code == 401

    def test_reusing_a_code_keeps_tokens_when_the_switch_is_off(self, app: AppDriver, sandbox: Sandbox) -> None:
        sandbox.switches.revoke_on_code_reuse = False
        login = app.login()
        first = app.exchange(login).json()
        assert_oauth_error(app.exchange(login), "invalid_grant", messages.DESC_CODE_REUSED)
        assert sandbox.is_alive(first["access_token"])

    def test_a_code_expires_after_its_lifetime(self, app: AppDriver, sandbox: Sandbox) -> None:
        login = app.login()
        sandbox.clock.advance(300)
        assert_oauth_error(app.exchange(login), "invalid_grant", contract.DESC_CODE_EXPIRED)

    def test_a_code_is_still_good_just_before_expiry_and_lifetime_is_a_switch(
        self, app: AppDriver, sandbox: Sandbox
    ) -> None:
        login = app.login()
        sandbox.clock.advance(299)
        assert app.exchange(login).status_code == 200
        sandbox.switches.code_lifetime = 5
        login = app.login()
        sandbox.clock.advance(5)
        assert_oauth_error(app.exchange(login), "invalid_grant", contract.DESC_CODE_EXPIRED)

    def test_the_redirect_uri_must_equal_the_authorize_one(self, app: AppDriver) -> None:
        login = app.login(redirect_uri="http://127.0.0.1:4000/callback/")
        for other in (
            "http://127.0.0.1:4001/callback/",
            "http://127.0.0.1:4000/callback",
            "http://127.0.0.1:*/callback/",
        ):
            assert_oauth_error(
                app.exchange(login, redirect_uri=other), "invalid_grant", contract.DESC_REDIRECT_MISMATCH
            )
        assert app.exchange(login).status_code == 200

    def test_a_missing_redirect_uri_is_malformed(self, app: AppDriver) -> None:
        assert_oauth_error(app.exchange(app.login(), redirect_uri=None), "invalid_request", contract.DESC_MALFORMED)

    def test_an_unknown_code_is_invalid_grant(self, app: AppDriver) -> None:
        login = app.login()
        assert_oauth_error(app.exchange(login, code=login.code + "x"), "invalid_grant", messages.DESC_CODE_INVALID)

    def test_a_code_of_another_app_is_invalid_grant(self, app: AppDriver, sandbox: Sandbox) -> None:
        login = app.login()
        web = type(app)(sandbox, app.http, sandbox.web_client_key, sandbox.web_client_secret)
        assert_oauth_error(web.exchange(login), "invalid_grant", messages.DESC_CODE_INVALID)

    def test_a_percent_encoded_code_sent_as_is_is_invalid(self, app: AppDriver) -> None:
        login = app.login()
        encoded = login.code.replace("*", "%2A").replace("!", "%21")
        assert_oauth_error(app.exchange(login, code=encoded), "invalid_grant", messages.DESC_CODE_INVALID)

    def test_failed_attempts_do_not_consume_the_code(self, app: AppDriver) -> None:
        login = app.login()
        app.exchange(login, code_verifier="z" * 43)
        assert app.exchange(login).status_code == 200


class TestClientAuthenticationAndRequestShape:
    @pytest.mark.parametrize(
        ("overrides", "error", "description"),
        [
            ({"client_secret": "wrong"}, "invalid_client", messages.DESC_INVALID_CLIENT),
            ({"client_secret": None}, "invalid_client", messages.DESC_INVALID_CLIENT),
            ({"client_key": "unknown"}, "invalid_client", messages.DESC_INVALID_CLIENT),
            ({"client_key": None}, "invalid_request", contract.DESC_MALFORMED),
            ({"grant_type": None}, "invalid_request", contract.DESC_MALFORMED),
            ({"grant_type": "password"}, "unsupported_grant_type", messages.DESC_UNSUPPORTED_GRANT),
            ({"code": None}, "invalid_request", contract.DESC_MALFORMED),
        ],
    )
    def test_errors(self, app: AppDriver, overrides: dict[str, str | None], error: str, description: str) -> None:
        assert_oauth_error(app.exchange(app.login(), **overrides), error, description)

    def test_a_json_body_is_refused(self, app: AppDriver, http: httpx.Client) -> None:
        login = app.login()
        body = {
            "client_key": app.client_key,
            "client_secret": app.client_secret,
            "code": login.code,
            "grant_type": "authorization_code",
            "redirect_uri": login.redirect_uri,
            "code_verifier": login.verifier,
        }
        answer = http.post(contract.TOKEN_PATH, content=json.dumps(body), headers={"Content-Type": "application/json"})
        assert_oauth_error(answer, "invalid_request", contract.DESC_MALFORMED)
        assert app.exchange(login).status_code == 200  # the code survived

    def test_a_repeated_field_is_malformed(self, app: AppDriver, http: httpx.Client) -> None:
        body = f"client_key={app.client_key}&client_key=other&client_secret=x&grant_type=client_credentials"
        answer = http.post(contract.TOKEN_PATH, content=body, headers={"Content-Type": contract.FORM_CONTENT_TYPE})
        assert_oauth_error(answer, "invalid_request", contract.DESC_MALFORMED)

    def test_get_is_405_with_an_oauth_error(self, http: httpx.Client) -> None:
        answer = http.get(contract.TOKEN_PATH)
        assert_oauth_error(answer, "invalid_request", contract.DESC_MALFORMED, status=405)
        assert answer.headers["allow"] == "POST"

    def test_the_path_matches_exactly(self, http: httpx.Client) -> None:
        assert http.post("/v2/oauth/token", data={"grant_type": "client_credentials"}).status_code == 404

    def test_every_error_has_a_fresh_log_id(self, app: AppDriver) -> None:
        ids = {app.post(contract.TOKEN_PATH, client_key="nope").json()["log_id"] for _ in range(5)}
        assert len(ids) == 5

    def test_realistic_statuses_when_the_switch_maps_them(self, app: AppDriver, sandbox: Sandbox) -> None:
        sandbox.switches.oauth_error_status = "mapped"
        assert_oauth_error(
            app.exchange(app.login(), client_secret="bad"), "invalid_client", messages.DESC_INVALID_CLIENT, status=401
        )
        assert_oauth_error(
            app.exchange(app.login(), code="nope"), "invalid_grant", messages.DESC_CODE_INVALID, status=400
        )


class TestRefresh:
    def test_rotation_twice_each_old_refresh_token_dies_at_once(self, app: AppDriver, sandbox: Sandbox) -> None:
        first = app.tokens()
        second = app.refresh(first["refresh_token"]).json()
        third = app.refresh(second["refresh_token"]).json()
        refresh_tokens = {first["refresh_token"], second["refresh_token"], third["refresh_token"]}
        access_tokens = {first["access_token"], second["access_token"], third["access_token"]}
        assert len(refresh_tokens) == len(access_tokens) == 3
        assert (third["expires_in"], third["refresh_expires_in"], third["scope"]) == (7200, 15552000, "user.info.basic")
        for old in (first["refresh_token"], second["refresh_token"]):
            assert_oauth_error(app.refresh(old), "invalid_grant", messages.DESC_REFRESH_INVALID)
            assert revoked_reason(sandbox, old) == "rotated"
        assert sandbox.is_alive(third["refresh_token"])

    def test_without_rotation_the_same_refresh_token_comes_back(self, app: AppDriver, sandbox: Sandbox) -> None:
        sandbox.switches.rotate_refresh_tokens = False
        first = app.tokens()
        sandbox.clock.advance(100)
        again = app.refresh(first["refresh_token"]).json()
        assert again["refresh_token"] == first["refresh_token"]
        assert again["access_token"] != first["access_token"]
        assert again["refresh_expires_in"] == 15552000 - 100
        assert app.refresh(first["refresh_token"]).status_code == 200

    def test_an_expired_refresh_token_is_invalid_grant(self, app: AppDriver, sandbox: Sandbox) -> None:
        first = app.tokens()
        sandbox.clock.advance(15552000)
        assert_oauth_error(app.refresh(first["refresh_token"]), "invalid_grant", messages.DESC_REFRESH_INVALID)

    @pytest.mark.parametrize("which", ["access_token", "garbage"])
    def test_a_token_that_is_not_a_refresh_token_is_invalid_grant(self, app: AppDriver, which: str) -> None:
        tokens = app.tokens()
        value = tokens.get(which, "rft.garbage")
        assert_oauth_error(app.refresh(value), "invalid_grant", messages.DESC_REFRESH_INVALID)

    def test_a_missing_refresh_token_is_malformed(self, app: AppDriver) -> None:
        assert_oauth_error(app.refresh(None), "invalid_request", contract.DESC_MALFORMED)

    def test_the_refresh_token_of_another_app_is_invalid_grant(self, app: AppDriver, sandbox: Sandbox) -> None:
        tokens = app.tokens()
        web = type(app)(sandbox, app.http, sandbox.web_client_key, sandbox.web_client_secret)
        assert_oauth_error(web.refresh(tokens["refresh_token"]), "invalid_grant", messages.DESC_REFRESH_INVALID)


class TestClientCredentials:
    def test_gives_a_clt_token_for_two_hours(self, app: AppDriver) -> None:
        answer = app.post(
            contract.TOKEN_PATH,
            client_key=app.client_key,
            client_secret=app.client_secret,
            grant_type="client_credentials",
        )
        body = answer.json()
        assert set(body) == {"access_token", "expires_in", "token_type"}
        assert body["access_token"].startswith(contract.CLIENT_TOKEN_PREFIX)
        assert (body["expires_in"], body["token_type"]) == (7200, "Bearer")
        assert app.user_info(body["access_token"]).status_code == 401  # not a user token

    def test_an_app_without_the_grant_is_unauthorized_client(self) -> None:
        server_app = App(
            client_key="nocc",
            client_secret="s",
            name="No CC",
            kind="desktop",
            redirect_uris=("http://127.0.0.1:*/callback/",),
            allow_client_credentials=False,
        )
        with Sandbox(apps=[server_app]) as sb:
            answer = httpx.post(
                sb.base_url + contract.TOKEN_PATH,
                data={"client_key": "nocc", "client_secret": "s", "grant_type": "client_credentials"},
                trust_env=False,
            )
        assert_oauth_error(answer, "unauthorized_client", messages.DESC_UNAUTHORIZED_CLIENT)
