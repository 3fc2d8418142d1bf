"""The Display API's videos through both kits against the sandbox: the pager walks 1,000 videos
in pages within the rate window, resumes from a snapshot at its cursor, renews a refused
token mid-walk; query_videos; a missing scope."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from pytok_sm import _errors as errors
from pytok_sm._kit_videos import AsyncVideoPager, VideoPager
from pytok_sm.flows import VideoListFlow
from pytok_sm.sandbox import Sandbox
from pytok_sm.testing import capture_transitions

#: The documented 600 requests a minute, scaled down: 10 requests a quarter of a second.
LIMIT, WINDOW = 10, 0.25
#: How much later than the sandbox's decision a request's log time may be.
SLACK = 0.01
Runner = Any


def videos_of(runner: Runner, pager: Any) -> list[dict[str, Any]]:
    """Every video the pager has left, iterated as the kit's caller would (for / async for)."""
    if runner.name == "sync":
        return list(pager)

    async def collect() -> list[dict[str, Any]]:
        return [video async for video in pager]

    return runner.loop.run_until_complete(collect())  # type: ignore[no-any-return]


def pages_of(runner: Runner, pager: Any, n: int) -> list[dict[str, Any]]:
    """The videos of the next ``n`` pages."""
    if runner.name == "sync":
        pages = pager.pages()
        return [video for _ in range(n) for video in next(pages)]

    async def take() -> list[dict[str, Any]]:
        pages = pager.pages()
        try:
            return [video for _ in range(n) for video in await pages.__anext__()]
        finally:
            await pages.aclose()

    return runner.loop.run_until_complete(take())  # type: ignore[no-any-return]


def logged_in(make_runner: Callable[..., Any], sandbox: Sandbox, scopes: list[str] | None = None) -> Runner:
    runner = make_runner()
    runner.kit.load_token(sandbox.issue_tokens(scopes))
    return runner


def test_the_pager_walks_1000_videos_in_50_pages_within_the_rate_window(
        sandbox: Sandbox, make_runner: Callable[..., Any]) -> None:
    sandbox.seed_videos(1000)
    sandbox.switches.video_rate_limit, sandbox.switches.video_rate_window = LIMIT, WINDOW
    runner = logged_in(make_runner, sandbox)
    flow = VideoListFlow(runner.kit.config, access_token=None, fields=["id", "create_time"], max_count=20,
                         rate_limit=LIMIT, rate_window=WINDOW)
    pager = (VideoPager if runner.name == "sync" else AsyncVideoPager)(runner.kit, flow)
    with capture_transitions() as events:
        videos = videos_of(runner, pager)
    assert [video["id"] for video in videos] == [video.id for video in sandbox.videos()]
    assert len({video["id"] for video in videos}) == 1000 and (flow.pages, flow.walked) == (50, 1000)
    log = [record for record in sandbox.requests if record.endpoint == "video_list"]
    assert len(log) == 50 and {record.status for record in log} == {200}  # not one 429, not one retry
    times = [record.at for record in log]
    assert max(sum(start <= at < start + WINDOW - SLACK for at in times) for start in times) <= LIMIT
    assert times[-1] - times[0] >= 4 * WINDOW - SLACK  # 50 requests, 10 a window: four waits at least
    assert sum(event["trigger"] == "throttle" for event in events if event["flow"] == "list_videos") >= 4


def test_list_videos_walks_1000_videos_with_the_documented_window(sandbox: Sandbox,
                                                                   make_runner: Callable[..., Any]) -> None:
    sandbox.seed_videos(1000)
    runner = logged_in(make_runner, sandbox)
    pager = runner.kit.list_videos(["id"], max_count=20)
    assert (pager.flow.rate_limit, pager.flow.rate_window) == (600, 60.0)
    if runner.name == "async":
        assert hasattr(pager, "__anext__") and not hasattr(pager, "__next__")
    started = time.monotonic()
    videos = videos_of(runner, pager)
    assert len(videos) == 1000 and sandbox.count("video_list") == 50 and time.monotonic() - started < 20
    assert videos_of(runner, pager) == []  # a walk that ended stays ended


def test_the_default_page_size_and_fields(sandbox: Sandbox, make_runner: Callable[..., Any]) -> None:
    runner = logged_in(make_runner, sandbox)
    videos = videos_of(runner, runner.kit.list_videos(max_count=5))
    assert sandbox.count("video_list") == 3 and len(videos) == 12
    assert set(videos[0]) == {"id", "create_time", "title", "video_description", "duration", "cover_image_url",
                              "share_url"}
    assert [video["create_time"] for video in videos] == sorted((video["create_time"] for video in videos),
                                                                reverse=True)


