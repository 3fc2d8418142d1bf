"""The Content Posting API: ``/v2/post/publish/{creator_info/query, video/init,
inbox/video/init, content/init, status/fetch, cancel}/`` (docs/TIKTOK-API.md section 8).

Every endpoint is a ``POST`` with ``Authorization: Bearer <live access token>`` and answers
the envelope. The order of the checks: the method (405), the token (401
``access_token_invalid``), the per-token rate limit (429 ``rate_limit_exceeded``), the scope
(401 ``scope_not_authorized``; content/init reads ``post_mode`` first), the body's
parameters (400 ``switches.invalid_param_code``, the message naming the field), then the
creator and the app (403: banned, daily cap, active-creator cap, unaudited app, privacy
level, pending shares, unverified URL). creator_info answers the "cannot post now" codes
with HTTP **200**, as TikTok intends. A FILE_UPLOAD init hands out
``{base_url}/upload/video/?upload_id=<n>&upload_token=<random>`` (:mod:`._upload`).

Example:
    >>> from pytok_sm.sandbox._wire import Request
    >>> ctx = Context.default()
    >>> creator_info(ctx, Request("POST", contract.CREATOR_INFO_PATH, {}, {})).json()["error"]["code"]
    'access_token_invalid'
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from typing import Any, Final

from pytok_sm import _contract as contract

from . import _messages as messages
from . import _post_rules as rules
from ._apps import App
from ._context import Context
from ._creators import Creator
from ._posts import PostRecord, UploadSlot, refresh_status, status_data
from ._state import TokenRecord
from ._userinfo import bearer_token
from ._wire import Reply, Request, api_error, api_ok

__all__ = [
    "MESSAGES",
    "UPLOAD_PATH",
    "cancel",
    "content_init",
    "creator_info",
    "inbox_video_init",
    "status_fetch",
    "video_init",
]

#: Where upload URLs point (a path of the sandbox's own host; clients treat the URL as opaque).
UPLOAD_PATH: Final = "/upload/video/"

#: The sandbox's wording of each posting error (TikTok documents codes, not messages).
MESSAGES: Final = {
    contract.API_SPAM_RISK_TOO_MANY_POSTS: "The creator has reached the daily post cap. Please try again later.",
    contract.API_SPAM_RISK_USER_BANNED: "The creator is banned from posting.",
    contract.API_REACHED_ACTIVE_USER_CAP: "The app has reached its cap of active creators for 24 hours.",
    contract.API_UNAUDITED_PRIVATE_ONLY: "Unaudited clients can only post to private accounts.",
    contract.API_URL_OWNERSHIP_UNVERIFIED: "The URL is not on a domain or prefix verified for this app.",
    contract.API_PRIVACY_LEVEL_MISMATCH: "The privacy_level is not one of the creator's privacy_level_options.",
    contract.API_TOO_MANY_PENDING_SHARE: "The creator has too many pending shares in 24 hours.",
    contract.API_APP_VERSION_CHECK_FAILED: "The creator's TikTok app is too old for this upload (31.8 or later).",
    contract.API_INVALID_PUBLISH_ID: "The publish_id is invalid.",
    contract.API_TOKEN_NOT_AUTHORIZED_FOR_PUBLISH_ID: "The access token is not authorized for the specified publish_id.",
    contract.API_PUBLISH_NOT_CANCELLABLE: "The publish can no longer be cancelled.",
}
_EITHER: Final = (contract.SCOPE_VIDEO_PUBLISH, contract.SCOPE_VIDEO_UPLOAD)
Handler = Callable[[Context, Request], Reply]


class _Refused(Exception):  # noqa: N818 - carries an answer
    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.status)
        self.reply = reply


def _error(ctx: Context, code: str, *, status: int | None = None, message: str | None = None) -> _Refused:
    return _Refused(api_error(code, message or MESSAGES.get(code, code), log_id=ctx.log_id(), status=status))


def _bad(ctx: Context, rejected: rules.Rejected) -> _Refused:
    return _error(ctx, rejected.code or ctx.switches.invalid_param_code, status=400, message=rejected.message)


def _limit(ctx: Context, endpoint: str) -> int | None:
    switches = ctx.switches
    if not switches.posting_rate_limits:
        return None
    return {
        "creator_info": switches.creator_info_rate_limit,
        "publish_status": switches.status_rate_limit,
        "publish_cancel": None,  # undocumented
    }.get(endpoint, switches.init_rate_limit)


def _begin(ctx: Context, request: Request, endpoint: str) -> tuple[TokenRecord, App]:
    """The method, the token and the rate limit of every posting endpoint."""
    if request.method != "POST":
        refused = _error(ctx, ctx.switches.invalid_param_code, status=405, message="Use POST.")
        refused.reply.set_header("Allow", "POST")
        raise refused
    value = bearer_token(request.headers.get("authorization"))
    record = ctx.state.tokens.get(value) if value else None
    app = ctx.app(record.client_key) if record is not None else None
    if record is None or app is None or record.kind != "access" or not record.open_id or not record.alive(ctx.now()):
        raise _error(ctx, contract.API_ACCESS_TOKEN_INVALID, message=contract.MSG_ACCESS_TOKEN_INVALID)
    limit = _limit(ctx, endpoint)
    if limit is not None and ctx.posting.rate_limited(
        record.value, endpoint, limit=limit, window=ctx.switches.posting_rate_window, now=ctx.now()
    ):
        raise _error(ctx, contract.API_RATE_LIMIT_EXCEEDED, message=messages.MSG_RATE_LIMIT)
    return record, app


def _need_scope(ctx: Context, token: TokenRecord, scopes: tuple[str, ...]) -> None:
    if not set(scopes) & set(token.scopes):
        raise _error(ctx, contract.API_SCOPE_NOT_AUTHORIZED, message=messages.MSG_SCOPE_NOT_AUTHORIZED)


def _body(ctx: Context, request: Request) -> dict[str, Any]:
    try:
        return rules.parse_json_object(request)
    except rules.Rejected as rejected:
        raise _bad(ctx, rejected) from None


def _creator(ctx: Context, token: TokenRecord) -> Creator:
    assert token.open_id is not None
    return ctx.posting.creators.get(token.open_id, ctx.user)


def _cap(ctx: Context, app: App) -> int | None:
    caps = [app.active_creator_cap] if app.active_creator_cap is not None else []
    if not app.audited:
        caps.append(ctx.switches.unaudited_user_cap)
    return min(caps) if caps else None


def _cannot_post(ctx: Context, app: App, creator: Creator) -> str | None:
    """The "cannot post now" code for a direct post by ``creator`` through ``app``, if any."""
    now = ctx.now()
    if creator.banned:
        return contract.API_SPAM_RISK_USER_BANNED
    cap = _cap(ctx, app)
    if cap is not None:
        active = ctx.posting.active_creators(app.client_key, now)
        if creator.open_id not in active and len(active) >= cap:
            return contract.API_REACHED_ACTIVE_USER_CAP
    if ctx.posting.direct_posts_today(creator.open_id, now) >= ctx.switches.daily_post_cap:
        return contract.API_SPAM_RISK_TOO_MANY_POSTS
    return None


def _check_direct(ctx: Context, app: App, creator: Creator, post_info: dict[str, Any]) -> None:
    """The 403 rules of a Direct Post (video or photo), then branded content (400)."""
    code = _cannot_post(ctx, app, creator)
    if code is not None:
        raise _error(ctx, code)
    privacy = post_info.get("privacy_level")
    if not app.audited:
        if not creator.private_account:  # the *account* must be private, whatever the post's privacy
            raise _error(ctx, contract.API_UNAUDITED_PRIVATE_ONLY)
        if privacy != contract.PRIVACY_SELF_ONLY:
            raise _error(ctx, contract.API_PRIVACY_LEVEL_MISMATCH)
    if not isinstance(privacy, str) or privacy not in creator.privacy_level_options:
        raise _error(ctx, contract.API_PRIVACY_LEVEL_MISMATCH)
    if post_info.get("brand_content_toggle") is True and privacy == contract.PRIVACY_SELF_ONLY:
        raise _bad(ctx, rules.Rejected(None, "The privacy level is invalid: branded content cannot be private"))


def _check_inbox(ctx: Context, creator: Creator) -> None:
    if creator.banned:
        raise _error(ctx, contract.API_SPAM_RISK_USER_BANNED)
    now = ctx.now()
    for post in ctx.posting.recent(now):  # a share that failed meanwhile is no longer pending
        if post.open_id == creator.open_id:
            refresh_status(post, ctx.switches, now=now)
    if ctx.posting.pending_shares(creator.open_id, now) >= ctx.switches.pending_share_cap:
        raise _error(ctx, contract.API_TOO_MANY_PENDING_SHARE)


def _check_urls(ctx: Context, app: App, urls: tuple[str, ...]) -> None:
    if not all(app.verified_url(url) for url in urls):
        raise _error(ctx, contract.API_URL_OWNERSHIP_UNVERIFIED)


def _create(
    ctx: Context, token: TokenRecord, *, kind: str, mode: str, prefix: str, source: dict[str, Any],
    post_info: dict[str, Any],
) -> Reply:
    """Store a new post (and its upload slot); the init's success answer."""
    now = ctx.now()
    state = ctx.posting
    upload = source["source"] == contract.SOURCE_FILE_UPLOAD
    post = PostRecord(
        publish_id=state.new_publish_id(prefix),
        client_key=token.client_key,
        open_id=str(token.open_id),
        kind="video" if kind == "video" else "photo",
        mode="direct" if mode == "direct" else "inbox",
        source=source["source"],
        privacy_level=post_info.get("privacy_level") if mode == "direct" else None,
        created_at=now,
        title=post_info.get("title", ""),
        description=post_info.get("description", ""),
        video_size=source.get("video_size"),
        chunk_size=source.get("chunk_size"),
        total_chunk_count=source.get("total_chunk_count"),
        video_url=source.get("video_url"),
        photo_images=source.get("photo_images", ()),
        processing_since=None if upload else now,
    )
    data: dict[str, object] = {"publish_id": post.publish_id}
    if upload:
        slot = UploadSlot(
            upload_id=str(state.new_number()),
            publish_id=post.publish_id,
            token=secrets.token_urlsafe(24),
            expires_at=now + ctx.switches.upload_url_lifetime,
        )
        post.upload_id = slot.upload_id
        state.uploads[slot.upload_id] = slot
        data["upload_url"] = f"{ctx.base_url}{UPLOAD_PATH}?upload_id={slot.upload_id}&upload_token={slot.token}"
    state.posts[post.publish_id] = post
    return api_ok(data, log_id=ctx.log_id())


