"""The posting scenarios (``cassettes/post_video/``): a video posted through the real kit,
recorded against the emulator and replayed from the cassette, like the login scenarios
(:mod:`tests.replay.scenarios`, whose worlds they run in).

Each scenario posts a video file the world writes (:mod:`tests.replay.media`: the same bytes
in every run, so the digests a replay computes are the recorded ones). Processing takes no
time (``processing_seconds=0``), so the first status answer is the last and replay never
waits. What each scenario stages, the emulator stages for real: the upload URL's hour passes
on its clock, the daily cap is used up by an earlier post (made unrecorded), processing
fails by its ``post_outcome`` switch. Only the emulator can stage them (no ``person``).

Example:
    >>> [s.name for s in POSTING_SCENARIOS][:2]
    ['post_video/direct', 'post_video/inbox']
    >>> VIDEOS["post_video/multi_chunk"].chunks
    3
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pytok_sm import _contract as contract
from pytok_sm._posting_errors import PostFailed, PostingSpamRisk
from pytok_sm._posting_values import PostProgress, PostResult

from .scenarios import Outcome, Scenario, World

__all__ = ["POSTING_SCENARIOS", "POSTING_SCOPES", "VIDEOS", "PostCase"]

POSTING_SCOPES = (contract.SCOPE_USER_INFO_BASIC, contract.SCOPE_VIDEO_PUBLISH, contract.SCOPE_VIDEO_UPLOAD)
#: Chunks of a multi-chunk upload: TikTok's smallest (5 MiB, both readings of "MB").
CHUNK = contract.CHUNK_MIN_BYTES
SMALL = 256 * 1024
FAIL_REASON = "frame_rate_check_failed"


@dataclass(frozen=True)
class PostCase:
    """The video a scenario posts and how (the same arguments for both kits)."""

    size: int
    mode: str = "direct"
    chunk_size: int | None = None
    privacy_level: str | None = contract.PRIVACY_PUBLIC
    title: str | None = "pytok_sm cassette"

    @property
    def chunks(self) -> int:
        return 1 if self.chunk_size is None else self.size // self.chunk_size

    def arguments(self) -> dict[str, Any]:
        """Keywords of ``post_video`` (either kit) besides the file."""
        if self.mode == "inbox":
            return {"mode": "inbox", "chunk_size": self.chunk_size}
        return {"mode": "direct", "chunk_size": self.chunk_size, "privacy_level": self.privacy_level,
                "title": self.title}


VIDEOS: dict[str, PostCase] = {
    "post_video/direct": PostCase(SMALL),
    "post_video/inbox": PostCase(SMALL, mode="inbox", privacy_level=None, title=None),
    "post_video/multi_chunk": PostCase(16_000_000, chunk_size=CHUNK, privacy_level=contract.PRIVACY_SELF_ONLY),
    "post_video/upload_url_expired": PostCase(10_600_000, chunk_size=CHUNK),
    "post_video/spam_cap": PostCase(SMALL),
    "post_video/failed": PostCase(SMALL),
}


def _post(world: World, name: str, **extra: Any) -> PostResult:
    case = VIDEOS[name]
    world.switch("processing_seconds", 0)  # the first status answer is the last: replay never waits
    path = world.video(case.size)
    kit = world.kit(token=world.tokens(POSTING_SCOPES))
    return kit.post_video(path, **case.arguments(), **extra)


def _expire_after_first_chunk(world: World) -> Callable[[PostProgress], None]:
    """``on_progress``: once the first chunk is in, the upload URL's hour passes (on the
    emulator's clock; the flow's own clock says the URL still lives, so it sends chunk 2)."""
    done: list[str | None] = []

    def on_progress(progress: PostProgress) -> None:
        if progress.state == "uploading" and progress.chunk == 1 and not done:
            done.append(progress.publish_id)
            world.advance(contract.UPLOAD_URL_LIFETIME + 1)

    return on_progress


def _post_after_an_earlier_post(world: World) -> PostResult:
    world.switch("daily_post_cap", 1)
    world.unrecorded(lambda w: _post(w, "post_video/spam_cap", wait=False))  # today's one post
    return _post(world, "post_video/spam_cap")


def _failing(world: World) -> PostResult:
    world.switch("post_outcome", "fail")
    world.switch("post_fail_reason", FAIL_REASON)
    return _post(world, "post_video/failed")


# ---------------------------------------------------------------------------- expectations
_DIRECT_START = ["post_video.start_check->checking_creator", "post_video.creator_ok->initialising",
                 "post_video.initialised->uploading"]


def _published(o: Outcome, chunks: int, *, post_ids: int) -> PostResult:
    result = o.value
    assert o.error is None and isinstance(result, PostResult), repr(o.error)
    assert (result.status, result.mode, result.media) == (contract.STATUS_PUBLISH_COMPLETE, "direct", "video")
    assert result.publish_id.startswith("v_pub_file~v2-1.") and len(result.post_ids) == post_ids
    accepted = ["post_video.chunk_accepted->uploading"] * (chunks - 1)
    assert o.path[-chunks - 1:] == [*accepted, "post_video.uploaded->processing", "post_video.published->published"]
    assert o.event("initialised")["chunks"] == chunks
    return result


def _expect_direct(o: Outcome) -> None:
    _published(o, 1, post_ids=1)
    assert o.path[:3] == _DIRECT_START and len(o.path) == 5


def _expect_inbox(o: Outcome) -> None:
    result = o.value
    assert o.error is None and isinstance(result, PostResult), repr(o.error)
    assert (result.status, result.mode, result.post_ids) == (contract.STATUS_SEND_TO_USER_INBOX, "inbox", ())
    assert result.publish_id.startswith("v_inbox_file~v2.")
    assert o.path == ["post_video.start_init->initialising", "post_video.initialised->uploading",
                      "post_video.uploaded->processing", "post_video.delivered_to_inbox->sent_to_inbox"]


def _expect_multi_chunk(o: Outcome) -> None:
    _published(o, 3, post_ids=0)  # SELF_ONLY: no public post id
    assert o.path[:3] == _DIRECT_START and len(o.path) == 7
    assert [e["chunk"] for e in o.events if e["trigger"] == "chunk_accepted"] == [1, 2]


def _expect_upload_url_expired(o: Outcome) -> None:
    result = _published(o, 2, post_ids=1)
    assert o.path == [*_DIRECT_START, "post_video.chunk_accepted->uploading",
                      "post_video.upload_expired->initialising", "post_video.initialised->uploading",
                      "post_video.chunk_accepted->uploading", "post_video.uploaded->processing",
                      "post_video.published->published"]
    expired = o.event("upload_expired")
    assert expired["reason"] == "the upload URL expired" and expired["abandoned"] != result.publish_id


def _expect_spam_cap(o: Outcome) -> None:
    assert isinstance(o.error, PostingSpamRisk) and o.error.code == contract.API_SPAM_RISK_TOO_MANY_POSTS
    assert o.error.http_status == 200  # creator_info says "cannot post now" with HTTP 200
    assert o.path == ["post_video.start_check->checking_creator", "post_video.block->blocked"]


def _expect_failed(o: Outcome) -> None:
    assert isinstance(o.error, PostFailed), repr(o.error)
    assert (o.error.fail_reason, o.error.retryable) == (FAIL_REASON, False)
    assert o.path == [*_DIRECT_START, "post_video.uploaded->processing", "post_video.post_failed->failed"]


POSTING_SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "post_video/direct",
        "Direct Post of a 256 KiB video: creator_info, init, one chunk, status PUBLISH_COMPLETE",
        lambda w: _post(w, "post_video/direct"),
        _expect_direct,
    ),
    Scenario(
        "post_video/inbox",
        "upload to the inbox: init, one chunk, status SEND_TO_USER_INBOX",
        lambda w: _post(w, "post_video/inbox"),
        _expect_inbox,
    ),
    Scenario(
        "post_video/multi_chunk",
        "a 16 MB video in three chunks (5 MiB, 5 MiB, the rest), each PUT matched by Content-Range and digest",
        lambda w: _post(w, "post_video/multi_chunk"),
        _expect_multi_chunk,
    ),
    Scenario(
        "post_video/upload_url_expired",
        "the upload URL's hour passes after chunk 1: 403, a new init, the upload again, published",
        lambda w: _post(w, "post_video/upload_url_expired", on_progress=_expire_after_first_chunk(w)),
        _expect_upload_url_expired,
    ),
    Scenario(
        "post_video/spam_cap",
        "the creator's daily cap is reached: creator_info answers 200 spam_risk_too_many_posts, nothing else sent",
        _post_after_an_earlier_post,
        _expect_spam_cap,
    ),
    Scenario(
        "post_video/failed",
        f"processing ends FAILED ({FAIL_REASON}): PostFailed, not retryable",
        _failing,
        _expect_failed,
    ),
)
