"""The Display API's videos: ``POST /v2/video/list/`` and ``POST /v2/video/query/`` (docs/TIKTOK-API.md
section 11), with a library of videos per account.

Both endpoints check, in this order: the method (405), the Bearer token (401
``access_token_invalid``), the sliding window of ``switches.video_rate_limit`` requests per
``switches.video_rate_window`` seconds, counted per endpoint and per app (``video_rate_scope
= "token"``: per access token) (429 ``rate_limit_exceeded``), the scope ``video.list`` (401
``scope_not_authorized``), the ``fields`` of the query string (each a Video Object field), then
the JSON body (400 ``switches.invalid_param_code``). Only the requested fields are answered.

The library of an account (any open_id) is its **seeded** videos, deterministic (the same
ids, times and counts for the same open_id and index, in every sandbox): ``DEFAULT_LIBRARY``
until ``Sandbox.seed_videos(n, open_id)`` sets another number, spaced about an hour apart
before 2025-01-01; then the **posts the sandbox published** for that account (Direct Posts that
reached ``PUBLISH_COMPLETE`` and are public, so have a public post id; photo posts when
``switches.video_list_photos``), timed when their processing ended. Every video of an
account has its own millisecond, so the list's cursor (the oldest ``create_time`` of a page
in ms; the next page is older) never skips one. video/list answers the library newest first,
``max_count`` (default 10, at most 20) at a time; video/query answers the asked ids that are
the account's own (others are left out) with a fresh ``cover_image_url`` (valid 6 hours).

Example:
    >>> ctx = Context.default()
    >>> seed(ctx, 3)
    >>> [video.create_time for video in library(ctx, ctx.user.open_id)] == sorted(
    ...     [video.create_time for video in library(ctx, ctx.user.open_id)], reverse=True)
    True
    >>> library(ctx, ctx.user.open_id)[0].id == library(Context.default(), ctx.user.open_id)[0].id
    True
"""

from __future__ import annotations

import hashlib
import weakref
from collections import deque
from dataclasses import dataclass
from typing import Any, Final

from pytok_sm import _contract as contract

from . import _messages as messages
from . import _post_rules as rules
from ._context import Context
from ._posts import refresh_status
from ._state import SandboxState, TokenRecord
from ._userinfo import bearer_token
from ._wire import Reply, Request, api_error, api_ok

__all__ = ["DEFAULT_LIBRARY", "VideoRecord", "library", "seed", "video_list", "video_query"]

#: Seeded videos of an account nobody seeded.
DEFAULT_LIBRARY: Final = 12
#: The most videos one account may be seeded with.
MAX_SEEDED: Final = 100_000
#: The newest seeded video's time (2025-01-01T00:00:00Z, in ms) and the spacing of the others.
SEED_NEWEST_MS: Final = 1_735_689_600_000
SEED_SPACING_MS: Final = 3_600_000
_INT64_MAX: Final = 2**63 - 1


@dataclass(frozen=True)
class VideoRecord:
    """One video of an account's library (``publish_id`` set for a post the sandbox published).

    Example:
        >>> video = seeded_video("open-1", 0)
        >>> video.create_time == video.create_ms // 1000, len(video.id), video.publish_id
        (True, 19, None)
    """

    id: str
    open_id: str
    create_ms: int
    title: str
    description: str
    duration: int
    width: int
    height: int
    like_count: int
    comment_count: int
    share_count: int
    view_count: int
    publish_id: str | None = None

    @property
    def create_time(self) -> int:
        """UTC seconds, as the Video Object's ``create_time``."""
        return self.create_ms // 1000

    def answer(self, names: list[str], *, base_url: str, username: str, now: float) -> dict[str, Any]:
        """The Video Object with the fields ``names`` only."""
        share = f"https://www.tiktok.com/@{username}/video/{self.id}"
        every: dict[str, Any] = {
            "id": self.id,
            "create_time": self.create_time,
            "cover_image_url": f"{base_url}/sandbox/covers/{self.id}.jpeg?x-expires={int(now) + contract.VIDEO_COVER_TTL}"
                               "&x-signature=sandbox",
            "share_url": share,
            "video_description": self.description,
            "duration": self.duration,
            "height": self.height,
            "width": self.width,
            "title": self.title,
            "embed_html": f'<blockquote class="tiktok-embed" cite="{share}" data-video-id="{self.id}" '
                          'style="max-width: 605px;min-width: 325px;"><section></section></blockquote>',
            "embed_link": f"https://www.tiktok.com/player/v1/{self.id}",
            "like_count": self.like_count,
            "comment_count": self.comment_count,
            "share_count": self.share_count,
            "view_count": self.view_count,
        }
        return {name: every[name] for name in names}


