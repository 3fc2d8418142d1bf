"""The sandbox's HTML: consent page, TikTok-style error page, gateway error, phone page, and
the list of logins waiting for approval.

Every value is HTML-escaped; pages load nothing external (no scripts, fonts or images),
so they render offline and under a ``default-src 'none'`` policy. The consent page is a
real ``<form method="post">`` with two submit buttons, ``id="approve"`` and ``id="deny"``,
which a headless browser or :class:`pytok_sm.testing.FakeBrowser` can click.

Example:
    >>> page = error_page("invalid_client", "client_key", "Unknown client_key.")
    >>> 'data-error="invalid_client"' in page and "<script" not in page
    True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from typing import Any
from urllib.parse import quote

from pytok_sm import _contract as contract

__all__ = [
    "SCOPE_DESCRIPTIONS",
    "consent_page",
    "document",
    "error_page",
    "gateway_error_page",
    "pending_page",
    "phone_page",
    "simple_page",
]

#: What the consent page tells the user each scope lets the app do.
SCOPE_DESCRIPTIONS: dict[str, str] = {
    "user.info.basic": "Read your profile info (avatar, display name)",
    "user.info.profile": "Read your profile details (bio, profile link, verification, username)",
    "user.info.stats": "Read your statistics (likes, followers, following, video count)",
    "video.list": "Read your public videos",
    "video.upload": "Share content to your TikTok inbox as drafts",
    "video.publish": "Post content to your TikTok account directly",
}

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;background:#f1f1f2;margin:0}
main{max-width:28rem;margin:3rem auto;background:#fff;border-radius:8px;padding:2rem}
h1{font-size:1.3rem}ul{padding-left:1.2rem}li{margin:.4rem 0}
label{display:block;margin:.5rem 0}.muted{color:#666;font-size:.9rem}
button{font-size:1rem;padding:.6rem 1.4rem;border-radius:4px;border:1px solid #ccc;margin-right:.5rem}
#approve{background:#fe2c55;color:#fff;border-color:#fe2c55}
code{background:#f4f4f4;padding:0 .2rem}
"""


def _document(title: str, body: str, *, attrs: str = "") -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body{attrs}><main>{body}</main></body></html>\n"
    )


#: The page skeleton (title, inline style, ``body`` inside ``<main>``) for the other page modules.
document = _document


def consent_page(
    *,
    app_name: str,
    user_name: str,
    scopes: Iterable[str],
    consent_id: str,
    action: str,
) -> str:
    """The authorize page: app name, requested scopes, Approve and Deny buttons.

    ``user.info.basic`` is listed as always granted; every other scope is a checked
    checkbox (``name="scope"``) the user may untick.
    """
    body = (
        f"<h1>{escape(app_name)} would like to access your TikTok account</h1>"
        f'<p class="muted">Logged in as <strong id="user">{escape(user_name)}</strong> (sandbox)</p>'
        + _decision_form(scopes, consent_id=consent_id, action=action, form_id="consent", suffix="")
    )
    return _document(f"Authorize {app_name} | TikTok (sandbox)", body, attrs=' id="consent-page"')


def _decision_form(scopes: Iterable[str], *, consent_id: str, action: str, form_id: str, suffix: str) -> str:
    """The consent form: the scopes (optional ones as ticked boxes), Authorize and Cancel."""
    required: list[str] = []
    optional: list[str] = []
    for scope in scopes:
        line = f"<code>{escape(scope)}</code>: {escape(SCOPE_DESCRIPTIONS.get(scope, scope))}"
        if scope == contract.SCOPE_USER_INFO_BASIC:
            required.append(f"<li>{line}</li>")
        else:
            optional.append(
                f'<label><input type="checkbox" name="scope" value="{escape(scope)}" checked> {line}</label>'
            )
    if not required:
        basic = contract.SCOPE_USER_INFO_BASIC
        required.append(f"<li><code>{basic}</code>: {escape(SCOPE_DESCRIPTIONS[basic])}</li>")
    buttons = (
        '<p><button type="submit" id="approve" name="decision" value="approve">Authorize</button>'
        '<button type="submit" id="deny" name="decision" value="deny">Cancel</button></p>'
    )
    if suffix:  # several forms on one page: approve-1, deny-1, ...
        buttons = buttons.replace('id="approve"', f'id="approve{suffix}"').replace('id="deny"', f'id="deny{suffix}"')
    return (
        f'<form method="post" action="{escape(action)}" id="{escape(form_id)}">'
        f'<input type="hidden" name="consent" value="{escape(consent_id)}">'
        f"<p>Always granted:</p><ul>{''.join(required)}</ul>"
        + (f"<p>Also requested (untick to refuse):</p>{''.join(optional)}" if optional else "")
        + buttons
        + "</form>"
    )


