"""Which path is which endpoint, and the sans-I/O entry point: :class:`Router`.

Endpoint names are what faults target and what ``Sandbox.count`` counts:
``authorize``, ``authorize_decision``, ``token``, ``revoke``, ``get_qrcode``,
``check_qrcode``, ``user_info``, the Content Posting API's ``creator_info``,
``video_init``, ``inbox_video_init``, ``content_init``, ``publish_status``,
``publish_cancel`` and ``upload`` (the ``PUT`` of a chunk to an ``upload_url``), the Display
API's ``video_list`` and ``video_query``,
``phone_page``, ``phone_scan``, ``phone_confirm``, ``phone_deny``, ``pending_page`` (the
browser logins waiting for approval), ``posts_page`` (each creator's posts and inbox),
``accounts_page`` and ``accounts_remove`` (the authorizations, and removing one),
``sandbox_status``, ``redirect_target`` (where ``redirect_302`` points) and ``unknown``.

Every endpoint but ``upload`` answers from a :class:`Request` holding its whole body, under
the state lock; ``upload`` reads its body from the connection in pieces and takes the lock
only around its bookkeeping (:meth:`Router.handle_stream`).

Example:
    >>> endpoint_name("/v2/oauth/token/"), endpoint_name("/v2/oauth/token"), endpoint_name("/upload/video/")
    ('token', 'unknown', 'upload')
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import partial
from typing import Final

from pytok_sm import _contract as contract

from . import _pages as pages
from ._accounts import ACCOUNTS_PATH, REMOVE_PATH, accounts_view, remove_access
from ._authorize import DECISION_PATH, authorize_decision, authorize_page
from ._context import Context
from ._faults import REDIRECT_TRAP_PATH
from ._oauth import revoke, token
from ._pending import pending_view, status_view
from ._posting import UPLOAD_PATH, cancel, content_init, creator_info, inbox_video_init, status_fetch, video_init
from ._posts_page import posts_view
from ._qr import check_qrcode, get_qrcode, phone_endpoint, phone_view
from ._upload import Readable, upload
from ._userinfo import user_info
from ._videos import video_list, video_query
from ._wire import Reply, Request, html, json_reply

__all__ = ["ROUTES", "STREAM_ROUTES", "Router", "endpoint_name"]

Handler = Callable[[Context, Request], Reply]
StreamHandler = Callable[[Context, Request, Readable], Reply]


def _authorize(ctx: Context, request: Request) -> Reply:
    if request.method not in ("GET", "HEAD"):
        reply = html(pages.simple_page("Method not allowed", "The authorize page is a GET."), 405)
        reply.set_header("Allow", "GET")
        return reply
    return authorize_page(ctx, request)


def _redirect_trap(ctx: Context, request: Request) -> Reply:
    """A client that follows the token endpoint's redirect lands here and gets a bogus token."""
    return json_reply(
        {
            "access_token": "act.followed-a-redirect-from-the-token-endpoint",
            "expires_in": 7200,
            "open_id": "redirect-trap",
            "refresh_expires_in": 15552000,
            "refresh_token": "rft.followed-a-redirect-from-the-token-endpoint",
            "scope": contract.SCOPE_USER_INFO_BASIC,
            "token_type": "Bearer",
        }
    )


#: path -> (endpoint name, handler). Paths match exactly (the trailing slash counts).
ROUTES: Final[dict[str, tuple[str, Handler]]] = {
    contract.AUTHORIZE_PATH: ("authorize", _authorize),
    DECISION_PATH: ("authorize_decision", authorize_decision),
    contract.TOKEN_PATH: ("token", token),
    contract.REVOKE_PATH: ("revoke", revoke),
    contract.GET_QRCODE_PATH: ("get_qrcode", get_qrcode),
    contract.CHECK_QRCODE_PATH: ("check_qrcode", check_qrcode),
    contract.USER_INFO_PATH: ("user_info", user_info),
    contract.CREATOR_INFO_PATH: ("creator_info", creator_info),
    contract.VIDEO_INIT_PATH: ("video_init", video_init),
    contract.INBOX_VIDEO_INIT_PATH: ("inbox_video_init", inbox_video_init),
    contract.CONTENT_INIT_PATH: ("content_init", content_init),
    contract.STATUS_FETCH_PATH: ("publish_status", status_fetch),
    contract.CANCEL_PATH: ("publish_cancel", cancel),
    contract.VIDEO_LIST_PATH: ("video_list", video_list),
    contract.VIDEO_QUERY_PATH: ("video_query", video_query),
    "/sandbox/phone": ("phone_page", phone_view),
    "/sandbox/phone/scan": ("phone_scan", partial(phone_endpoint, action="scan")),
    "/sandbox/phone/confirm": ("phone_confirm", partial(phone_endpoint, action="confirm")),
    "/sandbox/phone/deny": ("phone_deny", partial(phone_endpoint, action="deny")),
    "/sandbox/pending": ("pending_page", pending_view),
    "/sandbox/posts": ("posts_page", posts_view),
    ACCOUNTS_PATH: ("accounts_page", accounts_view),
    REMOVE_PATH: ("accounts_remove", remove_access),
    "/sandbox/status": ("sandbox_status", status_view),
    REDIRECT_TRAP_PATH: ("redirect_target", _redirect_trap),
}


#: Routes whose handler reads the body from the connection itself (uploads: never in memory).
STREAM_ROUTES: Final[dict[str, tuple[str, StreamHandler]]] = {
    UPLOAD_PATH: ("upload", upload),
}


def endpoint_name(path: str) -> str:
    """The endpoint a path belongs to, ``"unknown"`` for anything else."""
    route = ROUTES.get(path) or STREAM_ROUTES.get(path)
    return "unknown" if route is None else route[0]


class Router:
    """Turns a :class:`Request` into a :class:`Reply`, holding the state lock throughout.

    Example:
        >>> from pytok_sm.sandbox._wire import Request
        >>> Router(Context.default()).handle(Request("GET", "/nowhere", {}, {})).status
        404
    """

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def handle(self, request: Request) -> Reply:
        """Answer one request (no faults here: the server applies them)."""
        if request.path in STREAM_ROUTES:
            return self.handle_stream(request, io.BytesIO(request.body))
        route = ROUTES.get(request.path)
        if route is None:
            return Reply(404, [("Content-Type", "text/plain; charset=utf-8")], b"Not Found")
        with self.ctx.state.lock:
            return route[1](self.ctx, request)

    def handle_stream(self, request: Request, body: Readable) -> Reply:
        """Answer a request of a streamed route, its body still in ``body`` (not locked here)."""
        return STREAM_ROUTES[request.path][1](self.ctx, request, body)
