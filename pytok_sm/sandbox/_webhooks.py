"""The webhooks the sandbox sends (docs/TIKTOK-API.md section 10): which events, their bodies,
their signatures, and the queue the delivery worker (:mod:`._webhook_worker`) empties.

An app with a ``webhook_url`` (:class:`~pytok_sm.sandbox.App`, or
``Sandbox.set_webhook_url``) receives, as TikTok sends them:

* ``authorization.removed`` ``{"reason"}`` when an account is de-authorised
  (:func:`deauthorize`: ``Sandbox.deauthorize`` or the ``/sandbox/accounts`` page). Every
  token of that account for that app is revoked first: it is dead when the event arrives.
* ``post.publish.complete``, ``.inbox_delivered``, ``.failed`` (``reason`` is the
  ``fail_reason``) and ``.publicly_available`` (``post_id``, only for a public Direct Post,
  right after ``complete``), once per status a post reaches, with ``publish_id`` and
  ``publish_type``: ``INBOX_SHARE`` for an upload to the inbox, ``DIRECT_POST`` otherwise
  (TikTok documents only the first [?]). ``post_id`` is a JSON number, as in status/fetch [?].
  The worker moves such posts on the sandbox clock itself (:func:`scan`), so the event comes
  even when nobody polls; ``post_outcome="never"`` posts never move, so stay silent.
* ``post.publish.no_longer_publicaly_available`` (TikTok's spelling) ``{"post_id"}`` when a
  public post is taken down (:func:`take_down`: its public id is withdrawn from status/fetch
  and video/list).

An event is queued when it happens, if its app has a webhook URL then (one set later does not
replay what happened before). The body is TikTok's: ``client_key``, ``event``,
``create_time`` (the sandbox clock), ``user_openid`` and ``content``, a JSON *string*. Each
attempt is signed anew (``TikTok-Signature: t=<now>,s=<hex HMAC-SHA256(client_secret,
f"{t}.{body}")>``) over the exact bytes sent, ``t`` on the real clock (the receiver's), unless
the switches say otherwise (:func:`signed`). This module computes the HMAC itself and imports
nothing of :mod:`pytok_sm.webhooks`, so a mistake in one is caught by the other.

Example:
    >>> signature_header(b"{}", "secret", 1)  # what pytok_sm.webhooks.sign(b"{}", "secret", timestamp=1) says
    't=1,s=1122767b193110cfec322b6f199b599edbf608ed087f2d27afb0b97d99523908'
    >>> event_body("ck", "authorization.removed", create_time=1700000000, user_openid="u1", content={"reason": 1})
    b'{"client_key": "ck", "event": "authorization.removed", "create_time": 1700000000, "user_openid": "u1", "content": "{\\\\"reason\\\\": 1}"}'
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import threading
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Final

from pytok_sm import _contract as contract

from ._apps import check_webhook_url
from ._posts import PostRecord, refresh_status
from ._switches import Switches

if TYPE_CHECKING:
    from ._context import Context

__all__ = [
    "EVENT_AUTHORIZATION_REMOVED",
    "POST_EVENTS",
    "SIGNATURE_HEADER",
    "Pending",
    "WebhookDelivery",
    "WebhookState",
    "deauthorize",
    "emit",
    "event_body",
    "post_events",
    "scan",
    "set_webhook_url",
    "signature_header",
    "signed",
    "take_down",
]

SIGNATURE_HEADER: Final = "TikTok-Signature"
EVENT_AUTHORIZATION_REMOVED: Final = "authorization.removed"
EVENT_FAILED: Final = "post.publish.failed"
EVENT_COMPLETE: Final = "post.publish.complete"
EVENT_INBOX_DELIVERED: Final = "post.publish.inbox_delivered"
EVENT_PUBLICLY_AVAILABLE: Final = "post.publish.publicly_available"
EVENT_NO_LONGER_PUBLIC: Final = "post.publish.no_longer_publicaly_available"
#: Every post event the sandbox sends.
POST_EVENTS: Final = (EVENT_FAILED, EVENT_COMPLETE, EVENT_INBOX_DELIVERED, EVENT_PUBLICLY_AVAILABLE,
                      EVENT_NO_LONGER_PUBLIC)
PUBLISH_TYPE_INBOX: Final = "INBOX_SHARE"
PUBLISH_TYPE_DIRECT: Final = "DIRECT_POST"


@dataclass(frozen=True)
class WebhookDelivery:
    """One attempt to deliver one event, as ``Sandbox.webhook_deliveries`` lists them.

    ``delivery`` numbers the event: its retries and duplicates share it. ``attempt`` counts the
    sends of that delivery (1 for the first); ``duplicate`` marks a deliberate extra copy of one
    answered 200 (``switches.webhook_duplicates``). ``status`` is the HTTP status answered,
    None when there was no answer (``error`` says why). ``at`` is on the sandbox clock,
    ``signed_at`` is the signature's ``t`` (None: no header), ``body_sha256`` the digest of the
    bytes sent. ``next_in``: real seconds until the next attempt, None when none follows.

    Example:
        >>> WebhookDelivery(delivery=1, event="authorization.removed", client_key="k", user_openid="u",
        ...                 url="http://127.0.0.1:1/", attempt=1, duplicate=False, status=200, error=None,
        ...                 at=0.0, signed_at=0, signature="valid", body_sha256="", next_in=None).delivered
        True
    """

    delivery: int
    event: str
    client_key: str
    user_openid: str
    url: str
    attempt: int
    duplicate: bool
    status: int | None
    error: str | None
    at: float
    signed_at: int | None
    signature: str
    body_sha256: str
    next_in: float | None

    @property
    def delivered(self) -> bool:
        """True when the receiver answered 200."""
        return self.status == 200


@dataclass
class Pending:
    """A delivery waiting in the queue: its body (fixed), when it is due (``time.monotonic``),
    how many sends it had, and when the first one was (the retry horizon counts from it)."""

    delivery: int
    client_key: str
    event: str
    user_openid: str
    body: bytes
    due: float
    attempts: int = 0
    first: float | None = None
    duplicate: bool = False


class WebhookState:
    """The queue, the record of every attempt, and the post statuses already told.

    Guarded by the sandbox's state lock; ``wake`` tells the worker something was queued.

    Example:
        >>> state = WebhookState()
        >>> state.add("k", "authorization.removed", "u", b"{}").delivery, state.wake.is_set()
        (1, True)
    """

    def __init__(self) -> None:
        self.pending: list[Pending] = []
        self.records: list[WebhookDelivery] = []
        #: publish_id -> the events already queued for it (or passed over: no URL then).
        self.told: dict[str, set[str]] = {}
        self.wake = threading.Event()
        #: Proves a ``/sandbox/accounts`` form came from this sandbox's own page (CSRF).
        self.form_token = secrets.token_urlsafe(24)
        self._numbers = itertools.count(1)

    def add(self, client_key: str, event: str, user_openid: str, body: bytes) -> Pending:
        """Queue a new delivery, due now."""
        item = Pending(next(self._numbers), client_key, event, user_openid, body, due=time.monotonic())
        self.pending.append(item)
        self.wake.set()
        return item


def signature_header(body: bytes, secret: str, timestamp: int) -> str:
    """``t=<timestamp>,s=<hex HMAC-SHA256(key=secret, msg=f"{timestamp}.{body}")>``."""
    message = str(int(timestamp)).encode("ascii") + b"." + body
    return f"t={int(timestamp)},s={hmac.new(secret.encode('utf-8'), message, hashlib.sha256).hexdigest()}"


def signed(body: bytes, secret: str, switches: Switches, *, now: float) -> tuple[bytes, dict[str, str], int | None]:
    """(the bytes to send, the signature header (if any), its ``t``) as the switches say:
    ``webhook_signature`` "valid", "wrong_secret", "tampered_body" (a space added after
    signing: still JSON) or "missing"; ``webhook_timestamp`` "now", "stale" or "future".

    Example:
        >>> sent, headers, t = signed(b'{"a": 1}', "s", Switches(webhook_signature="tampered_body"), now=100.0)
        >>> sent, headers == {"TikTok-Signature": signature_header(b'{"a": 1}', "s", 100)}, t
        (b'{ "a": 1}', True, 100)
    """
    skew = {"now": 0.0, "stale": -1.0, "future": 1.0}[switches.webhook_timestamp] * switches.webhook_timestamp_skew
    moment = int(now + skew)
    mode = switches.webhook_signature
    if mode == "missing":
        return body, {}, None
    key = "not-" + secret if mode == "wrong_secret" else secret
    header = signature_header(body, key, moment)
    sent = body[:1] + b" " + body[1:] if mode == "tampered_body" else body
    return sent, {SIGNATURE_HEADER: header}, moment


def event_body(client_key: str, event: str, *, create_time: int, user_openid: str, content: dict[str, Any]) -> bytes:
    """A delivery's body: TikTok's five fields, ``content`` a JSON string."""
    envelope = {
        "client_key": client_key,
        "event": event,
        "create_time": int(create_time),
        "user_openid": user_openid,
        "content": json.dumps(content),
    }
    return json.dumps(envelope).encode("utf-8")


def emit(ctx: Context, client_key: str, event: str, user_openid: str, content: dict[str, Any]) -> bool:
    """Queue ``event`` for the app's webhook URL; False (nothing queued) when it has none."""
    with ctx.state.lock:
        app = ctx.apps.get(client_key)
        if app is None or app.webhook_url is None:
            return False
        body = event_body(client_key, event, create_time=int(ctx.now()), user_openid=user_openid, content=content)
        ctx.webhooks.add(client_key, event, user_openid, body)
        return True


