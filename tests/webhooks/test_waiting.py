"""A kit waiting on a post board (``events=``): TikTok's processing ends on the webhook, not a
poll; with no webhook, TikTok is asked again every 30 s (a lost webhook costs time, never the
post); a retry's backoff stays short; a board that fails is waited out like a sleep. Both kits,
against a fake TikTok, on a fake clock (no real waiting)."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import httpx
import pytest

import pytok_sm
from pytok_sm import ConfigurationError, PostFailed, PublishStatus
from pytok_sm import _contract as contract
from pytok_sm import _post_policy as posting
from pytok_sm.flows import _post
from pytok_sm.stores import StoreUnavailable
from pytok_sm.testing import FakeClock, capture_transitions
from pytok_sm.webhooks import MemoryPostBoard

PID = "v_pub_url~v2.9"
URL = "https://media.example.com/clip.mp4"
CREATOR = {"creator_nickname": "Ann", "creator_username": "ann", "privacy_level_options": ["SELF_ONLY"],
           "comment_disabled": False, "duet_disabled": False, "stitch_disabled": False,
           "max_video_post_duration_sec": 600}
COMPLETE = PublishStatus(PID, "PUBLISH_COMPLETE")


class FakeTikTok:
    """The posting endpoints; status/fetch says processing (or what ``statuses`` holds next)."""

    def __init__(self, *statuses: int) -> None:
        self.polls = 0
        self.failing = list(statuses)  # HTTP statuses the next polls answer with

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == contract.CREATOR_INFO_PATH:
            return self._ok(CREATOR)
        if path == contract.VIDEO_INIT_PATH:
            return self._ok({"publish_id": PID})
        assert path == contract.STATUS_FETCH_PATH, path
        self.polls += 1
        if self.failing:
            return httpx.Response(self.failing.pop(0), json={"error": {"code": "internal_error", "message": ""}})
        return self._ok({"status": "PROCESSING_DOWNLOAD", "downloaded_bytes": 10})

    async def handle_async(self, request: httpx.Request) -> httpx.Response:
        return self(request)

    @staticmethod
    def _ok(data: dict[str, Any]) -> httpx.Response:
        return httpx.Response(200, content=json.dumps({"data": data, "error": {"code": "ok", "message": ""}}))


class ScriptedBoard(MemoryPostBoard):
    """A board whose waits take no real time: each moves the fake clock by what was asked and
    returns the next scripted answer (a status, None: nothing came, or an error to raise)."""

    def __init__(self, clock: FakeClock, *answers: Any) -> None:
        super().__init__()
        self.clock, self.answers, self.asked = clock, list(answers), []

    def wait(self, client_key: str, publish_id: str, seconds: float) -> PublishStatus | None:
        assert (client_key, publish_id) == ("aw_key", PID)
        self.asked.append(round(seconds, 2))
        answer = self.answers.pop(0) if self.answers else None
        if isinstance(answer, Exception):
            raise answer
        self.clock.advance(seconds)
        return answer  # type: ignore[no-any-return]

    async def wait_async(self, client_key: str, publish_id: str, seconds: float) -> PublishStatus | None:
        return self.wait(client_key, publish_id, seconds)


def kit(kind: str, fake: FakeTikTok, clock: FakeClock) -> Any:
    options: dict[str, Any] = {"token": {"access_token": "act.x", "expires_in": 10**9, "open_id": "u1",
                                         "scope": "video.publish"}, "clock": clock,
                               "retry": pytok_sm.RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_cap=0.02)}
    if kind == "sync":
        return pytok_sm.LoginKit("aw_key", "s", transport=httpx.MockTransport(fake), **options)
    return pytok_sm.AsyncLoginKit("aw_key", "s", transport=httpx.MockTransport(fake.handle_async), **options)


def call(kind: str, made: Any, method: str, *args: Any, **kwargs: Any) -> Any:
    result = getattr(made, method)(*args, **kwargs)
    return asyncio.run(result) if kind == "async" else result


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_the_post_ends_on_its_webhook_after_the_first_poll(kind: str) -> None:
    clock, fake = FakeClock(), FakeTikTok()
    board = ScriptedBoard(clock, COMPLETE)
    with capture_transitions() as seen:
        result = call(kind, kit(kind, fake, clock), "post_video", URL, privacy_level="SELF_ONLY", events=board)
    assert (result.status, fake.polls, board.asked) == ("PUBLISH_COMPLETE", 1, [30.0])
    last = seen[-1]
    assert (last["trigger"], last["source"], last["dest"], last["via"]) == ("published", "processing", "published",
                                                                             "webhook")


def test_a_failure_told_by_webhook_raises_post_failed_and_publish_status_returns_it(kind: str) -> None:
    clock, fake = FakeClock(), FakeTikTok()
    failed = PublishStatus(PID, "FAILED", fail_reason="file_format_check_failed")
    made = kit(kind, fake, clock)
    with pytest.raises(PostFailed, match="file_format_check_failed"):
        call(kind, made, "post_video", URL, privacy_level="SELF_ONLY", events=ScriptedBoard(clock, failed))
    status = call(kind, made, "publish_status", PID, wait=True, events=ScriptedBoard(clock, None, failed))
    assert (status.status, status.fail_reason, fake.polls) == ("FAILED", "file_format_check_failed", 1 + 2)


def test_without_a_webhook_tiktok_is_asked_every_30_s_until_the_wait_ends(kind: str) -> None:
    clock, fake = FakeClock(), FakeTikTok()
    board = ScriptedBoard(clock)  # nothing ever comes
    result = call(kind, kit(kind, fake, clock), "post_video", URL, privacy_level="SELF_ONLY", timeout=100,
                  events=board)
    assert result.status == "UNCONFIRMED" and not result.confirmed
    assert board.asked == [30.0, 30.0, 30.0, 10.0] and fake.polls == 5  # the last wait stops at the deadline


def test_a_retry_backoff_stays_short_and_is_still_ended_by_the_webhook(kind: str) -> None:
    clock, fake = FakeClock(), FakeTikTok(500)
    board = ScriptedBoard(clock, None, COMPLETE)
    result = call(kind, kit(kind, fake, clock), "post_video", URL, privacy_level="SELF_ONLY", events=board)
    assert result.status == "PUBLISH_COMPLETE"
    assert board.asked[0] == _post.FIRST_POLL and board.asked[1] == 30.0 and fake.polls == 2


def test_a_failing_board_is_waited_out_like_a_sleep(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_post, "FIRST_POLL", 0.01)  # the sleep it falls back on, for real
    clock, fake = FakeClock(), FakeTikTok()
    board = ScriptedBoard(clock, StoreUnavailable("test board", "is down", "later"), COMPLETE)
    with capture_transitions(all_events=True) as seen:
        result = call(kind, kit(kind, fake, clock), "post_video", URL, privacy_level="SELF_ONLY", events=board)
    assert result.status == "PUBLISH_COMPLETE" and fake.polls == 2
    assert [e["error"] for e in seen if e["event"] == "post_board_unavailable"] == ["StoreUnavailable"]


def test_without_waiting_the_board_is_not_used_and_a_wrong_board_is_refused(kind: str) -> None:
    clock, fake = FakeClock(), FakeTikTok()
    board = ScriptedBoard(clock, COMPLETE)
    made = kit(kind, fake, clock)
    result = call(kind, made, "post_video", URL, privacy_level="SELF_ONLY", wait=False, events=board)
    assert (result.status, board.asked, fake.polls) == ("PROCESSING_DOWNLOAD", [], 0)
    assert call(kind, made, "publish_status", PID, events=board).status == "PROCESSING_DOWNLOAD"
    assert board.asked == []
    with pytest.raises(ConfigurationError, match="events"):
        call(kind, made, "post_video", URL, privacy_level="SELF_ONLY", events=object())


def test_a_snapshot_resumed_with_a_board_ends_on_the_webhook(kind: str) -> None:
    clock, fake = FakeClock(), FakeTikTok()
    made = kit(kind, fake, clock)
    flow = call(kind, made, "prepare_post_video", URL, privacy_level="SELF_ONLY")
    call(kind, made, "run_post", flow, wait=False)
    board = MemoryPostBoard()
    board.record("aw_key", PID, COMPLETE)  # the webhook came while nobody waited
    result = call(kind, made, "resume_post", flow.snapshot(), events=board)
    assert result.status == "PUBLISH_COMPLETE" and fake.polls == 1


def test_a_real_memory_board_wakes_the_waiting_kit_from_another_thread() -> None:
    clock, fake = FakeClock(), FakeTikTok()
    board = MemoryPostBoard()
    threading.Timer(0.2, board.record, ("aw_key", PID, COMPLETE)).start()
    result = kit("sync", fake, clock).post_video(URL, privacy_level="SELF_ONLY", events=board)
    assert result.status == "PUBLISH_COMPLETE" and fake.polls == 1
    assert posting.EVENT_FALLBACK == 30.0