def seeded_video(open_id: str, index: int) -> VideoRecord:
    """The ``index``-th seeded video of ``open_id`` (0: the newest), the same in every sandbox."""
    digest = hashlib.sha256(f"pytok-sandbox-video\0{open_id}\0{index}".encode()).digest()
    number = int.from_bytes(digest[:8], "big")
    views = int.from_bytes(digest[8:11], "big")
    return VideoRecord(
        id=str(7_000_000_000_000_000_000 + number % 2_000_000_000_000_000_000),
        open_id=open_id,
        create_ms=SEED_NEWEST_MS - index * SEED_SPACING_MS - int.from_bytes(digest[11:14], "big") % 1_800_000,
        title=f"Sandbox video {index + 1}",
        description=f"Seeded video {index + 1} #sandbox",
        duration=5 + digest[14] % 176,
        width=1080,
        height=1920,
        like_count=views // 10,
        comment_count=views // 200,
        share_count=views // 500,
        view_count=views,
    )


class _Libraries:
    """What the sandbox remembers of videos: how many are seeded per account (their records
    are made once), and the rate windows."""

    def __init__(self) -> None:
        self.sizes: dict[str, int] = {}
        self.seeded: dict[str, list[VideoRecord]] = {}
        self.windows: dict[tuple[str, str], deque[float]] = {}


#: One memory per sandbox, beside its state (the Context has no slot of its own for it).
_MEMORY: weakref.WeakKeyDictionary[SandboxState, _Libraries] = weakref.WeakKeyDictionary()


def _memory(ctx: Context) -> _Libraries:
    with ctx.state.lock:
        memory = _MEMORY.get(ctx.state)
        if memory is None:
            memory = _MEMORY[ctx.state] = _Libraries()
        return memory


def seed(ctx: Context, n: int, open_id: str | None = None) -> None:
    """Give ``open_id`` (default: the sandbox's user) exactly ``n`` seeded videos."""
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= MAX_SEEDED:
        raise ValueError(f"n must be a whole number 0..{MAX_SEEDED}, not {n!r}")
    memory = _memory(ctx)
    with ctx.state.lock:
        account = open_id or ctx.user.open_id
        memory.sizes[account] = n
        memory.seeded.pop(account, None)


def library(ctx: Context, open_id: str) -> list[VideoRecord]:
    """Every public video of ``open_id``, newest first: seeded, then published (see the module doc)."""
    memory = _memory(ctx)
    with ctx.state.lock:
        seeded = memory.seeded.get(open_id)
        if seeded is None:
            size = memory.sizes.get(open_id, DEFAULT_LIBRARY)
            seeded = memory.seeded[open_id] = [seeded_video(open_id, index) for index in range(size)]
        taken = {video.create_ms for video in seeded}
        published = []
        now = ctx.now()
        for post in ctx.posting.posts.values():
            if post.open_id != open_id:
                continue
            refresh_status(post, ctx.switches, now=now)
            if post.status != contract.STATUS_PUBLISH_COMPLETE or not post.post_ids:
                continue
            if post.kind != "video" and not ctx.switches.video_list_photos:
                continue
            since = post.processing_since if post.processing_since is not None else post.created_at
            millis = int((since + ctx.switches.processing_seconds) * 1000)
            while millis in taken:
                millis -= 1
            taken.add(millis)
            caption = post.title or post.description
            published.append(VideoRecord(
                id=str(post.post_ids[0]), open_id=open_id, create_ms=millis, title=post.title[:contract.VIDEO_TEXT_MAX],
                description=caption[:contract.VIDEO_TEXT_MAX], duration=15, width=1080, height=1920, like_count=0,
                comment_count=0, share_count=0, view_count=0, publish_id=post.publish_id))
        return sorted([*seeded, *published], key=lambda video: video.create_ms, reverse=True)


# --------------------------------------------------------------------------- the endpoints


class _Refused(Exception):  # noqa: N818 - carries an answer
    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.status)
        self.reply = reply


def _error(ctx: Context, code: str, message: str, status: int | None = None) -> _Refused:
    return _Refused(api_error(code, message, log_id=ctx.log_id(), status=status))


def _bad(ctx: Context, message: str) -> _Refused:
    return _error(ctx, ctx.switches.invalid_param_code, message, 400)


