"""Post a video: Direct Post or Upload to inbox, from a file (chunked upload) or a URL.

https://developers.tiktok.com/doc/content-posting-api-reference-direct-post,
.../content-posting-api-reference-upload-video, .../content-posting-api-media-transfer-guide.
A Direct Post first checks the creator (``creator_info``: may this person post now, with
which privacy levels, how long a video?), then initialises the post, uploads the file chunk
by chunk in order (``PUT upload_url``, ``Content-Range: bytes FIRST-LAST/TOTAL``) and follows
the status until TikTok says published, sent to the inbox or failed, or the wait ends
unconfirmed. The rules of docs/TIKTOK-API.md section 8 are checked before anything is sent.

The upload answers as TikTok documents them: 206 next chunk, 201 done, 416 resynchronise
from the answer's ``Content-Range``, 403/404 the upload URL expired or is gone (a new init:
nothing was published; but when the whole file may be in, its ``Content-Range`` saying so or
the last chunk's answer lost, the post is followed instead: never made twice), 5xx the same
chunk again. An init whose answer was lost ends
``outcome_unknown`` and is never resent. A snapshot taken while uploading or processing
resumes in another process: from the last acknowledged chunk while the upload URL lives,
from a new init once it expired.

Example:
    >>> from types import SimpleNamespace
    >>> from pytok_sm import Config
    >>> video = SimpleNamespace(path="/v.mp4", size=50_000_123, mtime_ns=1, content_type="video/mp4", duration=None)
    >>> flow = VideoPostFlow(Config("aw_key", "s"), access_token="act.x", video=video, mode="inbox",
    ...                      chunk_size=10_000_000)
    >>> flow.start().request
    Request(POST https://open.tiktokapis.com/v2/post/publish/inbox/video/init/, JSON fields: source_info)
    >>> flow.plan.content_range(4)
    'bytes 40000000-50000122/50000123'
"""

from __future__ import annotations

from typing import Any, Protocol

from .. import _contract as contract
from .. import _posting_rules as rules
from .. import _posting_wire as wire
from .. import logs
from .._errors import ProtocolError, SnapshotRejected
from .._http import Request, Response
from .._posting_errors import MediaError, PostingError, PostSettingsError
from .._posting_values import InitAnswer, PostProgress
from . import _post_snapshot as saved
from ._base import RETRYING, StateSpec, t
from ._effects import MediaChanged
from ._post import DEFAULT_WAIT, PostFlow, loops

__all__ = ["VideoPostFlow", "VideoSource"]

#: Inits one post may make (the first, and new ones after an upload URL expired).
MAX_INITS = 3
#: Resynchronisations in a row that move nothing forward before the upload gives up.
MAX_STALLS = 3
#: Seconds before the upload URL's hour ends when no new chunk is started.
EXPIRY_MARGIN = 30.0
#: The slowest upload rate a chunk's deadline allows, bytes per second.
SLOWEST_RATE = 256 * 1024


class VideoSource(Protocol):
    """A probed video file (:func:`pytok_sm.drivers.probe_video` makes one)."""

    path: str
    size: int
    mtime_ns: int
    content_type: str
    duration: float | None


_LIVE = ("created", "checking_creator", "initialising", "uploading", "processing")


