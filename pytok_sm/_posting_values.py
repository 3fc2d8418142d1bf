"""The values of posting: what TikTok says about a creator and a post, and what a posting
flow reports back. Plain frozen values (no I/O); :mod:`pytok_sm._posting_wire` builds them
from TikTok's answers and :mod:`pytok_sm._posting_rules` checks a post against them.

Example:
    >>> creator = CreatorInfo.from_dict({
    ...     "creator_avatar_url": None, "creator_username": "ann", "creator_nickname": "Ann",
    ...     "privacy_level_options": ["SELF_ONLY"], "comment_disabled": False, "duet_disabled": True,
    ...     "stitch_disabled": True, "max_video_post_duration_sec": 300})
    >>> creator.privacy_level_options, creator.to_dict() == CreatorInfo.from_dict(creator.to_dict()).to_dict()
    (('SELF_ONLY',), True)
    >>> PublishStatus("v_pub_file~v2.1", "SEND_TO_USER_INBOX").terminal
    True
    >>> PostResult("v_pub_file~v2.1", UNCONFIRMED).confirmed
    False
    >>> InitAnswer("v_pub_file~v2.1", "https://open-upload.tiktokapis.com/video/?upload_id=1&upload_token=t")
    InitAnswer(publish_id='v_pub_file~v2.1', upload_url='https://open-upload.tiktokapis.com/video/?...')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import _contract as contract
from ._secrets import REGISTRY

__all__ = [
    "UNCONFIRMED",
    "CreatorInfo",
    "InitAnswer",
    "PostProgress",
    "PostResult",
    "PublishStatus",
    "UploadAnswer",
]

#: A post's status when the overall deadline passed while TikTok still said "processing".
UNCONFIRMED = "UNCONFIRMED"

_TERMINAL = frozenset({contract.STATUS_PUBLISH_COMPLETE, contract.STATUS_SEND_TO_USER_INBOX, contract.STATUS_FAILED})
_SUCCESS = frozenset({contract.STATUS_PUBLISH_COMPLETE, contract.STATUS_SEND_TO_USER_INBOX})
_INT32_MAX = 2**31 - 1
_TEXT_FIELDS = ("creator_avatar_url", "creator_username", "creator_nickname")
_FLAG_FIELDS = ("comment_disabled", "duet_disabled", "stitch_disabled")
_CREATOR_FIELDS = frozenset(
    {*_TEXT_FIELDS, *_FLAG_FIELDS, "privacy_level_options", "max_video_post_duration_sec"}
)


@dataclass(frozen=True, slots=True)
class CreatorInfo:
    """What creator_info says about the creator: who they are (show the nickname), which
    privacy levels they may choose, which interactions they switched off, and the longest
    video they may post (seconds; None when TikTok did not say)."""

    creator_avatar_url: str | None
    creator_username: str | None
    creator_nickname: str | None
    privacy_level_options: tuple[str, ...]
    comment_disabled: bool
    duet_disabled: bool
    stitch_disabled: bool
    max_video_post_duration_sec: int | None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (for snapshots); :meth:`from_dict` reads it back.

        Example:
            >>> CreatorInfo(None, "ann", "Ann", ("SELF_ONLY",), True, True, True, None).to_dict()["privacy_level_options"]
            ['SELF_ONLY']
        """
        return {
            "creator_avatar_url": self.creator_avatar_url,
            "creator_username": self.creator_username,
            "creator_nickname": self.creator_nickname,
            "privacy_level_options": list(self.privacy_level_options),
            "comment_disabled": self.comment_disabled,
            "duet_disabled": self.duet_disabled,
            "stitch_disabled": self.stitch_disabled,
            "max_video_post_duration_sec": self.max_video_post_duration_sec,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CreatorInfo:
        """The value :meth:`to_dict` wrote; ``ValueError`` on a missing or unknown key or a
        value of the wrong type.

        Example:
            >>> CreatorInfo.from_dict({"creator_nickname": 1})
            Traceback (most recent call last):
            ...
            ValueError: a creator info needs exactly the fields of to_dict(); missing: comment_disabled, ...
        """
        if not isinstance(d, Mapping) or set(d) != _CREATOR_FIELDS:
            keys = set(d) if isinstance(d, Mapping) else set()
            missing = ", ".join(sorted(_CREATOR_FIELDS - keys)[:1])
            extra = ", ".join(sorted(str(k) for k in keys - _CREATOR_FIELDS)[:3])
            detail = f"missing: {missing}, ..." if missing else f"unknown: {extra}"
            raise ValueError(f"a creator info needs exactly the fields of to_dict(); {detail}")
        for name in _TEXT_FIELDS:
            if d[name] is not None and not isinstance(d[name], str):
                raise ValueError(f"creator info {name} must be a string or None")
        for name in _FLAG_FIELDS:
            if not isinstance(d[name], bool):
                raise ValueError(f"creator info {name} must be true or false")
        options = d["privacy_level_options"]
        if not isinstance(options, (list, tuple)) or not all(isinstance(o, str) for o in options):
            raise ValueError("creator info privacy_level_options must be a list of strings")
        limit = d["max_video_post_duration_sec"]
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit <= _INT32_MAX):
            raise ValueError("creator info max_video_post_duration_sec must be an integer 0..2**31-1 or None")
        return cls(
            d["creator_avatar_url"], d["creator_username"], d["creator_nickname"], tuple(options),
            d["comment_disabled"], d["duet_disabled"], d["stitch_disabled"], limit,
        )


