"""TikTok's posting rules, enforced before any byte is sent (pure: no I/O).

A chunk plan follows the media transfer guide exactly (``floor(size / chunk_size)`` chunks,
the remainder merged into the last); a post's settings follow TikTok's UX rules (no default
privacy level, nothing switched on for the person by default, branded content never
private). A breach raises the error TikTok would answer, with the rule's name in ``.rule``
and what to do in the message.

Example:
    >>> plan = plan_chunks(50_000_123, 10_000_000)
    >>> plan.count, plan.content_range(plan.count - 1)
    (5, 'bytes 40000000-50000122/50000123')
    >>> video_post_info(privacy_level=None)
    Traceback (most recent call last):
    ...
    pytok_sm.PrivacyLevelError: privacy_level_option_mismatch: no privacy level was chosen: the person must pick one \
of the creator's privacy_level_options (there is no default); choose one of the creator's privacy_level_options \
(creator_info())
"""

from __future__ import annotations

import math
import unicodedata
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from . import _contract as contract
from ._config import LOOPBACK_HOSTS
from ._posting_errors import MediaError, PostSettingsError, PrivacyLevelError, posting_error
from ._posting_values import CreatorInfo

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "ChunkPlan",
    "check_media_url",
    "photo_post_info",
    "photo_source_info",
    "plan_chunks",
    "url_problem",
    "utf16_len",
    "video_post_info",
    "video_url_source_info",
]

#: The chunk size of a file too big for one request, when the caller asks for none.
DEFAULT_CHUNK_SIZE = 10_000_000
_INVALID = contract.API_INVALID_PARAMS
_INT32_MAX = 2**31 - 1
_ALLOWED_CONTROLS = frozenset("\n\r\t")


@dataclass(frozen=True, slots=True)
class ChunkPlan:
    """How a file of ``size`` bytes goes up: ``count`` chunks of ``chunk_size`` bytes, the last
    one also carrying the remainder. Chunks are numbered from 0.

    Example:
        >>> plan = ChunkPlan(25, 10, 2)
        >>> [plan.content_range(i) for i in range(plan.count)], plan.index_at(10), plan.index_at(25)
        (['bytes 0-9/25', 'bytes 10-24/25'], 1, 2)
    """

    size: int
    chunk_size: int
    count: int

    def __post_init__(self) -> None:
        for name in ("size", "chunk_size", "count"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"ChunkPlan.{name} must be a positive integer, got {value!r}")
        if self.chunk_size > self.size or self.count != self.size // self.chunk_size:
            raise ValueError("ChunkPlan.count must be floor(size / chunk_size), with chunk_size <= size")

    def _index(self, i: int) -> int:
        if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < self.count:
            raise IndexError(f"chunk {i!r} is not one of the plan's chunks 0..{self.count - 1}")
        return i

    def first(self, i: int) -> int:
        """The offset of chunk ``i``'s first byte."""
        return self._index(i) * self.chunk_size

    def last(self, i: int) -> int:
        """The offset of chunk ``i``'s last byte (the file's last byte for the last chunk)."""
        return self.size - 1 if self._index(i) == self.count - 1 else (i + 1) * self.chunk_size - 1

    def length(self, i: int) -> int:
        """How many bytes chunk ``i`` carries."""
        return self.last(i) - self.first(i) + 1

    def content_range(self, i: int) -> str:
        """The ``Content-Range`` header of chunk ``i``: ``bytes FIRST-LAST/TOTAL``."""
        return f"bytes {self.first(i)}-{self.last(i)}/{self.size}"

    def index_at(self, offset: int) -> int | None:
        """The chunk that starts at ``offset`` (``count`` at the end of the file), or None when
        no chunk starts there."""
        if isinstance(offset, bool) or not isinstance(offset, int):
            return None
        if offset == self.size:
            return self.count
        if offset < 0 or offset % self.chunk_size:
            return None
        index = offset // self.chunk_size
        return index if index < self.count else None

    def to_source_info(self) -> dict[str, Any]:
        """The init's ``source_info`` for this plan."""
        return {"source": contract.SOURCE_FILE_UPLOAD, "video_size": self.size, "chunk_size": self.chunk_size,
                "total_chunk_count": self.count}


def _media(rule: str, message: str, code: str = _INVALID) -> MediaError:
    return MediaError(code, message, rule=rule)


def _settings(rule: str, message: str) -> PostSettingsError:
    return PostSettingsError(_INVALID, message, rule=rule)