def _answer(handler: Handler) -> Handler:
    """Turn a :class:`_Refused` raised by ``handler`` into its reply."""

    @functools.wraps(handler)
    def run(ctx: Context, request: Request) -> Reply:
        try:
            return handler(ctx, request)
        except _Refused as refused:
            return refused.reply

    return run


@_answer
def creator_info(ctx: Context, request: Request) -> Reply:
    """``creator_info/query/`` (video.publish): the creator's settings, or a "cannot post
    now" code with HTTP 200. The body, documented as none, is not read."""
    token, app = _begin(ctx, request, "creator_info")
    _need_scope(ctx, token, (contract.SCOPE_VIDEO_PUBLISH,))
    creator = _creator(ctx, token)
    code = _cannot_post(ctx, app, creator)
    if code is not None:
        return api_error(code, MESSAGES[code], log_id=ctx.log_id(), status=200)
    data = creator.fields(ctx.base_url)
    if not app.audited and ctx.switches.unaudited_options == "self_only":
        data["privacy_level_options"] = [contract.PRIVACY_SELF_ONLY]
    return api_ok(data, log_id=ctx.log_id())


@_answer
def video_init(ctx: Context, request: Request) -> Reply:
    """``video/init/`` (video.publish): a Direct Post of a video, ``post_info`` + ``source_info``."""
    token, app = _begin(ctx, request, "video_init")
    _need_scope(ctx, token, (contract.SCOPE_VIDEO_PUBLISH,))
    body = _body(ctx, request)
    try:
        post_info = rules.video_post_info(body)
        source = rules.video_source(body, ctx.switches)
    except rules.Rejected as rejected:
        raise _bad(ctx, rejected) from None
    _check_direct(ctx, app, _creator(ctx, token), post_info)
    if "video_url" in source:
        _check_urls(ctx, app, (source["video_url"],))
    prefix = "v_pub_file~v2-1" if source["source"] == contract.SOURCE_FILE_UPLOAD else "v_pub_url~v2"
    return _create(ctx, token, kind="video", mode="direct", prefix=prefix, source=source, post_info=post_info)


