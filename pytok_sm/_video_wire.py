"""The Display API's videos on the wire: ``POST /v2/video/list/`` and ``POST /v2/video/query/``
(scope ``video.list``), their requests and the reading of their answers (no I/O).

Both take ``?fields=a,b`` in the query and a JSON body; both answer the envelope
(:func:`pytok_sm._tiktok.read_envelope`: the body decides, not the status). The caller's
words are checked before anything is sent (:class:`~pytok_sm.ConfigurationError` naming the
parameter): every field is one of the Video Object's (``contract.VIDEO_FIELDS``),
``max_count`` is 1..20, a query holds 1..20 ids. An answer that cannot be walked safely is
a :class:`~pytok_sm.ProtocolError`: ``videos`` not a list of objects, more videos than
asked for, a ``cursor`` that is not a whole number, ``has_more`` that is not a bool, or a
cursor that does not move back in time while ``has_more`` says go on (a pager would read
the same page forever).

Docs: https://developers.tiktok.com/doc/tiktok-api-v2-video-list,
https://developers.tiktok.com/doc/tiktok-api-v2-video-query,
https://developers.tiktok.com/doc/tiktok-api-v2-video-object.

Example:
    >>> from pytok_sm._config import Config
    >>> request = video_list_request(Config("aw_key", "s"), "act.x", ["id", "title"], cursor=None, max_count=20)
    >>> request, request.params["fields"], dict(request.json)
    (Request(POST https://open.tiktokapis.com/v2/video/list/, JSON fields: max_count), 'id,title', {'max_count': 20})
    >>> page = parse_video_list(Response(200, {}, b'{"data": {"videos": [{"id": "7"}], "cursor": 1700000000000,'
    ...                                         b' "has_more": true}, "error": {"code": "ok"}}'), max_count=20, cursor=None)
    >>> page.videos, page.cursor, page.has_more
    ([{'id': '7'}], 1700000000000, True)
    >>> check_fields("id,titel")
    Traceback (most recent call last):
    ...
    pytok_sm.ConfigurationError: fields: unknown video field 'titel'; did you mean 'title'? (known: id, ...)
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import _contract as contract
from ._config import Config
from ._errors import ConfigurationError, ProtocolError
from ._http import Request, Response
from ._retry import RequestKind
from ._secrets import hush
from ._tiktok import read_envelope

__all__ = [
    "DEFAULT_VIDEO_FIELDS",
    "VideoPage",
    "check_cursor",
    "check_fields",
    "check_max_count",
    "check_video_ids",
    "parse_video_list",
    "parse_video_query",
    "video_list_request",
    "video_query_request",
]

#: What ``list_videos`` and ``query_videos`` ask for when the caller names no fields.
DEFAULT_VIDEO_FIELDS = contract.DEFAULT_VIDEO_FIELDS
#: Video/list and video/query are Display API reads: harmless to repeat, retried like user info.
KIND = RequestKind.USER_INFO
_INT64_MAX = 2**63 - 1
_ID_MAX = 64


@dataclass(frozen=True, slots=True)
class VideoPage:
    """One answer of video/list: its videos (dicts of the fields asked for, newest first),
    the ``cursor`` to send for the next page (None when TikTok sent none) and ``has_more``.

    Example:
        >>> VideoPage([{"id": "1"}], 1700000000000, False)
        VideoPage(1 videos, cursor=1700000000000, has_more=False)
    """

    videos: list[dict[str, Any]] = field(repr=False)
    cursor: int | None
    has_more: bool

    def __repr__(self) -> str:
        return f"VideoPage({len(self.videos)} videos, cursor={self.cursor}, has_more={self.has_more})"


# --------------------------------------------------------------------------- the caller's words


def check_fields(fields: str | Iterable[str]) -> tuple[str, ...]:
    """Video fields as an ordered set (a comma string or names), each a documented one.

    Example:
        >>> check_fields("id, title,id")
        ('id', 'title')
    """
    items: list[Any] = fields.split(",") if isinstance(fields, str) else _listed(fields, "fields")
    names: list[str] = []
    for item in items:
        name = item.strip() if isinstance(item, str) else item
        if name == "":
            continue
        if not isinstance(name, str) or name not in contract.VIDEO_FIELDS:
            close = difflib.get_close_matches(str(name), contract.VIDEO_FIELDS, n=1, cutoff=0.75)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigurationError("fields", f"unknown video field {name!r}{hint} (known: "
                                               f"{', '.join(contract.VIDEO_FIELDS)})")
        if name not in names:
            names.append(name)
    if not names:
        raise ConfigurationError("fields", f"name at least one video field, such as {DEFAULT_VIDEO_FIELDS!r}")
    return tuple(names)


def _listed(values: object, name: str) -> list[Any]:
    if isinstance(values, (bytes, Mapping)) or not isinstance(values, Iterable):
        raise ConfigurationError(name, f"must be a list of names, not a {type(values).__name__}")
    return list(values)


def check_max_count(max_count: object) -> int:
    """Videos per page: a whole number 1..20 (TikTok's limit)."""
    if isinstance(max_count, bool) or not isinstance(max_count, int) or not (
            1 <= max_count <= contract.VIDEO_LIST_MAX_COUNT):
        raise ConfigurationError("max_count", f"must be a whole number 1..{contract.VIDEO_LIST_MAX_COUNT}, "
                                              f"got {max_count!r}")
    return max_count


def check_cursor(cursor: object) -> int | None:
    """None (the newest videos first) or TikTok's cursor: a UTC time in milliseconds, >= 0."""
    if cursor is None:
        return None
    if isinstance(cursor, bool) or not isinstance(cursor, int) or not 0 <= cursor <= _INT64_MAX:
        raise ConfigurationError("cursor", f"must be None or a cursor TikTok handed out (a time in ms), got "
                                           f"{cursor!r}")
    return cursor


def check_video_ids(video_ids: Iterable[str | int]) -> tuple[str, ...]:
    """1..20 distinct video ids (strings of digits as TikTok writes them; ints are accepted).

    Example:
        >>> check_video_ids(["7077642457847991554", 7080217258529737986, "7077642457847991554"])
        ('7077642457847991554', '7080217258529737986')
    """
    if isinstance(video_ids, (str, int)):
        raise ConfigurationError("video_ids", "must be a list of video ids, not a single one: [video_id]")
    ids: list[str] = []
    for item in _listed(video_ids, "video_ids"):
        if isinstance(item, int) and not isinstance(item, bool) and 0 <= item <= _INT64_MAX:
            item = str(item)
        if not isinstance(item, str) or not 1 <= len(item) <= _ID_MAX or not item.isascii() \
                or not item.isprintable() or " " in item:
            raise ConfigurationError("video_ids", f"each must be a video id such as '7077642457847991554', "
                                                  f"got {item!r}")
        if item not in ids:
            ids.append(item)
    if not 1 <= len(ids) <= contract.VIDEO_QUERY_MAX_IDS:
        raise ConfigurationError("video_ids", f"a query takes 1..{contract.VIDEO_QUERY_MAX_IDS} video ids, got "
                                              f"{len(ids)}; split them into batches of "
                                              f"{contract.VIDEO_QUERY_MAX_IDS}")
    return tuple(ids)


# --------------------------------------------------------------------------- requests


def _request(config: Config, path: str, access_token: str, fields: tuple[str, ...], body: dict[str, Any]) -> Request:
    headers = {"Authorization": f"Bearer {access_token}", "Content-Type": contract.JSON_CONTENT_TYPE,
               "Accept": "application/json"}
    return Request("POST", config.endpoint(path), KIND, headers, params={"fields": ",".join(fields)}, json=body)


def video_list_request(config: Config, access_token: str, fields: Iterable[str], *, cursor: int | None,
                       max_count: int) -> Request:
    """One page of the person's public videos, newest first (``cursor``: older than that time)."""
    body: dict[str, Any] = {"max_count": check_max_count(max_count)}
    if check_cursor(cursor) is not None:
        body["cursor"] = cursor
    return _request(config, contract.VIDEO_LIST_PATH, access_token, check_fields(fields), body)


def video_query_request(config: Config, access_token: str, video_ids: Iterable[str | int],
                        fields: Iterable[str]) -> Request:
    """The person's own videos among ``video_ids`` (1..20), with fresh cover URLs.

    Example:
        >>> video_query_request(Config("aw_key", "s"), "act.x", ["7"], ["id"]).json
        {'filters': {'video_ids': ['7']}}
    """
    body = {"filters": {"video_ids": list(check_video_ids(video_ids))}}
    return _request(config, contract.VIDEO_QUERY_PATH, access_token, check_fields(fields), body)


# --------------------------------------------------------------------------- answers


def _videos(data: Mapping[str, Any], what: str, most: int, status: int) -> list[dict[str, Any]]:
    videos = data.get("videos")
    if videos is None:
        return []
    if not isinstance(videos, list):
        raise ProtocolError(f"the {what} answer's videos is not a list", http_status=status)
    if len(videos) > most:
        raise ProtocolError(f"the {what} answer holds {len(videos)} videos, more than the {most} asked for",
                            http_status=status)
    found = []
    for video in videos:
        if not isinstance(video, dict):
            raise ProtocolError(f"the {what} answer holds a video that is not an object", http_status=status)
        ident = video.get("id")
        if isinstance(ident, int) and not isinstance(ident, bool):
            video = {**video, "id": str(ident)}
        elif ident is not None and not isinstance(ident, str):
            raise ProtocolError(f"the {what} answer holds a video whose id is not a string", http_status=status)
        found.append(video)
    return found


@hush
def parse_video_list(response: Response, *, max_count: int, cursor: int | None) -> VideoPage:
    """A video/list answer as a :class:`VideoPage`; ``max_count`` and ``cursor`` are what the
    request asked (a page may be shorter, never longer; the next cursor must be older)."""
    status = response.status
    data = read_envelope(response, KIND, what="video list")
    videos = _videos(data, "video list", max_count, status)
    has_more = data.get("has_more")
    if has_more is None:
        has_more = False  # an omitted false: the walk ends, which is always safe
    if not isinstance(has_more, bool):
        raise ProtocolError("the video list answer's has_more is not true or false", http_status=status)
    following = data.get("cursor")
    if following is not None and (isinstance(following, bool) or not isinstance(following, int)
                                  or not 0 <= following <= _INT64_MAX):
        raise ProtocolError("the video list answer's cursor is not a whole number of milliseconds",
                            http_status=status)
    if has_more:
        if following is None:
            raise ProtocolError("the video list answer says has_more but gives no cursor", http_status=status)
        if cursor is not None and following >= cursor:
            raise ProtocolError(f"the video list's cursor does not move back in time ({cursor} -> {following}): "
                                "stopping rather than reading the same videos forever", http_status=status)
    return VideoPage(videos, following, has_more)


@hush
def parse_video_query(response: Response, *, video_ids: Iterable[str]) -> list[dict[str, Any]]:
    """The videos of a video/query answer; a video that was not asked for is refused."""
    asked = frozenset(video_ids)
    status = response.status
    videos = _videos(read_envelope(response, KIND, what="video query"), "video query", len(asked), status)
    for video in videos:
        if video.get("id") is not None and video["id"] not in asked:
            raise ProtocolError("the video query answer holds a video that was not asked for", http_status=status)
    return videos
