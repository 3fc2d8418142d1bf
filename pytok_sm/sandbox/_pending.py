"""``/sandbox/pending`` (the browser logins waiting for Authorize or Cancel) and ``/sandbox/status``.

A browser login is *pending* from the moment its authorize page is shown (the sandbox then
holds a consent) until someone presses Authorize or Cancel, or the page expires
(:data:`~pytok_sm.sandbox._authorize.CONSENT_LIFETIME`). ``GET /sandbox/pending`` lists them,
newest first, each with the consent page's own form (optional scopes to untick, Authorize
and Cancel, posting to :data:`~pytok_sm.sandbox._authorize.DECISION_PATH`): deciding there
is pressing the button on the consent page, a 302 to the app's redirect URI. It is to a
browser login what ``/sandbox/phone`` is to a QR login. One login whose page was opened
twice (same app, redirect URI and ``state``) is one entry, the newest page; once any of its
pages is decided, the login is no longer pending.

``?format=json`` gives the list to programs (``pytok sandbox approve``)::

    {"pending": [{"consent", "action", "app", "client_key", "scopes", "redirect_uri",
                  "waiting", "expires_in"}]}

``GET /sandbox/status`` says what listens on the port, for a client checking that it is the
pytok_sm sandbox it expects (``pid``) and which app it registers: ``{"sandbox": "pytok_sm",
"pid", "base_url", "client_key", "pending", "live_tokens"}``, never a secret.

Example:
    >>> from pytok_sm.sandbox._wire import Request
    >>> ctx = Context.default()
    >>> status_view(ctx, Request("GET", "/sandbox/status", {}, {})).json()["pending"]
    0
    >>> pending_view(ctx, Request("GET", "/sandbox/pending", {"format": ["json"]}, {})).json()
    {'pending': []}
"""

from __future__ import annotations

import os
from typing import Any

from . import _pages as pages
from ._authorize import DECISION_PATH
from ._context import Context
from ._state import ConsentRecord
from ._wire import Reply, Request, html, json_reply

__all__ = ["pending_consents", "pending_view", "status_view"]


def pending_consents(ctx: Context) -> list[ConsentRecord]:
    """The consents waiting for a decision, one per login, newest first."""
    now = ctx.now()
    logins: dict[tuple[str, str, str], list[tuple[int, ConsentRecord]]] = {}
    for order, consent in enumerate(ctx.state.consents.values()):
        # Pages of one login share its state; a login without a state is its own page.
        key = (consent.client_key, consent.redirect_uri, consent.state or "#" + consent.consent_id)
        logins.setdefault(key, []).append((order, consent))
    newest: list[tuple[float, int, ConsentRecord]] = []
    for pages_of_login in logins.values():
        if any(consent.decided for _, consent in pages_of_login):
            continue
        live = [(consent.created_at, order, consent) for order, consent in pages_of_login if now < consent.expires_at]
        if live:
            newest.append(max(live, key=lambda item: item[:2]))
    return [consent for _, _, consent in sorted(newest, key=lambda item: item[:2], reverse=True)]


def _describe(ctx: Context, consent: ConsentRecord) -> dict[str, Any]:
    app = ctx.apps.get(consent.client_key)
    now = ctx.now()
    return {
        "consent": consent.consent_id,
        "action": DECISION_PATH,
        "app": app.name if app is not None else consent.client_key,
        "client_key": consent.client_key,
        "scopes": list(consent.scopes),
        "redirect_uri": consent.redirect_uri,
        "waiting": round(max(0.0, now - consent.created_at), 1),
        "expires_in": round(max(0.0, consent.expires_at - now), 1),
    }


def pending_view(ctx: Context, request: Request) -> Reply:
    """``GET /sandbox/pending``: the page with a form per pending login, or JSON (``?format=json``)."""
    items = [_describe(ctx, consent) for consent in pending_consents(ctx)]
    if request.query_one("format") == "json":
        return json_reply({"pending": items})
    return html(pages.pending_page(items, user_name=ctx.user.display_name))


def status_view(ctx: Context, request: Request) -> Reply:
    """``GET /sandbox/status``: this process, its address, its default app, what it holds."""
    apps = list(ctx.apps.values())
    app = next((a for a in apps if a.kind == "desktop"), apps[0])
    now = ctx.now()
    live = sum(1 for t in ctx.state.tokens.values() if t.kind == "access" and t.alive(now))
    return json_reply(
        {
            "sandbox": "pytok_sm",
            "pid": os.getpid(),
            "base_url": ctx.base_url,
            "client_key": app.client_key,
            "pending": len(pending_consents(ctx)),
            "live_tokens": live,
        }
    )
