"""``/sandbox/accounts``: the accounts that authorized each app, and a "Remove access" button.

``GET /sandbox/accounts`` lists, per app (with its webhook URL, if any), every account holding
an authorization (a token of that account for that app not revoked), its live tokens and
scopes. Each has a form posting to ``/sandbox/accounts/remove`` with a reason (TikTok's codes
0..5, default 1: "the user disconnected the app"): pressing "Remove access" is the person
removing the app in TikTok, ``Sandbox.deauthorize`` (every token revoked, then
``authorization.removed`` sent). ``?format=json`` gives the list to programs.

The form carries the sandbox's form token (a random value of this sandbox's page), and a POST
whose ``Origin`` is another site is refused: another site's page cannot press the button.

Example:
    >>> from pytok_sm.sandbox._context import Context
    >>> from pytok_sm.sandbox._wire import Request
    >>> reply = accounts_view(Context.default(), Request("GET", "/sandbox/accounts", {}, {}))
    >>> reply.status, b"No account has authorized" in reply.body
    (200, True)
"""

from __future__ import annotations

import hmac
from html import escape
from typing import Any, Final

from . import _pages as pages
from ._context import Context
from ._webhooks import deauthorize
from ._wire import FormError, Reply, Request, html, json_reply

__all__ = ["ACCOUNTS_PATH", "REMOVE_PATH", "REASONS", "accounts_view", "authorizations", "remove_access"]

ACCOUNTS_PATH: Final = "/sandbox/accounts"
REMOVE_PATH: Final = "/sandbox/accounts/remove"
#: authorization.removed's reason codes, as TikTok documents them (the sandbox's wording).
REASONS: Final = {
    0: "unknown",
    1: "the user disconnected the app",
    2: "the account was deleted",
    3: "the user's age changed",
    4: "the account was banned",
    5: "the developer revoked the authorization",
}


def authorizations(ctx: Context) -> list[dict[str, Any]]:
    """Every (app, account) with an authorization: app, client_key, open_id, live_tokens, scopes."""
    now = ctx.now()
    found: dict[tuple[str, str], dict[str, Any]] = {}
    with ctx.state.lock:
        for token in ctx.state.tokens.values():
            if token.kind == "client" or token.open_id is None or token.revoked:
                continue
            app = ctx.apps.get(token.client_key)
            entry = found.setdefault((token.client_key, token.open_id), {
                "app": token.client_key if app is None else app.name, "client_key": token.client_key,
                "open_id": token.open_id, "live_tokens": 0, "scopes": set(),
            })
            entry["live_tokens"] += int(token.alive(now))
            entry["scopes"].update(token.scopes)
    return [{**entry, "scopes": sorted(entry["scopes"])} for entry in found.values()]


def _reasons(number: int) -> str:
    options = "".join(
        f'<option value="{code}"{" selected" if code == 1 else ""}>{code}: {escape(text)}</option>'
        for code, text in REASONS.items()
    )
    return f'<select name="reason" id="reason-{number}">{options}</select>'


def _page(ctx: Context, message: str = "") -> str:
    entries = authorizations(ctx)
    sections = []
    number = 0  # remove-1, remove-2, ... across the page
    for app in ctx.apps.values():
        rows = []
        for entry in (e for e in entries if e["client_key"] == app.client_key):
            number += 1
            name = ctx.user.display_name if entry["open_id"] == ctx.user.open_id else entry["open_id"]
            rows.append(
                f'<li id="account-{number}"><strong>{escape(name)}</strong> <code>{escape(entry["open_id"])}</code>'
                f'<br><span class="muted">{entry["live_tokens"]} live token(s); {escape(", ".join(entry["scopes"]))}'
                f'</span><form method="post" action="{REMOVE_PATH}">'
                f'<input type="hidden" name="client_key" value="{escape(app.client_key)}">'
                f'<input type="hidden" name="open_id" value="{escape(entry["open_id"])}">'
                f'<input type="hidden" name="form_token" value="{escape(ctx.webhooks.form_token)}">'
                f'{_reasons(number)} <button type="submit" id="remove-{number}">Remove access</button></form></li>'
            )
        hook = "no webhook URL" if app.webhook_url is None else f"webhooks to <code>{escape(app.webhook_url)}</code>"
        listing = f"<ul>{''.join(rows)}</ul>" if rows else '<p class="muted">No account has authorized it.</p>'
        sections.append(f"<section><h2>{escape(app.name)}</h2><p class=\"muted\"><code>{escape(app.client_key)}"
                        f"</code>; {hook}</p>{listing}</section>")
    body = (
        "<h1>Accounts and the apps they authorized</h1>"
        + (f'<p id="message">{escape(message)}</p>' if message else "")
        + ("" if entries else '<p id="empty">No account has authorized an app yet.</p>')
        + "".join(sections)
        + f'<p class="muted"><a href="{ACCOUNTS_PATH}">refresh</a> · <a href="/sandbox/pending">logins waiting'
        " for approval</a></p>"
    )
    return pages.document("Accounts | TikTok (sandbox)", body, attrs=' id="accounts-page"')


def _own_origin(origin: str | None, base_url: str) -> bool:
    """No Origin (not a browser), or this sandbox's own (127.0.0.1 or localhost, its port)."""
    if origin is None:
        return True
    port = base_url.rsplit(":", 1)[-1]
    return origin in (base_url, f"http://localhost:{port}")


def accounts_view(ctx: Context, request: Request) -> Reply:
    """``GET /sandbox/accounts``: the page, or ``{"accounts": [...]}`` with ``?format=json``."""
    if request.method not in ("GET", "HEAD"):
        reply = html(pages.simple_page("Method not allowed", "The accounts page is a GET."), 405)
        reply.set_header("Allow", "GET")
        return reply
    if request.query_one("format") == "json":
        return json_reply({"accounts": authorizations(ctx), "form_token": ctx.webhooks.form_token})
    return html(_page(ctx))


def remove_access(ctx: Context, request: Request) -> Reply:
    """``POST /sandbox/accounts/remove`` (``client_key``, ``open_id``, ``reason``, ``form_token``):
    the account removes the app; the page again, saying what was done."""
    if request.method != "POST":
        reply = html(pages.simple_page("Method not allowed", "Use the buttons of the accounts page."), 405)
        reply.set_header("Allow", "POST")
        return reply
    origin = request.headers.get("origin")
    try:
        form = request.form()
    except FormError:
        form = {}
    given = form.get("form_token", "")
    if not _own_origin(origin, ctx.base_url) or not hmac.compare_digest(given.encode(), ctx.webhooks.form_token.encode()):
        return html(pages.simple_page("Refused", "This form did not come from the sandbox's accounts page."), 403)
    reason = form.get("reason", "1")
    if not (reason.isascii() and reason.isdigit() and int(reason) in REASONS):
        return html(_page(ctx, "Choose one of TikTok's reasons (0 to 5)."), 400)
    client_key, open_id = form.get("client_key", ""), form.get("open_id", "")
    try:
        revoked = deauthorize(ctx, open_id, int(reason), client_key)
    except LookupError as exc:
        return html(_page(ctx, str(exc)), 404)
    app = ctx.apps[client_key]
    told = "authorization.removed is on its way" if app.webhook_url else "the app has no webhook URL"
    return html(_page(ctx, f"Access removed: {open_id} from {app.name} ({revoked} token(s) revoked; {told})."))
