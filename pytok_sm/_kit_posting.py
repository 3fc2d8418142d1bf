"""The Content Posting API on both kits: ``creator_info``, ``post_video``, ``post_photos``,
``publish_status``, ``cancel_post``, and, for flows kept across processes,
``prepare_post_video``, ``run_post`` and ``resume_post``.

The rules live in the flows and :mod:`pytok_sm._post_policy`; these mixins only build the
flows from the caller's words and drive them, like the rest of the kits. Both mixins take
the same parameters (``tests/flows/test_kit_parity.py`` pins it). ``events=`` (a post board
of :mod:`pytok_sm.webhooks`) makes a wait for TikTok's processing end on the post's webhook.

Example:
    >>> from pytok_sm import LoginKit
    >>> kit = LoginKit("aw_key", "s")
    >>> kit.post_video("https://media.example.com/v.mp4", title="no privacy level")
    Traceback (most recent call last):
    ...
    pytok_sm.PrivacyLevelError: privacy_level_option_mismatch: ...
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterable, Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

from ._config import Config
from ._errors import SnapshotRejected, TikTokError
from ._policy import Step, TokenPolicy

if TYPE_CHECKING:  # the posting machinery loads with the first post, the webhooks with the first receiver
    from ._posting_values import CreatorInfo, PostProgress, PostResult, PublishStatus
    from .flows._base import Flow
    from .flows._post import PostFlow
    from .flows._post_video import VideoPostFlow
    from .webhooks._board import PostBoard

__all__ = ["DEFAULT_WAIT", "AsyncPosting", "SyncPosting", "resume_flow"]

T = TypeVar("T")
OnProgress = Callable[["PostProgress"], object]
#: Seconds a post's processing is followed before it ends UNCONFIRMED (the flows' own
#: ``DEFAULT_WAIT``, restated so that the kits need not load the flows; a test pins both).
DEFAULT_WAIT = 1800.0


def _ops() -> ModuleType:
    """The posting policy, and with it the posting flows, wire and rules: imported on the first
    post, so that making a kit (or importing one) does not pay for them."""
    from . import _post_policy

    return _post_policy


def _is_url(source: object) -> bool:
    return isinstance(source, str) and source.lower().startswith(("https://", "http://"))


def _video_flow(config: Config, source: Any, probed: Any, **options: Any) -> VideoPostFlow:
    """A token-less video flow (the kit hands it a fresh token when it runs): of the probed
    file, or of the URL when nothing was probed."""
    from .flows._post_video import VideoPostFlow

    if probed is None:
        return VideoPostFlow(config, access_token=None, video_url=source, **options)
    return VideoPostFlow(config, access_token=None, video=probed, **options)


def _probe(source: str | os.PathLike[str]) -> Any:
    """The file's size, container and duration (:func:`pytok_sm.drivers.probe_video`)."""
    from .drivers._media import probe_video

    return probe_video(source)


def _photo_flow(config: Config, **options: Any) -> PostFlow:
    from .flows._post_photos import PhotoPostFlow

    return PhotoPostFlow(config, access_token=None, **options)


def _ticker(on_progress: OnProgress | None) -> Callable[[Any], None] | None:
    if on_progress is None:
        return None
    from ._posting_values import PostProgress

    def tick(flow: Any) -> None:
        progress = getattr(flow, "progress", None)
        if isinstance(progress, PostProgress):
            on_progress(progress)

    return tick


def resume_flow(snapshot: Mapping[str, Any], config: Config, key: bytes | str | None) -> PostFlow:
    """A posting flow rebuilt from its snapshot (video, photos or status), seal and fields checked."""
    from .flows._post_calls import PublishStatusFlow
    from .flows._post_photos import PhotoPostFlow
    from .flows._post_video import VideoPostFlow

    kinds: dict[str, type[PostFlow]] = {cls.KIND: cls for cls in (VideoPostFlow, PhotoPostFlow, PublishStatusFlow)}
    kind = snapshot.get("flow") if isinstance(snapshot, Mapping) else None
    cls = kinds.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise SnapshotRejected("it is not a snapshot of a posting flow (post_video, post_photos, publish_status)")
    return cls.resume(dict(snapshot), config, key=key)