@_answer
def inbox_video_init(ctx: Context, request: Request) -> Reply:
    """``inbox/video/init/`` (video.upload): a video to the creator's inbox, ``source_info``
    only (a ``post_info`` is ignored or refused, as ``switches.inbox_post_info`` says)."""
    token, _app = _begin(ctx, request, "inbox_video_init")
    _need_scope(ctx, token, (contract.SCOPE_VIDEO_UPLOAD,))
    body = _body(ctx, request)
    try:
        if "post_info" in body and ctx.switches.inbox_post_info == "reject":
            raise rules.Rejected(None, "The post info is invalid: the inbox endpoint takes source_info only")
        source = rules.video_source(body, ctx.switches)
    except rules.Rejected as rejected:
        raise _bad(ctx, rejected) from None
    _check_inbox(ctx, _creator(ctx, token))
    if "video_url" in source:
        _check_urls(ctx, _app, (source["video_url"],))
    prefix = "v_inbox_file~v2" if source["source"] == contract.SOURCE_FILE_UPLOAD else "v_inbox_url~v2"
    return _create(ctx, token, kind="video", mode="inbox", prefix=prefix, source=source, post_info={})


@_answer
def content_init(ctx: Context, request: Request) -> Reply:
    """``content/init/``: a photo post, DIRECT_POST (video.publish) or MEDIA_UPLOAD (video.upload)."""
    token, app = _begin(ctx, request, "content_init")
    body = _body(ctx, request)
    mode = body.get("post_mode")
    try:
        if body.get("media_type") != contract.MEDIA_TYPE_PHOTO:
            raise rules.Rejected(None, "The media type is invalid")
        if mode not in (contract.POST_MODE_DIRECT, contract.POST_MODE_MEDIA_UPLOAD):
            raise rules.Rejected(None, "The post mode is invalid")
    except rules.Rejected as rejected:
        raise _bad(ctx, rejected) from None
    direct = mode == contract.POST_MODE_DIRECT
    _need_scope(ctx, token, (contract.SCOPE_VIDEO_PUBLISH if direct else contract.SCOPE_VIDEO_UPLOAD,))
    try:
        post_info = rules.photo_post_info(body)
        source = rules.photo_source(body)
    except rules.Rejected as rejected:
        raise _bad(ctx, rejected) from None
    if not direct and ctx.switches.photo_app_version_check:
        raise _error(ctx, contract.API_APP_VERSION_CHECK_FAILED)
    creator = _creator(ctx, token)
    if direct:
        _check_direct(ctx, app, creator, post_info)
    else:
        _check_inbox(ctx, creator)
    _check_urls(ctx, app, source["photo_images"])
    prefix = "p_pub_url~v2" if direct else "p_inbox_url~v2"
    mode_name = "direct" if direct else "inbox"
    return _create(ctx, token, kind="photo", mode=mode_name, prefix=prefix, source=source, post_info=post_info)