def test_a_resumed_pager_goes_on_at_its_cursor(sandbox: Sandbox, make_runner: Callable[..., Any]) -> None:
    sandbox.seed_videos(100)
    tokens = sandbox.issue_tokens()
    first, second = make_runner(), make_runner()  # two processes of one app
    first.kit.load_token(tokens)
    second.kit.load_token(tokens)
    pager = first.kit.list_videos(["id"], max_count=20)
    taken = pages_of(first, pager, 2)
    snapshot = json.loads(json.dumps(pager.snapshot()))  # it travels as JSON
    assert tokens["access_token"] not in json.dumps(snapshot) and taken[0]["id"] not in json.dumps(snapshot)
    rest = videos_of(second, second.kit.list_videos(cursor=snapshot))
    everything = [video.id for video in sandbox.videos()]
    assert [video["id"] for video in taken + rest] == everything
    assert sandbox.count("video_list") == 2 + 3
    again = videos_of(second, second.kit.list_videos(["id"], cursor=pager.cursor))  # TikTok's cursor alone
    assert [video["id"] for video in again] == everything[40:]


def test_a_snapshot_in_the_middle_of_a_page_is_refused(sandbox: Sandbox, make_runner: Callable[..., Any]) -> None:
    runner = logged_in(make_runner, sandbox)
    pager = runner.kit.list_videos(["id"], max_count=5)
    with pytest.raises(errors.FlowUsageError, match="start the flow"):
        pager.snapshot()
    if runner.name == "sync":
        next(pager)
    else:
        runner.loop.run_until_complete(pager.__anext__())
    with pytest.raises(errors.FlowUsageError, match="4 videos of this page are not read yet"):
        pager.snapshot()


def test_a_token_refused_mid_walk_is_refreshed_once(sandbox: Sandbox, make_runner: Callable[..., Any]) -> None:
    sandbox.seed_videos(60)
    tokens = sandbox.issue_tokens()
    runner = make_runner()
    runner.kit.load_token(tokens)
    pager = runner.kit.list_videos(["id"], max_count=20)
    first = pages_of(runner, pager, 1)
    sandbox.kill_token(tokens["access_token"])
    rest = videos_of(runner, pager)
    assert len(first) + len(rest) == 60 and sandbox.count("token") == 1
    assert runner.kit.current_access_token != tokens["access_token"]
    assert [r.status for r in sandbox.requests if r.endpoint == "video_list"] == [200, 401, 200, 200]


def test_query_videos(sandbox: Sandbox, make_runner: Callable[..., Any]) -> None:
    runner = logged_in(make_runner, sandbox)
    ids = [video.id for video in sandbox.videos()]
    found = runner("query_videos", [ids[2], "7000000000000000001", ids[0]], ["id", "title"])
    assert found == [{"id": ids[2], "title": "Sandbox video 3"}, {"id": ids[0], "title": "Sandbox video 1"}]
    assert set(runner("query_videos", ids[:1])[0]) == {"id", "create_time", "title", "video_description",
                                                       "duration", "cover_image_url", "share_url"}


def test_a_query_of_21_ids_is_refused_before_anything_is_sent(sandbox: Sandbox,
                                                               make_runner: Callable[..., Any]) -> None:
    runner = logged_in(make_runner, sandbox)
    with pytest.raises(errors.ConfigurationError, match="1..20 video ids, got 21"):
        runner("query_videos", [str(7_000_000_000_000_000_000 + n) for n in range(21)])
    with pytest.raises(errors.ConfigurationError, match="did you mean 'title'"):
        runner.kit.list_videos(["titel"])
    assert sandbox.requests == []


def test_without_the_video_list_scope(sandbox: Sandbox, make_runner: Callable[..., Any]) -> None:
    runner = logged_in(make_runner, sandbox, ["user.info.basic", "user.info.profile"])
    with pytest.raises(errors.ScopeError, match="scope_not_authorized"):
        videos_of(runner, runner.kit.list_videos())
    with pytest.raises(errors.ScopeError, match="scope_not_authorized"):
        runner("query_videos", [sandbox.videos()[0].id])
    assert sandbox.count("token") == 0  # a missing scope is not a stale token: nothing is refreshed
