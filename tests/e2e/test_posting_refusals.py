"""Posts TikTok refuses, end to end: "cannot post now" answered with HTTP 200 at creator_info
(nothing is initialised), the caps answered 403 at init, the bad-parameter code in both
spellings, privacy rules (sync and async kits)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import pytok_sm
from pytok_sm.sandbox import Sandbox

from .posting_support import CHUNK, SCOPES, SMALL, URL, desktop_app, endpoints, own_sandbox, poster, video

INITS = ("video_init", "inbox_video_init", "content_init")


def no_init(sb: Sandbox) -> bool:
    return not any(sb.count(endpoint) for endpoint in INITS) and sb.count("upload") == 0


def test_daily_cap_answered_200_at_creator_info_stops_before_init(make_runner: Any, sandbox: Sandbox) -> None:
    runner = poster(make_runner, sandbox)
    sandbox.switches.daily_post_cap = 1
    runner("post_video", URL, privacy_level="SELF_ONLY")  # the day's one post
    sandbox.clear_requests()
    with pytest.raises(pytok_sm.PostingSpamRisk) as blocked:
        runner("post_video", URL, privacy_level="SELF_ONLY")
    assert (blocked.value.code, blocked.value.http_status) == ("spam_risk_too_many_posts", 200)
    assert "try again in 24 hours" in str(blocked.value)
    assert endpoints(sandbox) == ["creator_info"] and no_init(sandbox)
    with pytest.raises(pytok_sm.PostingSpamRisk):
        runner("creator_info")


def test_a_banned_creator_is_told_at_creator_info(make_runner: Any, sandbox: Sandbox, tmp_path: Path) -> None:
    runner = poster(make_runner, sandbox)
    sandbox.creator().banned = True
    with pytest.raises(pytok_sm.PostingSpamRisk) as blocked:
        runner("post_video", video(tmp_path, SMALL), privacy_level="SELF_ONLY")
    assert (blocked.value.code, blocked.value.http_status) == ("spam_risk_user_banned_from_posting", 200)
    with pytest.raises(pytok_sm.PostingSpamRisk):
        runner("post_photos", [URL.replace(".mp4", ".jpg")], privacy_level="SELF_ONLY")
    assert endpoints(sandbox) == ["creator_info", "creator_info"] and no_init(sandbox)


def test_the_apps_creator_cap_answered_200_at_creator_info(make_runner: Any, request: pytest.FixtureRequest) -> None:
    with own_sandbox(request, apps=desktop_app(active_creator_cap=1)) as (sb, runner):
        other = sb.issue_tokens(SCOPES, open_id="-000another0creator")
        runner.kit.load_token(other)
        runner("post_video", URL, privacy_level="SELF_ONLY")  # the app's one creator of the day
        runner.kit.load_token(sb.issue_tokens(SCOPES))
        sb.clear_requests()
        with pytest.raises(pytok_sm.CreatorCapReached) as capped:
            runner("post_video", URL, privacy_level="SELF_ONLY")
        assert (capped.value.code, capped.value.http_status) == ("reached_active_user_cap", 200)
        assert "app-wide" in str(capped.value)
        assert endpoints(sb) == ["creator_info"] and no_init(sb)


@pytest.mark.parametrize(("code", "error"), [("spam_risk_too_many_posts", pytok_sm.PostingSpamRisk),
                                             ("spam_risk_user_banned_from_posting", pytok_sm.PostingSpamRisk),
                                             ("reached_active_user_cap", pytok_sm.CreatorCapReached)])
def test_caps_answered_403_at_init(make_runner: Any, sandbox: Sandbox, tmp_path: Path, code: str,
                                   error: type[Exception]) -> None:
    """A cap reached between creator_info and the init (another app posted meanwhile)."""
    runner = poster(make_runner, sandbox)
    sandbox.faults.add("video_init", "api_error", code=code, message="capped", status=403)
    with pytest.raises(error) as refused:
        runner("post_video", video(tmp_path, SMALL), privacy_level="SELF_ONLY")
    assert (refused.value.code, refused.value.http_status) == (code, 403)  # type: ignore[attr-defined]
    assert sandbox.count("video_init") == 1 and sandbox.count("upload") == 0 and sandbox.posts == []


def test_the_inbox_caps_answered_403_at_init(make_runner: Any, sandbox: Sandbox) -> None:
    runner = poster(make_runner, sandbox, processing=60)
    sandbox.switches.pending_share_cap = 1
    runner("post_video", URL, mode="inbox", wait=False)
    with pytest.raises(pytok_sm.PostingSpamRisk) as refused:
        runner("post_video", URL, mode="inbox", wait=False)
    assert (refused.value.code, refused.value.http_status) == ("spam_risk_too_many_pending_share", 403)
    assert "5 uploads" in str(refused.value) and len(sandbox.posts) == 1


@pytest.mark.parametrize("spelling", ["invalid_param", "invalid_params"])
def test_both_spellings_of_a_bad_parameter(make_runner: Any, sandbox: Sandbox, tmp_path: Path, spelling: str) -> None:
    runner = poster(make_runner, sandbox)
    sandbox.switches.invalid_param_code = spelling
    sandbox.switches.max_video_bytes = SMALL - 1
    with pytest.raises(pytok_sm.MediaError) as refused:
        runner("post_video", video(tmp_path, SMALL), privacy_level="SELF_ONLY")
    assert (refused.value.code, refused.value.http_status) == (spelling, 400)
    assert "The video size is invalid" in str(refused.value) and refused.value.rule is None
    assert sandbox.count("upload") == 0 and sandbox.posts == []


def test_multi_chunk_uploads_refused_say_what_tiktok_said(make_runner: Any, sandbox: Sandbox, tmp_path: Path) -> None:
    runner = poster(make_runner, sandbox)
    sandbox.switches.reject_multi_chunk = True
    with pytest.raises(pytok_sm.MediaError) as refused:
        runner("post_video", video(tmp_path), privacy_level="SELF_ONLY", chunk_size=CHUNK)
    assert (refused.value.code, refused.value.http_status) == ("invalid_params", 400)
    assert "The chunk size is invalid" in str(refused.value)
    single = runner("post_video", video(tmp_path, CHUNK + 7, "single.mp4"), privacy_level="SELF_ONLY")
    assert single.confirmed and [p.ranges for p in sandbox.posts] == [[(0, CHUNK + 6)]]


@pytest.mark.parametrize("options", ["full", "self_only"])
def test_an_unaudited_app_and_a_public_account(make_runner: Any, request: pytest.FixtureRequest,
                                               options: str) -> None:
    with own_sandbox(request, apps=desktop_app(audited=False)) as (sb, runner):
        sb.switches.unaudited_options = options
        with pytest.raises(pytok_sm.PrivacyLevelError) as refused:
            runner("post_video", URL, privacy_level="SELF_ONLY")
        assert refused.value.code == "unaudited_client_can_only_post_to_private_accounts"
        assert "make the TikTok account private" in str(refused.value)
        assert sb.posts == []
        sb.creator().private_account = True
        assert runner("post_video", URL, privacy_level="SELF_ONLY").confirmed


def test_a_privacy_level_the_creator_does_not_offer_is_refused_before_init(make_runner: Any,
                                                                          sandbox: Sandbox) -> None:
    runner = poster(make_runner, sandbox)
    with pytest.raises(pytok_sm.PrivacyLevelError) as refused:
        runner("post_video", URL, privacy_level="FOLLOWER_OF_CREATOR")  # a private account's option
    assert refused.value.code == "privacy_level_option_mismatch" and refused.value.rule is not None
    assert "PUBLIC_TO_EVERYONE" in str(refused.value)
    assert endpoints(sandbox) == ["creator_info"] and no_init(sandbox)
