"""The Display API's videos as flows: the pager over ``POST /v2/video/list/`` (one flow per walk,
page after page) and the single call ``POST /v2/video/query/``.

https://developers.tiktok.com/doc/tiktok-api-v2-video-list, .../tiktok-api-v2-video-query.
:class:`VideoListFlow` asks for a page (``fetching``), hands it over (``page_ready``: the
videos are in ``flow.page``; its effect is a ``Sleep(0)`` the caller answers with
``Slept()`` when it wants the next page) and goes on while TikTok says ``has_more``. Its
requests stay within a sliding window of ``rate_limit`` requests per ``rate_window`` seconds
(TikTok's 600 a minute, ``contract.VIDEO_RATE_LIMIT_PER_MINUTE``): when the next request would
exceed it the flow waits in ``throttled``. A request counts from the moment its answer came
back, never earlier than TikTok saw it. A 429 is retried as every call is (``Retry-After``
honoured), and an ``access_token_invalid`` asks the kit for a fresh token once
(:class:`~pytok_sm.flows.RenewToken`), as the posting flows do. A snapshot taken between
pages (or while fetching or throttled) resumes elsewhere at its cursor with its window; it
holds no token and no videos.

Example:
    >>> from pytok_sm import Config
    >>> from pytok_sm.flows import Response, Slept
    >>> flow = VideoListFlow(Config("aw_key", "s"), access_token="act.x", fields=["id"], max_count=2)
    >>> flow.start().request
    Request(POST https://open.tiktokapis.com/v2/video/list/, JSON fields: max_count)
    >>> _ = flow.send(Response(200, {}, b'{"data": {"videos": [{"id": "9"}, {"id": "8"}], "cursor": 1700000000000,'
    ...                                 b' "has_more": true}, "error": {"code": "ok"}}'))
    >>> flow.state, flow.page, flow.cursor
    ('page_ready', [{'id': '9'}, {'id': '8'}], 1700000000000)
    >>> flow.send(Slept()).request.json
    {'max_count': 2, 'cursor': 1700000000000}
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from .. import _contract as contract
from .. import _video_wire as wire
from .. import logs
from .._config import Config
from .._errors import AccessTokenInvalid, ConfigurationError, NotLoggedIn
from .._http import Request, Response
from . import _snapshot as snapshots
from ._base import RETRYING, Flow, StateSpec, t
from ._call import CallFlow
from ._effects import Finished, RenewToken, Sleep, Slept, TokenRenewed, TransportFailure
from ._post import loops
from ._post_snapshot import whole_number

__all__ = ["VideoListFlow", "VideoQueryFlow"]

#: The most requests a window may be set to (a snapshot holds one time per request in it).
MAX_RATE_LIMIT = 3000


def _fields(value: Any) -> tuple[str, ...]:
    try:
        return wire.check_fields(value if isinstance(value, (list, tuple)) else ())
    except ConfigurationError:
        raise ValueError("not a list of video fields") from None


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("not true or false")
    return value


def _times(value: Any) -> list[float]:
    if not isinstance(value, list) or len(value) > MAX_RATE_LIMIT:
        raise ValueError(f"not a list of at most {MAX_RATE_LIMIT} times")
    check = snapshots.seconds(0, 1e11)
    return [check(item) for item in value]


class VideoListFlow(Flow):
    """Walk the person's public videos, newest first, a page at a time (see the module doc)."""

    KIND = "list_videos"
    STATES = (
        StateSpec("created", doc="nothing sent yet"),
        StateSpec("fetching", handle="_on_page", doc="POST /v2/video/list/ for the page at flow.cursor"),
        StateSpec("throttled", enter="_enter_throttled", handle="_on_window",
                  doc="one more request would exceed rate_limit per rate_window seconds: wait"),
        StateSpec("page_ready", enter="_enter_page_ready", handle="_on_next",
                  doc="a page is in flow.page; Slept() asks for the next one"),
        StateSpec("done", enter="_enter_done", final=True, doc="every page walked (has_more was false)"),
        StateSpec("cancelled", final=True, doc="the caller cancelled"),
        StateSpec("failed", final=True, doc="an error, kept in flow.error"),
    )
    TRANSITIONS = (
        t("start", "created", "fetching"),
        *loops("retry", "fetching"),
        *loops("renew_token", "fetching"),
        t("throttle", ("fetching", "throttled", "page_ready"), "throttled"),
        t("window_open", "throttled", "fetching"),
        t("page_received", "fetching", "page_ready"),
        t("next_page", "page_ready", "fetching"),
        t("walked", "page_ready", "done"),
        t("fail", "fetching", "failed"),
        t("cancel", ("created", "fetching", "throttled", "page_ready"), "cancelled"),
    )
    RESUMABLE = ("fetching", "throttled", "page_ready")
    SNAPSHOT_FIELDS = {
        "fields": _fields,
        "max_count": whole_number(1, contract.VIDEO_LIST_MAX_COUNT),
        "cursor": snapshots.optional(whole_number(0, 2**63 - 1)),
        "has_more": _flag,
        "pages": whole_number(0, 10**9),
        "walked": whole_number(0, 10**12),
        "sent": _times,
        "rate_limit": whole_number(1, MAX_RATE_LIMIT),
        "rate_window": snapshots.seconds(0.001, 3600),
    }

    __slots__ = ("access_token", "fields", "max_count", "cursor", "has_more", "pages", "walked", "page", "sent",
                 "rate_limit", "rate_window", "renewed")
    access_token: str | None
    fields: tuple[str, ...]
    cursor: int | None
    page: list[dict[str, Any]]
    sent: list[float]

    def __init__(self, config: Config, *, access_token: str | None,
                 fields: str | Iterable[str] = wire.DEFAULT_VIDEO_FIELDS, max_count: int = contract.VIDEO_LIST_MAX_COUNT,
                 cursor: int | None = None, rate_limit: int = contract.VIDEO_RATE_LIMIT_PER_MINUTE,
                 rate_window: float = 60.0, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self._init_data()
        if isinstance(rate_limit, bool) or not isinstance(rate_limit, int) or not 1 <= rate_limit <= MAX_RATE_LIMIT:
            raise ConfigurationError("rate_limit", f"must be 1..{MAX_RATE_LIMIT} requests, got {rate_limit!r}")
        if isinstance(rate_window, bool) or not isinstance(rate_window, (int, float)) or not (
                0.001 <= rate_window <= 3600):
            raise ConfigurationError("rate_window", f"must be 0.001..3600 seconds, got {rate_window!r}")
        self.access_token = access_token
        self.fields = wire.check_fields(fields)
        self.max_count = wire.check_max_count(max_count)
        self.cursor = wire.check_cursor(cursor)
        self.rate_limit, self.rate_window = rate_limit, float(rate_window)
        logs.register_secret(access_token, owner=self)

    def _init_data(self) -> None:
        self.access_token = None
        self.fields = wire.DEFAULT_VIDEO_FIELDS
        self.max_count = contract.VIDEO_LIST_MAX_COUNT
        self.cursor = None
        self.has_more = True
        self.pages = 0
        self.walked = 0
        self.page = []
        self.sent = []
        self.rate_limit = contract.VIDEO_RATE_LIMIT_PER_MINUTE
        self.rate_window = 60.0
        self.renewed = False

    # ------------------------------------------------------------------ the window
    def window_wait(self) -> float:
        """Seconds until one more request fits in the window (0.0: now).

        Example:
            >>> from pytok_sm import Config
            >>> flow = VideoListFlow(Config("aw_key", "s"), access_token="act.x", rate_limit=2, rate_window=10,
            ...                      clock=lambda: 100.0)
            >>> flow.sent = [89.0, 91.0, 95.0]      # 89.0 left the window at 99.0
            >>> flow.window_wait(), flow.sent      # 91.0 leaves it at 101.0
            (1.0, [91.0, 95.0])
        """
        now = self.clock()
        recent = [when for when in self.sent if when > now - self.rate_window][-self.rate_limit:]
        self.sent = recent
        if len(recent) < self.rate_limit:
            return 0.0
        return max(0.0, recent[-self.rate_limit] + self.rate_window - now)

    def _go(self, trigger: str | None) -> None:
        """Send the page's request now (``trigger`` into fetching first), or wait in throttled."""
        attempt = self.attempt
        wait = self.window_wait()
        if wait > 0:
            self._fire("throttle", wait=round(wait, 3), in_window=len(self.sent))
            self.attempt = attempt
            return
        if trigger is not None:
            self._fire(trigger, cursor=self.cursor)
            self.attempt = attempt
        self._issue()

    def _issue(self) -> None:
        if self.attempt == 1:
            self.deadline = self.clock() + self.config.call_deadline * self.config.retry.max_attempts
        if self.access_token is None:  # resumed from a snapshot: the kit hands a fresh token
            self.effect = RenewToken()
            return
        self.sent.append(math.ceil(self.clock() * 1000) / 1000)
        self._send(self._request())

    def _request(self) -> Request:
        assert self.access_token is not None
        return wire.video_list_request(self.config, self.access_token, self.fields, cursor=self.cursor,
                                       max_count=self.max_count)

    def _parse(self, response: Response) -> wire.VideoPage:
        return wire.parse_video_list(response, max_count=self.max_count, cursor=self.cursor)

    # ------------------------------------------------------------------ the steps
    def _begin(self) -> None:
        self._fire("start", cursor=self.cursor, max_count=self.max_count)
        self._issue()

    def _reenter(self) -> None:
        self.deadline = None  # the snapshot's was for another process's attempt; the page's budget starts again
        if self.state == "fetching":
            self._go(None)
        else:
            super()._reenter()

    def _on_page(self, result: object) -> None:
        if isinstance(result, Slept):  # a retry's wait is over
            self._go(None)
            return
        if isinstance(result, TokenRenewed):
            self.access_token = result.access_token
            logs.register_secret(self.access_token, owner=self)
            self._go(None)
            return
        if isinstance(result, (Response, TransportFailure)) and self.sent:
            self.sent[-1] = max(self.sent[-1], math.ceil(self.clock() * 1000) / 1000)  # counted from its answer
        try:
            page = self._read(result, self._request, self._parse)
        except AccessTokenInvalid:
            if self.renewed:
                raise
            self.renewed = True
            self._fire("renew_token")
            self.effect = RenewToken(self.access_token)
            return
        if page is RETRYING:
            return
        self.renewed = False
        self.page, self.has_more = page.videos, page.has_more
        self.pages += 1
        self.walked += len(page.videos)
        if page.has_more:
            self.cursor = page.cursor
        self._fire("page_received", videos=len(page.videos), has_more=page.has_more, cursor=page.cursor)

    def _enter_page_ready(self, event: object) -> None:
        self.effect = Sleep(0.0)

    def _on_next(self, result: object) -> None:
        self._expect(result, Slept)
        if not self.has_more:
            self._fire("walked", pages=self.pages, videos=self.walked)
            return
        self._go("next_page")

    def _enter_throttled(self, event: object) -> None:
        self.effect = Sleep(self.window_wait())

    def _on_window(self, result: object) -> None:
        self._expect(result, Slept)
        self._go("window_open")

    def _enter_done(self, event: object) -> None:
        self.effect = Finished(self.walked)


class VideoQueryFlow(CallFlow):
    """Read the person's own videos among 1..20 ids (fresh cover URLs), in one call."""

    KIND = "query_videos"
    STATES = (
        StateSpec("created", doc="nothing sent yet"),
        StateSpec("fetching", enter="_enter_calling", handle="_on_answer", doc="POST /v2/video/query/"),
        StateSpec("fetched", enter="_enter_done", final=True, doc="the videos are here (only the person's own)"),
        StateSpec("cancelled", final=True, doc="the caller cancelled"),
        StateSpec("failed", final=True, doc="an error, kept in flow.error"),
    )
    TRANSITIONS = (
        t("start", "created", "fetching"),
        t("retry", "fetching", "fetching"),
        t("videos_received", "fetching", "fetched"),
        t("fail", "fetching", "failed"),
        t("cancel", ("created", "fetching"), "cancelled"),
    )
    DONE = "videos_received"

    __slots__ = ("access_token", "video_ids", "fields")

    def __init__(self, config: Config, *, access_token: str | None, video_ids: Iterable[str | int],
                 fields: str | Iterable[str] = wire.DEFAULT_VIDEO_FIELDS, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.access_token = access_token
        self.video_ids = wire.check_video_ids(video_ids)
        self.fields = wire.check_fields(fields)
        logs.register_secret(access_token, owner=self)

    def _check(self) -> None:
        if not self.access_token:
            raise NotLoggedIn("access token")

    def _request(self) -> Request:
        assert self.access_token is not None
        return wire.video_query_request(self.config, self.access_token, self.video_ids, self.fields)

    def _parse(self, response: Response) -> list[dict[str, Any]]:
        return wire.parse_video_query(response, video_ids=self.video_ids)

    def _done_fields(self, value: Any) -> dict[str, Any]:
        return {"videos": len(value)}
