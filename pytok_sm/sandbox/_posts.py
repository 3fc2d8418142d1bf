"""What the sandbox remembers of Content Posting: posts, their uploads, creators, budgets.

A post is born at an init and lives on the sandbox clock. Its status is computed lazily,
at each read (``status/fetch``, ``Sandbox.posts``, the ``/sandbox/posts`` page), never by a
timer: a FILE_UPLOAD post reads ``PROCESSING_UPLOAD`` with the bytes held while its chunks
arrive and for ``switches.processing_seconds`` after the last one (the 201); a
PULL_FROM_URL post reads ``PROCESSING_DOWNLOAD`` for as long from its init. Then it ends as
``switches.post_outcome`` says: ``PUBLISH_COMPLETE`` (Direct Post, with the misspelled
``publicaly_available_post_id``, empty unless the post is public) or
``SEND_TO_USER_INBOX`` (inbox), ``FAILED`` with ``switches.post_fail_reason``, or never.

Everything here is guarded by the sandbox's state lock (``ctx.state.lock``). The parts of an
upload that must not be copied (its token, its running sha256) live in an
:class:`UploadSlot` beside the :class:`PostRecord`, so records deep-copy for tests.

Example:
    >>> from pytok_sm.sandbox._switches import Switches
    >>> post = PostRecord(publish_id="v_pub_url~v2.1", client_key="k", open_id="o", kind="video",
    ...                   mode="direct", source="PULL_FROM_URL", privacy_level="SELF_ONLY", created_at=0.0,
    ...                   processing_since=0.0)
    >>> refresh_status(post, Switches(), now=1.0); post.status
    'PROCESSING_DOWNLOAD'
    >>> refresh_status(post, Switches(), now=3.0); post.status, post.post_ids
    ('PUBLISH_COMPLETE', [])
"""

from __future__ import annotations

import hashlib
import secrets
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

from pytok_sm import _contract as contract

from ._creators import Creators
from ._switches import Switches

__all__ = [
    "DAY",
    "PULLED_IMAGE_BYTES",
    "PULLED_VIDEO_BYTES",
    "PostRecord",
    "PostingState",
    "UploadSlot",
    "refresh_status",
    "status_data",
]

#: The 24-hour window of every posting cap, in sandbox seconds.
DAY = 24 * 3600.0
#: The size the sandbox pretends a pulled video (and each pulled photo) has.
PULLED_VIDEO_BYTES = 10_000_000
PULLED_IMAGE_BYTES = 500_000

Kind = Literal["video", "photo"]
Mode = Literal["direct", "inbox"]


@dataclass
class PostRecord:
    """One post, from its init to its end (a deep copy is what ``Sandbox.posts`` hands out).

    ``status`` is as of the last read; ``uploaded_bytes`` are the bytes held, ``ranges`` the
    ``(first, last)`` of each accepted chunk in order with ``chunk_sha256`` their digests, and
    ``sha256`` the whole file's once complete.

    Example:
        >>> PostRecord(publish_id="p", client_key="k", open_id="o", kind="photo", mode="inbox",
        ...            source="PULL_FROM_URL", privacy_level=None, created_at=0.0).status
        'PROCESSING_DOWNLOAD'
    """

    publish_id: str
    client_key: str
    open_id: str
    kind: Kind
    mode: Mode
    source: str
    privacy_level: str | None
    created_at: float
    title: str = ""
    description: str = ""
    video_size: int | None = None
    chunk_size: int | None = None
    total_chunk_count: int | None = None
    video_url: str | None = None
    photo_images: tuple[str, ...] = ()
    uploaded_bytes: int = 0
    ranges: list[tuple[int, int]] = field(default_factory=list)
    chunk_sha256: list[str] = field(default_factory=list)
    sha256: str | None = None
    #: When processing began: the last chunk's 201, or the init of a PULL_FROM_URL post.
    processing_since: float | None = None
    status: str = ""
    fail_reason: str | None = None
    post_ids: list[int] = field(default_factory=list)
    #: A media check that failed on the last chunk; it shows when processing ends.
    media_problem: str | None = None
    upload_id: str | None = None

    def __post_init__(self) -> None:
        if not self.status:
            upload = self.source == contract.SOURCE_FILE_UPLOAD
            self.status = contract.STATUS_PROCESSING_UPLOAD if upload else contract.STATUS_PROCESSING_DOWNLOAD

    @property
    def ended(self) -> bool:
        """True once the status is terminal (complete, in the inbox, or failed)."""
        return self.status in (contract.STATUS_PUBLISH_COMPLETE, contract.STATUS_SEND_TO_USER_INBOX,
                               contract.STATUS_FAILED)

    def chunk_bounds(self, index: int) -> tuple[int, int]:
        """The ``(first, last)`` byte of chunk ``index`` under the declared plan; the last
        chunk takes the remainder (longer than chunk_size, or shorter in a ceil plan)."""
        assert self.video_size is not None and self.chunk_size is not None and self.total_chunk_count is not None
        first = index * self.chunk_size
        if index == self.total_chunk_count - 1:
            return first, self.video_size - 1
        return first, first + self.chunk_size - 1


