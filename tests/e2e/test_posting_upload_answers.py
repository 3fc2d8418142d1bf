"""Every answer of the upload host handled as TikTok documents it, end to end: 403 (the URL
expired) and 404 (the upload is gone) start a new init, 416 resynchronises from the answer's
Content-Range, a 5xx sends the chunk again; an init whose answer was lost is never resent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

import pytok_sm
from pytok_sm.sandbox import Sandbox

from .posting_support import CHUNK, PHOTOS, SMALL, THREE_CHUNKS, URL, planned, poster, sha256, uploads, video

PLAN = planned(THREE_CHUNKS, CHUNK)


def after_first_chunk(action: Any) -> Any:
    """An ``on_progress`` that calls ``action(publish_id)`` once, as soon as chunk 1 is in."""
    done: list[str] = []

    def on_progress(progress: pytok_sm.PostProgress) -> None:
        if progress.state == "uploading" and progress.chunk == 1 and not done:
            assert progress.publish_id is not None
            done.append(progress.publish_id)
            action(progress.publish_id)

    return on_progress


def on_second_chunk(sb: Sandbox, kind: str, **params: Any) -> None:
    """Queue a fault for the second PUT (the first goes through untouched)."""
    sb.faults.add("upload", "delay", seconds=0)
    sb.faults.add("upload", kind, **params)


def post(runner: Any, path: Path, **options: Any) -> pytok_sm.PostResult:
    return runner("post_video", path, privacy_level="SELF_ONLY", chunk_size=CHUNK, **options)  # type: ignore[no-any-return]


def test_an_upload_url_expiring_mid_upload_gets_a_new_init(make_runner: Any, sandbox: Sandbox,
                                                           tmp_path: Path) -> None:
    runner = poster(make_runner, sandbox)
    path = video(tmp_path)
    result = post(runner, path, on_progress=after_first_chunk(lambda _: sandbox.clock.advance(3601)))
    first, second = sandbox.posts
    assert second.publish_id == result.publish_id != first.publish_id
    assert (first.status, first.ranges, first.processing_since) == ("PROCESSING_UPLOAD", PLAN[:1], None)
    assert (second.status, second.ranges, second.sha256) == ("PUBLISH_COMPLETE", PLAN, sha256(path))
    assert uploads(sandbox) == [206, 403, 206, 206, 201]
    assert sandbox.count("video_init") == 2 and sandbox.count("creator_info") == 1


def test_an_upload_the_host_no_longer_knows_gets_a_new_init(make_runner: Any, sandbox: Sandbox,
                                                            tmp_path: Path) -> None:
    runner = poster(make_runner, sandbox)
    path = video(tmp_path)
    on_second_chunk(sandbox, "api_error", code="upload_not_found", message="No such upload.", status=404)
    result = post(runner, path)
    first, second = sandbox.posts
    assert second.publish_id == result.publish_id and first.ranges == PLAN[:1]
    assert (second.ranges, second.sha256) == (PLAN, sha256(path))
    assert uploads(sandbox) == [206, 404, 206, 206, 201]


def test_an_upload_cancelled_elsewhere_answers_404_and_starts_again(make_runner: Any, sandbox: Sandbox,
                                                                     tmp_path: Path) -> None:
    runner = poster(make_runner, sandbox)
    path = video(tmp_path)

    def cancel_at_tiktok(publish_id: str) -> None:  # another program of the app cancels the post
        answer = httpx.post(sandbox.base_api_url + "post/publish/cancel/", json={"publish_id": publish_id},
                            headers={"Authorization": f"Bearer {runner.kit.current_access_token}"})
        assert answer.json()["error"]["code"] == "ok"

    result = post(runner, path, on_progress=after_first_chunk(cancel_at_tiktok))
    first, second = sandbox.posts
    assert (first.status, first.fail_reason) == ("FAILED", "publish_cancelled")
    assert second.publish_id == result.publish_id and (second.ranges, second.sha256) == (PLAN, sha256(path))
    assert uploads(sandbox) == [206, 404, 206, 206, 201]


@pytest.mark.parametrize("lost", [0, 2], ids=["first-chunk", "last-chunk"])
def test_a_lost_206_resynchronises_from_the_416s_content_range(make_runner: Any, sandbox: Sandbox,
                                                               tmp_path: Path, lost: int) -> None:
    """The host keeps the chunk but the answer is lost: the chunk is sent again, the 416 says
    what is held, and the upload goes on from there; every byte arrives once, in order."""
    runner = poster(make_runner, sandbox)
    path = video(tmp_path)
    for _ in range(lost):
        sandbox.faults.add("upload", "delay", seconds=0)
    sandbox.faults.add("upload", "connection_reset", process=True)
    result = post(runner, path)
    (done,) = sandbox.posts
    assert done.publish_id == result.publish_id and result.confirmed
    assert (done.ranges, done.sha256) == (PLAN, sha256(path))
    expected = [[None, 416, 206, 201], [206, 206, None, 416]][lost // 2]
    assert uploads(sandbox) == expected and sandbox.count("video_init") == 1


def test_a_416_without_content_range_starts_again_from_init(make_runner: Any, sandbox: Sandbox,
                                                            tmp_path: Path) -> None:
    runner = poster(make_runner, sandbox)
    sandbox.switches.upload_416_content_range = False
    path = video(tmp_path)
    sandbox.faults.add("upload", "connection_reset", process=True)
    result = post(runner, path)
    first, second = sandbox.posts
    assert first.ranges == PLAN[:1] and second.publish_id == result.publish_id
    assert (second.ranges, second.sha256) == (PLAN, sha256(path))
    assert uploads(sandbox) == [None, 416, 206, 206, 201]


@pytest.mark.parametrize(("status", "kept"), [(500, False), (502, False), (503, False), (502, True)])
def test_a_5xx_on_a_chunk_sends_that_chunk_again(make_runner: Any, sandbox: Sandbox, tmp_path: Path,
                                                 status: int, kept: bool) -> None:
    """A gateway error sends the chunk again; if the host had kept it after all, its 416 says so."""
    runner = poster(make_runner, sandbox)
    path = video(tmp_path)
    on_second_chunk(sandbox, "html_5xx", status=status, process=kept)
    post(runner, path)
    (done,) = sandbox.posts
    assert (done.ranges, done.sha256) == (PLAN, sha256(path))
    assert uploads(sandbox) == [206, status, 416 if kept else 206, 201] and sandbox.count("video_init") == 1


@pytest.mark.parametrize("how", ["file", "inbox", "url", "photos"])
@pytest.mark.parametrize("fault", ["connection_reset", "html_5xx"])
def test_an_init_whose_answer_was_lost_is_never_resent(make_runner: Any, sandbox: Sandbox, tmp_path: Path,
                                                       how: str, fault: str) -> None:
    runner = poster(make_runner, sandbox)
    endpoint = {"inbox": "inbox_video_init", "photos": "content_init"}.get(how, "video_init")
    sandbox.faults.add(endpoint, fault, process=True)  # TikTok made the post; its answer never came
    with pytest.raises(pytok_sm.PostOutcomeUnknown) as unknown:
        if how == "photos":
            runner("post_photos", PHOTOS, privacy_level="SELF_ONLY")
        elif how == "inbox":
            runner("post_video", video(tmp_path, SMALL), mode="inbox")
        else:
            runner("post_video", video(tmp_path, SMALL) if how == "file" else URL, privacy_level="SELF_ONLY")
    assert unknown.value.code == "outcome_unknown" and "check the creator's profile" in str(unknown.value)
    assert sandbox.count(endpoint) == 1 and len(sandbox.posts) == 1
    assert sandbox.count("upload") == 0 and sandbox.count("publish_status") == 0


def test_a_lost_201_then_an_expired_url_does_not_post_twice(make_runner: Any, sandbox: Sandbox,
                                                            tmp_path: Path) -> None:
    """The last chunk arrived but its 201 was lost, and the URL expired before the chunk went
    again: the 403 says the whole file is held, so the post is followed, not made again."""
    runner = poster(make_runner, sandbox)
    path = video(tmp_path)
    sandbox.faults.add("upload", "delay", seconds=0, times=2)
    sandbox.faults.add("upload", "connection_reset", process=True)

    def expire_once_complete(progress: pytok_sm.PostProgress) -> None:
        if progress.chunk == 2 and sandbox.posts[0].sha256 is not None and sandbox.clock.offset == 0:
            sandbox.clock.advance(3601)  # during the retry's backoff

    result = post(runner, path, on_progress=expire_once_complete)
    (done,) = sandbox.posts
    assert done.publish_id == result.publish_id and result.confirmed
    assert (done.ranges, done.sha256) == (PLAN, sha256(path))
    assert uploads(sandbox) == [206, 206, None, 403] and sandbox.count("video_init") == 1


def test_a_lost_201_then_a_404_saying_nothing_does_not_post_twice(make_runner: Any, sandbox: Sandbox,
                                                                  tmp_path: Path) -> None:
    """As above, but the upload host forgot the finished upload and its 404 says nothing of
    what it holds: the post may exist, so its status is followed instead of a second init."""
    runner = poster(make_runner, sandbox)
    path = video(tmp_path)
    sandbox.faults.add("upload", "delay", seconds=0, times=2)
    sandbox.faults.add("upload", "connection_reset", process=True)
    sandbox.faults.add("upload", "api_error", code="upload_not_found", message="No such upload.", status=404)
    result = post(runner, path)
    (done,) = sandbox.posts
    assert done.publish_id == result.publish_id and result.status == "PUBLISH_COMPLETE"
    assert uploads(sandbox) == [206, 206, None, 404] and sandbox.count("video_init") == 1


def test_a_5xx_on_the_last_chunk_then_an_expired_url_starts_again(make_runner: Any, sandbox: Sandbox,
                                                                  tmp_path: Path) -> None:
    """The other way round: the 403's Content-Range says the last chunk never arrived, so
    nothing can have been published and a new init is safe."""
    runner = poster(make_runner, sandbox)
    path = video(tmp_path)
    sandbox.faults.add("upload", "delay", seconds=0, times=2)
    sandbox.faults.add("upload", "html_5xx", status=502)

    def expire_after_the_5xx(progress: pytok_sm.PostProgress) -> None:
        if sandbox.count("upload") == 3 and sandbox.clock.offset == 0:
            sandbox.clock.advance(3601)  # during the retry's backoff

    result = post(runner, path, on_progress=expire_after_the_5xx)
    first, second = sandbox.posts
    assert (first.ranges, first.sha256) == (PLAN[:2], None)
    assert second.publish_id == result.publish_id and (second.ranges, second.sha256) == (PLAN, sha256(path))
    assert uploads(sandbox) == [206, 206, 502, 403, 206, 206, 201]
