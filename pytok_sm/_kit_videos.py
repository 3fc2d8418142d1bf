"""The Display API's videos on both kits: ``list_videos`` (every public video, page after page
as the caller iterates) and ``query_videos`` (up to 20 of the person's own, by id).

``list_videos`` returns a pager at once, without sending anything (the fields, ``max_count``
and ``cursor`` are checked there): :class:`VideoPager` on :class:`~pytok_sm.LoginKit`, an
async iterator, :class:`AsyncVideoPager`, on :class:`~pytok_sm.AsyncLoginKit`. Each page is
fetched when the videos before it are used up, within TikTok's 600 requests a minute (the
pager's :class:`~pytok_sm.flows.VideoListFlow` waits when one more would exceed them). Between
pages, ``pager.snapshot()`` is a sealed picture of the walk; ``list_videos(cursor=snapshot)``
(here or in another process) goes on with the next page, its rate window included.

Example:
    >>> from pytok_sm import LoginKit
    >>> kit = LoginKit("aw_key", "s")
    >>> pager = kit.list_videos(["id", "title"], max_count=5)
    >>> pager.flow.state, pager.cursor
    ('created', None)
    >>> kit.query_videos([str(7_000_000_000_000_000_000 + n) for n in range(21)])
    Traceback (most recent call last):
    ...
    pytok_sm.ConfigurationError: video_ids: a query takes 1..20 video ids, got 21; split them into batches of 20
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

from ._contract import DEFAULT_VIDEO_FIELDS
from ._errors import FlowUsageError
from ._policy import Step, TokenPolicy

if TYPE_CHECKING:  # the videos' flows and wire load on the first list or query, not with the kits
    from .flows._videos import VideoListFlow


def _videos() -> ModuleType:
    """The videos' policy (and with it their flows and wire), imported on first use."""
    from . import _video_policy

    return _video_policy

__all__ = ["AsyncVideoPager", "AsyncVideos", "SyncVideos", "VideoPager"]

T = TypeVar("T")
Video = dict[str, Any]
#: What ``cursor=`` takes: None (the newest first), TikTok's cursor, or a pager's snapshot.
Cursor = int | Mapping[str, Any] | None


class _Pager:
    """What both pagers share: the walk's flow, the videos of its page not yet handed out."""

    __slots__ = ("flow", "_kit", "_left")

    def __init__(self, kit: Any, flow: VideoListFlow) -> None:
        #: The walk's flow: its state, ``cursor``, ``pages``, ``walked``, ``has_more``.
        self.flow = flow
        self._kit = kit
        self._left: deque[Video] = deque()

    @property
    def cursor(self) -> int | None:
        """TikTok's cursor of the next page (None: the newest first, or no page left);
        ``list_videos(cursor=...)`` starts a new walk there."""
        return self.flow.cursor if self.flow.has_more else None

    def snapshot(self) -> dict[str, Any]:
        """A sealed, JSON-safe picture of the walk between two pages, for ``list_videos(cursor=...)``.
        It holds no token and no video; raises :class:`~pytok_sm.FlowUsageError` while videos of
        the current page are still to be read (they would be lost)."""
        if self._left:
            raise FlowUsageError(f"take the snapshot between pages: {len(self._left)} videos of this page are "
                                 "not read yet (iterate pager.pages() to move a page at a time)")
        return self.flow.snapshot(key=self._kit._policy.snapshot_key)

    def _take_left(self) -> list[Video]:
        page = list(self._left)
        self._left.clear()
        return page

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.flow.state}, {self.flow.pages} pages, {self.flow.walked} videos>"


class VideoPager(_Pager):
    """The person's public videos, newest first, fetched a page at a time as you iterate.

    ``for video in pager`` gives each video (a dict of the fields asked for); ``pager.pages()``
    gives each page (a list) instead.
    """

    __slots__ = ()

    def __iter__(self) -> VideoPager:
        return self

    def __next__(self) -> Video:
        while not self._left:
            page = self._kit._drive(_videos().next_page(self._kit._policy, self.flow))
            if page is None:
                raise StopIteration
            self._left.extend(page)
        return self._left.popleft()

    def pages(self) -> Iterator[list[Video]]:
        """Each page as a list (what is left of the current one first); a snapshot may be taken
        between any two."""
        if self._left:
            yield self._take_left()
        while (page := self._kit._drive(_videos().next_page(self._kit._policy, self.flow))) is not None:
            yield page


class AsyncVideoPager(_Pager):
    """The same as :class:`VideoPager` for ``async for`` (``pager.pages()`` is an async iterator)."""

    __slots__ = ()

    def __aiter__(self) -> AsyncVideoPager:
        return self

    async def __anext__(self) -> Video:
        while not self._left:
            page = await self._kit._drive(_videos().next_page(self._kit._policy, self.flow))
            if page is None:
                raise StopAsyncIteration
            self._left.extend(page)
        return self._left.popleft()

    async def pages(self) -> AsyncIterator[list[Video]]:
        """Each page as a list (what is left of the current one first)."""
        if self._left:
            yield self._take_left()
        while (page := await self._kit._drive(_videos().next_page(self._kit._policy, self.flow))) is not None:
            yield page


class SyncVideos:
    """Videos on :class:`~pytok_sm.LoginKit`."""

    __slots__ = ()
    _policy: TokenPolicy

    def _drive(self, step: Step[T], driver: Any = None) -> T:
        raise NotImplementedError

    def list_videos(self, fields: str | Iterable[str] = DEFAULT_VIDEO_FIELDS, *, max_count: int = 20,
                    cursor: Cursor = None) -> VideoPager:
        """Every public video of the person (scope ``video.list``), newest first: an iterator
        that fetches ``max_count`` (1..20) videos a page as it goes. ``cursor`` starts older
        than TikTok's cursor, or goes on from ``pager.snapshot()``. ``fields``: the Video
        Object's (``id``, ``create_time``, ``cover_image_url``, ``share_url``, ``title``, ...)."""
        return VideoPager(self, _videos().pager_flow(self._policy, fields, max_count, cursor))

    def query_videos(self, video_ids: Iterable[str | int], fields: str | Iterable[str] = DEFAULT_VIDEO_FIELDS
                     ) -> list[Video]:
        """The person's own videos among ``video_ids`` (1..20; others are left out), with fresh
        cover URLs. An expired token is refreshed first; ``access_token_invalid`` gets one
        refresh and one retry."""
        return self._drive(_videos().query_videos(self._policy, video_ids, fields))


class AsyncVideos:
    """Videos on :class:`~pytok_sm.AsyncLoginKit`: ``async for video in kit.list_videos()``."""

    __slots__ = ()
    _policy: TokenPolicy

    async def _drive(self, step: Step[T], driver: Any = None) -> T:
        raise NotImplementedError

    def list_videos(self, fields: str | Iterable[str] = DEFAULT_VIDEO_FIELDS, *, max_count: int = 20,
                    cursor: Cursor = None) -> AsyncVideoPager:
        """Every public video of the person, newest first, as an async iterator (see
        :meth:`pytok_sm.LoginKit.list_videos`)."""
        return AsyncVideoPager(self, _videos().pager_flow(self._policy, fields, max_count, cursor))

    async def query_videos(self, video_ids: Iterable[str | int],
                           fields: str | Iterable[str] = DEFAULT_VIDEO_FIELDS) -> list[Video]:
        """The person's own videos among ``video_ids`` (see :meth:`pytok_sm.LoginKit.query_videos`)."""
        return await self._drive(_videos().query_videos(self._policy, video_ids, fields))
