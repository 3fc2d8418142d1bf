"""TikTok's webhook events as typed, frozen values, keeping TikTok's field names.

Every delivery is ``{client_key, event, create_time, user_openid, content}`` where
``content`` is a JSON object serialized as a string (an object given inline is accepted
too). :func:`parse_event` reads one within fixed bounds (size, depth, no ``NaN``) and
returns the class of its ``event`` (:data:`EVENT_TYPES`), with the content's documented
fields as attributes; an event name it does not know stays a plain :class:`WebhookEvent`,
never dropped. Each event has a stable :attr:`WebhookEvent.delivery_id` for de-duplication
(TikTok delivers at least once, and retries for 72 hours).

Example:
    >>> body = (b'{"client_key": "bwo2m45353a6k85", "event": "authorization.removed",'
    ...         b' "create_time": 1615338610, "user_openid": "act.example12345Example12345Example",'
    ...         b' "content": "{\\\\"reason\\\\": 1 }"}')
    >>> event = parse_event(body)
    >>> type(event).__name__, event.reason, event.reason_text
    ('AuthorizationRemoved', 1, 'the user disconnected the app from TikTok')
    >>> len(event.delivery_id), event.delivery_id == parse_event(body).delivery_id
    (32, True)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .._http import _depth, _reject_constant
from .._secrets import hush
from ._errors import EventMalformed

__all__ = [
    "EVENT_TYPES",
    "MAX_EVENT_BYTES",
    "REASONS",
    "AuthorizationRemoved",
    "PostInboxDelivered",
    "PostNoLongerPubliclyAvailable",
    "PostPublicContent",
    "PostPublishComplete",
    "PostPublishEvent",
    "PostPublishFailed",
    "PostPubliclyAvailable",
    "VideoPublishCompleted",
    "VideoUploadFailed",
    "WebhookEvent",
    "parse_event",
]

#: Bodies larger than this are refused (TikTok's events are well under 1 KiB).
MAX_EVENT_BYTES = 64 * 1024
_MAX_DEPTH = 32
_MAX_TIME = 2**63 - 1

#: ``authorization.removed``'s ``reason`` codes, as TikTok documents them.
REASONS: Mapping[int, str] = {
    0: "unknown",
    1: "the user disconnected the app from TikTok",
    2: "the user's account was deleted",
    3: "the user's age changed",
    4: "the user's account was banned",
    5: "the developer revoked the authorization",
}

# (field, kind, required): kind "int" (not bool), "str", or "id" (a string or an integer, kept as text)
_Spec = tuple[tuple[str, str, bool], ...]


@dataclass(frozen=True, kw_only=True)
class WebhookEvent:
    """One delivery: TikTok's five fields, ``content`` decoded to a mapping (treat it as
    read-only). Events TikTok may add later arrive as this class, with their content.

    Example:
        >>> event = WebhookEvent(client_key="ck", event="x.new", create_time=1, user_openid="u", content={})
        >>> event.delivery_id == WebhookEvent(client_key="ck", event="x.new", create_time=1, user_openid="u").delivery_id
        True
    """

    #: The ``event`` name this class stands for ("" for the base class: any name).
    EVENT: ClassVar[str] = ""
    _CONTENT: ClassVar[_Spec] = ()

    client_key: str
    event: str
    create_time: int
    user_openid: str
    content: Mapping[str, Any] = field(default_factory=dict, hash=False)

    @property
    def delivery_id(self) -> str:
        """A digest of what identifies the delivery (client_key, event, create_time,
        user_openid and the content, canonically encoded): the same for every retry."""
        identity = [self.client_key, self.event, self.create_time, self.user_openid, dict(self.content)]
        text = json.dumps(identity, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True, kw_only=True)
class AuthorizationRemoved(WebhookEvent):
    """``authorization.removed``: the user's authorization is gone, and with it the token
    (TikTok revoked it before sending this). ``reason`` is TikTok's code, ``reason_text`` says it.

    Example:
        >>> AuthorizationRemoved(client_key="ck", event="authorization.removed", create_time=1,
        ...                      user_openid="u", reason=4).reason_text
        "the user's account was banned"
    """

    EVENT = "authorization.removed"
    _CONTENT: ClassVar[_Spec] = (("reason", "int", True),)

    reason: int

    @property
    def reason_text(self) -> str:
        """The documented meaning of ``reason`` (``"unknown reason code 9"`` for a new code)."""
        return REASONS.get(self.reason, f"unknown reason code {self.reason}")


@dataclass(frozen=True, kw_only=True)
class VideoUploadFailed(WebhookEvent):
    """``video.upload.failed``: a video shared with Share Kit (formerly Video Kit) failed to upload."""

    EVENT = "video.upload.failed"
    _CONTENT: ClassVar[_Spec] = (("share_id", "str", True),)

    share_id: str


@dataclass(frozen=True, kw_only=True)
class VideoPublishCompleted(WebhookEvent):
    """``video.publish.completed``: a video shared with Share Kit was published by the user."""

    EVENT = "video.publish.completed"
    _CONTENT: ClassVar[_Spec] = (("share_id", "str", False),)

    share_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class PostPublishEvent(WebhookEvent):
    """The Content Posting API's events (``post.publish.*``): ``publish_id`` is the id the
    init call returned; ``publish_type`` says how it was posted (``INBOX_SHARE`` for uploads
    to the inbox). Test ``isinstance(event, PostPublishEvent)`` to take them all."""

    _CONTENT: ClassVar[_Spec] = (("publish_id", "str", True), ("publish_type", "str", False))

    publish_id: str
    publish_type: str | None = None


@dataclass(frozen=True, kw_only=True)
class PostPublishFailed(PostPublishEvent):
    """``post.publish.failed``: the post failed; ``reason`` is TikTok's fail reason
    (as ``status/fetch``'s ``fail_reason``)."""

    EVENT = "post.publish.failed"
    _CONTENT: ClassVar[_Spec] = (*PostPublishEvent._CONTENT, ("reason", "str", True))

    reason: str


@dataclass(frozen=True, kw_only=True)
class PostPublishComplete(PostPublishEvent):
    """``post.publish.complete``: the post was published (for an inbox upload: the user
    posted it from the inbox)."""

    EVENT = "post.publish.complete"


@dataclass(frozen=True, kw_only=True)
class PostInboxDelivered(PostPublishEvent):
    """``post.publish.inbox_delivered``: the upload reached the user's inbox; the user must
    now finish the post in TikTok."""

    EVENT = "post.publish.inbox_delivered"


@dataclass(frozen=True, kw_only=True)
class PostPublicContent(PostPublishEvent):
    """The two events about a post's public visibility; ``post_id`` is the public post's id."""

    post_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class PostPubliclyAvailable(PostPublicContent):
    """``post.publish.publicly_available``: the post passed moderation and is public;
    ``post_id`` is its id (a number, kept as text)."""

    EVENT = "post.publish.publicly_available"
    _CONTENT: ClassVar[_Spec] = (*PostPublishEvent._CONTENT, ("post_id", "id", True))


@dataclass(frozen=True, kw_only=True)
class PostNoLongerPubliclyAvailable(PostPublicContent):
    """``post.publish.no_longer_publicaly_available`` (TikTok's spelling): the post is no
    longer public (deleted, made private, or taken down)."""

    EVENT = "post.publish.no_longer_publicaly_available"
    _CONTENT: ClassVar[_Spec] = (*PostPublishEvent._CONTENT, ("post_id", "id", False))


#: The class of every documented ``event`` name.
EVENT_TYPES: Mapping[str, type[WebhookEvent]] = {
    cls.EVENT: cls
    for cls in (
        AuthorizationRemoved,
        VideoUploadFailed,
        VideoPublishCompleted,
        PostPublishFailed,
        PostPublishComplete,
        PostInboxDelivered,
        PostPubliclyAvailable,
        PostNoLongerPubliclyAvailable,
    )
}


def _object(data: bytes | str, what: str) -> dict[str, Any]:
    """A JSON object from ``data`` within the bounds, or EventMalformed naming ``what``."""
    if len(data) > MAX_EVENT_BYTES:
        raise EventMalformed(f"{what} is larger than {MAX_EVENT_BYTES} bytes")
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        value = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise EventMalformed(f"{what} is nested too deeply") from None
    except UnicodeDecodeError:
        raise EventMalformed(f"{what} is not UTF-8 text") from None
    except ValueError:
        raise EventMalformed(f"{what} is not valid JSON") from None
    if not isinstance(value, dict):
        raise EventMalformed(f"{what} is a JSON {type(value).__name__}, not an object")
    if _depth(value, _MAX_DEPTH) > _MAX_DEPTH:
        raise EventMalformed(f"{what} is nested too deeply")
    return value


def _field(data: Mapping[str, Any], name: str, kind: str, where: str) -> Any:
    value = data[name]
    if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind == "str" and isinstance(value, str):
        return value
    if kind == "id" and isinstance(value, str) and value:
        return value
    if kind == "id" and isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    wanted = {"int": "an integer", "str": "a string", "id": "a string or a positive integer"}[kind]
    raise EventMalformed(f"{where}{name} is not {wanted}")


def _content(envelope: Mapping[str, Any]) -> dict[str, Any]:
    content = envelope.get("content")
    if content is None or (isinstance(content, str) and not content.strip()):
        return {}
    if isinstance(content, dict):
        return content
    if isinstance(content, str):
        return _object(content, "content")
    raise EventMalformed(f"content is a JSON {type(content).__name__}, not an object or a JSON string of one")


@hush
def parse_event(body: bytes) -> WebhookEvent:
    """The event in a delivery's raw body (check the signature first: :func:`verify`).

    Raises :class:`EventMalformed` (naming the field, never quoting the body) for a body
    that is not UTF-8 JSON, too large or deep, or lacks a documented field.
    """
    if isinstance(body, (bytearray, memoryview)):
        body = bytes(body)
    if not isinstance(body, bytes):
        raise EventMalformed(f"the body is a {type(body).__name__}, not the raw bytes received")
    envelope = _object(body, "the body")
    for name, kind in (("client_key", "str"), ("event", "str"), ("create_time", "int")):
        if name not in envelope:
            raise EventMalformed(f"it has no {name}")
        _field(envelope, name, kind, "")
    if not envelope["event"]:
        raise EventMalformed("its event name is empty")
    if not 0 <= envelope["create_time"] <= _MAX_TIME:
        raise EventMalformed("create_time is out of range")
    if "user_openid" in envelope:
        _field(envelope, "user_openid", "str", "")
    content = _content(envelope)
    cls = EVENT_TYPES.get(envelope["event"], WebhookEvent)
    fields: dict[str, Any] = {}
    for name, kind, required in cls._CONTENT:
        if content.get(name) is not None:
            fields[name] = _field(content, name, kind, "content.")
        elif required:
            raise EventMalformed(f"content has no {name}, which {cls.EVENT} events carry")
    return cls(
        client_key=envelope["client_key"],
        event=envelope["event"],
        create_time=envelope["create_time"],
        user_openid=envelope.get("user_openid", ""),
        content=content,
        **fields,
    )