def _own_post(ctx: Context, request: Request, token: TokenRecord) -> PostRecord:
    body = _body(ctx, request)
    publish_id = body.get("publish_id")
    if not isinstance(publish_id, str) or not publish_id:
        raise _bad(ctx, rules.Rejected(None, "The publish id is invalid"))
    post = ctx.posting.posts.get(publish_id)
    if post is None:
        raise _error(ctx, contract.API_INVALID_PUBLISH_ID)
    if post.client_key != token.client_key or post.open_id != token.open_id:
        raise _error(ctx, contract.API_TOKEN_NOT_AUTHORIZED_FOR_PUBLISH_ID)
    refresh_status(post, ctx.switches, now=ctx.now())
    return post


@_answer
def status_fetch(ctx: Context, request: Request) -> Reply:
    """``status/fetch/`` ``{publish_id}`` (video.upload or video.publish): where the post is."""
    token, _app = _begin(ctx, request, "publish_status")
    _need_scope(ctx, token, _EITHER)
    post = _own_post(ctx, request, token)
    return api_ok(status_data(post, now=ctx.now(), switches=ctx.switches), log_id=ctx.log_id())


@_answer
def cancel(ctx: Context, request: Request) -> Reply:
    """``cancel/`` ``{publish_id}``: stops a post still uploading or downloading; it then
    reads ``FAILED``/``publish_cancelled`` and its upload URL answers 404."""
    token, _app = _begin(ctx, request, "publish_cancel")
    _need_scope(ctx, token, _EITHER)
    post = _own_post(ctx, request, token)
    uploading = post.source == contract.SOURCE_FILE_UPLOAD and post.processing_since is None
    downloading = post.source == contract.SOURCE_PULL_FROM_URL
    if post.ended or not (uploading or downloading):
        raise _error(ctx, contract.API_PUBLISH_NOT_CANCELLABLE)
    post.status, post.fail_reason = contract.STATUS_FAILED, "publish_cancelled"
    if post.upload_id is not None:
        ctx.posting.uploads.pop(post.upload_id, None)
    return api_ok({}, log_id=ctx.log_id())
