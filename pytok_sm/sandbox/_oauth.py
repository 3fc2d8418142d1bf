"""The OAuth endpoints: ``POST /v2/oauth/token/`` and ``POST /v2/oauth/revoke/``.

https://developers.tiktok.com/doc/oauth-user-access-token-management. Form bodies only
(anything else is ``invalid_request``), flat JSON answers, a fresh ``log_id`` on every
error, and the HTTP status of errors chosen by ``switches.oauth_error_status``.

PKCE is TikTok's variant: the stored challenge must equal the lower-case hex SHA-256 of the
verifier. A base64url challenge can therefore never match, so a client that followed
RFC 7636 literally fails here with ``invalid_request`` / "Code verifier or code challenge
is invalid." exactly as on TikTok.

Example:
    >>> hex_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
    '13d31e961a1ad8ec2f16b10c4c982e0876a878ad6df144566ee1894acb70f9c3'
    >>> verifier_is_valid("abc", min_length=43)
    False
"""

from __future__ import annotations

import hashlib
import hmac

from pytok_sm import _contract as contract

from . import _messages as messages
from ._apps import App
from ._context import Context
from ._scopes import join_scopes
from ._state import CodeRecord, TokenKind, TokenRecord, new_secret
from ._wire import FormError, Reply, Request, json_reply

__all__ = [
    "client_credentials_body",
    "hex_challenge",
    "issue_user_tokens",
    "read_client",
    "read_client_form",
    "read_form",
    "revoke",
    "token",
    "user_token_body",
    "verifier_is_valid",
]


def hex_challenge(verifier: str) -> str:
    """TikTok's code challenge: lower-case hex of SHA-256(verifier)."""
    return hashlib.sha256(verifier.encode("ascii", "replace")).hexdigest()


def verifier_is_valid(verifier: str, *, min_length: int) -> bool:
    """RFC 7636 grammar: ``[A-Za-z0-9-._~]``, ``min_length`` to 128 characters."""
    return min_length <= len(verifier) <= contract.VERIFIER_MAX_LENGTH and all(
        ch in contract.VERIFIER_ALPHABET for ch in verifier
    )


def read_form(ctx: Context, request: Request) -> dict[str, str] | Reply:
    """The form of a POST, or the OAuth error answering a wrong method or body."""
    if request.method != "POST":
        reply = ctx.oauth_error("invalid_request", messages.DESC_MALFORMED)
        reply.status = 405
        reply.set_header("Allow", "POST")
        return reply
    if not request.is_form():
        return ctx.oauth_error("invalid_request", messages.DESC_NOT_FORM)
    try:
        return request.form()
    except FormError:
        return ctx.oauth_error("invalid_request", messages.DESC_MALFORMED)


def read_client(ctx: Context, form: dict[str, str], *, secret: bool = True) -> App | Reply:
    """The app authenticated by ``client_key`` (and ``client_secret``), or the error."""
    client_key = form.get("client_key")
    if not client_key:
        return ctx.oauth_error("invalid_request", messages.DESC_MALFORMED)
    app = ctx.app(client_key)
    if app is None:
        return ctx.oauth_error("invalid_client", messages.DESC_INVALID_CLIENT)
    if secret:
        given = form.get("client_secret", "")
        if not hmac.compare_digest(given.encode(), app.client_secret.encode()):
            return ctx.oauth_error("invalid_client", messages.DESC_INVALID_CLIENT)
    return app


def read_client_form(
    ctx: Context, request: Request, *, secret: bool = True
) -> tuple[dict[str, str], App] | Reply:
    """The form of a POST and the app it authenticates as, or the error that answers it."""
    form = read_form(ctx, request)
    if isinstance(form, Reply):
        return form
    app = read_client(ctx, form, secret=secret)
    if isinstance(app, Reply):
        return app
    return form, app


def user_token_body(access: TokenRecord, refresh: TokenRecord, now: float) -> dict[str, object]:
    """The flat success answer of the token endpoint for a user login."""
    return {
        "access_token": access.value,
        "expires_in": round(access.expires_at - now),
        "open_id": access.open_id,
        "refresh_expires_in": max(0, round(refresh.expires_at - now)),
        "refresh_token": refresh.value,
        "scope": join_scopes(access.scopes),
        "token_type": "Bearer",
    }


def issue_user_tokens(
    ctx: Context, *, client_key: str, open_id: str, scopes: tuple[str, ...], grant_id: str | None = None
) -> tuple[TokenRecord, TokenRecord]:
    """A fresh access and refresh token pair for one login (one grant)."""
    grant = grant_id or new_secret()
    access = _mint(ctx, "access", client_key=client_key, open_id=open_id, scopes=scopes, grant_id=grant)
    refresh = _mint(ctx, "refresh", client_key=client_key, open_id=open_id, scopes=scopes, grant_id=grant)
    return access, refresh


def _mint(
    ctx: Context, kind: TokenKind, *, client_key: str, open_id: str | None, scopes: tuple[str, ...], grant_id: str
) -> TokenRecord:
    lifetime = {
        "access": ctx.switches.access_token_lifetime,
        "refresh": ctx.switches.refresh_token_lifetime,
        "client": ctx.switches.client_token_lifetime,
    }[kind]
    return ctx.state.new_token(
        kind, client_key=client_key, open_id=open_id, scopes=scopes, now=ctx.now(), lifetime=lifetime, grant_id=grant_id
    )


def _mint_like(ctx: Context, kind: TokenKind, model: TokenRecord) -> TokenRecord:
    return _mint(
        ctx, kind, client_key=model.client_key, open_id=model.open_id, scopes=model.scopes, grant_id=model.grant_id
    )