def post_events(post: PostRecord) -> list[tuple[str, dict[str, Any]]]:
    """The events a post's status stands for, in the order they happen.

    Example:
        >>> post = PostRecord(publish_id="p", client_key="k", open_id="o", kind="video", mode="inbox",
        ...                   source="PULL_FROM_URL", privacy_level=None, created_at=0.0, status="SEND_TO_USER_INBOX")
        >>> post_events(post)
        [('post.publish.inbox_delivered', {'publish_id': 'p', 'publish_type': 'INBOX_SHARE'})]
    """
    kind = PUBLISH_TYPE_INBOX if post.mode == "inbox" else PUBLISH_TYPE_DIRECT
    if post.status == contract.STATUS_FAILED:
        return [(EVENT_FAILED, {"publish_id": post.publish_id, "reason": post.fail_reason or "internal",
                                "publish_type": kind})]
    base: dict[str, Any] = {"publish_id": post.publish_id, "publish_type": kind}
    if post.status == contract.STATUS_SEND_TO_USER_INBOX:
        return [(EVENT_INBOX_DELIVERED, base)]
    if post.status != contract.STATUS_PUBLISH_COMPLETE:
        return []
    found = [(EVENT_COMPLETE, base)]
    if post.post_ids:
        found.append((EVENT_PUBLICLY_AVAILABLE, {**base, "post_id": post.post_ids[0]}))
    return found


