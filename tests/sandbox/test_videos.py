"""video/list and video/query against the contract, by hand over HTTP (no client code): the seeded
library, pages and cursors, the person's own videos, the posts the sandbox published, scopes,
parameters, the rate window, faults."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from pytok_sm import _contract as contract
from pytok_sm.sandbox import Sandbox

from .test_posting_support import Poster, poster_fixture  # noqa: F401 - fixture

FIELDS = ",".join(contract.VIDEO_FIELDS)


def call(http: httpx.Client, path: str, token: str, body: Any, fields: str | None = "id,create_time",
         method: str = "POST") -> httpx.Response:
    params = {} if fields is None else {"fields": fields}
    return http.request(method, path, params=params, content=json.dumps(body).encode(),
                        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})


def listed(http: httpx.Client, token: str, fields: str = "id,create_time", **body: Any) -> dict[str, Any]:
    answer = call(http, contract.VIDEO_LIST_PATH, token, body, fields)
    assert answer.status_code == 200 and answer.json()["error"]["code"] == "ok", answer.text
    return dict(answer.json()["data"])


def queried(http: httpx.Client, token: str, ids: list[str], fields: str = "id,title") -> list[dict[str, Any]]:
    answer = call(http, contract.VIDEO_QUERY_PATH, token, {"filters": {"video_ids": ids}}, fields)
    assert answer.status_code == 200 and answer.json()["error"]["code"] == "ok", answer.text
    return list(answer.json()["data"]["videos"])


def refused(answer: httpx.Response) -> tuple[int, str]:
    return answer.status_code, answer.json()["error"]["code"]


def walk(http: httpx.Client, token: str, max_count: int) -> list[dict[str, Any]]:
    videos: list[dict[str, Any]] = []
    body: dict[str, Any] = {"max_count": max_count}
    while True:
        data = listed(http, token, **body)
        assert len(data["videos"]) <= max_count
        videos += data["videos"]
        if not data["has_more"]:
            return videos
        body["cursor"] = data["cursor"]


@pytest.fixture
def token(sandbox: Sandbox) -> str:
    return str(sandbox.issue_tokens()["access_token"])


class TestList:
    def test_the_default_library_newest_first_ten_a_page(self, sandbox: Sandbox, http: httpx.Client,
                                                         token: str) -> None:
        first = listed(http, token)
        assert len(first["videos"]) == 10 and first["has_more"] is True
        times = [video["create_time"] for video in first["videos"]]
        assert times == sorted(times, reverse=True)
        assert times[-1] * 1000 <= first["cursor"] < (times[-1] + 1) * 1000  # the oldest of the page, in ms
        rest = listed(http, token, cursor=first["cursor"])
        assert (len(rest["videos"]), rest["has_more"]) == (2, False)
        assert rest["videos"][0]["create_time"] <= times[-1]
        assert [video["id"] for video in first["videos"] + rest["videos"]] == [video.id for video in sandbox.videos()]

    def test_only_the_requested_fields_and_every_field_has_its_documented_type(self, http: httpx.Client,
                                                                              token: str) -> None:
        (video,) = listed(http, token, FIELDS, max_count=1)["videos"]
        assert list(video) == list(contract.VIDEO_FIELDS)
        for name in ("create_time", "duration", "height", "width", "like_count", "comment_count", "share_count",
                     "view_count"):
            assert isinstance(video[name], int) and video[name] >= 0, name
        for name in ("id", "cover_image_url", "share_url", "video_description", "title", "embed_html", "embed_link"):
            assert isinstance(video[name], str) and video[name], name
        assert video["id"].isdigit() and len(video["id"]) == 19
        assert len(video["title"]) <= 150 and len(video["video_description"]) <= 150
        assert video["share_url"] == f"https://www.tiktok.com/@sandbox.creator/video/{video['id']}"
        assert list(listed(http, token, "title", max_count=1)["videos"][0]) == ["title"]

    def test_a_thousand_seeded_videos_walk_in_fifty_pages_the_same_in_every_sandbox(
            self, sandbox: Sandbox, http: httpx.Client, token: str) -> None:
        sandbox.seed_videos(1000)
        videos = walk(http, token, 20)
        assert sandbox.count("video_list") == 50
        ids = [video["id"] for video in videos]
        assert len(ids) == len(set(ids)) == 1000
        assert [video.id for video in sandbox.videos()] == ids
        stamps = [video.create_ms for video in sandbox.videos()]
        assert all(a > b for a, b in zip(stamps, stamps[1:], strict=False))  # every video has its own ms
        with Sandbox() as other:
            other.seed_videos(1000)
            assert [video.id for video in other.videos()] == ids

    def test_each_account_has_its_own_library(self, sandbox: Sandbox, http: httpx.Client, token: str) -> None:
        sandbox.seed_videos(3, open_id="someone-else")
        theirs = str(sandbox.issue_tokens(open_id="someone-else")["access_token"])
        assert len(walk(http, theirs, 20)) == 3
        assert len(walk(http, token, 20)) == 12
        sandbox.seed_videos(0)
        assert listed(http, token) == {"videos": [], "cursor": 0, "has_more": False}

    def test_published_public_posts_come_first(self, sandbox: Sandbox, http: httpx.Client, poster: Poster) -> None:
        url = {"source": "PULL_FROM_URL", "video_url": "https://media.example.com/v/clip.mp4"}
        assert poster.direct(url, "PUBLIC_TO_EVERYONE", title="Hello #fyp").status_code == 200
        assert poster.direct(url, "SELF_ONLY", title="private").status_code == 200
        assert poster.inbox(url).status_code == 200
        assert len(listed(http, poster.token)["videos"]) == 10  # still processing: not listed yet
        assert len(walk(http, poster.token, 20)) == 12
        sandbox.clock.advance(3)
        videos = walk(http, poster.token, 20)
        assert len(videos) == 13
        (post,) = [p for p in sandbox.posts if p.post_ids]
        assert videos[0]["id"] == str(post.post_ids[0])
        assert queried(http, poster.token, [videos[0]["id"]]) == [{"id": videos[0]["id"], "title": "Hello #fyp"}]


class TestQuery:
    def test_the_persons_own_videos_only(self, sandbox: Sandbox, http: httpx.Client, token: str) -> None:
        mine = [video.id for video in sandbox.videos()]
        theirs = sandbox.videos("someone-else")[0].id
        found = queried(http, token, [mine[3], theirs, "7000000000000000001", mine[0], mine[3]])
        assert [video["id"] for video in found] == [mine[3], mine[0]]

    def test_the_cover_url_lives_six_hours_from_the_query(self, sandbox: Sandbox, http: httpx.Client,
                                                          token: str) -> None:
        video_id = sandbox.videos()[0].id
        before = queried(http, token, [video_id], "cover_image_url")[0]["cover_image_url"]
        sandbox.clock.advance(3600)
        after = queried(http, token, [video_id], "cover_image_url")[0]["cover_image_url"]
        expiry = int(after.split("x-expires=")[1].split("&")[0])
        assert before != after and abs(expiry - (sandbox.clock.now() + 6 * 3600)) < 5

    @pytest.mark.parametrize("body", [
        {"filters": {"video_ids": [str(n) for n in range(21)]}}, {"filters": {"video_ids": []}},
        {"filters": {"video_ids": [7]}}, {"filters": {}}, {"video_ids": ["7"]}, {},
    ])
    def test_bad_filters_are_invalid_params(self, http: httpx.Client, token: str, body: Any) -> None:
        assert refused(call(http, contract.VIDEO_QUERY_PATH, token, body)) == (400, "invalid_params")


class TestRefusals:
    @pytest.mark.parametrize("path", [contract.VIDEO_LIST_PATH, contract.VIDEO_QUERY_PATH])
    def test_the_scope_video_list_is_needed(self, sandbox: Sandbox, http: httpx.Client, path: str) -> None:
        basic = str(sandbox.issue_tokens(["user.info.basic", "user.info.stats"])["access_token"])
        answer = call(http, path, basic, {"filters": {"video_ids": ["7"]}})
        assert refused(answer) == (401, "scope_not_authorized")

    @pytest.mark.parametrize("path", [contract.VIDEO_LIST_PATH, contract.VIDEO_QUERY_PATH])
    def test_a_dead_token_and_a_get_are_refused(self, sandbox: Sandbox, http: httpx.Client, token: str,
                                                path: str) -> None:
        sandbox.kill_token(token)
        assert refused(call(http, path, token, {})) == (401, "access_token_invalid")
        answer = call(http, path, "act.nobody", {}, method="GET")
        assert answer.status_code == 405 and answer.headers["allow"] == "POST"

    @pytest.mark.parametrize(("fields", "body"), [
        ("id,fps", {}), (None, {}), ("", {}), ("id", {"max_count": 21}), ("id", {"max_count": 0}),
        ("id", {"max_count": "5"}), ("id", {"cursor": "1700000000000"}), ("id", {"cursor": -1}),
        ("id", {"cursor": True}),
    ])
    def test_bad_parameters_are_invalid_params(self, http: httpx.Client, token: str, fields: str | None,
                                               body: Any) -> None:
        assert refused(call(http, contract.VIDEO_LIST_PATH, token, body, fields)) == (400, "invalid_params")

    def test_a_body_that_is_not_json_is_invalid_params(self, http: httpx.Client, token: str) -> None:
        answer = http.post(contract.VIDEO_LIST_PATH, params={"fields": "id"}, content=b"max_count=5",
                           headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        assert refused(answer) == (400, "invalid_params")


class TestSwitches:
    def test_max_count_above_20_may_be_clamped(self, sandbox: Sandbox, http: httpx.Client, token: str) -> None:
        sandbox.seed_videos(30)
        sandbox.switches.video_max_count_over = "clamp"
        assert len(listed(http, token, max_count=50)["videos"]) == 20

    def test_a_lazy_has_more_leaves_an_empty_last_page(self, sandbox: Sandbox, http: httpx.Client,
                                                       token: str) -> None:
        sandbox.switches.video_has_more = "lazy"
        first = listed(http, token, max_count=6)
        second = listed(http, token, max_count=6, cursor=first["cursor"])
        assert second["has_more"] is True
        assert listed(http, token, max_count=6, cursor=second["cursor"]) == {
            "videos": [], "cursor": second["cursor"], "has_more": False}

    def test_photo_posts_are_listed_when_switched_on(self, sandbox: Sandbox, http: httpx.Client,
                                                     poster: Poster) -> None:
        answer = poster.photos(["https://media.example.com/p/1.jpg"], title="Photos", privacy_level="PUBLIC_TO_EVERYONE")
        assert answer.status_code == 200, answer.text
        sandbox.clock.advance(3)
        assert len(walk(http, poster.token, 20)) == 12
        sandbox.switches.video_list_photos = True
        assert len(walk(http, poster.token, 20)) == 13


class TestRateWindow:
    def test_the_window_is_per_endpoint_and_slides(self, sandbox: Sandbox, http: httpx.Client, token: str) -> None:
        sandbox.switches.video_rate_limit = 3
        for _ in range(3):
            listed(http, token)
        over = call(http, contract.VIDEO_LIST_PATH, token, {})
        assert refused(over) == (429, "rate_limit_exceeded")
        assert queried(http, token, [sandbox.videos()[0].id])  # video/query counts on its own
        sandbox.clock.advance(60)
        assert listed(http, token)["videos"]
        assert [r.status for r in sandbox.requests if r.endpoint == "video_list"] == [200, 200, 200, 429, 200]

    @pytest.mark.parametrize(("scope", "second_refused"), [("app", True), ("token", False)])
    def test_the_window_is_shared_by_the_app_or_kept_per_token(self, sandbox: Sandbox, http: httpx.Client,
                                                               token: str, scope: str, second_refused: bool) -> None:
        sandbox.switches.video_rate_limit = 2
        sandbox.switches.video_rate_scope = scope
        other = str(sandbox.issue_tokens(open_id="someone-else")["access_token"])
        listed(http, token)
        listed(http, token)
        answer = call(http, contract.VIDEO_LIST_PATH, other, {})
        assert (answer.status_code == 429) is second_refused

    def test_switches_are_checked(self, sandbox: Sandbox) -> None:
        for name, value in [("video_rate_limit", 0), ("video_rate_window", -1.0), ("video_rate_scope", "user"),
                            ("video_has_more", "never"), ("video_max_count_over", "ignore"),
                            ("video_list_photos", "yes")]:
            with pytest.raises(ValueError, match=name):
                setattr(sandbox.switches, name, value)
        with pytest.raises(ValueError, match="0..100000"):
            sandbox.seed_videos(-1)


class TestFaults:
    @pytest.mark.parametrize(("endpoint", "path"), [("video_list", contract.VIDEO_LIST_PATH),
                                                    ("video_query", contract.VIDEO_QUERY_PATH)])
    def test_both_endpoints_take_faults_in_the_envelope(self, sandbox: Sandbox, http: httpx.Client, token: str,
                                                        endpoint: str, path: str) -> None:
        body = {"filters": {"video_ids": ["7"]}}
        sandbox.faults.add(endpoint, "rate_limit_429", retry_after=2)
        answer = call(http, path, token, body)
        assert refused(answer) == (429, "rate_limit_exceeded") and answer.headers["retry-after"] == "2"
        sandbox.faults.add(endpoint, "api_error")
        assert refused(call(http, path, token, body)) == (500, "internal_error")
        sandbox.faults.add(endpoint, "nan_json")
        assert b"NaN" in call(http, path, token, body).content
        assert call(http, path, token, body).status_code == 200
        assert [r.fault for r in sandbox.requests] == ["rate_limit_429", "api_error", "nan_json", None]