def _over_limit(ctx: Context, token: TokenRecord, endpoint: str) -> bool:
    switches = ctx.switches
    key = (token.client_key if switches.video_rate_scope == "app" else token.value, endpoint)
    now = ctx.now()
    window = _memory(ctx).windows.setdefault(key, deque())
    while window and window[0] <= now - switches.video_rate_window:
        window.popleft()
    if len(window) >= switches.video_rate_limit:
        return True
    window.append(now)
    return False


def _begin(ctx: Context, request: Request, endpoint: str) -> tuple[TokenRecord, list[str], dict[str, Any]]:
    """The method, the token, the window, the scope, the fields and the body of both endpoints."""
    if request.method != "POST":
        refused = _bad(ctx, "Use POST.")
        refused.reply.status = 405
        refused.reply.set_header("Allow", "POST")
        raise refused
    value = bearer_token(request.headers.get("authorization"))
    token = ctx.state.tokens.get(value) if value else None
    if token is None or token.kind != "access" or not token.open_id or not token.alive(ctx.now()):
        raise _error(ctx, contract.API_ACCESS_TOKEN_INVALID, contract.MSG_ACCESS_TOKEN_INVALID)
    if _over_limit(ctx, token, endpoint):
        raise _error(ctx, contract.API_RATE_LIMIT_EXCEEDED, messages.MSG_RATE_LIMIT)
    if contract.SCOPE_VIDEO_LIST not in token.scopes:
        raise _error(ctx, contract.API_SCOPE_NOT_AUTHORIZED, messages.MSG_SCOPE_NOT_AUTHORIZED)
    names: list[str] = []
    for item in (request.query_one("fields") or "").split(","):
        name = item.strip()
        if name and name not in names:
            names.append(name)
    if not names or any(name not in contract.VIDEO_FIELDS for name in names):
        raise _bad(ctx, messages.MSG_FIELDS_INVALID)
    try:
        body = rules.parse_json_object(request)
    except rules.Rejected as rejected:
        raise _bad(ctx, rejected.message) from None
    return token, names, body


def _whole(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _answers(ctx: Context, token: TokenRecord, videos: list[VideoRecord], names: list[str]) -> list[dict[str, Any]]:
    assert token.open_id is not None
    username = ctx.posting.creators.get(token.open_id, ctx.user).username
    now = ctx.now()
    return [video.answer(names, base_url=ctx.base_url, username=username, now=now) for video in videos]


def video_list(ctx: Context, request: Request) -> Reply:
    """Answer one page of video/list."""
    try:
        token, names, body = _begin(ctx, request, "video_list")
        cursor = body.get("cursor")
        if cursor is not None and not _whole(cursor, 0, _INT64_MAX):
            raise _bad(ctx, "The cursor is invalid: a UTC Unix timestamp in milliseconds.")
        count = body.get("max_count", contract.VIDEO_LIST_DEFAULT_COUNT)
        if not _whole(count, 1, _INT64_MAX) or (
                count > contract.VIDEO_LIST_MAX_COUNT and ctx.switches.video_max_count_over == "reject"):
            raise _bad(ctx, f"The max_count is invalid: 1..{contract.VIDEO_LIST_MAX_COUNT}.")
        count = min(count, contract.VIDEO_LIST_MAX_COUNT)
    except _Refused as refused:
        return refused.reply
    assert token.open_id is not None
    older = [video for video in library(ctx, token.open_id) if cursor is None or video.create_ms < cursor]
    page = older[:count]
    has_more = len(older) > count if ctx.switches.video_has_more == "exact" else len(page) == count
    following = page[-1].create_ms if page else (cursor if cursor is not None else 0)
    return api_ok({"videos": _answers(ctx, token, page, names), "cursor": following, "has_more": has_more},
                  log_id=ctx.log_id())


def video_query(ctx: Context, request: Request) -> Reply:
    """Answer one video/query: the account's own videos among the ids asked."""
    try:
        token, names, body = _begin(ctx, request, "video_query")
        filters = body.get("filters")
        ids = filters.get("video_ids") if isinstance(filters, dict) else None
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and i for i in ids):
            raise _bad(ctx, "The filters are invalid: filters.video_ids is a list of video ids.")
        if len(ids) > contract.VIDEO_QUERY_MAX_IDS:
            raise _bad(ctx, f"The filters are invalid: at most {contract.VIDEO_QUERY_MAX_IDS} video_ids.")
    except _Refused as refused:
        return refused.reply
    assert token.open_id is not None
    own = {video.id: video for video in library(ctx, token.open_id)}
    found = [own[i] for i in dict.fromkeys(ids) if i in own]
    return api_ok({"videos": _answers(ctx, token, found, names)}, log_id=ctx.log_id())
