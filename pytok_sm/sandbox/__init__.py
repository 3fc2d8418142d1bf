"""TikTok in a box: a local emulator of TikTok's Login Kit and API v2 on 127.0.0.1.

It serves the documented wire contract (``docs/TIKTOK-API.md``) with its own code, sharing
only :mod:`pytok_sm._contract` with the client, so the two cannot be wrong together: the
authorize page (consent form with Approve/Deny), the token, revoke and QR-code endpoints,
``/v2/user/info/``, the Content Posting API (``/v2/post/publish/``: creator_info, the video,
inbox and photo inits, status/fetch, cancel) with its upload host (``PUT
{base_url}/upload/video/?upload_id=…&upload_token=…``, bodies streamed, never held), a
simulated phone for QR logins, an injectable clock, behaviour switches for every
undocumented point, and fault switches for every upstream failure the client must survive
(``docs/ROBUSTNESS.md``). Standard library only.

Every account (open_id) is a creator whose posting settings ``sandbox.creator(open_id)``
returns, live and mutable (private account, disabled interactions, maximum duration, a
ban); ``sandbox.posts`` lists copies of the posts (status read on the sandbox clock, bytes
and sha256 of what was uploaded), and the page ``/sandbox/posts`` shows each creator's
published posts and inbox.

An app with a ``webhook_url`` (``sandbox.set_webhook_url(url)``: https, or http to loopback)
receives TikTok's webhooks, signed with its client secret and retried with exponential
backoff until answered 200: ``authorization.removed`` when an account removes the app
(``sandbox.deauthorize(open_id, reason)`` or the "Remove access" buttons of
``/sandbox/accounts``; its tokens are revoked first) and ``post.publish.*`` as posts move
(``publish_type`` ``INBOX_SHARE`` for inbox uploads, ``DIRECT_POST`` otherwise [?]), even when
nobody polls. ``sandbox.webhook_deliveries`` records every attempt; the ``webhook_*``
switches time the retries and send duplicates, bad signatures, skewed timestamps, or a batch
out of order.

The public names are those of ``__all__``: :class:`Sandbox` and what its constructor takes
(:class:`App`, :func:`default_apps`, :class:`Switches`, :class:`Clock`,
:class:`SandboxUser`), :class:`PhoneError` (raised by its phone), the default app's
:data:`DEFAULT_CLIENT_KEY` (fixed, so recordings replay) and :func:`main`
(``python -m pytok_sm.sandbox``). The modules whose names start with ``_`` are private.
To press Approve or Deny on its consent page, use :class:`pytok_sm.testing.FakeBrowser`.

Example:
    >>> import httpx
    >>> from pytok_sm.sandbox import Sandbox
    >>> with Sandbox() as sb:
    ...     tokens = sb.issue_tokens(["user.info.basic"])
    ...     r = httpx.get(sb.base_api_url + "user/info/", params={"fields": "display_name"},
    ...                   headers={"Authorization": "Bearer " + tokens["access_token"]})
    ...     r.json()["data"]["user"]["display_name"]
    'Sandbox Creator'
    >>> with Sandbox() as sb:
    ...     sb.creator().private_account = True
    ...     token = sb.issue_tokens()["access_token"]
    ...     r = httpx.post(sb.base_api_url + "post/publish/creator_info/query/",
    ...                    headers={"Authorization": "Bearer " + token})
    ...     r.json()["data"]["privacy_level_options"]
    ['FOLLOWER_OF_CREATOR', 'MUTUAL_FOLLOW_FRIENDS', 'SELF_ONLY']
"""

from __future__ import annotations

from ._apps import DEFAULT_CLIENT_KEY, App, default_apps
from ._cli import main
from ._clock import Clock
from ._qr import PhoneError
from ._sandbox import Sandbox
from ._switches import Switches
from ._user import SandboxUser

__all__ = [
    "DEFAULT_CLIENT_KEY",
    "App",
    "Clock",
    "PhoneError",
    "Sandbox",
    "SandboxUser",
    "Switches",
    "default_apps",
    "main",
]

# Show the public classes as ``pytok_sm.sandbox.Name`` (tracebacks, reprs), as the root does.
for _value in (App, Clock, PhoneError, Sandbox, SandboxUser, Switches):
    _value.__module__ = __name__
del _value
