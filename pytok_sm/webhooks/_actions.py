"""Acting on TikTok's events: an account removed in the token store, a post's status on a board.

:func:`apply_event` does what an event means for the library's own records:

* ``authorization.removed``: the account is marked ``removed`` in the token store, with the
  reason in words (the record is kept, never deleted); a kit bound to it then raises
  :class:`~pytok_sm.NotLoggedIn` naming that reason, without asking TikTok.
* ``post.publish.complete`` / ``.inbox_delivered`` / ``.failed`` / ``.publicly_available`` /
  ``.no_longer_publicaly_available``: the post's status is recorded on a post board
  (:func:`event_status` says which), where a kit waiting on that post
  (``kit.post_video(..., events=board)``) finds it and stops waiting.
* anything else: nothing (it is still passed to your own ``on_event``).

It is idempotent, as TikTok's at-least-once deliveries need: a removed account stays as it
is; a delivery older than the account's last write (an ``authorization.removed`` about a
login made since, delivered late) changes nothing; a board merges statuses (a final one is
never replaced by a processing one). :class:`EventActions` is the same as an ``on_event``.

Example:
    >>> from pytok_sm import Token
    >>> from pytok_sm.stores import MemoryStore
    >>> from pytok_sm.webhooks import AuthorizationRemoved
    >>> store = MemoryStore()
    >>> _ = store.put("aw_key", Token(access_token="act.x", expires_at=2e9, open_id="u1"))
    >>> event = AuthorizationRemoved(client_key="aw_key", event="authorization.removed", create_time=2_000_000_000,
    ...                              user_openid="u1", reason=1)
    >>> apply_event(event, store=store)
    Applied('account_removed', authorization.removed)
    >>> account = store.get("aw_key", "u1")
    >>> account.state, account.reason
    ('removed', 'the user disconnected the app from TikTok (authorization.removed, reason 1)')
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

from .. import _contract as contract
from .._errors import ConfigurationError
from .._posting_values import PublishStatus
from ._board import PostEntry
from ._events import (
    AuthorizationRemoved,
    PostInboxDelivered,
    PostNoLongerPubliclyAvailable,
    PostPubliclyAvailable,
    PostPublishComplete,
    PostPublishEvent,
    PostPublishFailed,
    WebhookEvent,
)

__all__ = ["CLOCK_SKEW", "Applied", "EventActions", "apply_event", "apply_event_async", "event_status",
           "removal_reason"]

#: Seconds TikTok's clock (an event's ``create_time``) and this one may differ: an account
#: written more than this after the event was made is a newer login, left as it is.
CLOCK_SKEW = 60.0
_ATTEMPTS = 5


@dataclass(frozen=True)
class Applied:
    """What :func:`apply_event` did. ``action`` is ``"account_removed"`` (marked, or removed
    already: ``account`` is the record), ``"account_unknown"`` (not in the store),
    ``"account_newer"`` (written after the event: a later login, left alone),
    ``"post_recorded"`` (``entry`` is the post's entry on the board) or ``"ignored"`` (nothing
    to do for this event, or no store / board given for it)."""

    action: str
    event: WebhookEvent
    account: Any = None
    entry: PostEntry | None = None

    def __repr__(self) -> str:
        return f"Applied({self.action!r}, {self.event.event})"


def removal_reason(event: AuthorizationRemoved) -> str:
    """The reason an account removed by ``event`` is marked with, in words.

    Example:
        >>> removal_reason(AuthorizationRemoved(client_key="k", event="authorization.removed", create_time=1,
        ...                                     user_openid="u", reason=4))
        "the user's account was banned (authorization.removed, reason 4)"
    """
    return f"{event.reason_text} (authorization.removed, reason {event.reason})"


def event_status(event: WebhookEvent) -> tuple[PublishStatus, bool | None] | None:
    """The status a posting event stands for and what it says of the post's public visibility
    (None: not a posting event). ``no_longer_publicaly_available`` stands for
    ``PUBLISH_COMPLETE`` (the post was published), which never replaces another final status.

    Example:
        >>> event_status(PostPublishFailed(client_key="k", event="post.publish.failed", create_time=1,
        ...                                user_openid="u", publish_id="p1", reason="internal"))
        (PublishStatus(publish_id='p1', status='FAILED', fail_reason='internal', post_ids=(), uploaded_bytes=None, downloaded_bytes=None), None)
    """
    if not isinstance(event, PostPublishEvent):
        return None
    pid = event.publish_id
    if isinstance(event, PostPublishFailed):
        return PublishStatus(pid, contract.STATUS_FAILED, fail_reason=event.reason or None), None
    if isinstance(event, PostInboxDelivered):
        return PublishStatus(pid, contract.STATUS_SEND_TO_USER_INBOX), None
    if isinstance(event, PostPublishComplete):
        return PublishStatus(pid, contract.STATUS_PUBLISH_COMPLETE), None
    if isinstance(event, (PostPubliclyAvailable, PostNoLongerPubliclyAvailable)):
        ids = (event.post_id,) if event.post_id else ()
        return PublishStatus(pid, contract.STATUS_PUBLISH_COMPLETE, post_ids=ids), isinstance(event, PostPubliclyAvailable)
    return None


# A step asks for ("store" | "board", method, args, kwargs); the result (or the error) is sent back.
_Step = tuple[str, str, tuple[Any, ...], dict[str, Any]]


def _steps(event: WebhookEvent, has_store: bool, has_board: bool) -> Generator[_Step, Any, Applied]:
    if isinstance(event, AuthorizationRemoved) and has_store and event.user_openid:
        key = (event.client_key, event.user_openid)
        for attempt in range(_ATTEMPTS):
            account = yield ("store", "get", key, {})
            if account is None:
                return Applied("account_unknown", event)
            if account.state == "removed":
                return Applied("account_removed", event, account)
            if account.updated_at > event.create_time + CLOCK_SKEW:
                return Applied("account_newer", event, account)
            expected = {"expected_version": account.version} if attempt < _ATTEMPTS - 1 else {}
            marked = yield ("store", "mark", (*key, "removed", removal_reason(event)), expected)
            if marked is not None:
                return Applied("account_removed", event, marked)
        return Applied("account_unknown", event)  # deleted meanwhile
    found = event_status(event)
    if found is not None and has_board:
        assert isinstance(event, PostPublishEvent)
        status, public = found
        entry = yield ("board", "record", (event.client_key, event.publish_id, status),
                       {"public": public, "at": float(event.create_time)})
        return Applied("post_recorded", event, entry=entry)
    return Applied("ignored", event)


def _check(store: Any, board: Any) -> None:
    if store is not None and not all(callable(getattr(store, m, None)) for m in ("get", "mark")):
        raise ConfigurationError("store", "must be a token store of pytok_sm.stores (get and mark), or None")
    if board is not None and not callable(getattr(board, "record", None)):
        raise ConfigurationError("board", "must be a post board (MemoryPostBoard, SQLitePostBoard, RedisPostBoard)")


def apply_event(event: WebhookEvent, *, store: Any = None, board: Any = None) -> Applied:
    """Act on ``event`` in ``store`` (a :class:`~pytok_sm.stores.TokenStore`) and ``board`` (a
    post board); either may be None. A store or board failure is raised (in a receiver: a
    500, so TikTok delivers the event again)."""
    _check(store, board)
    steps = _steps(event, store is not None, board is not None)
    result: Any = None
    try:
        while True:
            where, method, args, kwargs = steps.send(result)
            result = getattr(store if where == "store" else board, method)(*args, **kwargs)
            if inspect.isawaitable(result):
                close = getattr(result, "close", None)
                if callable(close):
                    close()
                raise ConfigurationError("store", "is an asyncio store: use apply_event_async")
    except StopIteration as done:
        applied: Applied = done.value
        return applied


async def apply_event_async(event: WebhookEvent, *, store: Any = None, board: Any = None) -> Applied:
    """:func:`apply_event` for asyncio: an :class:`~pytok_sm.stores.AsyncTokenStore` is awaited;
    a synchronous store, and a board that may block (SQLite, Redis), run in a thread."""
    _check(store, board)
    steps = _steps(event, store is not None, board is not None)
    result: Any = None
    try:
        while True:
            where, method, args, kwargs = steps.send(result)
            target = store if where == "store" else board
            call = getattr(target, method)
            if inspect.iscoroutinefunction(call):
                result = await call(*args, **kwargs)
            elif getattr(target, "blocking", True):
                result = await asyncio.to_thread(call, *args, **kwargs)
            else:
                result = call(*args, **kwargs)
            if inspect.isawaitable(result):
                result = await result
    except StopIteration as done:
        applied: Applied = done.value
        return applied


class EventActions:
    """:func:`apply_event` as an ``on_event`` for :func:`~pytok_sm.webhooks.handle`,
    :class:`~pytok_sm.webhooks.WebhookApp` and the asyncio receivers (which run it in a
    thread); ``then(event)``, if given, runs after (your own handling). Give synchronous
    stores here; with an :class:`~pytok_sm.stores.AsyncTokenStore`, call
    :func:`apply_event_async` from your own ``async def on_event``.

    Example::

        board = SQLitePostBoard(store)
        app = WebhookApp(CLIENT_SECRET, EventActions(store=store, board=board, then=notify_me))
        ...
        kit.post_video("clip.mp4", privacy_level="SELF_ONLY", events=board)   # ends on the webhook
    """

    def __init__(self, *, store: Any = None, board: Any = None, then: Callable[[WebhookEvent], object] | None = None
                 ) -> None:
        _check(store, board)
        if then is not None and (not callable(then) or inspect.iscoroutinefunction(then)):
            raise ConfigurationError("then", "must be a plain function taking the event (not a coroutine function)")
        if store is not None and inspect.iscoroutinefunction(getattr(store, "mark", None)):
            raise ConfigurationError("store", "is an asyncio store: call apply_event_async from an async on_event")
        self.store = store
        self.board = board
        self.then = then

    def __call__(self, event: WebhookEvent) -> Applied:
        applied = apply_event(event, store=self.store, board=self.board)
        if self.then is not None:
            self.then(event)
        return applied

    def __repr__(self) -> str:
        where = [getattr(x, "where", type(x).__name__) for x in (self.store, self.board) if x is not None]
        return f"<EventActions {', '.join(where) or 'nothing'}>"
