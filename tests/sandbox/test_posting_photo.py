"""Photo posts: POST /v2/post/publish/content/init/ (media_type PHOTO, DIRECT_POST or MEDIA_UPLOAD)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from pytok_sm import _contract as contract
from pytok_sm.sandbox import Sandbox

from .test_posting_init import refused
from .test_posting_support import Poster, code_of, poster_fixture  # noqa: F401 - fixture

IMAGES = [f"https://media.example.com/photos/{n}.jpeg" for n in range(3)]


def photo_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "media_type": "PHOTO",
        "post_mode": "DIRECT_POST",
        "post_info": {"privacy_level": "SELF_ONLY", "title": "Three", "description": "photos"},
        "source_info": {"source": "PULL_FROM_URL", "photo_images": IMAGES, "photo_cover_index": 1},
    }
    body.update(changes)
    return body


class TestDirectPost:
    def test_a_photo_post_downloads_then_publishes(self, poster: Poster, sandbox: Sandbox) -> None:
        answer = poster.call(contract.CONTENT_INIT_PATH, photo_body())
        assert answer.status_code == 200 and code_of(answer) == "ok", answer.text
        publish_id = answer.json()["data"]["publish_id"]
        assert set(answer.json()["data"]) == {"publish_id"}
        assert re.fullmatch(r"p_pub_url~v2\.\d{19}", publish_id)
        first = poster.status_data(publish_id)
        assert first["status"] == "PROCESSING_DOWNLOAD" and "downloaded_bytes" in first
        sandbox.clock.advance(sandbox.switches.processing_seconds)
        done = poster.status_data(publish_id)
        assert done["status"] == "PUBLISH_COMPLETE" and done["publicaly_available_post_id"] == []  # SELF_ONLY
        post = sandbox.posts[-1]
        assert (post.kind, post.mode, post.photo_images, post.title) == ("photo", "direct", tuple(IMAGES), "Three")

    @pytest.mark.parametrize(
        ("changes", "label"),
        [
            ({"media_type": "VIDEO"}, "media type"),
            ({"media_type": None}, "media type"),
            ({"post_mode": "DIRECT POST"}, "post mode"),
            ({"source_info": {"source": "FILE_UPLOAD", "photo_images": IMAGES, "photo_cover_index": 0}}, "source"),
            ({"source_info": {"source": "PULL_FROM_URL", "photo_images": [], "photo_cover_index": 0}},
             "photo image list"),
            ({"source_info": {"source": "PULL_FROM_URL", "photo_images": IMAGES * 12, "photo_cover_index": 0}},
             "photo image list"),
            ({"source_info": {"source": "PULL_FROM_URL", "photo_images": [1], "photo_cover_index": 0}},
             "photo image list"),
            ({"source_info": {"source": "PULL_FROM_URL", "photo_images": IMAGES}}, "photo cover index"),
            ({"source_info": {"source": "PULL_FROM_URL", "photo_images": IMAGES, "photo_cover_index": 3}},
             "photo cover index"),
            ({"source_info": {"source": "PULL_FROM_URL", "photo_images": IMAGES, "photo_cover_index": -1}},
             "photo cover index"),
            ({"post_info": {"privacy_level": "SELF_ONLY", "title": "t" * 91}}, "title"),
            ({"post_info": {"privacy_level": "SELF_ONLY", "title": "😀" * 46}}, "title"),
            ({"post_info": {"privacy_level": "SELF_ONLY", "description": "d" * 4001}}, "description"),
            ({"post_info": {"privacy_level": "SELF_ONLY", "auto_add_music": "yes"}}, "auto add music"),
            ({"post_info": {"privacy_level": "SELF_ONLY", "disable_comment": 0}}, "disable comment"),
        ],
    )
    def test_bad_parameters(self, poster: Poster, changes: dict[str, Any], label: str) -> None:
        refused(poster.call(contract.CONTENT_INIT_PATH, photo_body(**changes)), 400, "invalid_params",
                f"The {label} is invalid")

    def test_the_limits_themselves_pass(self, poster: Poster, sandbox: Sandbox) -> None:
        sandbox.switches.posting_rate_limits = False
        images = [f"https://media.example.com/p/{n}.webp" for n in range(35)]
        body = photo_body(source_info={"source": "PULL_FROM_URL", "photo_images": images, "photo_cover_index": 34})
        assert poster.call(contract.CONTENT_INIT_PATH, body).status_code == 200
        info = {"privacy_level": "SELF_ONLY", "title": "😀" * 45, "description": "d" * 4000}
        assert poster.call(contract.CONTENT_INIT_PATH, photo_body(post_info=info)).status_code == 200

    def test_privacy_is_required_and_branded_content_is_public(self, poster: Poster) -> None:
        refused(poster.call(contract.CONTENT_INIT_PATH, photo_body(post_info={"title": "x"})), 403,
                "privacy_level_option_mismatch")
        branded = {"privacy_level": "SELF_ONLY", "brand_content_toggle": True}
        refused(poster.call(contract.CONTENT_INIT_PATH, photo_body(post_info=branded)), 400, "invalid_params")
        branded["privacy_level"] = "PUBLIC_TO_EVERYONE"
        assert poster.call(contract.CONTENT_INIT_PATH, photo_body(post_info=branded)).status_code == 200

    def test_every_image_must_be_verified(self, poster: Poster) -> None:
        images = [*IMAGES, "https://cdn.elsewhere.test/x.jpeg"]
        body = photo_body(source_info={"source": "PULL_FROM_URL", "photo_images": images, "photo_cover_index": 0})
        refused(poster.call(contract.CONTENT_INIT_PATH, body), 403, "url_ownership_unverified")

    def test_needs_video_publish_and_counts_to_the_daily_cap(self, poster: Poster, sandbox: Sandbox) -> None:
        token = sandbox.issue_tokens(["user.info.basic", "video.upload"])["access_token"]
        refused(poster.call(contract.CONTENT_INIT_PATH, photo_body(), token=token), 401, "scope_not_authorized")
        sandbox.switches.daily_post_cap = 1
        assert poster.call(contract.CONTENT_INIT_PATH, photo_body()).status_code == 200
        refused(poster.call(contract.CONTENT_INIT_PATH, photo_body()), 403, "spam_risk_too_many_posts")


class TestMediaUpload:
    def test_goes_to_the_inbox(self, poster: Poster, sandbox: Sandbox) -> None:
        token = sandbox.issue_tokens(["user.info.basic", "video.upload"])["access_token"]
        body = photo_body(post_mode="MEDIA_UPLOAD", post_info={"title": "draft"})  # no privacy needed
        answer = poster.call(contract.CONTENT_INIT_PATH, body, token=token)
        assert answer.status_code == 200, answer.text
        publish_id = answer.json()["data"]["publish_id"]
        assert re.fullmatch(r"p_inbox_url~v2\.\d{19}", publish_id)
        sandbox.clock.advance(sandbox.switches.processing_seconds)
        assert poster.status_data(publish_id)["status"] == "SEND_TO_USER_INBOX"

    def test_needs_video_upload(self, poster: Poster, sandbox: Sandbox) -> None:
        token = sandbox.issue_tokens(["user.info.basic", "video.publish"])["access_token"]
        body = photo_body(post_mode="MEDIA_UPLOAD")
        refused(poster.call(contract.CONTENT_INIT_PATH, body, token=token), 401, "scope_not_authorized")

    def test_an_old_tiktok_app_is_a_switch(self, poster: Poster, sandbox: Sandbox) -> None:
        sandbox.switches.photo_app_version_check = True
        refused(poster.call(contract.CONTENT_INIT_PATH, photo_body(post_mode="MEDIA_UPLOAD")), 400,
                "app_version_check_failed")
        assert poster.call(contract.CONTENT_INIT_PATH, photo_body()).status_code == 200  # DIRECT_POST unaffected

    def test_shares_the_pending_share_budget(self, poster: Poster, sandbox: Sandbox) -> None:
        sandbox.switches.posting_rate_limits = False
        sandbox.switches.pending_share_cap = 2
        assert poster.inbox({"source": "PULL_FROM_URL", "video_url": IMAGES[0]}).status_code == 200
        assert poster.call(contract.CONTENT_INIT_PATH, photo_body(post_mode="MEDIA_UPLOAD")).status_code == 200
        refused(poster.call(contract.CONTENT_INIT_PATH, photo_body(post_mode="MEDIA_UPLOAD")), 403,
                "spam_risk_too_many_pending_share")

    def test_six_per_minute(self, poster: Poster, sandbox: Sandbox) -> None:
        sandbox.switches.pending_share_cap = 100
        statuses = [poster.call(contract.CONTENT_INIT_PATH, photo_body(post_mode="MEDIA_UPLOAD")).status_code
                    for _ in range(7)]
        assert statuses == [200] * 6 + [429]