def token(ctx: Context, request: Request) -> Reply:
    """``POST /v2/oauth/token/``: authorization_code, refresh_token, client_credentials."""
    read = read_client_form(ctx, request)
    if isinstance(read, Reply):
        return read
    form, app = read
    grant_type = form.get("grant_type")
    if not grant_type:
        return ctx.oauth_error("invalid_request", messages.DESC_MALFORMED)
    if grant_type == contract.GRANT_AUTHORIZATION_CODE:
        return _exchange_code(ctx, app, form)
    if grant_type == contract.GRANT_REFRESH_TOKEN:
        return _refresh(ctx, app, form)
    if grant_type == contract.GRANT_CLIENT_CREDENTIALS:
        if not app.allow_client_credentials:
            return ctx.oauth_error("unauthorized_client", messages.DESC_UNAUTHORIZED_CLIENT)
        return json_reply(client_credentials_body(ctx, app))
    return ctx.oauth_error("unsupported_grant_type", messages.DESC_UNSUPPORTED_GRANT)


def client_credentials_body(ctx: Context, app: App) -> dict[str, object]:
    """Issue a ``clt.`` client token and describe it."""
    record = _mint(ctx, "client", client_key=app.client_key, open_id=None, scopes=(), grant_id=new_secret())
    return {"access_token": record.value, "expires_in": ctx.switches.client_token_lifetime, "token_type": "Bearer"}


def _kill_code_descendants(ctx: Context, code: CodeRecord) -> None:
    grants = {ctx.state.tokens[v].grant_id for v in code.issued_tokens if v in ctx.state.tokens}
    for grant in grants:
        for record in ctx.state.grant_tokens(grant):
            record.kill("code_reused")


def _exchange_code(ctx: Context, app: App, form: dict[str, str]) -> Reply:
    value = form.get("code")
    if not value:
        return ctx.oauth_error("invalid_request", messages.DESC_MALFORMED)
    code = ctx.state.codes.get(value)
    if code is None or code.client_key != app.client_key:
        return ctx.oauth_error("invalid_grant", messages.DESC_CODE_INVALID)
    if code.used:
        if ctx.switches.revoke_on_code_reuse:
            _kill_code_descendants(ctx, code)
        return ctx.oauth_error("invalid_grant", messages.DESC_CODE_REUSED)
    now = ctx.now()
    if code.expired(now):
        return ctx.oauth_error("invalid_grant", messages.DESC_CODE_EXPIRED)

    redirect_uri = form.get("redirect_uri")
    required = code.origin == "browser" or ctx.switches.qr_requires_redirect_uri
    if redirect_uri is None and required:
        return ctx.oauth_error("invalid_request", messages.DESC_MALFORMED)
    if redirect_uri is not None and redirect_uri != code.redirect_uri:
        return ctx.oauth_error("invalid_grant", messages.DESC_REDIRECT_MISMATCH)

    if code.code_challenge is not None:
        verifier = form.get("code_verifier", "")
        min_length = ctx.switches.verifier_min_length
        if not verifier_is_valid(verifier, min_length=min_length) or not hmac.compare_digest(
            hex_challenge(verifier), code.code_challenge
        ):
            return ctx.oauth_error("invalid_request", messages.DESC_PKCE_INVALID)

    access, refresh = issue_user_tokens(ctx, client_key=app.client_key, open_id=code.open_id, scopes=code.scopes)
    code.used = True
    code.issued_tokens.extend((access.value, refresh.value))
    if code.qr_token is not None:
        session = ctx.state.qr_sessions.get(code.qr_token)
        if session is not None:
            session.status = contract.QR_UTILISED
    return json_reply(user_token_body(access, refresh, now))


def _refresh(ctx: Context, app: App, form: dict[str, str]) -> Reply:
    value = form.get("refresh_token")
    if not value:
        return ctx.oauth_error("invalid_request", messages.DESC_MALFORMED)
    now = ctx.now()
    old = ctx.state.tokens.get(value)
    if old is None or old.kind != "refresh" or old.client_key != app.client_key or not old.alive(now):
        return ctx.oauth_error("invalid_grant", messages.DESC_REFRESH_INVALID)
    access = _mint_like(ctx, "access", old)
    if ctx.switches.rotate_refresh_tokens:
        old.kill("rotated")
        refresh = _mint_like(ctx, "refresh", old)
    else:
        refresh = old
    return json_reply(user_token_body(access, refresh, now))


def revoke(ctx: Context, request: Request) -> Reply:
    """``POST /v2/oauth/revoke/``: kill a token (and by default its whole login)."""
    read = read_client_form(ctx, request)
    if isinstance(read, Reply):
        return read
    form, app = read
    value = form.get("token")
    if not value:
        return ctx.oauth_error("invalid_request", messages.DESC_MALFORMED)
    record = ctx.state.tokens.get(value)
    if record is None or record.client_key != app.client_key or not record.alive(ctx.now()):
        if ctx.switches.revoke_dead_token == "error":
            return ctx.oauth_error("invalid_grant", messages.DESC_TOKEN_INVALID)
    elif ctx.switches.revoke_kills_grant and record.kind != "client":
        for sibling in ctx.state.grant_tokens(record.grant_id):
            sibling.kill("revoked")
    else:
        record.kill("revoked")
    if ctx.switches.revoke_success_body == "object":
        return json_reply({})
    return Reply(200, [("Content-Type", "application/json; charset=utf-8"), ("Cache-Control", "no-store")], b"")
