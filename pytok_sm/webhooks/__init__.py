"""TikTok's webhooks: signed deliveries verified, typed events, each passed on once.

TikTok POSTs events (``authorization.removed``, ``post.publish.*``, ...) to the app's
callback URL, signed with the client secret, at least once and again for 72 hours until it
gets a 200. :func:`verify` checks the ``TikTok-Signature`` header, :func:`parse_event` turns
the body into a typed :class:`WebhookEvent`, a :class:`Deduplicator` passes each delivery on
once, and :func:`handle` / :func:`handle_async` (any framework), :class:`WebhookApp` (WSGI)
and :class:`AsyncWebhookApp` (ASGI) do all three and say what to answer. :func:`apply_event`
(or :class:`EventActions` as the ``on_event``) acts on them: ``authorization.removed`` marks
the account removed in a token store, posting events land on a post board
(:class:`MemoryPostBoard`, :class:`SQLitePostBoard`, :class:`RedisPostBoard`) where a kit
waiting on the post (``kit.post_video(..., events=board)``) ends without polling.

Example:
    >>> from pytok_sm.webhooks import AuthorizationRemoved, handle, sign
    >>> body = (b'{"client_key": "ck", "event": "authorization.removed", "create_time": 1700000000,'
    ...         b' "user_openid": "u1", "content": "{\\\\"reason\\\\": 5}"}')
    >>> def on_event(event):
    ...     if isinstance(event, AuthorizationRemoved):
    ...         print(event.user_openid, "removed:", event.reason_text)
    >>> outcome = handle(body, {"TikTok-Signature": sign(body, "my-secret")}, client_secret="my-secret",
    ...                  on_event=on_event)
    u1 removed: the developer revoked the authorization
    >>> outcome.status, outcome.body
    (200, b'{"ok": true, "reason": "delivered"}')
"""

from ._actions import Applied, EventActions, apply_event, apply_event_async, event_status
from ._apps import AsyncWebhookApp, WebhookApp
from ._board import BOARD_TTL, MemoryPostBoard, PostBoard, PostEntry
from ._board_stores import RedisPostBoard, SQLitePostBoard
from ._dedupe import DELIVERY_TTL, PROCESSING_TTL, Deduplicator, MemorySingleUse, RedisSingleUse, SQLiteSingleUse
from ._errors import (
    EventMalformed,
    SignatureMalformed,
    SignatureMismatch,
    SignatureMissing,
    TimestampOutOfRange,
    WebhookError,
)
from ._events import (
    EVENT_TYPES,
    MAX_EVENT_BYTES,
    REASONS,
    AuthorizationRemoved,
    PostInboxDelivered,
    PostNoLongerPubliclyAvailable,
    PostPublicContent,
    PostPubliclyAvailable,
    PostPublishComplete,
    PostPublishEvent,
    PostPublishFailed,
    VideoPublishCompleted,
    VideoUploadFailed,
    WebhookEvent,
    parse_event,
)
from ._receive import Outcome, handle, handle_async
from ._verify import DEFAULT_TOLERANCE, SIGNATURE_HEADER, sign, verify

__all__ = [
    "BOARD_TTL",
    "DEFAULT_TOLERANCE",
    "DELIVERY_TTL",
    "EVENT_TYPES",
    "MAX_EVENT_BYTES",
    "PROCESSING_TTL",
    "REASONS",
    "SIGNATURE_HEADER",
    "Applied",
    "AsyncWebhookApp",
    "AuthorizationRemoved",
    "Deduplicator",
    "EventActions",
    "EventMalformed",
    "MemoryPostBoard",
    "MemorySingleUse",
    "Outcome",
    "PostBoard",
    "PostEntry",
    "PostInboxDelivered",
    "PostNoLongerPubliclyAvailable",
    "PostPublicContent",
    "PostPublishComplete",
    "PostPublishEvent",
    "PostPublishFailed",
    "PostPubliclyAvailable",
    "RedisPostBoard",
    "RedisSingleUse",
    "SQLitePostBoard",
    "SQLiteSingleUse",
    "SignatureMalformed",
    "SignatureMismatch",
    "SignatureMissing",
    "TimestampOutOfRange",
    "VideoPublishCompleted",
    "VideoUploadFailed",
    "WebhookApp",
    "WebhookError",
    "WebhookEvent",
    "apply_event",
    "apply_event_async",
    "event_status",
    "handle",
    "handle_async",
    "parse_event",
    "sign",
    "verify",
]

# Show the public classes and functions as ``pytok_sm.webhooks.Name`` (tracebacks, reprs, pickles).
for _name in __all__:
    _value = globals()[_name]
    if isinstance(_value, type) or callable(_value):
        _value.__module__ = __name__
del _name, _value
