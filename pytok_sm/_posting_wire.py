"""The Content Posting API on the wire: builds its requests and reads its answers (no I/O).

Requests are :class:`Request` values with the Bearer token and a JSON body; an upload chunk is
a :class:`FileSlice` the driver streams. Parsers read the envelope as
:func:`pytok_sm._tiktok.read_envelope` does (**the body decides, not the status**: creator_info
says "cannot post now" with HTTP 200) and raise a :class:`PostingError` for posting codes. The
upload URL is TikTok's to choose and used whole, but only https (plain http on loopback): a
hostile answer must not make the library send a video elsewhere.

Docs: https://developers.tiktok.com/doc/content-posting-api-reference-direct-post,
https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide,
https://developers.tiktok.com/doc/content-posting-api-reference-get-video-status.

Example:
    >>> from pytok_sm._config import Config
    >>> status_request(Config("aw_key", "s"), "act.x", "v_pub_file~v2-1.7")
    Request(POST https://open.tiktokapis.com/v2/post/publish/status/fetch/, JSON fields: publish_id)
    >>> parse_creator_info(Response(200, {}, b'{"data": {}, "error": {"code": "spam_risk_too_many_posts"}}'))
    Traceback (most recent call last):
    ...
    pytok_sm.PostingSpamRisk: spam_risk_too_many_posts; this creator has reached a posting limit: try again in 24 \
hours, or post from the TikTok app
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any

from . import _contract as contract
from ._config import Config
from ._errors import ConfigurationError, ProtocolError, RateLimited
from ._http import FileSlice, Request, Response, parse_json
from ._posting_errors import MediaError, posting_error
from ._posting_rules import ChunkPlan, url_problem
from ._posting_values import CreatorInfo, InitAnswer, PublishStatus, UploadAnswer
from ._retry import RequestKind, parse_retry_after
from ._secrets import hush
from ._tiktok import read_envelope

__all__ = [
    "cancel_request",
    "check_publish_id",
    "creator_info_request",
    "parse_cancel",
    "parse_content_range",
    "parse_creator_info",
    "parse_init",
    "parse_status",
    "parse_upload",
    "photo_init_request",
    "status_request",
    "upload_request",
    "video_init_request",
]

_PUBLISH_ID_MAX = 64
_ID_CHARS = re.compile(r"[!-~]{1,64}")  # printable ASCII, no spaces
_RANGE = re.compile(r"bytes[ \t]+(?:([0-9]{1,19})-([0-9]{1,19})|\*)/([0-9]{1,19}|\*)", re.IGNORECASE)
#: No Content-Range above this is believed (TikTok's limit is 4 GB; third parties say 10).
_RANGE_MAX = 1 << 40
_INT32_MAX = 2**31 - 1
_INT64_MAX = 2**63 - 1
_MAX_OPTIONS = 32
_MAX_POST_IDS = 1000
_CONTENT_TYPES = frozenset(contract.VIDEO_CONTENT_TYPES.values())


# --------------------------------------------------------------------------- requests


def _request(config: Config, path: str, kind: RequestKind, access_token: str, body: Mapping[str, Any]) -> Request:
    headers = {"Authorization": f"Bearer {access_token}", "Content-Type": contract.JSON_CONTENT_TYPE,
               "Accept": "application/json"}
    return Request("POST", config.endpoint(path), kind, headers, json=dict(body))


def check_publish_id(publish_id: object) -> str:
    """A ``publish_id`` as TikTok makes them: 1..64 printable ASCII characters, no spaces.

    Example:
        >>> check_publish_id("v_pub_file~v2-1.7493784938978805793")
        'v_pub_file~v2-1.7493784938978805793'
    """
    if not isinstance(publish_id, str) or not _ID_CHARS.fullmatch(publish_id):
        raise posting_error(contract.API_INVALID_PUBLISH_ID, "a publish_id is 1..64 printable ASCII characters "
                            "without spaces, such as v_pub_file~v2-1.7", rule="publish_id")
    return publish_id


def creator_info_request(config: Config, access_token: str) -> Request:
    """Ask what the creator may post (``POST creator_info/query/``, an empty JSON object).

    Example:
        >>> creator_info_request(Config("aw_key", "s"), "act.x").url
        'https://open.tiktokapis.com/v2/post/publish/creator_info/query/'
    """
    return _request(config, contract.CREATOR_INFO_PATH, RequestKind.CREATOR_INFO, access_token, {})


def _source(source_info: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(source_info, Mapping) or source_info.get("source") not in (
            contract.SOURCE_FILE_UPLOAD, contract.SOURCE_PULL_FROM_URL):
        raise ConfigurationError("source_info", "must be a mapping with source FILE_UPLOAD or PULL_FROM_URL "
                                                "(ChunkPlan.to_source_info(), video_url_source_info())")
    return dict(source_info)


def video_init_request(config: Config, access_token: str, *, inbox: bool, post_info: Mapping[str, Any] | None,
                       source_info: Mapping[str, Any]) -> Request:
    """Start a video post: a Direct Post (``video/init/``, ``post_info`` + ``source_info``) or an
    upload to the creator's inbox (``inbox/video/init/``, ``source_info`` only).

    Example:
        >>> from pytok_sm._config import Config
        >>> video_init_request(Config("aw_key", "s"), "act.x", inbox=True, post_info=None,
        ...                    source_info={"source": "PULL_FROM_URL", "video_url": "https://cdn.example/v.mp4"})
        Request(POST https://open.tiktokapis.com/v2/post/publish/inbox/video/init/, JSON fields: source_info)
    """
    source = _source(source_info)
    if inbox:
        if post_info:
            raise ConfigurationError("post_info", "an upload to the inbox takes no post_info: pass None")
        return _request(config, contract.INBOX_VIDEO_INIT_PATH, RequestKind.POST_INIT, access_token,
                        {"source_info": source})
    if not isinstance(post_info, Mapping) or "privacy_level" not in post_info:
        raise ConfigurationError("post_info", "a Direct Post needs post_info with a privacy_level (video_post_info())")
    return _request(config, contract.VIDEO_INIT_PATH, RequestKind.POST_INIT, access_token,
                    {"post_info": dict(post_info), "source_info": source})


def photo_init_request(config: Config, access_token: str, *, direct: bool, post_info: Mapping[str, Any] | None,
                       source_info: Mapping[str, Any]) -> Request:
    """Start a photo post (``content/init/``, ``media_type`` PHOTO), direct or to the inbox.

    Example:
        >>> source = {"source": "PULL_FROM_URL", "photo_images": ["https://cdn.example/1.jpg"], "photo_cover_index": 0}
        >>> photo_init_request(Config("aw_key", "s"), "act.x", direct=False, post_info=None, source_info=source).json
        {'post_info': {}, 'source_info': {...}, 'post_mode': 'MEDIA_UPLOAD', 'media_type': 'PHOTO'}
    """
    if not isinstance(source_info, Mapping) or source_info.get("source") != contract.SOURCE_PULL_FROM_URL:
        raise ConfigurationError("source_info", "a photo post's source_info comes from photo_source_info()")
    if direct and (not isinstance(post_info, Mapping) or "privacy_level" not in post_info):
        raise ConfigurationError("post_info", "a direct photo post needs post_info with a privacy_level "
                                              "(photo_post_info())")
    body = {"post_info": dict(post_info or {}), "source_info": dict(source_info),
            "post_mode": contract.POST_MODE_DIRECT if direct else contract.POST_MODE_MEDIA_UPLOAD,
            "media_type": contract.MEDIA_TYPE_PHOTO}
    return _request(config, contract.CONTENT_INIT_PATH, RequestKind.POST_INIT, access_token, body)


def status_request(config: Config, access_token: str, publish_id: str) -> Request:
    """Ask how a post is doing (``status/fetch/``).

    Example:
        >>> status_request(Config("aw_key", "s"), "act.x", "v_pub_url~v2.1").json
        {'publish_id': 'v_pub_url~v2.1'}
    """
    body = {"publish_id": check_publish_id(publish_id)}
    return _request(config, contract.STATUS_FETCH_PATH, RequestKind.PUBLISH_STATUS, access_token, body)


def cancel_request(config: Config, access_token: str, publish_id: str) -> Request:
    """Ask TikTok to cancel a post (``cancel/``; best effort, for URL pulls).

    Example:
        >>> cancel_request(Config("aw_key", "s"), "act.x", "v_pub_url~v2.1").url
        'https://open.tiktokapis.com/v2/post/publish/cancel/'
    """
    body = {"publish_id": check_publish_id(publish_id)}
    return _request(config, contract.CANCEL_PATH, RequestKind.CANCEL_POST, access_token, body)


def upload_request(upload_url: str, plan: ChunkPlan, index: int, *, path: str, mtime_ns: int,
                   content_type: str) -> Request:
    """PUT chunk ``index`` of ``plan`` (read from ``path`` by the driver) to TikTok's
    ``upload_url``, used whole, query included. A URL that is not https (or http on a loopback
    host) is a :class:`ProtocolError`: nothing is sent.

    Example:
        >>> plan = ChunkPlan(50_000_123, 10_000_000, 5)
        >>> req = upload_request("https://x/upload/?upload_id=1&upload_token=t", plan, 4, path="/v/a.mp4",
        ...                      mtime_ns=1, content_type="video/mp4")
        >>> req.headers["Content-Range"], req
        ('bytes 40000000-50000122/50000123', Request(PUT https://x/upload/, FileSlice('/v/a.mp4', bytes 40000000-50000122 of 50000123)))
    """
    problem = url_problem(upload_url)
    if problem is not None:
        raise ProtocolError(f"TikTok's upload_url {problem}; nothing was sent")
    if content_type not in _CONTENT_TYPES:
        raise MediaError("invalid_file_upload", f"a chunk's Content-Type is one of {', '.join(sorted(_CONTENT_TYPES))}"
                         f", got {content_type!r}: probe the file (probe_video())", rule="content_type")
    first = plan.first(index)
    body = FileSlice(path, first, plan.length(index), file_size=plan.size, mtime_ns=mtime_ns)
    headers = {"Content-Type": content_type, "Content-Range": plan.content_range(index)}
    return Request("PUT", upload_url, RequestKind.UPLOAD_CHUNK, headers, upload=body)


# --------------------------------------------------------------------------- reading answers


def _string(data: Mapping[str, Any], name: str, what: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ProtocolError(f"the {what} answer's {name} is a {type(value).__name__}, not a string")
    return value


def _flag(data: Mapping[str, Any], name: str) -> bool:
    value = data.get(name)
    if value is None:  # not said: treated as switched off, the safe reading
        return True
    if not isinstance(value, bool):
        raise ProtocolError(f"the creator_info answer's {name} is a {type(value).__name__}, not true or false")
    return value


@hush
def parse_creator_info(response: Response) -> CreatorInfo:
    """creator_info's answer as a :class:`CreatorInfo`, or the posting error it carries (the
    "cannot post now" codes come with HTTP 200). A missing ``*_disabled`` reads as disabled;
    unknown privacy levels are kept (they are strings TikTok may add).

    Example:
        >>> parse_creator_info(Response(200, {}, b'{"data": {"privacy_level_options": ["SELF_ONLY"], '
        ...     b'"comment_disabled": false}, "error": {"code": "ok"}}')).comment_disabled
        False
    """
    data = read_envelope(response, RequestKind.CREATOR_INFO, what="creator_info", posting=True)
    options = data.get("privacy_level_options")
    if not isinstance(options, list) or len(options) > _MAX_OPTIONS or not all(
            isinstance(o, str) and _ID_CHARS.fullmatch(o) for o in options):
        raise ProtocolError("the creator_info answer's privacy_level_options is not a list of privacy levels",
                            http_status=response.status)
    limit = data.get("max_video_post_duration_sec")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit <= _INT32_MAX):
        raise ProtocolError("the creator_info answer's max_video_post_duration_sec is not a number of seconds",
                            http_status=response.status)
    return CreatorInfo(
        creator_avatar_url=_string(data, "creator_avatar_url", "creator_info"),
        creator_username=_string(data, "creator_username", "creator_info"),
        creator_nickname=_string(data, "creator_nickname", "creator_info"),
        privacy_level_options=tuple(dict.fromkeys(options)),
        comment_disabled=_flag(data, "comment_disabled"),
        duet_disabled=_flag(data, "duet_disabled"),
        stitch_disabled=_flag(data, "stitch_disabled"),
        max_video_post_duration_sec=limit,
    )


@hush
def parse_init(response: Response, *, file_upload: bool) -> InitAnswer:
    """An init's answer: ``publish_id`` (always) and ``upload_url`` (for a file upload, which
    must be https, or http on loopback; ignored for a URL pull).

    Example:
        >>> parse_init(Response(200, {}, b'{"data": {"publish_id": "v_pub_url~v2.1"}, "error": {"code": "ok"}}'),
        ...            file_upload=False)
        InitAnswer(publish_id='v_pub_url~v2.1', upload_url=None)
    """
    data = read_envelope(response, RequestKind.POST_INIT, what="init", posting=True)
    publish_id = data.get("publish_id")
    if not isinstance(publish_id, str) or not _ID_CHARS.fullmatch(publish_id):
        raise ProtocolError("the init answer has no publish_id of 1..64 printable characters",
                            http_status=response.status)
    if not file_upload:
        return InitAnswer(publish_id, None)
    upload_url = data.get("upload_url")
    problem = url_problem(upload_url) if isinstance(upload_url, str) else "is missing"
    if problem is not None:
        raise ProtocolError(f"the init answer's upload_url {problem}; nothing was sent", http_status=response.status)
    return InitAnswer(publish_id, upload_url)


def _post_ids(data: Mapping[str, Any], status: int) -> tuple[str, ...]:
    found: list[str] = []
    for name in (contract.PUBLIC_POST_IDS_FIELD, "publicly_available_post_id"):
        values = data.get(name)
        if values is None:
            continue
        if not isinstance(values, list) or len(values) > _MAX_POST_IDS:
            raise ProtocolError(f"the status answer's {name} is not a list of post ids", http_status=status)
        for value in values:
            if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**64:
                found.append(str(value))
            elif isinstance(value, str) and value.isascii() and value.isdigit() and int(value[:21]) < 2**64:
                found.append(value)
            else:
                raise ProtocolError(f"the status answer's {name} holds something that is not a post id",
                                    http_status=status)
    return tuple(dict.fromkeys(found))


def _count(data: Mapping[str, Any], name: str) -> int | None:
    value = data.get(name)
    ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _INT64_MAX
    return value if ok else None  # informative only: an odd value is dropped, not fatal


@hush
def parse_status(response: Response, publish_id: str) -> PublishStatus:
    """status/fetch's answer as a :class:`PublishStatus` (``FAILED`` is a value here, not an
    error: the flow decides). Post ids are read from the real, misspelled
    ``publicaly_available_post_id`` and from the correct spelling.

    Example:
        >>> parse_status(Response(200, {}, b'{"data": {"status": "PUBLISH_COMPLETE", '
        ...     b'"publicaly_available_post_id": [7493784938978805793]}, "error": {"code": "ok"}}'), "p1").post_ids
        ('7493784938978805793',)
    """
    data = read_envelope(response, RequestKind.PUBLISH_STATUS, what="status", posting=True, publish_id=publish_id)
    status = data.get("status")
    if not isinstance(status, str) or status not in contract.PUBLISH_STATUSES:
        raise ProtocolError("the status answer has no known status", http_status=response.status)
    reason = data.get("fail_reason")
    fail_reason = reason if isinstance(reason, str) and _ID_CHARS.fullmatch(reason) else None
    return PublishStatus(publish_id, status, fail_reason, _post_ids(data, response.status),
                         _count(data, "uploaded_bytes"), _count(data, "downloaded_bytes"))


@hush
def parse_cancel(response: Response) -> None:
    """cancel's answer: nothing on success, else the posting error it carries
    (``publish_not_cancellable``, ...).

    Example:
        >>> parse_cancel(Response(200, {}, b'{"data": {}, "error": {"code": "ok"}}')) is None
        True
    """
    read_envelope(response, RequestKind.CANCEL_POST, what="cancel", posting=True)


def parse_content_range(value: str | None) -> tuple[int | None, int | None]:
    """``(held, total)`` from an upload answer's ``Content-Range``: ``bytes 0-LAST/TOTAL`` holds
    LAST+1 bytes, ``bytes */TOTAL`` none; anything malformed or implausible is ``(None, None)``.

    Example:
        >>> parse_content_range("bytes 0-9999999/50000123"), parse_content_range("bytes */50000123")
        ((10000000, 50000123), (0, 50000123))
        >>> parse_content_range("bytes 0-9/5"), parse_content_range("bytes 0--1/5")
        ((None, None), (None, None))
    """
    match = _RANGE.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        return None, None
    first, last, total_text = match.groups()
    total = None if total_text == "*" else int(total_text)
    if total is not None and not 0 < total <= _RANGE_MAX:
        return None, None
    if first is None:  # bytes */TOTAL
        return (0, total) if total is not None else (None, None)
    held = int(last) + 1
    if int(first) != 0 or held > (total if total is not None else _RANGE_MAX):
        return None, None
    return held, total


@hush
def parse_upload(response: Response) -> UploadAnswer:
    """One chunk's answer: 201, 206, 403, 404 and 416 are values (with what TikTok holds); 400
    is a :class:`MediaError`; 429 and 5xx are transient errors the retry policy retries;
    anything else is a :class:`ProtocolError`. The body is undocumented and never read for
    the outcome.

    Example:
        >>> parse_upload(Response(206, {"Content-Range": "bytes 0-9999999/50000123"}))
        UploadAnswer(status=206, held=10000000, total=50000123)
    """
    status = response.status
    if status in (contract.UPLOAD_COMPLETE, contract.UPLOAD_PARTIAL, 403, 404, contract.UPLOAD_RANGE_OUT_OF_STEP):
        held, total = parse_content_range(response.header("content-range"))
        return UploadAnswer(status, held, total)
    if status == 429:
        raise RateLimited(retry_after=parse_retry_after(response.header("retry-after"), now=time.time()),
                          http_status=429)
    if status >= 500:
        raise ProtocolError("TikTok could not take the chunk; it may be sent again", http_status=status)
    if status == 400:
        code, log_id = contract.API_INVALID_FILE_UPLOAD, None
        try:
            error = parse_json(response).get("error")
        except ProtocolError:
            error = None
        if isinstance(error, Mapping):
            said = error.get("code")
            code = said if isinstance(said, str) and _ID_CHARS.fullmatch(said) and said != contract.API_OK else code
            log_id = error.get("log_id") if isinstance(error.get("log_id"), str) else None
        raise MediaError(code, "TikTok refused the chunk (its headers or length do not match the upload's plan)",
                         log_id=log_id[:200] if log_id else None, http_status=400)
    raise ProtocolError("TikTok answered the chunk with an unexpected HTTP status", http_status=status)
