"""LoginKit and AsyncLoginKit: the PyTok API, token handling, retries, single-flight refresh."""

from __future__ import annotations

import asyncio
import json
import threading

import httpx
import pytest

import pytok_sm
from pytok_sm import _errors as errors
from pytok_sm.flows import BrowserFlow
from pytok_sm.testing import FakeBrowser, FakeClock, capture_transitions

from ..fake_tiktok import FakeTikTok, envelope_error, oauth_error

SAVED = {"access_token": "act.saved", "expires_in": 7200, "open_id": "open-1", "refresh_token": "rft.saved",
         "refresh_expires_in": 86400, "scope": "user.info.basic"}
FAST = pytok_sm.RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_cap=0.02)


def make_kit(fake: FakeTikTok, clock: FakeClock | None = None, **kw: object) -> pytok_sm.LoginKit:
    kw.setdefault("retry", FAST)
    return pytok_sm.LoginKit("aw_key", "aw_secret", transport=httpx.MockTransport(fake),
                             clock=clock or FakeClock(), **kw)  # type: ignore[arg-type]


def make_async_kit(fake: FakeTikTok, clock: FakeClock | None = None, **kw: object) -> pytok_sm.AsyncLoginKit:
    kw.setdefault("retry", FAST)
    return pytok_sm.AsyncLoginKit("aw_key", "aw_secret", transport=httpx.MockTransport(fake.handle_async),
                                  clock=clock or FakeClock(), **kw)  # type: ignore[arg-type]


# ---------------------------------------------------------------- the PyTok surface
def test_configuration_is_readable_under_the_pytok_names_and_read_only() -> None:
    kit = pytok_sm.LoginKit("aw_key", "aw_secret")
    assert (kit.PORT, kit.REDIRECT_URI, kit.SCOPES) == (3456, "http://127.0.0.1:3456/callback/", ("user.info.basic",))
    assert kit.BASE_API_URL == "https://open.tiktokapis.com/v2/"
    assert kit.AUTHORIZATION_URL == "https://www.tiktok.com/v2/auth/authorize/"
    assert (kit.CSRF_STATE_LENGTH, kit.CODE_VERIFIER_LENGTH, kit.CLIENT_TICKET_LENGTH) == (32, 64, 64)
    assert kit.REQUEST_HEADER == {"Content-Type": "application/x-www-form-urlencoded"}
    with pytest.raises(AttributeError):
        kit.PORT = 1  # type: ignore[misc]


def test_a_bad_keyword_is_a_configuration_error_naming_the_field() -> None:
    with pytest.raises(errors.ConfigurationError, match="code_verifier_length"):
        pytok_sm.LoginKit("aw_key", "aw_secret", code_verifier_length=20)


def test_no_token_before_login() -> None:
    kit = make_kit(FakeTikTok())
    assert kit.current_access_token is None and kit.token is None
    for call in (kit.refresh_access_token, kit.revoke_access_token, kit.get_user_info):
        with pytest.raises(errors.NotLoggedIn):
            call()


def test_load_token_accepts_the_endpoint_json_and_to_dict() -> None:
    kit = make_kit(FakeTikTok())
    token = kit.load_token(SAVED)
    assert kit.current_access_token == "act.saved"
    assert kit.load_token(json.loads(json.dumps(token.to_dict()))) == token
    assert kit.granted_scopes == {"user.info.basic"}


def test_update_scopes_changes_later_logins_not_the_granted_set() -> None:
    kit = make_kit(FakeTikTok(), token=SAVED)
    kit.update_scopes(["user.info.basic", "user.info.stats"])
    assert "scope=user.info.basic%2Cuser.info.stats" in BrowserFlow(kit.config).authorization_url
    assert kit.granted_scopes == {"user.info.basic"}


# ---------------------------------------------------------------- browser login (fake browser)
def test_oauth_server_logs_in_through_the_loopback_server() -> None:
    fake = FakeTikTok()
    browser = FakeBrowser(consent=False)
    kit = make_kit(fake, port=0, redirect_uri="http://127.0.0.1:*/callback/", open_browser=browser)
    token = kit.oauth_server(timeout=10)
    browser.join()
    assert kit.token == token and token.access_token.startswith("act.")
    assert browser.last_callback_status == 200 and "Authentication workflow completed" in (browser.last_callback_body or "")
    sent = fake.form(fake.requests[0])
    assert sent["code"] == "fake*code!" and sent["grant_type"] == "authorization_code"
    assert sent["redirect_uri"].startswith("http://127.0.0.1:") and len(sent["code_verifier"]) == 64


