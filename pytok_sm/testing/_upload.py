"""Upload bodies in cassettes: their length and sha256, never their bytes.

A video chunk (``PUT upload_url`` with ``Content-Range``), any request whose content type
is media (``video/*``, ``audio/*``, ``image/*``, ``application/octet-stream``) and any body
that is not text are recorded as a small JSON *digest record*::

    {"digest_of_upload_body": {"length": 5242880, "sha256": "3f2a…"}}

The scrubber (:mod:`._scrub`) writes it in place of the bytes, and vcrpy runs the scrubber
over the live request before matching too, so replay compares records: the same length and
the same sha256, or no match (:func:`upload_difference` says which differs). The digest is
taken over the body vcrpy joined from the request's stream (one chunk, never the whole
file: the driver reads the file a piece at a time), and the record alone is kept.

Example:
    >>> record = digest_record(b"0123456789")
    >>> record
    b'{"digest_of_upload_body": {"length": 10, "sha256": "84d89877f0d4041efb6bf91a16f0248f2fd573e6af05c19f96bedb9f882f7882"}}'
    >>> digest_record(record) is record  # a record stays as it is (a loaded cassette)
    True
    >>> upload_difference(read_record(digest_record(b"0123456789")), read_record(digest_record(b"012345678X")))
    'upload bodies differ: the same length (10 bytes), another sha256 (sent 84d89877f0d4…, recorded dd3921bbd968…)'
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, Final, NamedTuple

__all__ = ["RECORD_KEY", "Digest", "digest_record", "is_media", "read_record", "upload_difference"]

#: The one key of a digest record: what the cassette holds instead of an upload's bytes.
RECORD_KEY: Final = "digest_of_upload_body"
_PREFIX: Final = b'{"' + RECORD_KEY.encode() + b'"'
_MEDIA_TYPES: Final = ("video/", "audio/", "image/", "application/octet-stream")
_SHOWN: Final = 12  # hex digits of a digest shown in a mismatch


class Digest(NamedTuple):
    """What a cassette knows of an upload body."""

    length: int
    sha256: str


def is_media(headers: Mapping[str, Any]) -> bool:
    """True for a request whose body is media: a ``Content-Range`` or a media content type.

    Example:
        >>> is_media({"Content-Type": "video/mp4"}), is_media({"content-type": "application/json"})
        (True, False)
    """
    content_type = ""
    for name, value in headers.items():
        lowered = name.lower()
        if lowered == "content-range":
            return True
        if lowered == "content-type":
            content_type = str(value[0] if isinstance(value, list) and value else value).strip().lower()
    return content_type.startswith(_MEDIA_TYPES)


def read_record(body: bytes | bytearray | str | None) -> Digest | None:
    """The :class:`Digest` a digest record holds, None for any other body.

    Example:
        >>> read_record(b'{"digest_of_upload_body": {"length": 3, "sha256": "ab"}}')
        Digest(length=3, sha256='ab')
        >>> read_record(b'{"publish_id": "v_pub_file~v2-1.7"}') is None
        True
    """
    if isinstance(body, str):
        body = body.encode("utf-8")
    if not isinstance(body, (bytes, bytearray)) or not body.startswith(_PREFIX) or len(body) > 512:
        return None
    try:
        value = json.loads(body)[RECORD_KEY]
        length, sha256 = value["length"], value["sha256"]
    except (ValueError, KeyError, TypeError):
        return None
    if isinstance(length, bool) or not isinstance(length, int) or not isinstance(sha256, str):
        return None
    return Digest(length, sha256)


def digest_record(body: bytes | bytearray) -> bytes:
    """The digest record of ``body`` (a record is returned as it is).

    Example:
        >>> read_record(digest_record(b""))
        Digest(length=0, sha256='e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
    """
    if isinstance(body, bytes) and read_record(body) is not None:
        return body
    record = {RECORD_KEY: {"length": len(body), "sha256": hashlib.sha256(body).hexdigest()}}
    return json.dumps(record).encode("ascii")


def upload_difference(sent: Digest | None, recorded: Digest | None) -> str | None:
    """Why a sent body does not match a recorded one when either is an upload; None when they
    match or neither is an upload.

    Example:
        >>> upload_difference(Digest(3, "ab"), Digest(4, "ab"))
        'upload bodies differ: 3 bytes sent, 4 recorded'
        >>> upload_difference(None, Digest(4, "ab"))
        'an upload body (4 bytes) was recorded, but the request sent a body that is not an upload'
    """
    if sent is None and recorded is None or sent == recorded:
        return None
    if recorded is None:
        assert sent is not None
        return f"the request sent an upload body ({sent.length} bytes), but a body that is not an upload was recorded"
    if sent is None:
        return f"an upload body ({recorded.length} bytes) was recorded, but the request sent a body that is not an upload"
    if sent.length != recorded.length:
        return f"upload bodies differ: {sent.length} bytes sent, {recorded.length} recorded"
    return (
        f"upload bodies differ: the same length ({sent.length} bytes), another sha256 "
        f"(sent {sent.sha256[:_SHOWN]}…, recorded {recorded.sha256[:_SHOWN]}…)"
    )
