"""The Display API's videos around the flows, sans-I/O like :mod:`pytok_sm._policy`: a query is
one call with a fresh token (one refresh and one retry on ``access_token_invalid``); a walk
over the pages is one :class:`~pytok_sm.flows.VideoListFlow` driven a page at a time, handed a
fresh token when it asks (:class:`~pytok_sm.flows.RenewToken`: a token refused in the middle
of a long walk, or a walk resumed from a snapshot, which holds none).

Example (driven by hand, as a kit does):
    >>> from pytok_sm import Config, Token
    >>> from pytok_sm._policy import TokenPolicy
    >>> policy = TokenPolicy(Config("aw_key", "s"), token=Token("act.x", 9e9, refresh_token="rft.y"))
    >>> flow = pager_flow(policy, ["id"], 20, None)
    >>> step = next_page(policy, flow)
    >>> run = next(step)                       # run the flow until a page is ready
    >>> run.flow is flow, flow.access_token
    (True, 'act.x')
    >>> query_videos(policy, [str(n) for n in range(21)], ["id"]).send(None)
    Traceback (most recent call last):
    ...
    pytok_sm.ConfigurationError: video_ids: a query takes 1..20 video ids, got 21; split them into batches of 20
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ._policy import Run, Step, TokenPolicy
from ._post_policy import _call, _renew
from ._video_wire import check_fields, check_video_ids
from .flows._base import Flow
from .flows._effects import RenewToken
from .flows._videos import VideoListFlow, VideoQueryFlow

__all__ = ["next_page", "pager_flow", "query_videos"]


def query_videos(policy: TokenPolicy, video_ids: Iterable[str | int], fields: str | Iterable[str]) -> Step[
        list[dict[str, Any]]]:
    """The person's own videos among ``video_ids`` (checked before any token is looked at)."""
    ids, names = check_video_ids(video_ids), check_fields(fields)
    videos = yield from _call(policy, lambda token: VideoQueryFlow(policy.config, access_token=token.access_token,
                                                                   video_ids=ids, fields=names))
    return [dict(video) for video in videos]


def pager_flow(policy: TokenPolicy, fields: str | Iterable[str], max_count: int,
               cursor: int | Mapping[str, Any] | None) -> VideoListFlow:
    """A new walk (``cursor``: None, the newest videos first, or TikTok's cursor), or one
    resumed from a snapshot of an earlier walk (which keeps its own fields and page size)."""
    if isinstance(cursor, Mapping):
        return VideoListFlow.resume(dict(cursor), policy.config, key=policy.snapshot_key)
    return VideoListFlow(policy.config, access_token=None, fields=fields, max_count=max_count, cursor=cursor)


def next_page(policy: TokenPolicy, flow: VideoListFlow) -> Step[list[dict[str, Any]] | None]:
    """Run the walk until its next page is ready: that page's videos, or None once every page
    was walked. A walk that failed raises its error again."""
    if flow.finished:
        if flow.error is not None:
            raise flow.error
        return None
    if flow.access_token is None and not isinstance(flow.effect, RenewToken):
        token = yield from policy.fresh_token()
        flow.access_token = token.access_token
    taken = flow.pages

    def ready(f: Flow) -> bool:
        return isinstance(f.effect, RenewToken) or (f.state == "page_ready" and flow.pages > taken)

    while True:
        yield Run(flow, ready)
        if flow.finished:
            return None
        if isinstance(flow.effect, RenewToken):
            yield from _renew(policy, flow, flow.effect)
            continue
        return list(flow.page)