def test_oath_server_is_a_deprecated_alias() -> None:
    kit = make_kit(FakeTikTok(), port=0, redirect_uri="http://127.0.0.1:*/callback/", open_browser=FakeBrowser(consent=False))
    with pytest.warns(DeprecationWarning, match="oauth_server"):
        kit.oath_server(timeout=10)
    assert kit.current_access_token is not None


def test_a_denied_login_raises_and_keeps_the_previous_token() -> None:
    kit = make_kit(FakeTikTok(), port=0, redirect_uri="http://127.0.0.1:*/callback/",
                   open_browser=FakeBrowser("deny", consent=False), token=SAVED)
    with pytest.raises(errors.AuthorizationDenied):
        kit.oauth_server(timeout=10)
    assert kit.current_access_token == "act.saved"


# ---------------------------------------------------------------- refresh
def test_refresh_rotates_twice_in_a_row() -> None:
    fake = FakeTikTok()
    kit = make_kit(fake, token=SAVED)
    first = kit.refresh_access_token()
    second = kit.refresh_access_token()
    assert [fake.form(r)["refresh_token"] for r in fake.requests] == ["rft.saved", first.refresh_token]
    assert kit.token == second and second.refresh_token != first.refresh_token


def test_the_rotated_token_is_handed_to_on_token_before_refresh_returns() -> None:
    seen: list[str | None] = []
    kit = make_kit(FakeTikTok(), token=SAVED, on_token=lambda t: seen.append(t and t.refresh_token))
    new = kit.refresh_access_token()
    assert seen[-1] == new.refresh_token


def test_invalid_grant_on_refresh_means_log_in_again_and_keeps_the_token() -> None:
    fake = FakeTikTok()
    fake.queue("token", oauth_error("invalid_grant"))
    kit = make_kit(fake, token=SAVED)
    with pytest.raises(errors.ReauthorizationRequired, match="log in again"):
        kit.refresh_access_token()
    assert fake.count("token") == 1
    assert kit.current_access_token == "act.saved"


def test_a_refresh_whose_answer_is_lost_is_not_retried_and_keeps_the_token() -> None:
    fake = FakeTikTok()
    fake.queue("token", lambda r: (_ for _ in ()).throw(httpx.ReadTimeout("slow", request=r)))
    kit = make_kit(fake, token=SAVED)
    with pytest.raises(errors.TransportError, match="refresh token is kept"):
        kit.refresh_access_token()
    assert fake.count("token") == 1
    assert kit.token is not None and kit.token.refresh_token == "rft.saved"


def test_sixteen_threads_refreshing_an_expired_token_make_one_request() -> None:
    fake = FakeTikTok(delay=0.2)
    kit = make_kit(fake, token=SAVED)
    barrier = threading.Barrier(16)
    results: list[str] = []

    def worker() -> None:
        barrier.wait()
        results.append(kit.refresh_access_token().access_token)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert fake.count("token") == 1
    assert set(results) == {kit.current_access_token}


def test_sixteen_threads_reading_user_info_with_an_expired_token_refresh_once() -> None:
    fake = FakeTikTok(delay=0.05)
    clock = FakeClock()
    kit = make_kit(fake, clock, token=SAVED)
    clock.advance(7200)  # the access token has expired
    barrier = threading.Barrier(16)

    def worker() -> None:
        barrier.wait()
        kit.get_user_info()

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert fake.count("token") == 1
    assert fake.count("info") == 16
    assert {r.headers["authorization"] for r in fake.requests if r.url.path.endswith("/info/")} == {
        f"Bearer {kit.current_access_token}"}


def test_a_hundred_async_tasks_refresh_once() -> None:
    fake = FakeTikTok(delay=0.05)

    async def main() -> set[str]:
        async with make_async_kit(fake, token=SAVED) as kit:
            tokens = await asyncio.gather(*(kit.refresh_access_token() for _ in range(100)))
            return {t.access_token for t in tokens}

    assert len(asyncio.run(main())) == 1
    assert fake.count("token") == 1


# ---------------------------------------------------------------- user info
def test_user_info_401_gets_one_refresh_and_one_retry() -> None:
    fake = FakeTikTok()
    fake.queue("info", envelope_error("access_token_invalid", 401))
    kit = make_kit(fake, token=SAVED)
    with capture_transitions() as events:
        user = kit.get_user_info(["display_name"])
    assert user["display_name"] == "Ann"
    assert [r.url.path.rsplit("/", 2)[-2] for r in fake.requests] == ["info", "token", "info"]
    assert [e["flow"] for e in events if e["trigger"] == "start"] == ["user_info", "refresh", "user_info"]


