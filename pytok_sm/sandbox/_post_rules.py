"""The Content Posting inits' parameter rules: JSON bodies, ``post_info``, ``source_info`` and
the media transfer guide's chunk arithmetic.

Everything here answers 400 through :class:`Rejected`: the code is ``None`` for "a bad
parameter" (the endpoint spells it as ``switches.invalid_param_code`` says) and the message
names the field as TikTok's does ("The chunk size is invalid"). The 403 rules (privacy,
caps, verified URLs) need the creator and the app and live with the endpoints.

The chunk rules (https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide):
``total_chunk_count == floor(video_size / chunk_size)``, the remainder merged into the last
chunk; chunks from the smallest to the largest bound, the last up to the last-chunk bound; a
video up to the largest chunk may go whole (``chunk_size == video_size``); 1 to 1000 chunks;
``video_size`` at most ``switches.max_video_bytes``. The bounds are "MB" read as
``switches.chunk_size_unit`` says.

Example:
    >>> from pytok_sm.sandbox._switches import Switches
    >>> check_chunk_plan(50_000_123, 10_000_000, 5, Switches())
    >>> check_chunk_plan(50_000_123, 10_000_000, 6, Switches())
    Traceback (most recent call last):
    ...
    pytok_sm.sandbox._post_rules.Rejected: The total chunk count is invalid
    >>> utf16_length("a😀")
    3
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final, NoReturn

from pytok_sm import _contract as contract

from ._switches import Switches
from ._wire import Request

__all__ = [
    "Rejected",
    "check_chunk_plan",
    "parse_json_object",
    "photo_post_info",
    "photo_source",
    "utf16_length",
    "video_post_info",
    "video_source",
]

_INT64_MAX: Final = 2**63 - 1
_MAX_URL_LENGTH: Final = 2048
_VIDEO_TOGGLES: Final = (
    "disable_duet",
    "disable_stitch",
    "disable_comment",
    "brand_content_toggle",
    "brand_organic_toggle",
    "is_aigc",
)
_PHOTO_TOGGLES: Final = ("disable_comment", "auto_add_music", "brand_content_toggle", "brand_organic_toggle")


class Rejected(Exception):  # noqa: N818 - an answer, not a failure of the sandbox
    """A 400 answer: ``code`` None means the bad-parameter code of the switches.

    Example:
        >>> Rejected(None, "The title is invalid").message
        'The title is invalid'
    """

    def __init__(self, code: str | None, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _invalid(label: str) -> NoReturn:
    raise Rejected(None, f"The {label} is invalid")


def utf16_length(value: str) -> int:
    """Length in UTF-16 code units, TikTok's measure of titles and descriptions."""
    return len(value.encode("utf-16-le", "surrogatepass")) // 2


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _no_constants(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def parse_json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object (``Content-Type: application/json``, UTF-8, no NaN, no
    duplicate keys); raises :class:`Rejected` otherwise."""
    if request.content_type != "application/json":
        raise Rejected(None, "The request body is invalid: send JSON with Content-Type: application/json")
    try:
        value = json.loads(
            request.body.decode("utf-8"), object_pairs_hook=_no_duplicates, parse_constant=_no_constants
        )
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise Rejected(None, "The request body is invalid: not well-formed JSON") from None
    if not isinstance(value, dict):
        raise Rejected(None, "The request body is invalid: not a JSON object")
    return value


def _object(parent: Mapping[str, Any], name: str, label: str, *, required: bool) -> dict[str, Any]:
    value = parent.get(name)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        _invalid(label)
    return value


def _integer(parent: Mapping[str, Any], name: str, label: str) -> int:
    value = parent.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _INT64_MAX:
        _invalid(label)
    return value


def _text(parent: Mapping[str, Any], name: str, label: str, max_units: int) -> str:
    value = parent.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str) or utf16_length(value) > max_units:
        _invalid(label)
    return value


def _url(value: object, label: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_URL_LENGTH:
        _invalid(label)
    return value


def _toggles(post_info: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, bool]:
    result: dict[str, bool] = {}
    for name in names:
        value = post_info.get(name)
        if value is None:
            continue
        if not isinstance(value, bool):
            _invalid(name.replace("_", " "))
        result[name] = value
    return result


def video_post_info(body: Mapping[str, Any]) -> dict[str, Any]:
    """The checked ``post_info`` of a Direct Post: ``title`` (<= 2200 UTF-16 units), the
    toggles (booleans), ``privacy_level`` as sent (the endpoint checks it: 403)."""
    post_info = _object(body, "post_info", "post info", required=False)
    checked: dict[str, Any] = {
        "title": _text(post_info, "title", "title", contract.VIDEO_TITLE_MAX_UTF16),
        "privacy_level": post_info.get("privacy_level"),
    }
    checked.update(_toggles(post_info, _VIDEO_TOGGLES))
    # video_cover_timestamp_ms: "invalid or absent means the first frame", never an error.
    return checked


def video_source(body: Mapping[str, Any], switches: Switches) -> dict[str, Any]:
    """The checked ``source_info`` of a video init (FILE_UPLOAD plan or PULL_FROM_URL URL)."""
    source_info = _object(body, "source_info", "source info", required=True)
    source = source_info.get("source")
    if source == contract.SOURCE_PULL_FROM_URL:
        return {"source": source, "video_url": _url(source_info.get("video_url"), "video url")}
    if source != contract.SOURCE_FILE_UPLOAD:
        _invalid("source")
    size = _integer(source_info, "video_size", "video size")
    chunk = _integer(source_info, "chunk_size", "chunk size")
    count = _integer(source_info, "total_chunk_count", "total chunk count")
    check_chunk_plan(size, chunk, count, switches)
    return {"source": source, "video_size": size, "chunk_size": chunk, "total_chunk_count": count}


def check_chunk_plan(size: int, chunk: int, count: int, switches: Switches) -> None:
    """Raise :class:`Rejected` unless the plan follows the media transfer guide."""
    smallest, largest, last_largest = switches.chunk_bounds
    if not 1 <= size <= switches.max_video_bytes:
        _invalid("video size")
    if not 1 <= chunk <= size:
        _invalid("chunk size")
    if not 1 <= count <= contract.MAX_CHUNKS:
        _invalid("total chunk count")
    if switches.reject_multi_chunk and count > 1:
        raise Rejected(contract.API_INVALID_PARAMS, "The chunk size is invalid")
    if chunk == size:  # the whole video in one request
        if count != 1:
            _invalid("total chunk count")
        if size > largest:
            _invalid("chunk size")
        return
    if not smallest <= chunk <= largest:
        _invalid("chunk size")
    floor = size // chunk
    ceil_plan = switches.ceil_chunk_plans == "accept" and size % chunk and count == floor + 1
    if count != floor and not ceil_plan:
        _invalid("total chunk count")
    if count == 1 and size > largest:  # over the largest chunk: must be several chunks
        _invalid("chunk size")
    if size - (count - 1) * chunk > last_largest:
        _invalid("chunk size")


def photo_post_info(body: Mapping[str, Any]) -> dict[str, Any]:
    """The checked ``post_info`` of a photo post: title <= 90, description <= 4000 UTF-16
    units, toggles booleans, ``privacy_level`` as sent."""
    post_info = _object(body, "post_info", "post info", required=False)
    checked: dict[str, Any] = {
        "title": _text(post_info, "title", "title", contract.PHOTO_TITLE_MAX_UTF16),
        "description": _text(post_info, "description", "description", contract.PHOTO_DESCRIPTION_MAX_UTF16),
        "privacy_level": post_info.get("privacy_level"),
    }
    checked.update(_toggles(post_info, _PHOTO_TOGGLES))
    return checked


def photo_source(body: Mapping[str, Any]) -> dict[str, Any]:
    """The checked ``source_info`` of a photo post: PULL_FROM_URL, 1..35 image URLs, the
    0-based ``photo_cover_index`` among them."""
    source_info = _object(body, "source_info", "source info", required=True)
    if source_info.get("source") != contract.SOURCE_PULL_FROM_URL:
        _invalid("source")
    images = source_info.get("photo_images")
    if not isinstance(images, list) or not 1 <= len(images) <= contract.PHOTO_MAX_IMAGES:
        _invalid("photo image list")
    urls = tuple(_url(image, "photo image list") for image in images)
    cover = source_info.get("photo_cover_index")
    if isinstance(cover, bool) or not isinstance(cover, int) or not 0 <= cover < len(urls):
        _invalid("photo cover index")
    return {"source": contract.SOURCE_PULL_FROM_URL, "photo_images": urls, "photo_cover_index": cover}