def _tell(ctx: Context, post: PostRecord) -> None:
    told = ctx.webhooks.told.setdefault(post.publish_id, set())
    for event, content in post_events(post):
        if event not in told:
            told.add(event)
            emit(ctx, post.client_key, event, post.open_id, content)


def scan(ctx: Context) -> None:
    """Move every post of an app with a webhook URL to where the sandbox clock says it is,
    and queue the events of the statuses reached since the last scan (each once)."""
    with ctx.state.lock:
        now = ctx.now()
        for post in ctx.posting.posts.values():
            app = ctx.apps.get(post.client_key)
            if app is None or app.webhook_url is None:
                continue
            refresh_status(post, ctx.switches, now=now)
            _tell(ctx, post)


def set_webhook_url(ctx: Context, url: str | None, client_key: str) -> None:
    """Give the app ``url`` (None: deliver nothing). What its posts reached before is not sent
    then; a delivery waiting for a retry goes to the new URL (or is dropped: None)."""
    if url is not None:
        check_webhook_url(url)
    with ctx.state.lock:
        app = ctx.apps[client_key]
        if app.webhook_url is None:
            for post in ctx.posting.posts.values():
                if post.client_key == client_key:
                    ctx.webhooks.told.setdefault(post.publish_id, set()).update(e for e, _ in post_events(post))
        ctx.apps[client_key] = replace(app, webhook_url=url)
        ctx.webhooks.wake.set()


def deauthorize(ctx: Context, open_id: str, reason: int, client_key: str) -> int:
    """The account removes the app: revoke its every token for the app, then queue
    ``authorization.removed`` with ``reason``; returns how many tokens were revoked.

    LookupError when the account has no authorization with the app (never logged in, or
    removed already: every token of theirs revoked).
    """
    if isinstance(reason, bool) or not isinstance(reason, int) or reason < 0:
        raise ValueError(f"reason is TikTok's code, a non-negative integer (0..5 documented), not {reason!r}")
    with ctx.state.lock:
        app = ctx.apps.get(client_key)
        if app is None:
            raise LookupError(f"no app is registered as {client_key!r}")
        tokens = [t for t in ctx.state.tokens.values()
                  if t.client_key == client_key and t.open_id == open_id and t.kind != "client" and not t.revoked]
        if not tokens:
            raise LookupError(f"the account {open_id!r} has not authorized {app.name!r}")
        for record in tokens:
            record.kill("deauthorized")
        emit(ctx, client_key, EVENT_AUTHORIZATION_REMOVED, open_id, {"reason": reason})
        return len(tokens)


def take_down(ctx: Context, publish_id: str) -> None:
    """A public post stops being public: its public id leaves status/fetch and video/list,
    and ``post.publish.no_longer_publicaly_available`` is queued (after any event of the post
    not told yet). LookupError for an unknown post, ValueError for one that is not public."""
    with ctx.state.lock:
        post = ctx.posting.posts.get(publish_id)
        if post is None:
            raise LookupError(f"no post {publish_id!r}")
        refresh_status(post, ctx.switches, now=ctx.now())
        if post.status != contract.STATUS_PUBLISH_COMPLETE or not post.post_ids:
            raise ValueError(f"the post {publish_id!r} is not publicly available")
        app = ctx.apps.get(post.client_key)
        if app is not None and app.webhook_url is not None:
            _tell(ctx, post)
        post_id = post.post_ids[0]
        post.post_ids.clear()
        kind = PUBLISH_TYPE_INBOX if post.mode == "inbox" else PUBLISH_TYPE_DIRECT
        ctx.webhooks.told.setdefault(publish_id, set()).add(EVENT_NO_LONGER_PUBLIC)
        emit(ctx, post.client_key, EVENT_NO_LONGER_PUBLIC, post.open_id,
             {"publish_id": publish_id, "publish_type": kind, "post_id": post_id})
