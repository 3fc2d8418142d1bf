"""Scenarios that take every edge of the video tables (the list_videos pager, query_videos).

Each feeds canned TikTok answers to a flow; :mod:`tests.flows.test_machines` plays them with
the other flows' scenarios and checks every edge of every table is taken.
"""

from __future__ import annotations

from typing import Any

from pytok_sm import _errors as errors
from pytok_sm._config import Config
from pytok_sm.flows import Flow, Slept, TokenRenewed, TransportFailure, VideoListFlow, VideoQueryFlow
from pytok_sm.testing import FakeClock

from .canned import Scenario, answer, html_error, rate_limited

CONFIG = Config("aw_key", "aw_secret", port=0, redirect_uri="http://127.0.0.1:*/callback/")
CANCELLED = errors.FlowCancelled


def ok(data: dict[str, Any]) -> Any:
    return answer({"data": data, "error": {"code": "ok", "message": "", "log_id": "L1"}})


def page(cursor: int, more: bool, *ids: str) -> Any:
    return ok({"videos": [{"id": i, "title": f"Video {i}"} for i in ids], "cursor": cursor, "has_more": more})


FIRST = page(1_700_000_003_000, True, "9", "8")
SECOND = page(1_700_000_002_000, True, "7", "6")
LAST = page(1_700_000_001_000, False, "5")
TOKEN_INVALID = answer({"data": {}, "error": {"code": "access_token_invalid", "message": "", "log_id": "L2"}}, 401)


def pager(clock: FakeClock) -> Flow:
    """Two videos a page, at most two requests in ten seconds."""
    return VideoListFlow(CONFIG, access_token="act.1", fields=["id", "title"], max_count=2, rate_limit=2,
                         rate_window=10.0, clock=clock)


def query(clock: FakeClock) -> Flow:
    return VideoQueryFlow(CONFIG, access_token="act.1", video_ids=["7", "8"], fields="id,title", clock=clock)


VIDEO_SCENARIOS = [
    # list_videos
    Scenario("list_videos: two pages", pager, [FIRST, Slept(), LAST, Slept()], "done"),
    Scenario("list_videos: the window holds the third request until the first leaves it", pager,
             [FIRST, Slept(), SECOND, Slept(), Slept(), "advance:10", Slept(), LAST, Slept()], "done"),
    Scenario("list_videos: a retry waits for the window too", pager,
             [FIRST, Slept(), rate_limited("0"), Slept(), "advance:10", Slept(), LAST, Slept()], "done"),
    Scenario("list_videos: a refused token is renewed once", pager,
             [TOKEN_INVALID, TokenRenewed("act.2"), LAST, Slept()], "done"),
    Scenario("list_videos: refused again after the renewal", pager,
             [TOKEN_INVALID, TokenRenewed("act.2"), TOKEN_INVALID], "failed", errors.AccessTokenInvalid),
    Scenario("list_videos: a cursor that does not move", pager,
             [FIRST, Slept(), page(1_700_000_003_000, True, "7", "6")], "failed", errors.ProtocolError),
    Scenario("list_videos: videos is not a list", pager, [ok({"videos": {"id": "9"}, "has_more": False})],
             "failed", errors.ProtocolError),
    Scenario("list_videos: more videos than asked for", pager, [page(1, False, "9", "8", "7")], "failed",
             errors.ProtocolError),
    Scenario("list_videos: the scope is missing", pager,
             [answer({"data": {}, "error": {"code": "scope_not_authorized", "message": "", "log_id": "L3"}}, 401)],
             "failed", errors.ScopeError),
    Scenario("list_videos: no answer, retried", pager, [TransportFailure(sent=True), Slept(), LAST, Slept()], "done"),
    Scenario("list_videos: cancelled before start", pager, ["cancel"], "cancelled", CANCELLED),
    Scenario("list_videos: cancelled while fetching", pager, ["cancel"], "cancelled", CANCELLED),
    Scenario("list_videos: cancelled between pages", pager, [FIRST, "cancel"], "cancelled", CANCELLED),
    Scenario("list_videos: cancelled while throttled", pager, [FIRST, Slept(), SECOND, Slept(), "cancel"],
             "cancelled", CANCELLED),
    # query_videos
    Scenario("query_videos: received", query, [ok({"videos": [{"id": "7", "title": "Seven"}]})], "fetched"),
    Scenario("query_videos: 503, then received", query, [html_error(503), Slept(), ok({"videos": []})], "fetched"),
    Scenario("query_videos: a video that was not asked for", query, [ok({"videos": [{"id": "1"}]})], "failed",
             errors.ProtocolError),
    Scenario("query_videos: cancelled before start", query, ["cancel"], "cancelled", CANCELLED),
    Scenario("query_videos: cancelled", query, ["cancel"], "cancelled", CANCELLED),
]
