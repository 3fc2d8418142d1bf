"""The Display API's videos on the wire (requests, hostile answers) and the pager flow's own
rules: its rate window, and its snapshots between pages."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pytok_sm import _contract as contract
from pytok_sm import _errors as errors
from pytok_sm import _video_wire as wire
from pytok_sm._config import Config
from pytok_sm._http import Response
from pytok_sm.flows import RenewToken, Send, Sleep, Slept, TokenRenewed, VideoListFlow, VideoQueryFlow
from pytok_sm.testing import FakeClock

CONFIG = Config("aw_key", "aw_secret")
NOW = 1_700_000_000_000


def envelope(data: Any, code: str = "ok", status: int = 200, **headers: str) -> Response:
    body = {"data": data, "error": {"code": code, "message": "", "log_id": "L1"}}
    return Response(status, {"content-type": "application/json", **headers}, json.dumps(body).encode())


def listing(videos: Any = (), cursor: Any = NOW, has_more: Any = True, **extra: Any) -> Response:
    data = {"videos": list(videos) if isinstance(videos, tuple) else videos, "cursor": cursor, "has_more": has_more}
    data.update(extra)
    return envelope({k: v for k, v in data.items() if v is not ...})


# ---------------------------------------------------------------- requests
def test_the_list_request_is_a_json_post_with_the_fields_in_the_query() -> None:
    request = wire.video_list_request(CONFIG, "act.x", ["id", "title"], cursor=None, max_count=20)
    assert (request.method, request.url) == ("POST", "https://open.tiktokapis.com/v2/video/list/")
    assert dict(request.params) == {"fields": "id,title"}
    assert request.json == {"max_count": 20}
    assert request.headers["Authorization"] == "Bearer act.x"
    assert request.headers["Content-Type"].startswith("application/json")
    assert wire.video_list_request(CONFIG, "act.x", "id", cursor=NOW, max_count=5).json == {"max_count": 5,
                                                                                            "cursor": NOW}


def test_the_query_request_filters_by_ids() -> None:
    request = wire.video_query_request(CONFIG, "act.x", ["7", 8, "7"], ["id"])
    assert request.url == "https://open.tiktokapis.com/v2/video/query/"
    assert request.json == {"filters": {"video_ids": ["7", "8"]}}
    assert dict(request.params) == {"fields": "id"}


def test_every_documented_field_is_accepted_and_the_default_is_among_them() -> None:
    assert wire.check_fields(contract.VIDEO_FIELDS) == contract.VIDEO_FIELDS
    assert set(wire.DEFAULT_VIDEO_FIELDS) <= set(contract.VIDEO_FIELDS)
    assert wire.check_fields(" id , title,id") == ("id", "title")


@pytest.mark.parametrize(("fields", "words"), [
    ("id,titel", "did you mean 'title'"), (["id", "fps"], "unknown video field 'fps'"), ("", "at least one"),
    ([], "at least one"), ([1], "unknown video field 1"), (b"id", "list of names"),
])
def test_unknown_fields_are_refused_before_anything_is_sent(fields: Any, words: str) -> None:
    with pytest.raises(errors.ConfigurationError, match=words) as caught:
        wire.check_fields(fields)
    assert caught.value.field == "fields"


@pytest.mark.parametrize("count", [0, 21, -1, True, "20", 2.0, None])
def test_max_count_is_1_to_20(count: Any) -> None:
    with pytest.raises(errors.ConfigurationError, match="max_count"):
        wire.check_max_count(count)


@pytest.mark.parametrize("cursor", [-1, True, 1.5, "1700000000000", 2**63])
def test_a_cursor_is_a_whole_number_of_milliseconds(cursor: Any) -> None:
    with pytest.raises(errors.ConfigurationError, match="cursor"):
        wire.check_cursor(cursor)


@pytest.mark.parametrize(("ids", "words"), [
    ([str(n) for n in range(21)], "1..20 video ids, got 21"), ([], "got 0"), ("7077642457847991554", "not a single"),
    (7077642457847991554, "not a single"), (["a b"], "video id such as"), ([""], "video id such as"),
    ([True], "video id such as"), (["x" * 65], "video id such as"),
])
def test_a_query_takes_1_to_20_ids(ids: Any, words: str) -> None:
    with pytest.raises(errors.ConfigurationError, match=words):
        wire.check_video_ids(ids)
    with pytest.raises(errors.ConfigurationError, match="video_ids"):
        VideoQueryFlow(CONFIG, access_token="act.x", video_ids=ids)


def test_twenty_ids_with_repeats_are_fine() -> None:
    ids = [str(n) for n in range(20)]
    assert wire.check_video_ids(ids + ids[:5]) == tuple(ids)


# ---------------------------------------------------------------- answers
def test_a_page_is_read() -> None:
    page = wire.parse_video_list(listing([{"id": "9", "title": "a"}, {"id": 8}]), max_count=20, cursor=None)
    assert page.videos == [{"id": "9", "title": "a"}, {"id": "8"}]  # an id sent as a number becomes TikTok's string
    assert (page.cursor, page.has_more) == (NOW, True)


def test_an_omitted_has_more_and_videos_end_the_walk() -> None:
    page = wire.parse_video_list(envelope({"cursor": 0}), max_count=20, cursor=NOW)
    assert (page.videos, page.has_more) == ([], False)
    assert wire.parse_video_list(envelope(None), max_count=20, cursor=None).has_more is False


@pytest.mark.parametrize(("answer", "words"), [
    (listing({"id": "9"}), "videos is not a list"),
    (listing("videos"), "videos is not a list"),
    (listing(["9"]), "not an object"),
    (listing([{"id": ["9"]}]), "id is not a string"),
    (listing([{"id": str(n)} for n in range(3)]), "3 videos, more than the 2"),
    (listing(cursor="1699999999000"), "cursor is not a whole number"),
    (listing(cursor=1.5), "cursor is not a whole number"),
    (listing(cursor=True), "cursor is not a whole number"),
    (listing(cursor=-1), "cursor is not a whole number"),
    (listing(has_more="true"), "has_more is not true or false"),
    (listing(has_more=1), "has_more is not true or false"),
    (listing(cursor=None), "has_more but gives no cursor"),
    (listing(cursor=NOW + 1000), "does not move back in time"),
    (listing(cursor=NOW + 5000), "does not move back in time"),
])
def test_hostile_pages_are_refused(answer: Response, words: str) -> None:
    with pytest.raises(errors.ProtocolError, match=words):
        wire.parse_video_list(answer, max_count=2, cursor=NOW + 1000)


def test_a_huge_answer_is_refused_unread() -> None:
    videos = [{"id": str(n), "title": "x" * 1000} for n in range(1100)]
    with pytest.raises(errors.ProtocolError):
        wire.parse_video_list(listing(videos), max_count=20, cursor=None)


@pytest.mark.parametrize(("answer", "error"), [
    (envelope({}, "scope_not_authorized", 401), errors.ScopeError),
    (envelope({}, "access_token_invalid", 401), errors.AccessTokenInvalid),
    (envelope({}, "rate_limit_exceeded", 429, **{"retry-after": "3"}), errors.RateLimited),
    (envelope({}, "invalid_params", 400), errors.ApiError),
    (Response(502, {"content-type": "text/html"}, b"<html>bad gateway</html>"), errors.ProtocolError),
])
def test_errors_come_from_the_envelope(answer: Response, error: type[Exception]) -> None:
    with pytest.raises(error):
        wire.parse_video_list(answer, max_count=20, cursor=None)
    with pytest.raises(error):
        wire.parse_video_query(answer, video_ids=["7"])


def test_a_query_answer_holds_only_videos_that_were_asked_for() -> None:
    assert wire.parse_video_query(envelope({"videos": [{"id": 7}]}), video_ids=["7", "8"]) == [{"id": "7"}]
    with pytest.raises(errors.ProtocolError, match="not asked for"):
        wire.parse_video_query(envelope({"videos": [{"id": "9"}]}), video_ids=["7"])
    with pytest.raises(errors.ProtocolError, match="more than the 1"):
        wire.parse_video_query(envelope({"videos": [{"title": "a"}, {"title": "b"}]}), video_ids=["7"])


# ---------------------------------------------------------------- the pager flow: its window
def walker(clock: FakeClock, **options: Any) -> VideoListFlow:
    settings = {"access_token": "act.1", "fields": ["id"], "max_count": 2, "rate_limit": 3, "rate_window": 10.0}
    settings.update(options)
    return VideoListFlow(CONFIG, clock=clock, **settings)


def page_of(n: int) -> Response:
    return listing([{"id": str(n)}], cursor=NOW - n * 1000, has_more=True)


@pytest.mark.parametrize(("limit", "window"), [(0, 1.0), (3001, 1.0), (True, 1.0), (3, 0.0), (3, 3601), (3, "1")])
def test_the_window_is_checked_when_the_flow_is_made(limit: Any, window: Any) -> None:
    with pytest.raises(errors.ConfigurationError, match="rate_"):
        walker(FakeClock(), rate_limit=limit, rate_window=window)


def test_no_more_than_the_limit_is_sent_within_the_window() -> None:
    clock = FakeClock()
    flow = walker(clock)
    effect = flow.start()
    sent = []
    for n in range(1, 8):
        while not isinstance(effect, Send):
            assert isinstance(effect, Sleep)
            clock.advance(effect.seconds)
            effect = flow.send(Slept())
        sent.append(clock())
        clock.advance(0.5)  # the answer takes half a second
        effect = flow.send(page_of(n))
        clock.advance(0.1)  # the caller reads the page
        effect = flow.send(Slept())
    assert all(sent[i + 3] - sent[i] >= 10.0 for i in range(len(sent) - 3)), sent
    assert sent[3] - sent[0] < 10.6  # ... and not much more: the window counts from each answer


def test_the_window_counts_a_request_from_its_answer() -> None:
    clock = FakeClock()
    flow = walker(clock)
    flow.start()
    clock.advance(4.0)  # a slow answer: TikTok may have counted it at any time until now
    flow.send(page_of(1))
    assert flow.sent == [clock()]


def test_a_429_is_retried_after_its_retry_after() -> None:
    flow = walker(FakeClock())
    flow.start()
    effect = flow.send(envelope({}, "rate_limit_exceeded", 429, **{"retry-after": "2"}))
    assert isinstance(effect, Sleep) and effect.seconds == 2.0
    assert isinstance(flow.send(Slept()), Send)


# ---------------------------------------------------------------- the pager flow: snapshots
def test_a_snapshot_between_pages_resumes_at_the_cursor_without_token_or_videos() -> None:
    clock = FakeClock()
    flow = walker(clock)
    flow.start()
    flow.send(page_of(1))
    snapshot = flow.snapshot()
    text = json.dumps(snapshot)
    assert "act.1" not in text and '"id"' not in text.replace('"fields": ["id"]', "")
    resumed = VideoListFlow.resume(snapshot, CONFIG, clock=clock)
    assert (resumed.state, resumed.cursor, resumed.pages, resumed.access_token) == ("page_ready", NOW - 1000, 1, None)
    assert isinstance(resumed.send(Slept()), RenewToken)  # the kit hands it a fresh token
    effect = resumed.send(TokenRenewed("act.2"))
    assert isinstance(effect, Send)
    assert effect.request.json == {"max_count": 2, "cursor": NOW - 1000}
    assert effect.request.headers["Authorization"] == "Bearer act.2"


def test_a_snapshot_keeps_the_window() -> None:
    clock = FakeClock()
    flow = walker(clock, rate_limit=1)
    flow.start()
    flow.send(page_of(1))
    resumed = VideoListFlow.resume(flow.snapshot(), CONFIG, clock=clock)
    resumed.access_token = "act.2"
    effect = resumed.send(Slept())
    assert resumed.state == "throttled" and isinstance(effect, Sleep) and effect.seconds == 10.0


def test_a_snapshot_while_fetching_sends_the_page_again() -> None:
    flow = walker(FakeClock())
    flow.start()
    resumed = VideoListFlow.resume(flow.snapshot(), CONFIG, clock=flow.clock)
    assert resumed.state == "fetching" and isinstance(resumed.effect, RenewToken)
    effect = resumed.send(TokenRenewed("act.2"))
    assert isinstance(effect, Send) and effect.request.json == {"max_count": 2}


@pytest.mark.parametrize(("name", "value"), [
    ("cursor", -5), ("max_count", 21), ("fields", ["id", "fps"]), ("sent", "now"), ("rate_limit", 0),
    ("has_more", "yes"),
])
def test_a_snapshot_with_a_forged_field_is_rejected(name: str, value: Any) -> None:
    from pytok_sm.flows import _snapshot as snapshots

    flow = walker(FakeClock())
    flow.start()
    body = {k: v for k, v in flow.snapshot().items() if k != "seal"}
    body["data"] = {**body["data"], name: value}
    forged = snapshots.seal(body, snapshots.seal_key(CONFIG, None))  # even sealed with the right key
    with pytest.raises(errors.SnapshotRejected, match=name):
        VideoListFlow.resume(forged, CONFIG)


def test_a_finished_walk_cannot_be_resumed() -> None:
    flow = walker(FakeClock())
    flow.start()
    flow.send(listing([{"id": "1"}], has_more=False))
    flow.send(Slept())
    assert flow.state == "done" and flow.walked == 1
    with pytest.raises(errors.SnapshotRejected, match="cannot be resumed in state 'done'"):
        VideoListFlow.resume(flow.snapshot(), CONFIG)