class VideoPostFlow(PostFlow):
    """Post one video (see the module doc)."""

    KIND = "post_video"
    STATES = (
        StateSpec("created", doc="nothing sent yet; the rules were checked"),
        StateSpec("checking_creator", enter="_enter_checking", handle="_on_creator",
                  doc="POST creator_info/query/: may this person post now?"),
        StateSpec("initialising", enter="_enter_initialising", handle="_on_video_init",
                  doc="POST video/init/ or inbox/video/init/"),
        StateSpec("uploading", enter="_enter_uploading", handle="_on_chunk", doc="PUT chunk i of n to upload_url"),
        StateSpec("processing", enter="_enter_processing", handle="_on_status",
                  doc="POST status/fetch/ until TikTok ends it"),
        StateSpec("published", enter="_enter_ended", final=True, doc="PUBLISH_COMPLETE"),
        StateSpec("sent_to_inbox", enter="_enter_ended", final=True,
                  doc="SEND_TO_USER_INBOX: the person finishes it in TikTok"),
        StateSpec("unconfirmed", enter="_enter_ended", final=True,
                  doc="the wait ended while TikTok still said processing: not a failure"),
        StateSpec("blocked", final=True, doc="this creator cannot post now (caps, spam risk)"),
        StateSpec("refused", final=True, doc="a rule of TikTok's refused the post (privacy, duration, ...)"),
        StateSpec("outcome_unknown", final=True, doc="the init got no answer: a post may exist; not resent"),
        StateSpec("cancelled", final=True, doc="the caller cancelled"),
        StateSpec("failed", final=True, doc="FAILED at TikTok (fail_reason), or an error, kept in flow.error"),
    )
    TRANSITIONS = (
        t("start_check", "created", "checking_creator"),
        t("start_init", "created", "initialising"),
        *loops("retry", "checking_creator", "initialising", "uploading", "processing"),
        *loops("renew_token", "checking_creator", "initialising", "processing"),
        t("creator_ok", "checking_creator", "initialising"),
        t("block", ("checking_creator", "initialising"), "blocked"),
        t("refuse", ("checking_creator", "initialising"), "refused"),
        t("lose_init", "initialising", "outcome_unknown"),
        t("initialised", "initialising", "uploading"),
        t("pulling", "initialising", "processing"),
        t("chunk_accepted", "uploading", "uploading"),
        t("resync", "uploading", "uploading"),
        t("upload_expired", "uploading", "initialising"),
        t("uploaded", "uploading", "processing"),
        t("still_processing", "processing", "processing"),
        t("published", "processing", "published"),
        t("delivered_to_inbox", "processing", "sent_to_inbox"),
        t("unconfirmed", "processing", "unconfirmed"),
        t("post_failed", "processing", "failed"),
        t("fail", ("checking_creator", "initialising", "uploading", "processing"), "failed"),
        t("cancel", _LIVE, "cancelled"),
    )
    RESUMABLE = ("uploading", "processing")
    TIMED = ("processing",)
    SNAPSHOT_FIELDS = saved.VIDEO_FIELDS

    __slots__ = ("path", "video_url", "size", "mtime_ns", "content_type", "chunk_size", "count", "index", "inits",
                 "stalls", "upload_url", "upload_expires", "post_info", "duration", "written", "_plan", "_settings")
    path: str | None
    video_url: str | None
    upload_url: str | None
    upload_expires: float | None
    post_info: dict[str, Any] | None
    duration: float | None
    _plan: rules.ChunkPlan | None
    _settings: dict[str, bool]

    def __init__(
        self,
        config: Any,
        *,
        access_token: str | None,
        video: VideoSource | None = None,
        video_url: str | None = None,
        privacy_level: str | None = None,
        title: str | None = None,
        allow_comment: bool = False,
        allow_duet: bool = False,
        allow_stitch: bool = False,
        cover_timestamp_ms: int | None = None,
        brand_content: bool = False,
        brand_organic: bool = False,
        is_aigc: bool = False,
        duration: float | None = None,
        mode: str = "direct",
        chunk_size: int | None = None,
        processing_timeout: float = DEFAULT_WAIT,
        **kwargs: Any,
    ) -> None:
        super().__init__(config, access_token=access_token, mode=mode, processing_timeout=processing_timeout, **kwargs)
        if (video is None) == (video_url is None):
            raise MediaError("invalid_params", "give a video file or a video URL (one of them)", rule="source")
        if video is not None:
            self.path, self.size, self.mtime_ns = video.path, video.size, video.mtime_ns
            self.content_type = video.content_type
            plan = rules.plan_chunks(video.size, chunk_size)
            self.chunk_size, self.count = plan.chunk_size, plan.count
            duration = video.duration if duration is None else duration
        else:
            assert video_url is not None
            if chunk_size is not None:
                raise MediaError("invalid_params", "chunk_size is for file uploads; TikTok pulls a URL itself",
                                 rule="chunk_size")
            self.video_url = rules.check_media_url(video_url)
        self.duration = duration
        if mode == "direct":
            self.post_info = rules.video_post_info(
                privacy_level=privacy_level, title=title, allow_comment=allow_comment, allow_duet=allow_duet,
                allow_stitch=allow_stitch, cover_timestamp_ms=cover_timestamp_ms, brand_content=brand_content,
                brand_organic=brand_organic, is_aigc=is_aigc, creator=None, duration=duration)
            self._settings = {"allow_comment": allow_comment, "allow_duet": allow_duet, "allow_stitch": allow_stitch}
        else:
            given = [name for name, value in (("privacy_level", privacy_level), ("title", title),
                     ("allow_comment", allow_comment), ("allow_duet", allow_duet), ("allow_stitch", allow_stitch),
                     ("cover_timestamp_ms", cover_timestamp_ms), ("brand_content", brand_content),
                     ("brand_organic", brand_organic), ("is_aigc", is_aigc)) if value not in (None, False)]
            if given:
                raise PostSettingsError("invalid_params", f"an upload to the inbox carries no {', '.join(given)}: "
                                        "the person sets them in TikTok; use mode='direct' to set them here",
                                        rule="inbox_settings")
            if duration is not None and duration > contract.VIDEO_MAX_DURATION_SEC:
                raise MediaError("duration_check_failed", f"the video lasts {duration:g} s; TikTok's API takes at most "
                                 f"{contract.VIDEO_MAX_DURATION_SEC} s: trim it", rule="duration")

    def _init_data(self) -> None:
        super()._init_data()
        self.path = None
        self.written = 0
        self.video_url = None
        self.size = 0
        self.mtime_ns = 0
        self.content_type = contract.VIDEO_CONTENT_TYPES["mp4"]
        self.chunk_size = 0
        self.count = 0
        self.index = 0
        self.inits = 0
        self.stalls = 0
        self.upload_url = None
        self.upload_expires = None
        self.post_info = None
        self.duration = None
        self._plan = None
        self._settings = {}

    @property
    def plan(self) -> rules.ChunkPlan:
        """The chunk plan of a file upload."""
        if self._plan is None:
            self._plan = rules.ChunkPlan(self.size, self.chunk_size, self.count)
        return self._plan

    @property
    def progress(self) -> PostProgress:
        """How far the post got: the bytes TikTok acknowledged plus those of the chunk on its
        way, the chunk, the status."""
        acknowledged = self.size if self.index >= self.count else (self.plan.first(self.index) if self.count else 0)
        sent = min(self.size, acknowledged + (self.written if self.state == "uploading" else 0))
        return PostProgress(self.state, self.publish_id, sent if self.path else 0, self.size, self.index, self.count,
                            self.status.status if self.status is not None else None)

    def _wrote(self, written: int) -> None:
        """The driver's count of the bytes of the current chunk sent so far (for progress)."""
        self.written = written

    def _pulls(self) -> bool:
        return self.video_url is not None

    # ------------------------------------------------------------------ start, creator, init
    def _begin(self) -> None:
        self._fire("start_check" if self.mode == "direct" else "start_init")

    def _check_with_creator(self, creator: Any) -> None:
        assert self.post_info is not None
        self.post_info = rules.video_post_info(
            privacy_level=self.post_info.get("privacy_level"), title=self.post_info.get("title"),
            cover_timestamp_ms=self.post_info.get("video_cover_timestamp_ms"),
            brand_content=bool(self.post_info.get("brand_content_toggle")),
            brand_organic=bool(self.post_info.get("brand_organic_toggle")),
            is_aigc=bool(self.post_info.get("is_aigc")), creator=creator, duration=self.duration, **self._settings)

    def _init_request(self) -> Request:
        assert self.access_token is not None
        source = self.plan.to_source_info() if self.path else {"source": contract.SOURCE_PULL_FROM_URL,
                                                                   "video_url": self.video_url}
        return wire.video_init_request(self.config, self.access_token, inbox=self.mode == "inbox",
                                       post_info=self.post_info, source_info=source)

    def _parse_init(self, response: Response) -> InitAnswer:
        return wire.parse_init(response, file_upload=self.path is not None)

    def _on_video_init(self, result: object) -> None:
        answer = self._on_init(result)
        if answer is None or answer is RETRYING:
            return
        self.inits += 1
        if self.path is None:
            self._fire("pulling", publish_id=self.publish_id)
            return
        self.upload_url = answer.upload_url
        logs.register_secret(self.upload_url, owner=self)
        self.upload_expires = self.clock() + contract.UPLOAD_URL_LIFETIME - EXPIRY_MARGIN
        self.index, self.stalls = 0, 0
        self._fire("initialised", publish_id=self.publish_id, chunks=self.count)

    # ------------------------------------------------------------------ the upload
    def _chunk_request(self) -> Request:
        assert self.upload_url is not None and self.path is not None
        return wire.upload_request(self.upload_url, self.plan, self.index, path=self.path, mtime_ns=self.mtime_ns,
                                   content_type=self.content_type)

    def _enter_uploading(self, event: object) -> None:
        length = self.plan.length(self.index)
        self.written = 0
        self._send_timed(self._chunk_request(), self.config.call_deadline + length / SLOWEST_RATE, self._wrote)

    def _expired(self) -> bool:
        return self.upload_expires is None or self.clock() >= self.upload_expires

    def _on_chunk(self, result: object) -> None:
        if isinstance(result, MediaChanged):
            raise MediaError("invalid_file_upload", f"{result.reason}; the upload stopped: post the file again",
                             rule="file_unchanged", publish_id=self.publish_id)
        answer = self._read(result, self._chunk_request, wire.parse_upload)
        if answer is RETRYING:
            return
        plan, status = self.plan, answer.status
        if status == contract.UPLOAD_COMPLETE:
            self.index = plan.count
            self._fire("uploaded", chunk=plan.count, of=plan.count)
        elif status == contract.UPLOAD_PARTIAL:
            expected = self.index + 1
            if answer.held is not None and answer.held != (plan.first(expected) if expected < plan.count else plan.size):
                self._resync(answer.held)
            elif expected >= plan.count:  # the last chunk, and TikTok still wants more
                raise ProtocolError("TikTok's upload answered 206 to the last chunk without saying what it holds")
            elif self._expired():
                self._reinit("the upload URL's hour is over")
            else:
                self.index, self.stalls = expected, 0
                self._fire("chunk_accepted", chunk=expected, of=plan.count)
        elif status == contract.UPLOAD_RANGE_OUT_OF_STEP:
            self._resync(answer.held)
        elif status in (403, 404):
            if answer.held == plan.size or (answer.held is None and self._last_chunk_maybe_in()):
                # The last chunk's 201 was lost: the post exists, or may. Follow it, never make it twice.
                self.index = plan.count
                self._fire("uploaded", chunk=plan.count, of=plan.count, after=status)
            else:
                self._reinit("the upload URL expired" if status == 403 else "TikTok no longer knows the upload")
        else:
            raise ProtocolError("TikTok's upload answered with an unexpected HTTP status", http_status=status)

    def _last_chunk_maybe_in(self) -> bool:
        """The last chunk went before and its answer never came (it is being sent again)."""
        return self.index == self.plan.count - 1 and self.attempt > 1

    def _resync(self, held: int | None) -> None:
        """Continue from what TikTok says it holds (a chunk boundary), else start again."""
        index = None if held is None else self.plan.index_at(held)
        if index is None:
            self._reinit("the upload is out of step and TikTok's answer does not say where to go on")
            return
        if index >= self.plan.count:
            self.index = self.plan.count
            self._fire("uploaded", chunk=self.plan.count, of=self.plan.count, resynced=True)
            return
        self.stalls = self.stalls + 1 if index <= self.index else 0
        if self.stalls > MAX_STALLS:
            raise ProtocolError("TikTok's upload keeps refusing the same chunk; try again later")
        self.index = index
        self._fire("resync", held=held, chunk=index + 1)

    def _reinit(self, why: str) -> None:
        if self.inits >= MAX_INITS:
            raise MediaError("invalid_file_upload", f"{why}, and {self.inits} inits were spent on this post: "
                             "post it again later", rule="reinit", publish_id=self.publish_id)
        self._fire("upload_expired", reason=why, abandoned=self.publish_id)

    def _reenter(self) -> None:
        self._check_resumed()
        if self.state == "uploading" and self._expired():
            self._fire("upload_expired", reason="the upload URL expired before the flow resumed",
                       abandoned=self.publish_id)
            return
        super()._reenter()

    def _check_resumed(self) -> None:
        """The second line behind the seal (a snapshot sealed with a leaked key): a file, a
        chunk plan or a place in it that cannot be is refused before anything is sent."""
        if (self.path is None) == (self.video_url is None):
            raise SnapshotRejected("it names neither a file nor a URL, or both")
        if self.path is None:
            if self.state == "uploading":
                raise SnapshotRejected("it is uploading without a file")
            return
        try:
            plan = rules.plan_chunks(self.size, self.chunk_size)
        except PostingError:
            plan = None
        if plan is None or (plan.chunk_size, plan.count) != (self.chunk_size, self.count):
            raise SnapshotRejected("its chunk plan is not one TikTok takes")
        if self.index > self.count - (self.state == "uploading") or (self.state == "uploading" and not self.upload_url):
            raise SnapshotRejected("its upload is not at a chunk of its plan")
