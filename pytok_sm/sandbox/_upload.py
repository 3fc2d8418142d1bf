"""The upload host: ``PUT {base_url}/upload/video/?upload_id=<n>&upload_token=<random>``.

The media transfer guide's rules (https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide):
``Content-Type`` ``video/mp4``, ``video/quicktime`` or ``video/webm``; ``Content-Length`` the
chunk's length; ``Content-Range: bytes FIRST-LAST/TOTAL`` with TOTAL the init's
``video_size`` and FIRST-LAST exactly the next chunk of the declared plan. Answers: 206 (more
expected), 201 (complete), 400 (bad headers), 403 (the URL expired: the sandbox clock past
its init plus ``switches.upload_url_lifetime``), 404 (no such upload, a wrong token, a
cancelled post), 416 (out of step: a replayed, skipped or resized chunk, or one arriving
while another is in flight). Every answer about a known upload carries ``Content-Range:
bytes 0-{held-1}/{TOTAL}`` (``bytes */TOTAL`` when nothing is held), a 416 only if
``switches.upload_416_content_range``; bodies are empty or an envelope
(``switches.upload_answer_body``).

The body is never held: it is read in pieces of at most 1 MiB, **without** the state lock,
into a sha256 of the chunk and a copy of the post's running sha256 of the whole file, which
replaces the post's only when the chunk is accepted. The first bytes of the file are kept to
check the container once the last chunk is in (ISO-BMFF ``ftyp`` at offset 4, or WebM's
``1A 45 DF A3``): a mismatch ends the post ``FAILED``/``file_format_check_failed`` after
processing (``switches.check_media_format``). An answer given before the body is read
reads and drops the body first, so the client, still sending, gets to read it.

Example:
    >>> import io
    >>> from pytok_sm.sandbox._wire import Request
    >>> reply = upload(Context.default(), Request("PUT", UPLOAD_PATH, {}, {"content-length": "0"}), io.BytesIO())
    >>> reply.status
    404
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from typing import Any, Final, Protocol

from pytok_sm import _contract as contract

from ._context import Context
from ._posting import UPLOAD_PATH
from ._posts import PostRecord, UploadSlot
from ._switches import Switches
from ._wire import Reply, Request, new_log_id

__all__ = ["PIECE_BYTES", "UPLOAD_PATH", "Readable", "drain", "upload", "upload_cap"]

#: The largest piece of a body read at once.
PIECE_BYTES: Final = 1 << 20
_HEAD_BYTES: Final = 16
_RANGE: Final = re.compile(r"bytes (\d{1,19})-(\d{1,19})/(\d{1,19})", re.ASCII)
_CONTENT_TYPES: Final = frozenset(contract.VIDEO_CONTENT_TYPES.values())
_WEBM_MAGIC: Final = b"\x1a\x45\xdf\xa3"
_CODES: Final = {403: "upload_url_expired", 404: "upload_not_found", 416: "range_not_satisfiable"}


class Readable(Protocol):
    """What the upload reads a body from (the connection's buffered reader)."""

    def read(self, size: int = -1, /) -> bytes: ...


def upload_cap(switches: Switches) -> int:
    """The largest upload body accepted: the largest last chunk of either reading of "MB"."""
    return max(contract.LAST_CHUNK_MAX_BYTES, switches.chunk_bounds[2])


def _length(request: Request) -> int | None:
    raw = request.headers.get("content-length")
    return int(raw) if raw is not None and raw.isascii() and raw.isdigit() and len(raw) <= 19 else None


def drain(stream: Readable, request: Request, switches: Switches) -> None:
    """Read and drop the body (up to the upload cap), so that an early answer gets read."""
    length = _length(request)
    chunked = "chunked" in request.headers.get("transfer-encoding", "").lower()
    if length is None or length > upload_cap(switches) or chunked:
        return
    try:
        while length > 0:
            piece = stream.read(min(PIECE_BYTES, length))
            if not piece:
                return
            length -= len(piece)
    except OSError:
        return


def _answer(ctx: Context, status: int, post: PostRecord | None, message: str = "") -> Reply:
    reply = Reply(status, [("Cache-Control", "no-store")])
    if ctx.switches.upload_answer_body == "envelope":
        log_id = new_log_id(ctx.now())
        code = contract.API_OK if status < 300 else _CODES.get(status, ctx.switches.invalid_param_code)
        envelope = {"data": {}, "error": {"code": code, "message": message, "log_id": log_id}}
        reply.body = json.dumps(envelope).encode("utf-8")
        reply.headers += [("Content-Type", "application/json; charset=utf-8"), ("X-Tt-Logid", log_id)]
    if post is not None and post.video_size is not None and (status != 416 or ctx.switches.upload_416_content_range):
        held = post.uploaded_bytes
        span = f"0-{held - 1}" if held else "*"
        reply.set_header("Content-Range", f"bytes {span}/{post.video_size}")
    return reply


def _find(ctx: Context, request: Request) -> UploadSlot | None:
    slot = ctx.posting.uploads.get(request.query_one("upload_id") or "")
    token = request.query_one("upload_token")
    if slot is None or token is None or not hmac.compare_digest(slot.token.encode(), token.encode()):
        return None
    return slot


def _in_step(ctx: Context, request: Request, post: PostRecord, slot: UploadSlot, length: int) -> Reply | int:
    """The answer refusing this chunk, or the offset of its first byte."""
    if ctx.now() >= slot.expires_at:
        return _answer(ctx, 403, post, "The upload URL has expired.")
    if request.content_type not in _CONTENT_TYPES:
        return _answer(ctx, 400, post, "The Content-Type must be video/mp4, video/quicktime or video/webm.")
    match = _RANGE.fullmatch(request.headers.get("content-range", "").strip())
    if match is None:
        return _answer(ctx, 400, post, "The Content-Range must be bytes FIRST-LAST/TOTAL.")
    first, last, total = (int(group) for group in match.groups())
    if total != post.video_size or not first <= last < total:
        return _answer(ctx, 400, post, "The Content-Range does not fit the video_size of the init.")
    if length != last - first + 1:
        return _answer(ctx, 400, post, "The Content-Length does not match the Content-Range.")
    if slot.busy or post.processing_since is not None or (first, last) != post.chunk_bounds(len(post.ranges)):
        return _answer(ctx, 416, post, "The Content-Range does not reflect the upload progress.")
    return first


def _receive(stream: Readable, length: int, hasher: Any, head: bytes, first: int) -> tuple[int, str, bytes]:
    """Read ``length`` bytes into the chunk's and the file's sha256: (bytes read, chunk digest, head)."""
    chunk = hashlib.sha256()
    received = 0
    try:
        while received < length:
            piece = stream.read(min(PIECE_BYTES, length - received))
            if not piece:
                break
            chunk.update(piece)
            hasher.update(piece)
            offset = first + received
            if offset < _HEAD_BYTES:
                head += piece[: _HEAD_BYTES - offset]
            received += len(piece)
    except OSError:  # a read timeout or a reset: the chunk is incomplete
        pass
    return received, chunk.hexdigest(), head


def _container_ok(head: bytes) -> bool:
    return head[4:8] == b"ftyp" or head[:4] == _WEBM_MAGIC


@dataclass
class _Admitted:
    """A chunk let in: where it goes, and the copies of the running state it feeds."""

    slot: UploadSlot
    post: PostRecord
    first: int
    length: int
    hasher: Any
    head: bytes


def _admit(ctx: Context, request: Request) -> Reply | _Admitted:
    """Under the lock: the answer refusing the request, or the chunk admitted (marked busy)."""
    chunked = "chunked" in request.headers.get("transfer-encoding", "").lower()
    length = _length(request)
    with ctx.state.lock:
        slot = _find(ctx, request)
        post = ctx.posting.posts.get(slot.publish_id) if slot is not None else None
        if request.method != "PUT":
            refused = _answer(ctx, 405, post, "Use PUT.")
            refused.set_header("Allow", "PUT")
            return refused
        if chunked or length is None:
            status = 411 if chunked or "content-length" not in request.headers else 400
            return _answer(ctx, status, post, "Send the chunk with a Content-Length.")
        if length > upload_cap(ctx.switches):
            return _answer(ctx, 413, post, "The chunk is too large.")
        if slot is None or post is None:
            return _answer(ctx, 404, None, "No such upload.")
        step = _in_step(ctx, request, post, slot, length)
        if isinstance(step, Reply):
            return step
        slot.busy = True
        return _Admitted(slot, post, step, length, slot.hasher.copy(), slot.head)


def _commit(ctx: Context, chunk: _Admitted, received: int, digest: str, head: bytes) -> Reply:
    """Under the lock: keep a complete chunk (206, or 201 for the last) or drop it."""
    slot, post = chunk.slot, chunk.post
    with ctx.state.lock:
        slot.busy = False
        if received != chunk.length:
            return _answer(ctx, 400, post, "The body is shorter than its Content-Length.")
        if ctx.posting.uploads.get(slot.upload_id) is not slot or post.ended:
            return _answer(ctx, 404, None, "No such upload.")
        post.uploaded_bytes += chunk.length
        post.ranges.append((chunk.first, chunk.first + chunk.length - 1))
        post.chunk_sha256.append(digest)
        slot.hasher, slot.head = chunk.hasher, head
        if post.uploaded_bytes < (post.video_size or 0):
            return _answer(ctx, contract.UPLOAD_PARTIAL, post)
        post.sha256 = chunk.hasher.hexdigest()
        post.processing_since = ctx.now()
        if ctx.switches.check_media_format and not _container_ok(head):
            post.media_problem = "file_format_check_failed"
        return _answer(ctx, contract.UPLOAD_COMPLETE, post)


def upload(ctx: Context, request: Request, stream: Readable) -> Reply:
    """Answer one ``PUT`` of a chunk, reading its body from ``stream`` in pieces, unlocked."""
    admitted = _admit(ctx, request)
    if isinstance(admitted, Reply):
        if admitted.status not in (411, 413):
            drain(stream, request, ctx.switches)
        return admitted
    try:
        received, digest, head = _receive(stream, admitted.length, admitted.hasher, admitted.head, admitted.first)
    except BaseException:  # a sandbox bug or a stop: never leave the upload marked busy
        with ctx.state.lock:
            admitted.slot.busy = False
        raise
    return _commit(ctx, admitted, received, digest, head)
