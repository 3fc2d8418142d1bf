"""The authorize page ``GET /v2/auth/authorize/`` and the consent decision behind it.

https://developers.tiktok.com/doc/login-kit-desktop (section "Authorization request").
Checks, in order: ``client_key``, ``redirect_uri`` (exact, or a registered wildcard port),
``response_type=code``, ``scope`` (comma list, known and allowed for the app), then PKCE
for desktop apps: ``code_challenge_method=S256`` and a challenge that is 64 lower-case hex
characters (TikTok's reading) or 43 base64url characters (RFC 7636's; accepted here, but
the token exchange then fails). A misconfiguration shows an error page (HTTP 400) and never
redirects; after validation the user sees the consent page, whose form posts to
:data:`DECISION_PATH`. Approve redirects with ``code``, ``scopes`` and ``state``; Deny
with ``error=access_denied``.

Example:
    >>> encode_query({"code": "a*b!c", "scopes": "user.info.basic,video.list"})
    'code=a%2Ab%21c&scopes=user.info.basic,video.list'
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import quote

from pytok_sm import _contract as contract

from . import _messages as messages
from . import _pages as pages
from ._context import Context
from ._scopes import granted, join_scopes, parse_scopes
from ._state import CodeRecord, ConsentRecord, new_code_value, new_secret
from ._wire import FormError, Reply, Request, html

__all__ = ["CONSENT_LIFETIME", "DECISION_PATH", "authorize_decision", "authorize_page", "encode_query"]

#: Where the consent form posts its decision.
DECISION_PATH: Final = "/v2/auth/authorize/decision/"
#: Seconds a consent page may stay open before its form stops working.
CONSENT_LIFETIME: Final = 900.0

_HEX_CHALLENGE = re.compile(r"[0-9a-f]{64}")
_BASE64URL_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")
_SINGLE_PARAMS: Final = (
    "client_key",
    "scope",
    "redirect_uri",
    "state",
    "response_type",
    "code_challenge",
    "code_challenge_method",
    "disable_auto_auth",
)


def encode_query(params: dict[str, str]) -> str:
    """``name=value&...`` with values fully percent-encoded, except commas in ``scopes``."""
    return "&".join(f"{name}={quote(value, safe=',' if name == 'scopes' else '')}" for name, value in params.items())


def _redirect(location: str) -> Reply:
    return Reply(
        302,
        [("Location", location), ("Cache-Control", "no-store"), ("Referrer-Policy", "no-referrer")],
        b"",
    )


def _problem(error: str, param: str, description: str) -> Reply:
    return html(pages.error_page(error, param, description), 400)


def challenge_is_acceptable(challenge: str) -> bool:
    """Hex (TikTok) or base64url (RFC 7636) SHA-256 challenge shapes."""
    return bool(_HEX_CHALLENGE.fullmatch(challenge) or _BASE64URL_CHALLENGE.fullmatch(challenge))


def authorize_page(ctx: Context, request: Request) -> Reply:
    """Validate an authorization request; show the consent page or an error page."""
    for name in _SINGLE_PARAMS:
        if len(request.query.get(name, ())) > 1:
            return _problem("invalid_request", name, f"The parameter {name} was sent more than once.")
    q = request.query_one
    app = ctx.app(q("client_key"))
    if app is None:
        return _problem("invalid_client", "client_key", "The client_key is missing or unknown.")
    redirect_uri = q("redirect_uri")
    if redirect_uri is None or not app.matches_redirect_uri(redirect_uri):
        return _problem("invalid_request", "redirect_uri", "The redirect_uri is not registered for this app.")
    if q("response_type") != "code":
        return _problem("unsupported_response_type", "response_type", "The response_type must be code.")
    scopes = parse_scopes(q("scope"), allowed=app.scopes)
    if scopes is None:
        return _problem("invalid_scope", "scope", messages.DESC_INVALID_SCOPE)

    challenge = q("code_challenge")
    method = q("code_challenge_method")
    needs_pkce = app.requires_pkce or ctx.switches.web_requires_pkce
    if challenge is not None or method is not None or needs_pkce:
        if not challenge:
            return _problem("invalid_request", "code_challenge", "The code_challenge is missing.")
        if method != contract.CODE_CHALLENGE_METHOD:
            return _problem("invalid_request", "code_challenge_method", "The code_challenge_method must be S256.")
        if not challenge_is_acceptable(challenge):
            return _problem("invalid_request", "code_challenge", "The code_challenge is malformed.")

    now = ctx.now()
    consent = ctx.state.add_consent(
        ConsentRecord(
            consent_id=new_secret(),
            client_key=app.client_key,
            redirect_uri=redirect_uri,
            state=q("state"),
            scopes=scopes,
            code_challenge=challenge,
            created_at=now,
            expires_at=now + CONSENT_LIFETIME,
        )
    )
    page = pages.consent_page(
        app_name=app.name,
        user_name=ctx.user.display_name,
        scopes=scopes,
        consent_id=consent.consent_id,
        action=DECISION_PATH,
    )
    return html(page)


def authorize_decision(ctx: Context, request: Request) -> Reply:
    """The consent form's POST: redirect to the app with a code or ``access_denied``."""
    if request.method != "POST":
        return html(pages.simple_page("Method not allowed", "Use the buttons of the consent page."), 405)
    try:
        form = request.form_multi()
    except FormError:
        form = {}
    consent_ids = form.get("consent", [])
    decisions = form.get("decision", [])
    consent = ctx.state.consents.get(consent_ids[0]) if len(consent_ids) == 1 else None
    now = ctx.now()
    if consent is None or consent.decided or now >= consent.expires_at:
        page = pages.simple_page("Something went wrong", "This authorization request expired or was already used.")
        return html(page, 400)
    if decisions not in (["approve"], ["deny"]):
        return html(pages.simple_page("Something went wrong", "Choose Authorize or Cancel."), 400)
    consent.decided = True

    state_part = {} if consent.state is None else {"state": consent.state}
    if decisions == ["deny"]:
        params = {"error": "access_denied", "error_description": messages.DESC_ACCESS_DENIED, **state_part}
        if ctx.switches.deny_error_type is not None:
            params["error_type"] = ctx.switches.deny_error_type
        return _redirect(f"{consent.redirect_uri}?{encode_query(params)}")

    scopes = granted(consent.scopes, form.get("scope", []))
    code = ctx.state.add_code(
        CodeRecord(
            code=new_code_value(),
            client_key=consent.client_key,
            redirect_uri=consent.redirect_uri,
            scopes=scopes,
            code_challenge=consent.code_challenge,
            open_id=ctx.user.open_id,
            origin="browser",
            issued_at=now,
            expires_at=now + ctx.switches.code_lifetime,
        )
    )
    params = {"code": code.code, "scopes": join_scopes(scopes), **state_part}
    return _redirect(f"{consent.redirect_uri}?{encode_query(params)}")