@dataclass(frozen=True, slots=True)
class PublishStatus:
    """One answer of status/fetch. ``post_ids`` are the published posts' ids (as strings: they
    are 64-bit); the byte counters are TikTok's, when it sent them."""

    publish_id: str
    status: str
    fail_reason: str | None = None
    post_ids: tuple[str, ...] = ()
    uploaded_bytes: int | None = None
    downloaded_bytes: int | None = None

    @property
    def terminal(self) -> bool:
        """True once TikTok is done: ``PUBLISH_COMPLETE``, ``SEND_TO_USER_INBOX`` or ``FAILED``."""
        return self.status in _TERMINAL

    @property
    def failed(self) -> bool:
        """True when the post ended ``FAILED`` (see ``fail_reason``)."""
        return self.status == contract.STATUS_FAILED


@dataclass(frozen=True, slots=True)
class PostResult:
    """How a post ended, as far as the caller waited.

    ``status`` is TikTok's final status (``PUBLISH_COMPLETE``, ``SEND_TO_USER_INBOX``),
    :data:`UNCONFIRMED` when the overall deadline passed while TikTok still said processing,
    or the processing status when the caller did not wait. ``media`` is ``"video"`` or
    ``"photo"``, ``mode`` ``"direct"`` or ``"inbox"``.
    """

    publish_id: str
    status: str
    post_ids: tuple[str, ...] = ()
    media: str = "video"
    mode: str = "direct"

    @property
    def confirmed(self) -> bool:
        """True when TikTok said the post is done: ``PUBLISH_COMPLETE`` or ``SEND_TO_USER_INBOX``."""
        return self.status in _SUCCESS


@dataclass(frozen=True, slots=True)
class PostProgress:
    """Where a post is, for a progress display. ``chunk`` is 1-based (0 before the first is
    sent) of ``chunks``; ``status`` is TikTok's latest status, once polling began."""

    state: str
    publish_id: str | None
    bytes_sent: int
    bytes_total: int
    chunk: int
    chunks: int
    status: str | None


@dataclass(frozen=True, slots=True, weakref_slot=True)
class InitAnswer:
    """An init's answer: the post's ``publish_id`` and, for a file upload, the URL to send
    the file to. The URL's query is a credential: never shown, and masked in logs for as long
    as this value lives."""

    publish_id: str
    upload_url: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.upload_url is not None:
            REGISTRY.add(self.upload_url.partition("?")[2], owner=self)

    def __repr__(self) -> str:
        url = self.upload_url
        shown = None if url is None else url.partition("?")[0] + ("?..." if "?" in url else "")
        return f"InitAnswer(publish_id={self.publish_id!r}, upload_url={shown!r})"


@dataclass(frozen=True, slots=True)
class UploadAnswer:
    """TikTok's answer to one chunk: its HTTP ``status`` (201 complete, 206 more expected, 403
    URL expired, 404 no such upload, 416 out of step) and what its ``Content-Range`` says
    TikTok holds: ``held`` bytes from the start of ``total`` (None: no readable header)."""

    status: int
    held: int | None
    total: int | None
