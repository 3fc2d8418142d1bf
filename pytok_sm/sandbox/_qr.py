"""QR-code login: ``get_qrcode``, ``check_qrcode`` and the simulated phone that scans.

https://developers.tiktok.com/doc/login-kit-qr-code-authorization. The app asks for a QR
session, puts its own ``client_ticket`` in place of ``tobefilled`` in ``scan_qrcode_url``,
shows the URL as a QR code and polls ``check_qrcode`` with the secret ``token``. The status
moves ``new -> scanned -> confirmed -> utilised`` (code exchanged), or to ``expired`` after
``switches.qr_lifetime`` seconds (or, by default, when the phone denies).

The phone finds the session through the public ``qrcode_id`` parameter of the URL, never
through the polling token, and reads the app's ticket from ``client_ticket``: a URL still
carrying the placeholder is refused, as a real phone would fail to bind it.

Example:
    >>> scan_url_ticket("aweme://authorize?client_key=k&client_ticket=abc&qrcode_id=1")
    'abc'
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from urllib.parse import parse_qs, quote, urlsplit

from pytok_sm import _contract as contract

from . import _messages as messages
from . import _pages as pages
from ._authorize import encode_query
from ._context import Context
from ._oauth import read_client_form
from ._scopes import granted, join_scopes, parse_scopes
from ._state import CodeRecord, QrSession, new_code_value, new_secret
from ._wire import FormError, Reply, Request, html, json_reply

__all__ = [
    "SCAN_URL_PREFIX",
    "PhoneError",
    "check_qrcode",
    "current_status",
    "get_qrcode",
    "phone_confirm",
    "phone_deny",
    "phone_endpoint",
    "phone_scan",
    "phone_view",
    "scan_url_ticket",
]

SCAN_URL_PREFIX = "aweme://authorize?"


class PhoneError(ValueError):
    """The simulated phone cannot do what was asked (bad URL, wrong status, ...)."""


def get_qrcode(ctx: Context, request: Request) -> Reply:
    """``POST /v2/oauth/get_qrcode/`` (``client_key``, ``scope``, optional ``state``)."""
    read = read_client_form(ctx, request, secret=False)
    if isinstance(read, Reply):
        return read
    form, app = read
    scopes = parse_scopes(form.get("scope"), allowed=app.scopes)
    if scopes is None:
        return ctx.oauth_error("invalid_scope", messages.DESC_INVALID_SCOPE)
    now = ctx.now()
    session = ctx.state.add_qr_session(
        QrSession(
            token=new_secret(),
            qrcode_id=secrets.token_hex(12),
            client_key=app.client_key,
            scopes=scopes,
            state=form.get("state"),
            created_at=now,
            expires_at=now + ctx.switches.qr_lifetime,
        )
    )
    query = encode_query(
        {
            "client_key": app.client_key,
            "scope": join_scopes(scopes),
            "client_ticket": contract.CLIENT_TICKET_PLACEHOLDER,
            "qrcode_id": session.qrcode_id,
        }
    )
    return json_reply({"scan_qrcode_url": SCAN_URL_PREFIX + query, "token": session.token})


def current_status(ctx: Context, session: QrSession) -> str:
    """The session's status now, turning it ``expired`` when its time (or its code's) is up."""
    now = ctx.now()
    if session.status in (contract.QR_NEW, contract.QR_SCANNED) and now >= session.expires_at:
        session.status = contract.QR_EXPIRED
    elif session.status == contract.QR_CONFIRMED and session.code is not None:
        code = ctx.state.codes.get(session.code)
        if code is not None and not code.used and code.expired(now):
            session.status = contract.QR_EXPIRED
    return session.status


def _confirmed_fields(ctx: Context, session: QrSession) -> dict[str, str]:
    code = ctx.state.codes[session.code or ""]
    bare = {"code": code.code}
    if session.state is not None:
        bare["state"] = session.state
    mode = ctx.switches.qr_confirmed_fields
    fields: dict[str, str] = {}
    if mode in ("redirect_uri", "both"):
        fields["redirect_uri"] = f"{code.redirect_uri}?{encode_query(bare)}"
    if mode in ("bare", "both"):
        fields.update(bare)
    return fields


def check_qrcode(ctx: Context, request: Request) -> Reply:
    """``POST /v2/oauth/check_qrcode/`` (``client_key``, ``client_secret``, ``token``)."""
    read = read_client_form(ctx, request)
    if isinstance(read, Reply):
        return read
    form, app = read
    value = form.get("token")
    if not value:
        return ctx.oauth_error("invalid_request", messages.DESC_MALFORMED)
    session = ctx.state.qr_sessions.get(value)
    if session is None or session.client_key != app.client_key:
        return ctx.oauth_error("invalid_request", messages.DESC_QR_TOKEN_INVALID)
    status = current_status(ctx, session)
    ticket = "" if status in (contract.QR_NEW, contract.QR_EXPIRED) else session.client_ticket
    body: dict[str, str] = {"client_ticket": ticket, "status": status}
    if status == contract.QR_CONFIRMED:
        body.update(_confirmed_fields(ctx, session))
    return json_reply(body)


# --- the phone --------------------------------------------------------------------------
def scan_url_ticket(url: str) -> str:
    """The ``client_ticket`` the app put in a scan URL; PhoneError if missing or unfilled.

    Example:
        >>> scan_url_ticket("aweme://authorize?client_ticket=tobefilled&qrcode_id=1")
        Traceback (most recent call last):
        ...
        pytok_sm.sandbox.PhoneError: the client_ticket is still the placeholder 'tobefilled'
    """
    return _parse_scan_url(url)[1]


def _parse_scan_url(url: str) -> tuple[str, str]:
    if not url.startswith(SCAN_URL_PREFIX):
        raise PhoneError("not a TikTok QR login URL (aweme://authorize?...)")
    query = parse_qs(urlsplit(url).query, keep_blank_values=True)
    ids = query.get("qrcode_id", [])
    tickets = query.get("client_ticket", [])
    if len(ids) != 1:
        raise PhoneError("the URL does not name exactly one QR session (qrcode_id)")
    if len(tickets) != 1 or not tickets[0]:
        raise PhoneError("the URL carries no single client_ticket")
    ticket = tickets[0]
    if ticket == contract.CLIENT_TICKET_PLACEHOLDER:
        raise PhoneError("the client_ticket is still the placeholder 'tobefilled'")
    if len(quote(ticket, safe="")) >= contract.CLIENT_TICKET_MAX_ENCODED:
        raise PhoneError("the client_ticket is too long")
    return ids[0], ticket


def _session(ctx: Context, url: str) -> tuple[QrSession, str]:
    qrcode_id, ticket = _parse_scan_url(url)
    session = ctx.state.qr_by_id(qrcode_id)
    if session is None:
        raise PhoneError("unknown QR session")
    return session, ticket


def phone_scan(ctx: Context, url: str) -> str:
    """The phone scans the QR code: ``new -> scanned``; returns the new status."""
    with ctx.state.lock:
        session, ticket = _session(ctx, url)
        status = current_status(ctx, session)
        if status == contract.QR_NEW:
            session.status = contract.QR_SCANNED
            session.client_ticket = ticket
        elif status != contract.QR_SCANNED:
            raise PhoneError(f"the QR session is {status}")
        elif ticket != session.client_ticket:
            raise PhoneError("this QR session was scanned with another client_ticket")
        return session.status


def phone_confirm(ctx: Context, url: str, scopes: Iterable[str] | None = None) -> str:
    """The user taps Authorize (scanning first if needed): issues the code, ``confirmed``.

    ``scopes`` are the optional scopes left ticked (None: all requested ones).
    """
    with ctx.state.lock:
        phone_scan(ctx, url)
        session, _ = _session(ctx, url)
        app = ctx.apps[session.client_key]
        now = ctx.now()
        chosen = granted(session.scopes, None if scopes is None else list(scopes))
        code = ctx.state.add_code(
            CodeRecord(
                code=new_code_value(),
                client_key=session.client_key,
                redirect_uri=app.qr_redirect_uri,
                scopes=chosen,
                code_challenge=None,
                open_id=ctx.user.open_id,
                origin="qr",
                issued_at=now,
                expires_at=now + ctx.switches.code_lifetime,
                qr_token=session.token,
            )
        )
        session.code = code.code
        session.granted_scopes = chosen
        session.status = contract.QR_CONFIRMED
        return session.status


def phone_deny(ctx: Context, url: str) -> str:
    """The user taps Cancel: the session turns ``switches.qr_deny_status`` (``expired``)."""
    with ctx.state.lock:
        phone_scan(ctx, url)
        session, _ = _session(ctx, url)
        session.status = ctx.switches.qr_deny_status
        return session.status


_ACTIONS = {"scan": phone_scan, "deny": phone_deny}


def phone_endpoint(ctx: Context, request: Request, action: str) -> Reply:
    """``POST /sandbox/phone/{scan,confirm,deny}`` with form ``url`` (and ``scopes`` for
    confirm, a comma list); JSON ``{"status"}`` or 400 ``{"error"}``. With
    ``return_to=page`` the phone page is shown instead (its buttons use that)."""
    try:
        form = request.form() if request.method == "POST" else {}
    except FormError:
        form = {}
    url = form.get("url", "")
    try:
        if action == "confirm":
            raw = form.get("scopes")
            chosen = None if raw is None else [s.strip() for s in raw.split(",") if s.strip()]
            status = phone_confirm(ctx, url, chosen)
        else:
            status = _ACTIONS[action](ctx, url)
    except PhoneError as exc:
        if form.get("return_to") == "page":
            return html(pages.phone_page(url, _peek(ctx, url), str(exc)), 400)
        return json_reply({"error": str(exc)}, 400)
    if form.get("return_to") == "page":
        return html(pages.phone_page(url, status, f"{action}: done"))
    return json_reply({"status": status})


def _peek(ctx: Context, url: str) -> str | None:
    try:
        session, _ = _session(ctx, url)
    except PhoneError:
        return None
    return current_status(ctx, session)


def phone_view(ctx: Context, request: Request) -> Reply:
    """``GET /sandbox/phone?url=...``: the session's status with Scan/Confirm/Deny buttons."""
    url = request.query_one("url") or ""
    return html(pages.phone_page(url, _peek(ctx, url)))
