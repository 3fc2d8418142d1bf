"""Posting end to end, the ways that work: a chunked Direct Post, the inbox, a URL pull,
photos, not waiting, reading the status, cancelling an upload (sync and async kits)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import pytok_sm
from pytok_sm.sandbox import Sandbox

from .posting_support import CHUNK, PHOTOS, THREE_CHUNKS, URL, endpoints, planned, poster, sha256, uploads, video


def test_a_chunked_direct_post_arrives_whole_and_in_order(make_runner: Any, sandbox: Sandbox, tmp_path: Path) -> None:
    runner = poster(make_runner, sandbox)
    path = video(tmp_path)
    seen: list[pytok_sm.PostProgress] = []
    result = runner("post_video", path, privacy_level="SELF_ONLY", title="three chunks #e2e", chunk_size=CHUNK,
                    on_progress=seen.append)
    assert result.status == "PUBLISH_COMPLETE" and result.confirmed
    assert (result.media, result.mode) == ("video", "direct")
    (post,) = sandbox.posts
    assert post.publish_id == result.publish_id and post.status == "PUBLISH_COMPLETE"
    assert post.ranges == planned(THREE_CHUNKS, CHUNK) and post.sha256 == sha256(path)
    assert post.title == "three chunks #e2e" and post.privacy_level == "SELF_ONLY"
    assert uploads(sandbox) == [206, 206, 201]
    assert endpoints(sandbox) == ["creator_info", "video_init", "upload", "upload", "upload", "publish_status"]
    assert [p.chunk for p in seen if p.state == "uploading"][:2] == [1, 2]
    assert seen[-1].bytes_sent == THREE_CHUNKS


def test_an_upload_to_the_inbox_ends_sent_to_the_inbox(make_runner: Any, sandbox: Sandbox, tmp_path: Path) -> None:
    runner = poster(make_runner, sandbox)
    path = video(tmp_path, 2 * CHUNK + 5)
    result = runner("post_video", path, mode="inbox", chunk_size=CHUNK)
    assert (result.status, result.mode) == ("SEND_TO_USER_INBOX", "inbox")
    (post,) = sandbox.posts
    assert (post.mode, post.privacy_level, post.sha256) == ("inbox", None, sha256(path))
    assert sandbox.count("creator_info") == 0 and sandbox.count("inbox_video_init") == 1


@pytest.mark.parametrize("mode", ["direct", "inbox"])
def test_a_video_pulled_from_a_url(make_runner: Any, sandbox: Sandbox, mode: str) -> None:
    runner = poster(make_runner, sandbox)
    privacy = {"privacy_level": "SELF_ONLY"} if mode == "direct" else {}
    result = runner("post_video", URL, mode=mode, **privacy)
    assert result.status == ("PUBLISH_COMPLETE" if mode == "direct" else "SEND_TO_USER_INBOX")
    (post,) = sandbox.posts
    assert (post.source, post.video_url, post.mode) == ("PULL_FROM_URL", URL, mode)
    assert sandbox.count("upload") == 0


@pytest.mark.parametrize("mode", ["direct", "inbox"])
def test_photos(make_runner: Any, sandbox: Sandbox, mode: str) -> None:
    runner = poster(make_runner, sandbox)
    privacy = {"privacy_level": "SELF_ONLY", "title": "two photos"} if mode == "direct" else {}
    result = runner("post_photos", PHOTOS, cover_index=1, mode=mode, **privacy)
    assert (result.media, result.mode) == ("photo", mode)
    assert result.status == ("PUBLISH_COMPLETE" if mode == "direct" else "SEND_TO_USER_INBOX")
    (post,) = sandbox.posts
    assert (post.kind, post.photo_images) == ("photo", tuple(PHOTOS))
    assert sandbox.count("content_init") == 1 and sandbox.count("creator_info") == (mode == "direct")


def test_without_waiting_then_reading_the_status(make_runner: Any, sandbox: Sandbox, tmp_path: Path) -> None:
    runner = poster(make_runner, sandbox, processing=60)
    path = video(tmp_path, 2 * CHUNK)
    result = runner("post_video", path, privacy_level="SELF_ONLY", chunk_size=CHUNK, wait=False)
    assert result.status == "PROCESSING_UPLOAD" and not result.confirmed
    assert uploads(sandbox) == [206, 201] and sandbox.posts[0].status == "PROCESSING_UPLOAD"
    now = runner("publish_status", result.publish_id)
    assert (now.status, now.uploaded_bytes, now.terminal) == ("PROCESSING_UPLOAD", 2 * CHUNK, False)
    sandbox.clock.advance(60)  # processing is over by the next poll (the status test spaces polls for real)
    done = runner("publish_status", result.publish_id, wait=True, timeout=30)
    assert (done.status, done.terminal, done.failed) == ("PUBLISH_COMPLETE", True, False)
    assert sandbox.posts[0].sha256 == sha256(path)


def test_a_failed_post_is_a_status_for_publish_status(make_runner: Any, sandbox: Sandbox) -> None:
    runner = poster(make_runner, sandbox)
    sandbox.switches.post_outcome, sandbox.switches.post_fail_reason = "fail", "frame_rate_check_failed"
    with pytest.raises(pytok_sm.PostFailed) as failed:
        runner("post_video", URL, privacy_level="SELF_ONLY")
    status = runner("publish_status", failed.value.publish_id, wait=True)
    assert (status.status, status.fail_reason, status.failed) == ("FAILED", "frame_rate_check_failed", True)


def test_cancel_post_while_uploading(make_runner: Any, sandbox: Sandbox, tmp_path: Path) -> None:
    """The upload stops after its first chunk (the caller's code raised); the post is cancelled
    at TikTok: it reads FAILED/publish_cancelled and its upload URL is gone."""
    runner = poster(make_runner, sandbox)
    flow = runner("prepare_post_video", video(tmp_path), privacy_level="SELF_ONLY", chunk_size=CHUNK)

    class Stop(Exception):
        pass

    def stop_after_one_chunk(progress: pytok_sm.PostProgress) -> None:
        if progress.chunk == 1:
            raise Stop

    with pytest.raises(Stop):
        runner("run_post", flow, on_progress=stop_after_one_chunk)
    assert flow.state == "uploading" and flow.publish_id is not None
    runner("cancel_post", flow.publish_id)
    (post,) = sandbox.posts
    assert (post.status, post.fail_reason, post.ranges) == ("FAILED", "publish_cancelled", planned(THREE_CHUNKS,
                                                                                                    CHUNK)[:1])
    status = runner("publish_status", flow.publish_id)
    assert (status.status, status.fail_reason) == ("FAILED", "publish_cancelled")
    with pytest.raises(pytok_sm.PostingError) as refused:
        runner("cancel_post", flow.publish_id)
    assert refused.value.code == "publish_not_cancellable"


def test_status_and_cancel_of_posts_they_cannot_act_on(make_runner: Any, sandbox: Sandbox) -> None:
    runner = poster(make_runner, sandbox, processing=60)
    with pytest.raises(pytok_sm.PostingError) as unknown:
        runner("publish_status", "v_pub_file~v2-1.7000000000000000001")
    assert unknown.value.code == "invalid_publish_id"
    result = runner("post_video", URL, privacy_level="SELF_ONLY", wait=False)
    assert result.status == "PROCESSING_DOWNLOAD"
    runner("cancel_post", result.publish_id)  # a pull may be cancelled while it downloads
    assert (sandbox.posts[0].status, sandbox.posts[0].fail_reason) == ("FAILED", "publish_cancelled")
