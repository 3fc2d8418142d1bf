"""What the webhook tests share: a canary secret, TikTok's documented deliveries, signing.

``DOCUMENTED`` holds one body per event TikTok documents. ``authorization.removed`` and
``video.upload.failed`` are TikTok's example payloads verbatim (developers.tiktok.com/doc/
webhooks-events, whitespace and all); ``video.publish.completed`` has the same shape (its
page names the event, its example's content is that of ``video.upload.failed``); the
``post.publish.*`` bodies carry the fields the Content Posting API's status page documents
(``publish_id``, ``reason``, ``publish_type``, ``post_id``) in the same envelope.
"""

from __future__ import annotations

import hashlib
import hmac
import io
from typing import Any

#: A client secret distinctive enough to be searched for in every error, repr and log.
SECRET = "whsec-canary-9fQ2xL7pVd3Km8Rt"
OTHER_SECRET = "another-app-secret-0000000000"
#: The moment the test deliveries are signed at.
T = 1_700_000_000

DOCUMENTED: dict[str, bytes] = {
    "authorization.removed": b"""{
    "client_key": "bwo2m45353a6k85",
    "event": "authorization.removed",
    "create_time": 1615338610,
    "user_openid": "act.example12345Example12345Example",
    "content": "{\\"reason\\": 1 }"
}""",
    "video.upload.failed": b"""{
    "client_key": "bwo2m45353a6k85",
    "event": "video.upload.failed",
    "create_time": 1615338610,
    "user_openid": "act.example12345Example12345Example",
    "content":"{\\"share_id\\":\\"video.6974245311675353080.VDCxrcMJ\\"}"
}""",
    "video.publish.completed": b"""{
    "client_key": "bwo2m45353a6k85",
    "event": "video.publish.completed",
    "create_time": 1615338610,
    "user_openid": "act.example12345Example12345Example",
    "content":"{\\"share_id\\":\\"video.6974245311675353080.VDCxrcMJ\\"}"
}""",
    "post.publish.failed": b"""{
    "client_key": "bwo2m45353a6k85",
    "event": "post.publish.failed",
    "create_time": 1615338610,
    "user_openid": "act.example12345Example12345Example",
    "content": "{\\"publish_id\\":\\"v_inbox_file~v2.123456789\\",\\"reason\\":\\"file_format_check_failed\\",\\"publish_type\\":\\"INBOX_SHARE\\"}"
}""",
    "post.publish.complete": b"""{
    "client_key": "bwo2m45353a6k85",
    "event": "post.publish.complete",
    "create_time": 1615338610,
    "user_openid": "act.example12345Example12345Example",
    "content": "{\\"publish_id\\":\\"v_pub_file~v2-1.7493784938978805793\\",\\"publish_type\\":\\"DIRECT_PUBLISH\\"}"
}""",
    "post.publish.inbox_delivered": b"""{
    "client_key": "bwo2m45353a6k85",
    "event": "post.publish.inbox_delivered",
    "create_time": 1615338610,
    "user_openid": "act.example12345Example12345Example",
    "content": "{\\"publish_id\\":\\"v_inbox_url~v2.123456789\\",\\"publish_type\\":\\"INBOX_SHARE\\"}"
}""",
    "post.publish.publicly_available": b"""{
    "client_key": "bwo2m45353a6k85",
    "event": "post.publish.publicly_available",
    "create_time": 1615338610,
    "user_openid": "act.example12345Example12345Example",
    "content": "{\\"publish_id\\":\\"v_pub_file~v2-1.7493784938978805793\\",\\"publish_type\\":\\"DIRECT_PUBLISH\\",\\"post_id\\":\\"7493784938978805793\\"}"
}""",
    "post.publish.no_longer_publicaly_available": b"""{
    "client_key": "bwo2m45353a6k85",
    "event": "post.publish.no_longer_publicaly_available",
    "create_time": 1615338610,
    "user_openid": "act.example12345Example12345Example",
    "content": "{\\"publish_id\\":\\"v_pub_file~v2-1.7493784938978805793\\",\\"publish_type\\":\\"DIRECT_PUBLISH\\",\\"post_id\\":7493784938978805793}"
}""",
}

#: TikTok's documented example header (its secret and body are not published: it can be read, not verified).
DOCUMENTED_HEADER = "t=1633174587,s=18494715036ac4416a1d0a673871a2edbcfc94d94bd88ccd2c5ec9b3425afe66"


def signature(body: bytes, secret: str = SECRET, t: int = T) -> str:
    """The hex HMAC TikTok sends, computed here independently of pytok_sm."""
    return hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()


def header(body: bytes, secret: str = SECRET, t: int = T) -> str:
    return f"t={t},s={signature(body, secret, t)}"


def event_body(event: str = "post.publish.complete", n: int = 0, **content: Any) -> bytes:
    """A compact delivery whose content differs with ``n`` (a distinct delivery per n)."""
    import json

    inner = {"publish_id": f"v_pub_file~v2.{n}", **content}
    return json.dumps({"client_key": "aw_key", "event": event, "create_time": T - 5, "user_openid": "u1",
                       "content": json.dumps(inner)}).encode()


def environ(body: bytes, *, method: str = "POST", signature_header: str | None = None,
            length: str | None = "auto", **extra: Any) -> dict[str, Any]:
    """A raw PEP 3333 environ for one request."""
    env: dict[str, Any] = {
        "REQUEST_METHOD": method, "PATH_INFO": "/webhooks/tiktok", "SERVER_NAME": "test", "SERVER_PORT": "80",
        "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "https", "wsgi.version": (1, 0),
    }
    if length == "auto":
        env["CONTENT_LENGTH"] = str(len(body))
    elif length is not None:
        env["CONTENT_LENGTH"] = length
    if signature_header is not None:
        env["HTTP_TIKTOK_SIGNATURE"] = signature_header
    env.update(extra)
    return env