def test_user_info_401_twice_gives_up_after_one_refresh() -> None:
    fake = FakeTikTok()
    fake.queue("info", envelope_error("access_token_invalid", 401), envelope_error("access_token_invalid", 401))
    kit = make_kit(fake, token=SAVED)
    with pytest.raises(errors.AccessTokenInvalid):
        kit.get_user_info()
    assert fake.count("token") == 1 and fake.count("info") == 2


def test_scope_not_authorized_never_refreshes() -> None:
    fake = FakeTikTok()
    fake.queue("info", envelope_error("scope_not_authorized", 401))
    kit = make_kit(fake, token=SAVED)
    with pytest.raises(errors.ScopeError):
        kit.get_user_info(["follower_count"])
    assert fake.count("token") == 0


def test_user_info_429_is_retried_per_policy() -> None:
    fake = FakeTikTok()
    fake.queue("info", httpx.Response(429, headers={"Retry-After": "0"},
                                      json={"data": {}, "error": {"code": "rate_limit_exceeded", "message": "",
                                                                  "log_id": "L"}}))
    kit = make_kit(fake, token=SAVED)
    assert kit.get_user_info()["display_name"] == "Ann"
    assert fake.count("info") == 2


def test_user_info_429_forever_ends_in_rate_limited_with_retry_after() -> None:
    fake = FakeTikTok()
    limited = httpx.Response(429, headers={"Retry-After": "0"}, json={
        "data": {}, "error": {"code": "rate_limit_exceeded", "message": "", "log_id": "L"}})
    fake.queue("info", limited, limited, limited)
    kit = make_kit(fake, token=SAVED)
    with pytest.raises(errors.RateLimited) as caught:
        kit.get_user_info()
    assert caught.value.retry_after == 0 and fake.count("info") == FAST.max_attempts


# ---------------------------------------------------------------- revoke
def test_revoke_clears_the_local_token() -> None:
    fake = FakeTikTok()
    kit = make_kit(fake, token=SAVED)
    kit.revoke_access_token()
    assert kit.current_access_token is None and kit.token is None
    assert fake.form(fake.requests[0])["token"] == "act.saved"


def test_revoking_an_already_dead_token_succeeds() -> None:
    fake = FakeTikTok()
    fake.queue("revoke", oauth_error("invalid_grant"))
    kit = make_kit(fake, token=SAVED)
    kit.revoke_access_token()
    assert kit.current_access_token is None


def test_revoke_clears_the_local_token_even_when_tiktok_fails() -> None:
    fake = FakeTikTok()
    fake.queue("revoke", oauth_error("invalid_client"))
    kit = make_kit(fake, token=SAVED)
    with pytest.raises(errors.OAuthError, match="invalid_client"):
        kit.revoke_access_token()
    assert kit.current_access_token is None


# ---------------------------------------------------------------- web apps: two requests
def test_a_web_app_starts_in_one_request_and_finishes_in_another() -> None:
    fake = FakeTikTok()
    web = {"redirect_uri": "https://app.example.test/callback/"}
    url, snapshot = make_kit(fake, **web).begin_browser_login()
    saved = json.dumps(snapshot)  # e.g. into a server-side session
    callback = FakeBrowser(consent=False, code="web*code").redirect_url(url)
    other_kit = make_kit(fake, **web)  # another request, another kit object
    token = other_kit.complete_browser_login(json.loads(saved), callback.partition("?")[2])
    assert token.access_token.startswith("act.")
    form = fake.form(fake.requests[0])
    assert form["code"] == "web*code" and form["redirect_uri"] == "https://app.example.test/callback/"


def test_a_web_callback_with_a_foreign_state_is_rejected_and_never_exchanged() -> None:
    fake = FakeTikTok()
    web = {"redirect_uri": "https://app.example.test/callback/"}
    kit = make_kit(fake, **web)
    url, snapshot = kit.begin_browser_login()
    forged = FakeBrowser(consent=False, state="forged").redirect_url(url).partition("?")[2]
    with pytest.raises(errors.CallbackRejected, match="state mismatch"):
        kit.complete_browser_login(snapshot, forged)
    assert fake.requests == []
