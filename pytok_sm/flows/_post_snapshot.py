"""What a posting flow's snapshot holds, and the check each field must pass on resume.

A posting snapshot carries the upload URL (a credential: TikTok's URL is the upload's only
key) and never the access token (tokens rotate: the resuming kit hands the flow a fresh
one). Like every snapshot it is sealed (:mod:`._snapshot`); these checks are the second
line, so that even a snapshot sealed with a leaked key cannot send the file over anything but
https (the URL is checked again when the chunk request is built; its host is TikTok's to
choose, so only the seal vouches for it) or resume at a chunk its plan does not have
(:class:`~pytok_sm.flows.VideoPostFlow` checks the plan and the chunk on resume).

Example:
    >>> whole_number(0, 10)(3)
    3
    >>> whole_number(0, 10)(True)
    Traceback (most recent call last):
    ...
    ValueError: not a whole number within 0..10
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import _contract as contract
from . import _snapshot as snapshots
from ._snapshot import Check

__all__ = ["PHOTO_FIELDS", "STATUS_FIELDS", "VIDEO_FIELDS", "whole_number"]


def whole_number(low: int, high: int) -> Check:
    """An int (not a bool) within ``low..high``."""

    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"not a whole number within {low}..{high}")
        return value

    return check


def one_of(*choices: str) -> Check:
    """One of the given strings."""

    def check(value: Any) -> str:
        if value not in choices:
            raise ValueError(f"not one of {', '.join(choices)}")
        return str(value)

    return check


def post_info(value: Any) -> dict[str, Any] | None:
    """TikTok's ``post_info`` as the flow built it: a small object of plain scalar values."""
    if value is None:
        return None
    if not isinstance(value, Mapping) or len(value) > 16:
        raise ValueError("not a post_info object")
    for key, item in value.items():
        if not isinstance(key, str) or not (item is None or isinstance(item, (str, bool, int))):
            raise ValueError("not a post_info object of plain values")
        if isinstance(item, str) and len(item) > 4 * contract.PHOTO_DESCRIPTION_MAX_UTF16:
            raise ValueError("holding a text longer than TikTok allows")
    return dict(value)


def text_line(max_len: int) -> Check:
    """A string of at most ``max_len`` printable characters (spaces allowed: file paths)."""

    def check(value: Any) -> str:
        if not isinstance(value, str) or not 1 <= len(value) <= max_len or not value.isprintable():
            raise ValueError(f"not a printable text of 1..{max_len} characters")
        return value

    return check


def urls(value: Any) -> list[str]:
    """A list of 1..35 URLs (checked again when the request is built)."""
    if not isinstance(value, list) or not 1 <= len(value) <= contract.PHOTO_MAX_IMAGES:
        raise ValueError(f"not a list of 1..{contract.PHOTO_MAX_IMAGES} URLs")
    return [snapshots.text(max_len=2048)(item) for item in value]


_BIG = 1 << 62
_TIME = snapshots.optional(snapshots.seconds(0, 1e11))
_ID = snapshots.optional(snapshots.text(max_len=64))

#: What every posting flow that follows a status keeps.
STATUS_FIELDS: dict[str, Check] = {
    "mode": one_of("direct", "inbox"),
    "publish_id": _ID,
    "finish_by": _TIME,
    "polls": whole_number(0, 1_000_000),
    "processing_timeout": snapshots.seconds(0, 7 * 86_400),
}

VIDEO_FIELDS: dict[str, Check] = {
    **STATUS_FIELDS,
    "path": snapshots.optional(text_line(4096)),
    "video_url": snapshots.optional(snapshots.text(max_len=2048)),
    "size": whole_number(0, contract.VIDEO_MAX_BYTES),
    "mtime_ns": whole_number(0, _BIG),
    "content_type": one_of(*contract.VIDEO_CONTENT_TYPES.values()),
    "chunk_size": whole_number(0, contract.VIDEO_MAX_BYTES),
    "count": whole_number(0, contract.MAX_CHUNKS),
    "index": whole_number(0, contract.MAX_CHUNKS),
    "inits": whole_number(0, 100),
    "upload_url": snapshots.optional(snapshots.text(max_len=4096)),
    "upload_expires": _TIME,
    "post_info": post_info,
    "duration": snapshots.optional(snapshots.seconds(0, 1e7)),
}

PHOTO_FIELDS: dict[str, Check] = {
    **STATUS_FIELDS,
    "post_info": post_info,
    "source_info": lambda value: dict(value) if isinstance(value, Mapping) else _reject("a source_info object"),
}


def _reject(what: str) -> Any:
    raise ValueError(f"not {what}")
