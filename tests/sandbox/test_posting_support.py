"""Helpers of the Content Posting tests: a hand-written poster speaking TikTok's documented
wire (plain httpx, JSON bodies, raw PUTs), never pytok_sm's client code. No tests here."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from pytok_sm import _contract as contract
from pytok_sm.sandbox import Sandbox

#: The first bytes of an MP4 (ISO-BMFF: a box size, then ``ftyp``).
MP4_HEAD = b"\x00\x00\x00\x18ftypmp42"
WEBM_HEAD = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81"
MB = 1_000_000


def video_bytes(size: int, head: bytes = MP4_HEAD) -> bytes:
    """``size`` bytes starting like a real container, the rest a repeating pattern."""
    pattern = bytes(range(256)) * (size // 256 + 1)
    return (head + pattern)[:size]


def file_source(size: int, chunk: int | None = None, count: int | None = None) -> dict[str, Any]:
    """A FILE_UPLOAD source_info (default: one chunk of the whole video)."""
    chunk = size if chunk is None else chunk
    count = size // chunk if count is None else count
    return {"source": "FILE_UPLOAD", "video_size": size, "chunk_size": chunk, "total_chunk_count": count}


def code_of(answer: httpx.Response) -> str:
    """The envelope's error.code (the answer must be an envelope)."""
    body = answer.json()
    assert set(body) == {"data", "error"}, body
    assert set(body["error"]) == {"code", "message", "log_id"}, body
    return str(body["error"]["code"])


@dataclass
class Poster:
    """A minimal Content Posting client for one access token."""

    sb: Sandbox
    http: httpx.Client
    token: str

    def call(self, path: str, body: Any = None, *, token: str | None = None, raw: bytes | None = None,
             content_type: str = contract.JSON_CONTENT_TYPE, method: str = "POST") -> httpx.Response:
        headers = {"Authorization": f"Bearer {token or self.token}", "Content-Type": content_type}
        if raw is None and body is not None:
            raw = json.dumps(body).encode()
        return self.http.request(method, path, content=raw or b"", headers=headers)

    def creator_info(self, token: str | None = None) -> httpx.Response:
        return self.call(contract.CREATOR_INFO_PATH, token=token)

    def direct(self, source: dict[str, Any], privacy: str | None = "SELF_ONLY", token: str | None = None,
               **post_info: Any) -> httpx.Response:
        info = dict(post_info)
        if privacy is not None:
            info["privacy_level"] = privacy
        return self.call(contract.VIDEO_INIT_PATH, {"post_info": info, "source_info": source}, token=token)

    def inbox(self, source: dict[str, Any], token: str | None = None, **extra: Any) -> httpx.Response:
        return self.call(contract.INBOX_VIDEO_INIT_PATH, {"source_info": source, **extra}, token=token)

    def photos(self, images: list[str], mode: str = "DIRECT_POST", cover: int = 0, token: str | None = None,
               **post_info: Any) -> httpx.Response:
        body = {
            "media_type": "PHOTO",
            "post_mode": mode,
            "post_info": post_info,
            "source_info": {"source": "PULL_FROM_URL", "photo_images": images, "photo_cover_index": cover},
        }
        return self.call(contract.CONTENT_INIT_PATH, body, token=token)

    def status(self, publish_id: str, token: str | None = None) -> httpx.Response:
        return self.call(contract.STATUS_FETCH_PATH, {"publish_id": publish_id}, token=token)

    def status_data(self, publish_id: str) -> dict[str, Any]:
        answer = self.status(publish_id)
        assert answer.status_code == 200 and code_of(answer) == "ok", answer.text
        return dict(answer.json()["data"])

    def cancel(self, publish_id: str, token: str | None = None) -> httpx.Response:
        return self.call(contract.CANCEL_PATH, {"publish_id": publish_id}, token=token)

    def started(self, size: int, chunk: int | None = None, count: int | None = None,
                privacy: str = "SELF_ONLY") -> tuple[str, str]:
        """A Direct Post FILE_UPLOAD init that succeeded: (publish_id, upload_url)."""
        answer = self.direct(file_source(size, chunk, count), privacy)
        assert answer.status_code == 200 and code_of(answer) == "ok", answer.text
        data = answer.json()["data"]
        return data["publish_id"], data["upload_url"]

    def put(self, url: str, data: bytes, first: int, total: int, *, content_type: str = "video/mp4",
            content_range: str | None = None) -> httpx.Response:
        rng = content_range or f"bytes {first}-{first + len(data) - 1}/{total}"
        return self.http.put(url, content=data, headers={"Content-Type": content_type, "Content-Range": rng})

    def upload(self, url: str, data: bytes, chunk: int, count: int) -> list[int]:
        """Every chunk of the floor plan in order; the statuses."""
        statuses = []
        for index in range(count):
            first = index * chunk
            end = len(data) if index == count - 1 else first + chunk
            statuses.append(self.put(url, data[first:end], first, len(data)).status_code)
        return statuses


@pytest.fixture(name="poster")
def poster_fixture(sandbox: Sandbox, http: httpx.Client) -> Poster:
    """``poster``: the default desktop app, logged in as the sandbox user with every scope
    (test modules import it as ``poster_fixture``)."""
    return Poster(sandbox, http, sandbox.issue_tokens()["access_token"])


def raw_exchange(url: str, head: bytes, body: Iterator[bytes] | bytes, *, half_close: bool = True) -> bytes:
    """Send ``head`` (request line and headers) and ``body`` on a bare socket; the answer's bytes."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=10) as sock:
        sock.sendall(head)
        for piece in [body] if isinstance(body, bytes) else body:
            sock.sendall(piece)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        return answer


def put_head(url: str, *, length: int, content_range: str, content_type: str = "video/mp4") -> bytes:
    """The request line and headers of a chunk PUT to ``url`` (path and query kept as given)."""
    parts = urlsplit(url)
    return (
        f"PUT {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {length}\r\nContent-Range: {content_range}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
