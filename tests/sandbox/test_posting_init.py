"""The video inits: POST /v2/post/publish/video/init/ (Direct Post) and .../inbox/video/init/
(upload to the inbox), every rule of docs/TIKTOK-API.md section 8 and its switches."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytok_sm import _contract as contract
from pytok_sm.sandbox import Sandbox, default_apps

from .test_posting_creator_info import unaudited_app
from .test_posting_support import MB, Poster, code_of, file_source, poster_fixture  # noqa: F401 - fixture

URL = "https://media.example.com/videos/clip.mp4"
GiB = 1024**3


def message_of(answer: httpx.Response) -> str:
    return str(answer.json()["error"]["message"])


def refused(answer: httpx.Response, status: int, code: str, message: str | None = None) -> None:
    assert (answer.status_code, code_of(answer)) == (status, code), answer.text
    assert answer.json()["data"] == {}
    if message is not None:
        assert message_of(answer) == message


VALID_PLANS = [
    pytest.param(4_194_304, 4_194_304, 1, id="the guide's 4 MiB whole"),
    pytest.param(50_000_123, 10_000_000, 5, id="the guide's 5 chunks, remainder in the last"),
    pytest.param(64_000_000, 64_000_000, 1, id="one chunk at the largest"),
    pytest.param(12_000_000, 5_000_000, 2, id="last chunk of 7 MB"),
    pytest.param(12_000_000, 8_000_000, 1, id="one chunk longer than chunk_size"),
    pytest.param(4_000_000_000, 5_000_000, 800, id="4 GB in 800 chunks"),
    pytest.param(1, 1, 1, id="one byte"),
]
INVALID_PLANS = [
    pytest.param(50_000_123, 10_000_000, 6, "total chunk count", id="ceil plan"),
    pytest.param(50_000_123, 10_000_000, 4, "total chunk count", id="too few chunks"),
    pytest.param(64_000_001, 64_000_001, 1, "chunk size", id="whole but over 64 MB"),
    pytest.param(20_000_000, 4_999_999, 4, "chunk size", id="chunk under 5 MB"),
    pytest.param(200_000_000, 64_000_001, 3, "chunk size", id="chunk over 64 MB"),
    pytest.param(100_000_000, 60_000_000, 1, "chunk size", id="over 64 MB must be several chunks"),
    pytest.param(0, 0, 0, "video size", id="empty video"),
    pytest.param(1000, 2000, 1, "chunk size", id="chunk larger than the video"),
    pytest.param(1000, 1000, 0, "total chunk count", id="no chunk"),
    pytest.param(1000, 1000, 2, "total chunk count", id="whole video in two"),
    pytest.param(6_000_000_000, 6_000_000, 1000, "video size", id="over 4 GiB"),
    pytest.param("1000", 1000, 1, "video size", id="size as a string"),
    pytest.param(1000, 1000.0, 1, "chunk size", id="chunk size as a float"),
    pytest.param(1000, 1000, True, "total chunk count", id="count as a boolean"),
    pytest.param(-5, -5, 1, "video size", id="negative"),
    pytest.param(2**63, 2**63, 1, "video size", id="beyond int64"),
]


class TestChunkPlans:
    @pytest.mark.parametrize(("size", "chunk", "count"), VALID_PLANS)
    def test_valid_plans_get_an_upload_url(self, poster: Poster, size: int, chunk: int, count: int) -> None:
        answer = poster.direct(file_source(size, chunk, count))
        assert answer.status_code == 200 and code_of(answer) == "ok", answer.text
        assert set(answer.json()["data"]) == {"publish_id", "upload_url"}

    @pytest.mark.parametrize(("size", "chunk", "count", "label"), INVALID_PLANS)
    def test_invalid_plans_name_the_field(self, poster: Poster, size: Any, chunk: Any, count: Any, label: str) -> None:
        refused(poster.direct(file_source(size, chunk, count)), 400, "invalid_params", f"The {label} is invalid")

    def test_more_than_1000_chunks(self, poster: Poster, sandbox: Sandbox) -> None:
        sandbox.switches.max_video_bytes = 10 * GiB
        refused(poster.direct(file_source(5_005_000_000, 5_000_000, 1001)), 400, "invalid_params",
                "The total chunk count is invalid")
        assert poster.direct(file_source(5_000_000_000, 5_000_000, 1000)).status_code == 200

    @pytest.mark.parametrize(
        ("size", "chunk", "count", "decimal", "binary"),
        [
            (20_000_000, 5_000_000, 4, True, False),  # 5,000,000 < 5 MiB
            (20_000_000, 5_242_880, 3, True, True),
            (64_000_001, 64_000_001, 1, False, True),  # <= 64 MiB whole
            (67_108_865, 67_108_865, 1, False, False),
            (200_000_000, 64_000_001, 3, False, True),
        ],
    )
    def test_what_mb_means_is_a_switch(
        self, poster: Poster, sandbox: Sandbox, size: int, chunk: int, count: int, decimal: bool, binary: bool
    ) -> None:
        sandbox.switches.posting_rate_limits = False
        for unit, ok in (("decimal", decimal), ("binary", binary)):
            sandbox.switches.chunk_size_unit = unit
            assert (poster.direct(file_source(size, chunk, count)).status_code == 200) is ok, unit

    def test_ceil_plans_are_a_switch(self, poster: Poster, sandbox: Sandbox) -> None:
        sandbox.switches.ceil_chunk_plans = "accept"
        assert poster.direct(file_source(50_000_123, 10_000_000, 6)).status_code == 200
        assert poster.direct(file_source(50_000_123, 10_000_000, 5)).status_code == 200  # floor still fine
        refused(poster.direct(file_source(50_000_000, 10_000_000, 6)), 400, "invalid_params")  # nothing left over

    def test_the_largest_video_is_a_switch(self, poster: Poster, sandbox: Sandbox) -> None:
        sandbox.switches.max_video_bytes = 100 * MB
        assert poster.direct(file_source(100 * MB, 10 * MB, 10)).status_code == 200
        refused(poster.direct(file_source(100 * MB + 1, 10 * MB, 10)), 400, "invalid_params",
                "The video size is invalid")

    def test_the_august_2026_multi_chunk_regression(self, poster: Poster, sandbox: Sandbox) -> None:
        sandbox.switches.reject_multi_chunk = True
        sandbox.switches.invalid_param_code = "invalid_param"  # the report's code is the plural, whatever this says
        refused(poster.direct(file_source(50_000_123, 10_000_000, 5)), 400, "invalid_params",
                "The chunk size is invalid")
        refused(poster.inbox(file_source(12_000_000, 6_000_000, 2)), 400, "invalid_params",
                "The chunk size is invalid")
        assert poster.direct(file_source(64_000_000)).status_code == 200  # single chunks pass
        assert poster.direct(file_source(12_000_000, 8_000_000, 1)).status_code == 200

    def test_the_bad_parameter_code_is_spelled_by_a_switch(self, poster: Poster, sandbox: Sandbox) -> None:
        refused(poster.direct(file_source(1000, 1000, 2)), 400, "invalid_params")
        sandbox.switches.invalid_param_code = "invalid_param"
        refused(poster.direct(file_source(1000, 1000, 2)), 400, "invalid_param", "The total chunk count is invalid")


class TestPostInfo:
    @pytest.mark.parametrize("privacy", [None, "EVERYONE", "FOLLOWER_OF_CREATOR", 5, ""])
    def test_privacy_level_is_required_and_among_the_options(self, poster: Poster, privacy: Any) -> None:
        refused(poster.direct(file_source(1000), privacy), 403, "privacy_level_option_mismatch")

    def test_a_private_account_offers_followers_not_everyone(self, poster: Poster, sandbox: Sandbox) -> None:
        sandbox.creator().private_account = True
        refused(poster.direct(file_source(1000), "PUBLIC_TO_EVERYONE"), 403, "privacy_level_option_mismatch")
        assert poster.direct(file_source(1000), "FOLLOWER_OF_CREATOR").status_code == 200

    @pytest.mark.parametrize(
        ("title", "ok"),
        [
            pytest.param("a" * 2200, True, id="2200 letters"),
            pytest.param("a" * 2201, False, id="2201 letters"),
            pytest.param("😀" * 1100, True, id="1100 emoji: 2200 UTF-16 units"),
            pytest.param("😀" * 1101, False, id="1101 emoji: 2202 UTF-16 units"),
            pytest.param("#sandbox @someone <b>", True, id="hashtags and mentions"),
            pytest.param(42, False, id="a number"),
        ],
    )
    def test_title_up_to_2200_utf16_units(self, poster: Poster, title: Any, ok: bool) -> None:
        answer = poster.direct(file_source(1000), title=title)
        if ok:
            assert answer.status_code == 200, answer.text
        else:
            refused(answer, 400, "invalid_params", "The title is invalid")

    @pytest.mark.parametrize(
        "name", ["disable_duet", "disable_stitch", "disable_comment", "brand_content_toggle", "brand_organic_toggle",
                 "is_aigc"]
    )
    def test_toggles_are_booleans(self, poster: Poster, sandbox: Sandbox, name: str) -> None:
        sandbox.switches.posting_rate_limits = False
        wrong: dict[str, Any] = {name: "true"}
        right: dict[str, Any] = {name: True}
        refused(poster.direct(file_source(1000), "PUBLIC_TO_EVERYONE", **wrong), 400, "invalid_params",
                f"The {name.replace('_', ' ')} is invalid")
        assert poster.direct(file_source(1000), "PUBLIC_TO_EVERYONE", **right).status_code == 200

    def test_branded_content_is_never_private(self, poster: Poster) -> None:
        refused(poster.direct(file_source(1000), "SELF_ONLY", brand_content_toggle=True), 400, "invalid_params")
        assert poster.direct(file_source(1000), "PUBLIC_TO_EVERYONE", brand_content_toggle=True).status_code == 200
        assert poster.direct(file_source(1000), "SELF_ONLY", brand_organic_toggle=True).status_code == 200

    def test_a_cover_timestamp_is_never_an_error(self, poster: Poster) -> None:
        assert poster.direct(file_source(1000), video_cover_timestamp_ms="soon").status_code == 200

    def test_post_info_and_source_info_shapes(self, poster: Poster) -> None:
        body = {"post_info": "SELF_ONLY", "source_info": file_source(1000)}
        refused(poster.call(contract.VIDEO_INIT_PATH, body), 400, "invalid_params", "The post info is invalid")
        body = {"post_info": {"privacy_level": "SELF_ONLY"}}
        refused(poster.call(contract.VIDEO_INIT_PATH, body), 400, "invalid_params", "The source info is invalid")
        refused(poster.direct({"source": "FILE"}), 400, "invalid_params", "The source is invalid")
        refused(poster.direct({"source": "PULL_FROM_URL"}), 400, "invalid_params", "The video url is invalid")


class TestBodies:
    @pytest.mark.parametrize(
        ("raw", "content_type"),
        [
            (b"", contract.JSON_CONTENT_TYPE),
            (b"post_info=x", "application/x-www-form-urlencoded"),
            (b'{"source_info": {}}', "text/plain"),
            (b"[1, 2]", contract.JSON_CONTENT_TYPE),
            (b'{"source_info": {"source": "FILE_UPLOAD"', contract.JSON_CONTENT_TYPE),
            (b'{"source_info": {"video_size": NaN}}', contract.JSON_CONTENT_TYPE),
            (b'{"source_info": 1, "source_info": 2}', contract.JSON_CONTENT_TYPE),
            (b'{"title": "\xff"}', contract.JSON_CONTENT_TYPE),
            (b"[" * 100_000 + b"]" * 100_000, contract.JSON_CONTENT_TYPE),
        ],
    )
    def test_anything_but_a_json_object_is_400(self, poster: Poster, raw: bytes, content_type: str) -> None:
        answer = poster.call(contract.VIDEO_INIT_PATH, raw=raw, content_type=content_type)
        refused(answer, 400, "invalid_params")

    def test_the_one_mib_body_cap_stays_for_the_api(self, poster: Poster) -> None:
        body = {"post_info": {"title": "a" * (1 << 20)}, "source_info": file_source(1000)}
        assert poster.call(contract.VIDEO_INIT_PATH, body).status_code == 413

    def test_unknown_fields_are_ignored(self, poster: Poster) -> None:
        body = {"post_info": {"privacy_level": "SELF_ONLY", "aigc_info": {"aigc_label_type": "AIGC_GENERATED"}},
                "source_info": file_source(1000), "extra": 1}
        assert poster.call(contract.VIDEO_INIT_PATH, body).status_code == 200


class TestDirectPost:
    def test_publish_id_and_upload_url_shapes(self, poster: Poster, sandbox: Sandbox) -> None:
        data = poster.direct(file_source(1000)).json()["data"]
        assert re.fullmatch(r"v_pub_file~v2-1\.\d{19}", data["publish_id"])
        assert re.fullmatch(re.escape(sandbox.base_url) + r"/upload/video/\?upload_id=\d+&upload_token=[\w-]{16,}",
                            data["upload_url"])
        assert len(data["publish_id"]) <= 64 and len(data["upload_url"]) <= 256
        pulled = poster.direct({"source": "PULL_FROM_URL", "video_url": URL}).json()["data"]
        assert set(pulled) == {"publish_id"} and re.fullmatch(r"v_pub_url~v2\.\d{19}", pulled["publish_id"])

    @pytest.mark.parametrize(
        "url", ["https://elsewhere.example.com/clip.mp4", "http://media.example.com/clip.mp4",
                "https://media.example.com.evil.test/clip.mp4", "https://user@media.example.com/clip.mp4",
                "https://media.example.com/../clip.mp4"]
    )
    def test_pull_from_an_unverified_url(self, poster: Poster, url: str) -> None:
        refused(poster.direct({"source": "PULL_FROM_URL", "video_url": url}), 403, "url_ownership_unverified")

    def test_a_banned_creator(self, poster: Poster, sandbox: Sandbox) -> None:
        sandbox.creator().banned = True
        refused(poster.direct(file_source(1000)), 403, "spam_risk_user_banned_from_posting")
        refused(poster.inbox(file_source(1000)), 403, "spam_risk_user_banned_from_posting")

    def test_needs_video_publish(self, poster: Poster, sandbox: Sandbox) -> None:
        token = sandbox.issue_tokens(["user.info.basic", "video.upload"])["access_token"]
        refused(poster.direct(file_source(1000), token=token), 401, "scope_not_authorized")

    def test_six_inits_per_minute_per_token_and_endpoint(self, poster: Poster, sandbox: Sandbox) -> None:
        sandbox.switches.pending_share_cap = 100
        assert [poster.direct(file_source(1000)).status_code for _ in range(7)] == [200] * 6 + [429]
        refused(poster.direct(file_source(1000)), 429, "rate_limit_exceeded")
        assert poster.inbox(file_source(1000)).status_code == 200  # its own budget
        sandbox.clock.advance(61)
        assert poster.direct(file_source(1000)).status_code == 200


class TestUnauditedApps:
    @pytest.fixture
    def unaudited_poster(self) -> Iterator[Poster]:
        with Sandbox(apps=[*default_apps(), unaudited_app()]) as sb, httpx.Client(base_url=sb.base_url) as http:
            yield Poster(sb, http, sb.issue_tokens(client_key="sbawunaudited000key")["access_token"])
            assert sb.errors == []

    def test_a_public_account_is_refused_even_for_self_only(self, unaudited_poster: Poster) -> None:
        refused(unaudited_poster.direct(file_source(1000), "SELF_ONLY"), 403,
                "unaudited_client_can_only_post_to_private_accounts")

    @pytest.mark.parametrize(("privacy", "ok"), [("SELF_ONLY", True), ("FOLLOWER_OF_CREATOR", False),
                                                 ("MUTUAL_FOLLOW_FRIENDS", False)])
    def test_a_private_account_gets_self_only(self, unaudited_poster: Poster, privacy: str, ok: bool) -> None:
        unaudited_poster.sb.creator().private_account = True
        answer = unaudited_poster.direct(file_source(1000), privacy)
        if ok:
            assert answer.status_code == 200
        else:
            refused(answer, 403, "privacy_level_option_mismatch")

    def test_the_inbox_has_no_such_rule(self, unaudited_poster: Poster) -> None:
        assert unaudited_poster.inbox(file_source(1000)).status_code == 200


class TestInbox:
    def test_source_info_only(self, poster: Poster) -> None:
        data = poster.inbox(file_source(1000)).json()["data"]
        assert re.fullmatch(r"v_inbox_file~v2\.\d{19}", data["publish_id"]) and "upload_url" in data
        data = poster.inbox({"source": "PULL_FROM_URL", "video_url": URL}).json()["data"]
        assert re.fullmatch(r"v_inbox_url~v2\.\d{19}", data["publish_id"]) and "upload_url" not in data
        refused(poster.inbox({"source": "PULL_FROM_URL", "video_url": "https://x.test/a.mp4"}), 403,
                "url_ownership_unverified")

    def test_what_a_post_info_does_is_a_switch(self, poster: Poster, sandbox: Sandbox) -> None:
        post_info = {"privacy_level": "PUBLIC_TO_EVERYONE", "title": "ignored"}
        answer = poster.inbox(file_source(1000), post_info=post_info)
        assert answer.status_code == 200
        assert sandbox.posts[-1].title == "" and sandbox.posts[-1].privacy_level is None
        sandbox.switches.inbox_post_info = "reject"
        refused(poster.inbox(file_source(1000), post_info=post_info), 400, "invalid_params")

    def test_needs_video_upload(self, poster: Poster, sandbox: Sandbox) -> None:
        token = sandbox.issue_tokens(["user.info.basic", "video.publish"])["access_token"]
        refused(poster.inbox(file_source(1000), token=token), 401, "scope_not_authorized")

    def test_five_pending_shares_per_day(self, poster: Poster, sandbox: Sandbox) -> None:
        sandbox.switches.posting_rate_limits = False
        ids = [poster.inbox(file_source(1000)).json()["data"]["publish_id"] for _ in range(5)]
        refused(poster.inbox(file_source(1000)), 403, "spam_risk_too_many_pending_share")
        assert poster.direct(file_source(1000)).status_code == 200  # direct posts are another budget
        assert poster.cancel(ids[0]).status_code == 200  # a cancelled share is no longer pending
        assert poster.inbox(file_source(1000)).status_code == 200
        refused(poster.inbox(file_source(1000)), 403, "spam_risk_too_many_pending_share")
        sandbox.clock.advance(24 * 3600)
        fresh = sandbox.issue_tokens()["access_token"]
        assert poster.inbox(file_source(1000), token=fresh).status_code == 200


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**64), 2**64) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
FIELDS = ["source", "video_size", "chunk_size", "total_chunk_count", "video_url", "privacy_level", "title"]


@pytest.fixture(scope="module")
def shared() -> Iterator[tuple[Sandbox, httpx.Client, str]]:
    with Sandbox() as sb, httpx.Client(base_url=sb.base_url, timeout=5) as http:
        sb.switches.posting_rate_limits = False
        sb.switches.daily_post_cap = 10**6
        sb.switches.pending_share_cap = 10**6
        yield sb, http, sb.issue_tokens()["access_token"]
        assert sb.errors == []


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path=st.sampled_from([contract.VIDEO_INIT_PATH, contract.INBOX_VIDEO_INIT_PATH, contract.CONTENT_INIT_PATH]),
    post_info=st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=3),
    source_info=st.one_of(json_values, st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=5)),
)
def test_whatever_the_body_the_answer_is_an_envelope(
    shared: tuple[Sandbox, httpx.Client, str], path: str, post_info: dict[str, Any], source_info: Any
) -> None:
    sb, http, token = shared
    body = json.dumps({"post_info": post_info, "source_info": source_info, "media_type": "PHOTO"})
    answer = http.post(path, content=body, headers={"Authorization": f"Bearer {token}",
                                                    "Content-Type": "application/json"})
    assert answer.status_code in (200, 400, 401, 403), answer.text
    code = code_of(answer)
    assert (code == "ok") is (answer.status_code == 200)
    assert sb.errors == []
