"""POST /v2/post/publish/creator_info/query/: the creator's settings, and "cannot post now"
answered with HTTP 200 (docs/TIKTOK-API.md section 8)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from pytok_sm import _contract as contract
from pytok_sm.sandbox import App, Sandbox, default_apps

from .test_posting_support import Poster, code_of, file_source, poster_fixture  # noqa: F401 - fixture

PUBLIC = ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]
PRIVATE = ["FOLLOWER_OF_CREATOR", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]


def unaudited_app(**overrides: object) -> App:
    fields: dict[str, object] = {
        "client_key": "sbawunaudited000key",
        "client_secret": "unaudited-secret",
        "name": "Unaudited",
        "kind": "desktop",
        "redirect_uris": ("http://127.0.0.1:*/callback/",),
        "audited": False,
    }
    fields.update(overrides)
    return App(**fields)  # type: ignore[arg-type]


@pytest.fixture
def unaudited() -> Iterator[tuple[Sandbox, httpx.Client]]:
    with Sandbox(apps=[*default_apps(), unaudited_app()]) as sb, httpx.Client(base_url=sb.base_url) as http:
        yield sb, http
        assert sb.errors == []


class TestFields:
    def test_a_public_creator(self, poster: Poster, sandbox: Sandbox) -> None:
        answer = poster.creator_info()
        assert answer.status_code == 200 and code_of(answer) == "ok"
        data = answer.json()["data"]
        assert data["creator_username"] == sandbox.user.username == "sandbox.creator"
        assert data["creator_nickname"] == sandbox.user.display_name
        assert data["privacy_level_options"] == PUBLIC
        assert data["max_video_post_duration_sec"] == 600
        assert data["comment_disabled"] is data["duet_disabled"] is data["stitch_disabled"] is False
        assert data["creator_avatar_url"].startswith("http")

    def test_settings_are_live_and_a_private_account_has_other_options(self, poster: Poster, sandbox: Sandbox) -> None:
        creator = sandbox.creator()
        creator.private_account = True
        creator.comment_disabled = True
        creator.max_video_post_duration_sec = 180
        creator.nickname = "Renamed"
        data = poster.creator_info().json()["data"]
        assert data["privacy_level_options"] == PRIVATE
        assert data["comment_disabled"] is True and data["max_video_post_duration_sec"] == 180
        # "duet_disabled: account is private or duets set to No one"
        assert data["duet_disabled"] is True and data["stitch_disabled"] is True
        assert data["creator_nickname"] == "Renamed"

    def test_each_account_is_its_own_creator(self, poster: Poster, sandbox: Sandbox) -> None:
        other = sandbox.issue_tokens(open_id="another-open-id")["access_token"]
        sandbox.creator("another-open-id").private_account = True
        assert poster.creator_info(other).json()["data"]["privacy_level_options"] == PRIVATE
        assert poster.creator_info().json()["data"]["privacy_level_options"] == PUBLIC
        assert sandbox.creator("another-open-id") is sandbox.creator("another-open-id")

    def test_settings_are_validated(self, sandbox: Sandbox) -> None:
        with pytest.raises(ValueError):
            sandbox.creator().private_account = "yes"  # type: ignore[assignment]
        with pytest.raises(ValueError):
            sandbox.creator().max_video_post_duration_sec = -1
        with pytest.raises(AttributeError):
            sandbox.creator().privat_account = True


class TestCannotPostNow:
    def test_a_banned_creator_is_told_with_http_200(self, poster: Poster, sandbox: Sandbox) -> None:
        sandbox.creator().banned = True
        answer = poster.creator_info()
        assert answer.status_code == 200
        assert code_of(answer) == "spam_risk_user_banned_from_posting"
        assert answer.json()["data"] == {}

    def test_the_daily_cap_is_shared_by_every_app(self, poster: Poster, sandbox: Sandbox) -> None:
        sandbox.switches.posting_rate_limits = False
        sandbox.switches.daily_post_cap = 3
        web = sandbox.issue_tokens(client_key=sandbox.web_client_key)["access_token"]
        for token in (poster.token, web, poster.token):
            assert poster.direct(file_source(1000), token=token).status_code == 200
        for token in (poster.token, web):
            answer = poster.creator_info(token)
            assert (answer.status_code, code_of(answer)) == (200, "spam_risk_too_many_posts")
            init = poster.direct(file_source(1000), token=token)
            assert (init.status_code, code_of(init)) == (403, "spam_risk_too_many_posts")
        sandbox.clock.advance(24 * 3600)  # the window slides (tokens expire meanwhile: a new one)
        assert code_of(poster.creator_info(sandbox.issue_tokens()["access_token"])) == "ok"

    def test_another_creator_is_not_capped(self, poster: Poster, sandbox: Sandbox) -> None:
        sandbox.switches.daily_post_cap = 1
        assert poster.direct(file_source(1000)).status_code == 200
        other = sandbox.issue_tokens(open_id="other")["access_token"]
        assert code_of(poster.creator_info(other)) == "ok"
        assert code_of(poster.creator_info()) == "spam_risk_too_many_posts"

    def test_an_unaudited_app_reaches_its_active_creator_cap(
        self, unaudited: tuple[Sandbox, httpx.Client]
    ) -> None:
        sb, http = unaudited
        sb.switches.unaudited_user_cap = 2
        key = "sbawunaudited000key"
        tokens = [sb.issue_tokens(client_key=key, open_id=f"creator-{n}")["access_token"] for n in range(3)]
        poster = Poster(sb, http, tokens[0])
        for n, token in enumerate(tokens[:2]):
            sb.creator(f"creator-{n}").private_account = True
            assert poster.direct(file_source(1000), token=token).status_code == 200
        answer = poster.creator_info(tokens[2])
        assert (answer.status_code, code_of(answer)) == (200, "reached_active_user_cap")
        sb.creator("creator-2").private_account = True
        init = poster.direct(file_source(1000), token=tokens[2])
        assert (init.status_code, code_of(init)) == (403, "reached_active_user_cap")
        assert code_of(poster.creator_info(tokens[0])) == "ok"  # already active: not capped
        audited = Poster(sb, http, sb.issue_tokens(open_id="creator-2")["access_token"])
        assert code_of(audited.creator_info()) == "ok"  # the cap is the app's

    def test_an_audited_app_with_its_own_cap(self) -> None:
        app = unaudited_app(audited=True, active_creator_cap=1)
        with Sandbox(apps=[app]) as sb, httpx.Client(base_url=sb.base_url) as http:
            first = sb.issue_tokens(open_id="a")["access_token"]
            second = sb.issue_tokens(open_id="b")["access_token"]
            poster = Poster(sb, http, first)
            assert poster.direct(file_source(1000), "PUBLIC_TO_EVERYONE").status_code == 200
            assert code_of(poster.creator_info(second)) == "reached_active_user_cap"

    @pytest.mark.parametrize(("switch", "options"), [("full", PRIVATE), ("self_only", ["SELF_ONLY"])])
    def test_unaudited_narrowing_is_a_switch(
        self, unaudited: tuple[Sandbox, httpx.Client], switch: str, options: list[str]
    ) -> None:
        sb, http = unaudited
        sb.switches.unaudited_options = switch
        sb.creator().private_account = True
        poster = Poster(sb, http, sb.issue_tokens(client_key="sbawunaudited000key")["access_token"])
        assert poster.creator_info().json()["data"]["privacy_level_options"] == options
        audited = Poster(sb, http, sb.issue_tokens()["access_token"])
        assert audited.creator_info().json()["data"]["privacy_level_options"] == PRIVATE


class TestAccess:
    def test_without_video_publish_scope(self, poster: Poster, sandbox: Sandbox) -> None:
        token = sandbox.issue_tokens(["user.info.basic", "video.upload"])["access_token"]
        answer = poster.creator_info(token)
        assert (answer.status_code, code_of(answer)) == (401, "scope_not_authorized")

    @pytest.mark.parametrize("which", ["garbage", "refresh", "revoked", "expired", "none"])
    def test_dead_or_wrong_tokens(self, poster: Poster, sandbox: Sandbox, http: httpx.Client, which: str) -> None:
        tokens = sandbox.issue_tokens()
        token = {"garbage": "act.nope", "refresh": tokens["refresh_token"]}.get(which, tokens["access_token"])
        if which == "revoked":
            sandbox.kill_token(token)
        if which == "expired":
            sandbox.clock.advance(tokens["expires_in"])
        headers = {} if which == "none" else {"Authorization": f"Bearer {token}"}
        answer = http.post(contract.CREATOR_INFO_PATH, headers=headers)
        assert (answer.status_code, code_of(answer)) == (401, "access_token_invalid")

    def test_only_post(self, poster: Poster) -> None:
        answer = poster.call(contract.CREATOR_INFO_PATH, method="GET")
        assert answer.status_code == 405 and answer.headers["allow"] == "POST"

    def test_twenty_per_minute_per_token_on_a_sliding_window(self, poster: Poster, sandbox: Sandbox) -> None:
        assert [poster.creator_info().status_code for _ in range(20)] == [200] * 20
        answer = poster.creator_info()
        assert (answer.status_code, code_of(answer)) == (429, "rate_limit_exceeded")
        other = sandbox.issue_tokens()["access_token"]  # per token, not per app or user
        assert poster.creator_info(other).status_code == 200
        sandbox.clock.advance(60)
        assert poster.creator_info().status_code == 200

    def test_rate_limits_can_be_switched_off_or_changed(self, poster: Poster, sandbox: Sandbox) -> None:
        sandbox.switches.creator_info_rate_limit = 2
        assert [poster.creator_info().status_code for _ in range(3)] == [200, 200, 429]
        sandbox.switches.posting_rate_limits = False
        assert [poster.creator_info().status_code for _ in range(25)] == [200] * 25