def _withdrawable(flow: Flow) -> bool:
    """A flow the caller interrupted after TikTok made its post: worth a cancel at TikTok."""
    return getattr(flow, "publish_id", None) is not None and flow.state == "cancelled"


class SyncPosting:
    """Posting on :class:`~pytok_sm.LoginKit`."""

    __slots__ = ()
    _policy: TokenPolicy
    config: Config

    def _drive(self, step: Step[T], driver: Any = None) -> T:
        raise NotImplementedError

    def _driver(self, show_qr: Any, on_tick: Any, stderr: Any) -> Any:
        raise NotImplementedError

    def creator_info(self) -> CreatorInfo:
        """The creator's posting settings (privacy_level_options, max_video_post_duration_sec, ...);
        raises :class:`~pytok_sm.PostingSpamRisk` / ``CreatorCapReached`` when they cannot post now."""
        creator: CreatorInfo = self._drive(_ops().creator_info(self._policy))
        return creator

    def prepare_post_video(self, source: str | os.PathLike[str], *, privacy_level: str | None = None,
                           title: str | None = None, allow_comment: bool = False, allow_duet: bool = False,
                           allow_stitch: bool = False, cover_timestamp_ms: int | None = None,
                           brand_content: bool = False, brand_organic: bool = False, is_aigc: bool = False,
                           duration: float | None = None, mode: str = "direct", chunk_size: int | None = None,
                           timeout: float = DEFAULT_WAIT) -> VideoPostFlow:
        """The flow :meth:`post_video` runs, checked and not started (run it with :meth:`run_post`;
        its :meth:`~pytok_sm.flows.Flow.snapshot` resumes elsewhere with :meth:`resume_post`)."""
        probed = None if _is_url(source) else _probe(source)
        return _video_flow(self.config, source, probed, privacy_level=privacy_level, title=title,
                           allow_comment=allow_comment, allow_duet=allow_duet, allow_stitch=allow_stitch,
                           cover_timestamp_ms=cover_timestamp_ms, brand_content=brand_content,
                           brand_organic=brand_organic, is_aigc=is_aigc, duration=duration, mode=mode,
                           chunk_size=chunk_size, processing_timeout=timeout)

    def post_video(self, source: str | os.PathLike[str], *, privacy_level: str | None = None,
                   title: str | None = None, allow_comment: bool = False, allow_duet: bool = False,
                   allow_stitch: bool = False, cover_timestamp_ms: int | None = None, brand_content: bool = False,
                   brand_organic: bool = False, is_aigc: bool = False, duration: float | None = None,
                   mode: str = "direct", chunk_size: int | None = None, wait: bool = True,
                   timeout: float = DEFAULT_WAIT, on_progress: OnProgress | None = None,
                   events: PostBoard | None = None) -> PostResult:
        """Post a video file (chunked upload) or URL (TikTok pulls it): ``mode="direct"`` publishes,
        ``"inbox"`` sends it to the creator's inbox. ``privacy_level`` has no default (direct).

        With ``wait`` the status is followed for up to ``timeout`` seconds: the result's
        ``status`` is TikTok's final one, or ``UNCONFIRMED``; a post that ends FAILED raises
        :class:`~pytok_sm.PostFailed`. ``on_progress(PostProgress)`` is called as it goes.
        ``events``, a post board that a webhook receiver fills (:mod:`pytok_sm.webhooks`),
        ends the wait when the post's webhook arrives, instead of polling TikTok's status.
        """
        flow = self.prepare_post_video(
            source, privacy_level=privacy_level, title=title, allow_comment=allow_comment, allow_duet=allow_duet,
            allow_stitch=allow_stitch, cover_timestamp_ms=cover_timestamp_ms, brand_content=brand_content,
            brand_organic=brand_organic, is_aigc=is_aigc, duration=duration, mode=mode, chunk_size=chunk_size,
            timeout=timeout)
        return self.run_post(flow, wait=wait, on_progress=on_progress, events=events)

    def post_photos(self, urls: Iterable[str], *, cover_index: int = 0, privacy_level: str | None = None,
                    title: str | None = None, description: str | None = None, allow_comment: bool = False,
                    auto_add_music: bool = False, brand_content: bool = False, brand_organic: bool = False,
                    mode: str = "direct", wait: bool = True, timeout: float = DEFAULT_WAIT,
                    on_progress: OnProgress | None = None, events: PostBoard | None = None) -> PostResult:
        """Post 1 to 35 photos TikTok pulls from verified URLs (direct, or to the inbox)."""
        flow = _photo_flow(self.config, urls=urls, cover_index=cover_index,
                             privacy_level=privacy_level, title=title, description=description,
                             allow_comment=allow_comment, auto_add_music=auto_add_music, brand_content=brand_content,
                             brand_organic=brand_organic, mode=mode, processing_timeout=timeout)
        return self.run_post(flow, wait=wait, on_progress=on_progress, events=events)

    def run_post(self, flow: PostFlow, *, wait: bool = True, on_progress: OnProgress | None = None,
                 events: PostBoard | None = None) -> PostResult:
        """Run a posting flow (made by :meth:`prepare_post_video`, or resumed); Ctrl+C cancels it
        here and, where TikTok allows, at TikTok. ``events``: see :meth:`post_video`."""
        board = _ops().check_events(events)
        driver = self._driver(None, _ticker(on_progress), None)
        try:
            result: PostResult = self._drive(_ops().run_post(self._policy, flow, wait=wait, events=board), driver)
            return result
        except KeyboardInterrupt:
            if flow.state != "cancelled" and not flow.finished:
                flow.cancel()  # interrupted while waiting on the board, outside the driver
            self._withdraw(flow)
            raise

    def resume_post(self, snapshot: Mapping[str, Any], *, wait: bool = True,
                    on_progress: OnProgress | None = None, events: PostBoard | None = None) -> PostResult:
        """Go on with a posting flow from its snapshot (another process may have taken it): an
        upload continues from the last acknowledged chunk while its URL lives."""
        board = _ops().check_events(events)
        flow = resume_flow(snapshot, self.config, self._policy.snapshot_key)
        return self.run_post(flow, wait=wait, on_progress=on_progress, events=board)

    def publish_status(self, publish_id: str, *, wait: bool = False, timeout: float = DEFAULT_WAIT,
                       events: PostBoard | None = None) -> PublishStatus:
        """A post's status now, or with ``wait`` once TikTok ends it (FAILED is returned, not raised);
        ``events``, a post board, ends that wait on the post's webhook."""
        status: PublishStatus = self._drive(_ops().publish_status(self._policy, publish_id, wait=wait,
                                                                  timeout=timeout, events=events))
        return status

    def cancel_post(self, publish_id: str) -> None:
        """Ask TikTok to cancel a post (possible while it uploads or downloads)."""
        self._drive(_ops().cancel_post(self._policy, publish_id))

    def _withdraw(self, flow: Flow) -> None:
        if _withdrawable(flow):
            try:
                self.cancel_post(flow.publish_id)  # type: ignore[attr-defined]
            except TikTokError:
                pass  # best effort: TikTok may refuse (too far along); the local flow is cancelled