def pending_page(items: Iterable[Mapping[str, Any]], *, user_name: str) -> str:
    """The logins waiting for a decision (``/sandbox/pending``), newest first, each with the
    consent page's form; buttons ``approve-1``/``deny-1`` for the first, and so on."""
    sections = []
    for number, item in enumerate(items, start=1):
        waiting = int(float(item["waiting"]))
        sections.append(
            f'<section id="login-{number}"><h2>{escape(str(item["app"]))}</h2>'
            f'<p class="muted">asked {waiting} s ago; back to <code>{escape(str(item["redirect_uri"]))}</code></p>'
            + _decision_form(
                [str(scope) for scope in item["scopes"]], consent_id=str(item["consent"]),
                action=str(item["action"]), form_id=f"consent-{number}", suffix=f"-{number}",
            )
            + "</section>"
        )
    listing = "".join(sections) or '<p id="message">No login is waiting for approval.</p>'
    body = (
        "<h1>Logins waiting for approval</h1>"
        f'<p class="muted">Signed in as <strong id="user">{escape(user_name)}</strong> (sandbox). '
        "Approving here is pressing Authorize on the consent page.</p>"
        + listing
        + '<p class="muted"><a href="/sandbox/pending">refresh</a> · '
        '<a href="/sandbox/posts" id="posts-link">posts and inboxes</a> · '
        '<a href="/sandbox/accounts" id="accounts-link">accounts (remove access)</a></p>'
    )
    return _document("Logins waiting for approval | TikTok (sandbox)", body, attrs=' id="pending-page"')


def error_page(error: str, param: str, description: str) -> str:
    """TikTok's misconfiguration page: no redirect, the parameter to fix is named."""
    body = (
        f'<h1>Something went wrong</h1><div id="error" data-error="{escape(error)}" '
        f'data-param="{escape(param)}">'
        "<p>We couldn't log in with TikTok. This may be due to specific app settings.</p>"
        "<p>If you're a developer, correct the following and try again:</p>"
        f'<p><code id="error-param">{escape(param)}</code></p>'
        f'<p class="muted" id="error-description">{escape(description)}</p>'
        f'<p class="muted">error: <code id="error-code">{escape(error)}</code></p></div>'
    )
    return _document("TikTok (sandbox): something went wrong", body, attrs=f' data-error="{escape(error)}"')


def gateway_error_page(status: int) -> str:
    """What a load balancer shows on a 5xx: HTML where the client expected JSON."""
    reason = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}.get(
        status, "Internal Server Error"
    )
    return _document(f"{status} {reason}", f"<h1>{status} {escape(reason)}</h1><hr><p>sandbox-gateway</p>")


def simple_page(title: str, message: str, status_id: str = "message") -> str:
    """A plain page with one message (phone results, expired consents)."""
    return _document(title, f'<h1>{escape(title)}</h1><p id="{escape(status_id)}">{escape(message)}</p>')


def phone_page(url: str, status: str | None, message: str = "") -> str:
    """The simulated phone: shows a QR session's status with Scan, Confirm and Deny buttons."""
    buttons = "".join(
        f'<form method="post" action="/sandbox/phone/{action}" style="display:inline">'
        f'<input type="hidden" name="url" value="{escape(url)}">'
        '<input type="hidden" name="return_to" value="page">'
        f'<button type="submit" id="{action}">{label}</button></form>'
        for action, label in (("scan", "Scan"), ("confirm", "Confirm"), ("deny", "Deny"))
    )
    shown = "unknown QR code" if status is None else status
    body = (
        "<h1>Sandbox phone</h1>"
        f'<p>QR session status: <strong id="status">{escape(shown)}</strong></p>'
        + (f'<p id="message">{escape(message)}</p>' if message else "")
        + f"<p>{buttons}</p>"
        + f'<p class="muted"><a href="/sandbox/phone?url={escape(quote(url, safe=""))}">refresh</a></p>'
    )
    return _document("Sandbox phone", body)