@dataclass
class UploadSlot:
    """The live side of one FILE_UPLOAD: its URL's token, deadline and running sha256.

    Example:
        >>> slot = UploadSlot(upload_id="1", publish_id="p", token="secret", expires_at=3600.0)
        >>> slot.busy, "secret" in repr(slot)
        (False, False)
    """

    upload_id: str
    publish_id: str
    token: str = field(repr=False)
    expires_at: float
    hasher: Any = field(default_factory=hashlib.sha256, repr=False)
    #: The file's first bytes (for the container check).
    head: bytes = field(default=b"", repr=False)
    #: A chunk is being received: another PUT meanwhile is out of step.
    busy: bool = False


def _new_number() -> int:
    """A 19-digit positive int64, like TikTok's ids."""
    return 7_000_000_000_000_000_000 + secrets.randbelow(2_000_000_000_000_000_000)


class PostingState:
    """Posts, uploads, creators and the budgets of the posting endpoints.

    Example:
        >>> state = PostingState()
        >>> state.new_publish_id("v_inbox_url~v2").startswith("v_inbox_url~v2.")
        True
        >>> state.rate_limited("token", "status", limit=1, window=60.0, now=0.0)
        False
        >>> state.rate_limited("token", "status", limit=1, window=60.0, now=1.0)
        True
    """

    def __init__(self) -> None:
        self.creators = Creators()
        self.posts: dict[str, PostRecord] = {}
        self.uploads: dict[str, UploadSlot] = {}
        #: Sliding windows of request times per (access token, endpoint).
        self.windows: dict[tuple[str, str], deque[float]] = {}
        self._issued: set[int] = set()

    def new_number(self) -> int:
        """A fresh id number, never handed out before by this sandbox."""
        number = _new_number()
        while number in self._issued:
            number = _new_number()
        self._issued.add(number)
        return number

    def new_publish_id(self, prefix: str) -> str:
        """``<prefix>.<19 digits>``, e.g. ``v_pub_file~v2-1.7493784938978805793``."""
        return f"{prefix}.{self.new_number()}"

    def rate_limited(self, token: str, endpoint: str, *, limit: int, window: float, now: float) -> bool:
        """Count one request of ``token`` to ``endpoint``; True (not counted) when over ``limit``."""
        times = self.windows.setdefault((token, endpoint), deque())
        while times and times[0] <= now - window:
            times.popleft()
        if len(times) >= limit:
            return True
        times.append(now)
        return False

    def recent(self, now: float) -> list[PostRecord]:
        """Posts created in the last 24 hours."""
        return [post for post in self.posts.values() if post.created_at > now - DAY]

    def direct_posts_today(self, open_id: str, now: float) -> int:
        """Direct posts made to ``open_id`` in 24 h through any app (each accepted init counts)."""
        return sum(1 for post in self.recent(now) if post.open_id == open_id and post.mode == "direct")

    def pending_shares(self, open_id: str, now: float) -> int:
        """Inbox shares to ``open_id`` in 24 h that did not fail (the creator has not acted on any)."""
        return sum(
            1 for post in self.recent(now)
            if post.open_id == open_id and post.mode == "inbox" and post.status != contract.STATUS_FAILED
        )

    def active_creators(self, client_key: str, now: float) -> set[str]:
        """Creators ``client_key`` made a direct post for in 24 h."""
        return {post.open_id for post in self.recent(now) if post.client_key == client_key and post.mode == "direct"}


def refresh_status(post: PostRecord, switches: Switches, *, now: float) -> None:
    """Move ``post`` to where the sandbox clock says it is (processing ends lazily)."""
    if post.ended or post.processing_since is None:
        return
    if now < post.processing_since + switches.processing_seconds or switches.post_outcome == "never":
        return
    if post.media_problem is not None:
        post.status, post.fail_reason = contract.STATUS_FAILED, post.media_problem
    elif switches.post_outcome == "fail":
        post.status, post.fail_reason = contract.STATUS_FAILED, switches.post_fail_reason
    elif post.mode == "inbox":
        post.status = contract.STATUS_SEND_TO_USER_INBOX
    else:
        post.status = contract.STATUS_PUBLISH_COMPLETE
        if post.privacy_level == contract.PRIVACY_PUBLIC:  # only public posts have public ids
            post.post_ids.append(_new_number())


def status_data(post: PostRecord, *, now: float, switches: Switches) -> dict[str, object]:
    """The ``data`` of status/fetch for ``post`` (after :func:`refresh_status`)."""
    data: dict[str, object] = {"status": post.status, contract.PUBLIC_POST_IDS_FIELD: list(post.post_ids)}
    if post.status == contract.STATUS_FAILED:
        data["fail_reason"] = post.fail_reason or "internal"
    if post.source == contract.SOURCE_FILE_UPLOAD:
        data["uploaded_bytes"] = post.uploaded_bytes
    else:
        data["downloaded_bytes"] = _downloaded(post, now=now, switches=switches)
    return data


def _downloaded(post: PostRecord, *, now: float, switches: Switches) -> int:
    total = PULLED_VIDEO_BYTES if post.kind == "video" else PULLED_IMAGE_BYTES * max(1, len(post.photo_images))
    if post.status in (contract.STATUS_PUBLISH_COMPLETE, contract.STATUS_SEND_TO_USER_INBOX):
        return total
    since = post.processing_since if post.processing_since is not None else post.created_at
    if switches.processing_seconds <= 0:
        return total
    return min(total, int(total * max(0.0, now - since) / switches.processing_seconds))
