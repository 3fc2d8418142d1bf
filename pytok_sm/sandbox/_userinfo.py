"""The data API ``GET /v2/user/info/?fields=...``.

https://developers.tiktok.com/doc/tiktok-api-v2-get-user-info. Bearer token in the
``Authorization`` header, ``fields`` in the query, the envelope answer, only the requested
fields returned. Each field needs a scope (``contract.FIELD_SCOPES``); asking for one the
token was not granted answers ``switches.missing_scope_error`` (``scope_permission_missed``,
400, by default). The documented 600 requests per minute apply on a sliding window per app.

Example:
    >>> bearer_token("Bearer act.abc"), bearer_token("Basic xyz"), bearer_token(None)
    ('act.abc', None, None)
"""

from __future__ import annotations

from collections import deque

from pytok_sm import _contract as contract

from . import _messages as messages
from ._context import Context
from ._wire import Reply, Request, api_error, api_ok

__all__ = ["bearer_token", "user_info"]


def bearer_token(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (scheme case-insensitive)."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value or " " in value:
        return None
    return value


def _over_limit(ctx: Context, client_key: str) -> bool:
    now = ctx.now()
    window = ctx.state.rate_windows.setdefault(client_key, deque())
    while window and window[0] <= now - ctx.switches.user_info_rate_window:
        window.popleft()
    if len(window) >= ctx.switches.user_info_rate_limit:
        return True
    window.append(now)
    return False


def user_info(ctx: Context, request: Request) -> Reply:
    """Answer one user-info request."""
    if request.method not in ("GET", "HEAD"):
        reply = api_error(contract.API_INVALID_PARAMS, "Use GET.", log_id=ctx.log_id(), status=405)
        reply.set_header("Allow", "GET")
        return reply
    value = bearer_token(request.headers.get("authorization"))
    record = ctx.state.tokens.get(value) if value else None
    if record is None or record.kind != "access" or not record.alive(ctx.now()):
        return api_error(contract.API_ACCESS_TOKEN_INVALID, contract.MSG_ACCESS_TOKEN_INVALID, log_id=ctx.log_id())
    if _over_limit(ctx, record.client_key):
        return api_error(contract.API_RATE_LIMIT_EXCEEDED, messages.MSG_RATE_LIMIT, log_id=ctx.log_id())

    raw = request.query_one("fields")
    names: list[str] = []
    for item in (raw or "").split(","):
        name = item.strip()
        if name and name not in names:
            names.append(name)
    if not names or any(name not in contract.FIELD_SCOPES for name in names):
        return api_error(contract.API_INVALID_PARAMS, messages.MSG_FIELDS_INVALID, log_id=ctx.log_id())

    missing = sorted({contract.FIELD_SCOPES[name] for name in names} - set(record.scopes))
    if missing:
        code = ctx.switches.missing_scope_error
        if code == contract.API_SCOPE_NOT_AUTHORIZED:
            message = messages.MSG_SCOPE_NOT_AUTHORIZED
        else:
            message = messages.MSG_SCOPE_PERMISSION_MISSED.format(scopes=",".join(missing))
        return api_error(code, message, log_id=ctx.log_id())

    profile = ctx.user.fields(ctx.base_url)
    return api_ok({"user": {name: profile[name] for name in names}}, log_id=ctx.log_id())