def _int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def plan_chunks(size: int, chunk_size: int | None = None) -> ChunkPlan:
    """The chunk plan of a ``size``-byte video, in ``chunk_size``-byte chunks (None: whole up to
    64,000,000 bytes, else :data:`DEFAULT_CHUNK_SIZE`). A video under the 5 MiB minimum always
    goes whole, and a ``chunk_size`` of at least the whole size sends it whole when it may be.

    Example:
        >>> plan_chunks(4_194_304)
        ChunkPlan(size=4194304, chunk_size=4194304, count=1)
        >>> plan_chunks(100_000_000, 1_000_000)
        Traceback (most recent call last):
        ...
        pytok_sm.MediaError: invalid_params: a chunk_size of 1000000 bytes is under TikTok's minimum of \
5242880 bytes: ask for 5242880..64000000, or none
    """
    if not _int(size) or size < 1:
        raise _media("video_empty", f"the video has {size!r} bytes: a video needs at least one byte")
    if size > contract.VIDEO_MAX_BYTES:
        raise _media("video_max_size", f"the video has {size} bytes, over TikTok's limit of "
                                       f"{contract.VIDEO_MAX_BYTES} bytes (4 GB): make it smaller")
    if chunk_size is not None and (not _int(chunk_size) or chunk_size < 1):
        raise _media("chunk_size_type", f"chunk_size must be a whole number of bytes, got {chunk_size!r}: ask for "
                                        f"{contract.CHUNK_MIN_BYTES}..{contract.CHUNK_MAX_BYTES}, or none")
    whole = ChunkPlan(size, size, 1)
    if size < contract.CHUNK_MIN_BYTES:
        return whole  # the guide: a video under the minimum goes whole, chunk_size = its size
    if chunk_size is None:
        if size <= contract.SINGLE_CHUNK_MAX_BYTES:
            return whole
        chunk_size = min(max(DEFAULT_CHUNK_SIZE, -(-size // contract.MAX_CHUNKS)), contract.CHUNK_MAX_BYTES)
    elif chunk_size >= size and size <= contract.SINGLE_CHUNK_MAX_BYTES:
        return whole
    bounds = f"ask for {contract.CHUNK_MIN_BYTES}..{contract.CHUNK_MAX_BYTES}, or none"
    if chunk_size < contract.CHUNK_MIN_BYTES:
        raise _media("chunk_size_min", f"a chunk_size of {chunk_size} bytes is under TikTok's minimum of "
                                       f"{contract.CHUNK_MIN_BYTES} bytes: {bounds}")
    if chunk_size > contract.CHUNK_MAX_BYTES:
        raise _media("chunk_size_max", f"a chunk_size of {chunk_size} bytes is over TikTok's maximum of "
                                       f"{contract.CHUNK_MAX_BYTES} bytes (a video over "
                                       f"{contract.SINGLE_CHUNK_MAX_BYTES} bytes must go in chunks): {bounds}")
    count = size // chunk_size
    if count == 1:  # one chunk carries the whole file: chunk_size must say so
        if size <= contract.SINGLE_CHUNK_MAX_BYTES:
            return whole
        raise _media("single_chunk_max", f"{chunk_size}-byte chunks put this {size}-byte video in one request, "
                                         f"but a video over {contract.SINGLE_CHUNK_MAX_BYTES} bytes must go in at "
                                         f"least two chunks: ask for at most {size // 2} bytes a chunk, or none")
    if count > contract.MAX_CHUNKS:
        least = -(-size // contract.MAX_CHUNKS)
        raise _media("max_chunks", f"{chunk_size}-byte chunks make {count} chunks of this video, over TikTok's "
                                   f"{contract.MAX_CHUNKS}: ask for at least {least} bytes a chunk, or none")
    last = size - (count - 1) * chunk_size
    if last > contract.LAST_CHUNK_MAX_BYTES:
        raise _media("last_chunk_max", f"{chunk_size}-byte chunks leave a last chunk of {last} bytes, over TikTok's "
                                       f"{contract.LAST_CHUNK_MAX_BYTES}: ask for a size that divides the video more "
                                       "evenly, or none")
    return ChunkPlan(size, chunk_size, count)


def utf16_len(text: str) -> int:
    """The length of ``text`` in UTF-16 code units, as TikTok counts a title.

    Example:
        >>> utf16_len("hi 🎬"), len("hi 🎬")
        (5, 4)
    """
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _text(name: str, value: object, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _settings(f"{name}_type", f"{name} must be a string or None, got a {type(value).__name__}")
    units = utf16_len(value)
    if units > limit:
        raise _settings(f"{name}_length", f"the {name} is {units} UTF-16 code units long, over TikTok's limit of "
                                          f"{limit}: shorten it")
    for ch in value:
        if ch not in _ALLOWED_CONTROLS and unicodedata.category(ch) in ("Cc", "Cs"):
            raise _settings(f"{name}_characters", f"the {name} contains a control character (U+{ord(ch):04X}): "
                                                  "remove it (line breaks and tabs are fine)")
    return value


def _flags(**flags: object) -> None:
    for name, value in flags.items():
        if not isinstance(value, bool):
            raise _settings("setting_type", f"{name} must be True or False, got {value!r}")


def _privacy(level: object, creator: CreatorInfo | None, brand_content: bool) -> str:
    options = list(creator.privacy_level_options) if creator is not None else list(contract.PRIVACY_LEVELS)
    choose = f"one of {', '.join(options) or '(none: this creator cannot post now)'}"
    mismatch = contract.API_PRIVACY_LEVEL_MISMATCH
    if level is None:
        raise posting_error(mismatch, "no privacy level was chosen: the person must pick one of the creator's "
                                      "privacy_level_options (there is no default)", rule="privacy_level_required")
    if not isinstance(level, str) or level not in contract.PRIVACY_LEVELS:
        raise posting_error(mismatch, f"privacy_level {level!r} is not a TikTok privacy level: choose {choose}",
                            rule="privacy_level_known")
    if creator is not None and level not in creator.privacy_level_options:
        raise posting_error(mismatch, f"privacy_level {level} is not among this creator's options: choose {choose}",
                            rule="privacy_level_option")
    if brand_content and level == contract.PRIVACY_SELF_ONLY:
        raise PrivacyLevelError(_INVALID, "branded content cannot be private (SELF_ONLY): choose another privacy "
                                          "level, or turn branded content off", rule="branded_content_private")
    return level


def _allowed(creator: CreatorInfo | None, **wanted: bool) -> None:
    for name, allow in wanted.items():
        attribute = f"{name}_disabled"
        if allow and creator is not None and getattr(creator, attribute):
            raise _settings(attribute, f"the creator has switched {name}s off ({attribute}): allow_{name} must "
                                       "be False (show it greyed out)")


def _duration_limit(creator: CreatorInfo | None) -> int:
    own = creator.max_video_post_duration_sec if creator is not None else None
    return min(own, contract.VIDEO_MAX_DURATION_SEC) if own else contract.VIDEO_MAX_DURATION_SEC


def video_post_info(*, privacy_level: str | None, title: str | None = None, allow_comment: bool = False,
                    allow_duet: bool = False, allow_stitch: bool = False, cover_timestamp_ms: int | None = None,
                    brand_content: bool = False, brand_organic: bool = False, is_aigc: bool = False,
                    creator: CreatorInfo | None = None, duration: float | None = None) -> dict[str, Any]:
    """A video Direct Post's ``post_info``, checked against TikTok's rules and, when given, the
    creator's creator_info and the video's ``duration`` (seconds).

    Example:
        >>> video_post_info(privacy_level="SELF_ONLY", title="Hello", allow_comment=True)
        {'privacy_level': 'SELF_ONLY', 'title': 'Hello', 'disable_comment': False, 'disable_duet': True, \
'disable_stitch': True, 'brand_content_toggle': False, 'brand_organic_toggle': False, 'is_aigc': False}
    """
    _flags(allow_comment=allow_comment, allow_duet=allow_duet, allow_stitch=allow_stitch,
           brand_content=brand_content, brand_organic=brand_organic, is_aigc=is_aigc)
    level = _privacy(privacy_level, creator, brand_content)
    text = _text("title", title, contract.VIDEO_TITLE_MAX_UTF16)
    _allowed(creator, comment=allow_comment, duet=allow_duet, stitch=allow_stitch)
    if cover_timestamp_ms is not None and (not _int(cover_timestamp_ms) or not 0 <= cover_timestamp_ms <= _INT32_MAX):
        raise _settings("cover_timestamp", f"cover_timestamp_ms must be an integer 0..{_INT32_MAX} (milliseconds "
                                           f"into the video) or None, got {cover_timestamp_ms!r}")
    if duration is not None:
        if isinstance(duration, bool) or not isinstance(duration, (int, float)) or not math.isfinite(duration) \
                or duration < 0:
            raise _media("duration_value", f"duration must be a number of seconds or None, got {duration!r}")
        limit = _duration_limit(creator)
        if duration > limit:
            raise _media("max_duration", f"the video lasts {duration:g} s, longer than this creator may post "
                                         f"through the API ({limit} s): trim it", code="duration_check_failed")
    info: dict[str, Any] = {"privacy_level": level}
    if text is not None:
        info["title"] = text
    info.update(disable_comment=not allow_comment, disable_duet=not allow_duet, disable_stitch=not allow_stitch)
    if cover_timestamp_ms is not None:
        info["video_cover_timestamp_ms"] = cover_timestamp_ms
    info.update(brand_content_toggle=brand_content, brand_organic_toggle=brand_organic, is_aigc=is_aigc)
    return info


def photo_post_info(*, direct: bool, privacy_level: str | None, title: str | None = None,
                    description: str | None = None, allow_comment: bool = False, auto_add_music: bool = False,
                    brand_content: bool = False, brand_organic: bool = False,
                    creator: CreatorInfo | None = None) -> dict[str, Any]:
    """A photo post's ``post_info``: for a Direct Post (``direct``) with the privacy level and
    settings; for an upload to the inbox only the title and description (the person chooses
    the rest in TikTok, so setting any of it is refused).

    Example:
        >>> photo_post_info(direct=False, privacy_level=None, title="Trip")
        {'title': 'Trip'}
    """
    _flags(direct=direct, allow_comment=allow_comment, auto_add_music=auto_add_music, brand_content=brand_content,
           brand_organic=brand_organic)
    text = _text("title", title, contract.PHOTO_TITLE_MAX_UTF16)
    about = _text("description", description, contract.PHOTO_DESCRIPTION_MAX_UTF16)
    info: dict[str, Any] = {}
    if direct:
        info["privacy_level"] = _privacy(privacy_level, creator, brand_content)
        _allowed(creator, comment=allow_comment)
    elif privacy_level is not None or allow_comment or auto_add_music or brand_content or brand_organic:
        raise _settings("direct_only", "an upload to the inbox takes only a title and a description: the person "
                                       "chooses privacy, comments, music and disclosure in TikTok; leave them unset")
    if text is not None:
        info["title"] = text
    if about is not None:
        info["description"] = about
    if direct:
        info.update(disable_comment=not allow_comment, auto_add_music=auto_add_music,
                    brand_content_toggle=brand_content, brand_organic_toggle=brand_organic)
    return info


def url_problem(url: object) -> str | None:
    """What is wrong with a URL this library would send to or fetch from (None: nothing). It
    must be https, or plain http on a loopback host; without credentials or a fragment.

    Example:
        >>> url_problem("https://cdn.example/v.mp4"), url_problem("http://127.0.0.1:8080/v.mp4")
        (None, None)
        >>> url_problem("file:///etc/passwd")
        'is not an https URL'
    """
    if not isinstance(url, str) or not url:
        return "is not a URL"
    if len(url) > 4096 or any(ch.isspace() or not ch.isprintable() for ch in url):
        return "is too long or has spaces or control characters"
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname
        if parts.port == 0:
            raise ValueError("port 0")
    except ValueError:
        return "has an invalid host or port"
    if parts.scheme not in ("https", "http") or not host:
        return "is not an https URL"
    if "@" in parts.netloc:
        return "carries credentials (user:password@)"
    if "#" in url:
        return "has a #fragment"
    if parts.scheme == "http" and host not in LOOPBACK_HOSTS:
        return "is plain http on a host that is not loopback (127.0.0.1, localhost, ::1): https is required"
    return None


def check_media_url(url: str) -> str:
    """A PULL_FROM_URL media URL, checked (https; plain http only on loopback hosts).

    Example:
        >>> check_media_url("http://evil.example/v.mp4")
        Traceback (most recent call last):
        ...
        pytok_sm.MediaError: invalid_params: the media URL is plain http on a host that is not loopback \
(127.0.0.1, localhost, ::1): https is required; use an https URL on a domain verified for the app
    """
    problem = url_problem(url)
    if problem is not None:
        raise _media("media_url", f"the media URL {problem}; use an https URL on a domain verified for the app")
    return url


def video_url_source_info(url: str) -> dict[str, Any]:
    """The init's ``source_info`` for a video TikTok pulls from ``url``.

    Example:
        >>> video_url_source_info("https://cdn.example/v.mp4")
        {'source': 'PULL_FROM_URL', 'video_url': 'https://cdn.example/v.mp4'}
    """
    return {"source": contract.SOURCE_PULL_FROM_URL, "video_url": check_media_url(url)}


def photo_source_info(urls: Sequence[str], cover_index: int = 0) -> dict[str, Any]:
    """A photo post's ``source_info``: 1..35 image URLs TikTok pulls, and which is the cover.

    Example:
        >>> photo_source_info(["https://cdn.example/1.jpg", "https://cdn.example/2.jpg"], cover_index=1)["photo_cover_index"]
        1
    """
    if isinstance(urls, (str, bytes)) or not isinstance(urls, Sequence):
        raise _media("photo_count", "urls must be a list of image URLs, not a single string")
    if not 1 <= len(urls) <= contract.PHOTO_MAX_IMAGES:
        raise _media("photo_count", f"a photo post has 1..{contract.PHOTO_MAX_IMAGES} images, got {len(urls)}")
    checked = [check_media_url(url) for url in urls]
    if not _int(cover_index) or not 0 <= cover_index < len(checked):
        raise _media("cover_index", f"cover_index must be the index of one of the {len(checked)} images "
                                    f"(0..{len(checked) - 1}), got {cover_index!r}")
    return {"source": contract.SOURCE_PULL_FROM_URL, "photo_images": checked, "photo_cover_index": cover_index}