class AsyncPosting:
    """Posting on :class:`~pytok_sm.AsyncLoginKit`: the same methods as coroutines."""

    __slots__ = ()
    _policy: TokenPolicy
    config: Config

    async def _drive(self, step: Step[T], driver: Any = None) -> T:
        raise NotImplementedError

    def _driver(self, show_qr: Any, on_tick: Any, stderr: Any) -> Any:
        raise NotImplementedError

    async def creator_info(self) -> CreatorInfo:
        """The creator's posting settings (see :meth:`pytok_sm.LoginKit.creator_info`)."""
        return await self._drive(_ops().creator_info(self._policy))

    async def prepare_post_video(self, source: str | os.PathLike[str], *, privacy_level: str | None = None,
                                 title: str | None = None, allow_comment: bool = False, allow_duet: bool = False,
                                 allow_stitch: bool = False, cover_timestamp_ms: int | None = None,
                                 brand_content: bool = False, brand_organic: bool = False, is_aigc: bool = False,
                                 duration: float | None = None, mode: str = "direct", chunk_size: int | None = None,
                                 timeout: float = DEFAULT_WAIT) -> VideoPostFlow:
        """The flow :meth:`post_video` runs (the file is probed in a worker thread)."""
        probed = None if _is_url(source) else await asyncio.to_thread(_probe, source)
        return _video_flow(self.config, source, probed, privacy_level=privacy_level, title=title,
                           allow_comment=allow_comment, allow_duet=allow_duet, allow_stitch=allow_stitch,
                           cover_timestamp_ms=cover_timestamp_ms, brand_content=brand_content,
                           brand_organic=brand_organic, is_aigc=is_aigc, duration=duration, mode=mode,
                           chunk_size=chunk_size, processing_timeout=timeout)

    async def post_video(self, source: str | os.PathLike[str], *, privacy_level: str | None = None,
                         title: str | None = None, allow_comment: bool = False, allow_duet: bool = False,
                         allow_stitch: bool = False, cover_timestamp_ms: int | None = None,
                         brand_content: bool = False, brand_organic: bool = False, is_aigc: bool = False,
                         duration: float | None = None, mode: str = "direct", chunk_size: int | None = None,
                         wait: bool = True, timeout: float = DEFAULT_WAIT,
                         on_progress: OnProgress | None = None, events: PostBoard | None = None) -> PostResult:
        """Post a video (see :meth:`pytok_sm.LoginKit.post_video`)."""
        flow = await self.prepare_post_video(
            source, privacy_level=privacy_level, title=title, allow_comment=allow_comment, allow_duet=allow_duet,
            allow_stitch=allow_stitch, cover_timestamp_ms=cover_timestamp_ms, brand_content=brand_content,
            brand_organic=brand_organic, is_aigc=is_aigc, duration=duration, mode=mode, chunk_size=chunk_size,
            timeout=timeout)
        return await self.run_post(flow, wait=wait, on_progress=on_progress, events=events)

    async def post_photos(self, urls: Iterable[str], *, cover_index: int = 0, privacy_level: str | None = None,
                          title: str | None = None, description: str | None = None, allow_comment: bool = False,
                          auto_add_music: bool = False, brand_content: bool = False, brand_organic: bool = False,
                          mode: str = "direct", wait: bool = True, timeout: float = DEFAULT_WAIT,
                          on_progress: OnProgress | None = None, events: PostBoard | None = None) -> PostResult:
        """Post photos (see :meth:`pytok_sm.LoginKit.post_photos`)."""
        flow = _photo_flow(self.config, urls=urls, cover_index=cover_index,
                             privacy_level=privacy_level, title=title, description=description,
                             allow_comment=allow_comment, auto_add_music=auto_add_music, brand_content=brand_content,
                             brand_organic=brand_organic, mode=mode, processing_timeout=timeout)
        return await self.run_post(flow, wait=wait, on_progress=on_progress, events=events)

    async def run_post(self, flow: PostFlow, *, wait: bool = True,
                       on_progress: OnProgress | None = None, events: PostBoard | None = None) -> PostResult:
        """Run a posting flow; cancelling the task cancels the post here and, where TikTok allows, there."""
        board = _ops().check_events(events)
        driver = self._driver(None, _ticker(on_progress), None)
        try:
            return await self._drive(_ops().run_post(self._policy, flow, wait=wait, events=board), driver)
        except (KeyboardInterrupt, asyncio.CancelledError):
            if flow.state != "cancelled" and not flow.finished:
                flow.cancel()
            await self._withdraw(flow)
            raise

    async def resume_post(self, snapshot: Mapping[str, Any], *, wait: bool = True,
                          on_progress: OnProgress | None = None, events: PostBoard | None = None) -> PostResult:
        """Go on with a posting flow from its snapshot."""
        board = _ops().check_events(events)
        flow = resume_flow(snapshot, self.config, self._policy.snapshot_key)
        return await self.run_post(flow, wait=wait, on_progress=on_progress, events=board)

    async def publish_status(self, publish_id: str, *, wait: bool = False, timeout: float = DEFAULT_WAIT,
                             events: PostBoard | None = None) -> PublishStatus:
        """A post's status now, or with ``wait`` once TikTok ends it (or its webhook, with ``events``)."""
        return await self._drive(_ops().publish_status(self._policy, publish_id, wait=wait, timeout=timeout,
                                                        events=events))

    async def cancel_post(self, publish_id: str) -> None:
        """Ask TikTok to cancel a post."""
        await self._drive(_ops().cancel_post(self._policy, publish_id))

    async def _withdraw(self, flow: Flow) -> None:
        if _withdrawable(flow):
            try:
                await asyncio.wait_for(self.cancel_post(flow.publish_id), 30)  # type: ignore[attr-defined]
            except (TikTokError, TimeoutError):
                pass
