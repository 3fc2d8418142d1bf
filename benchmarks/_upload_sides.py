"""Figure 9's uploaders: the kit (sync and async) and the bare httpx loops it is compared with.

Each uploader posts one file to the sandbox as a Direct Post (SELF_ONLY) and returns an
:class:`Upload`: the seconds of the upload alone (from the moment the first ``PUT`` is
handed to httpx to the moment the last one's answer head is in) and of the whole post
(creator check, init, chunks, status until final). Both are read from the same httpx event
hooks on both sides (:class:`Clock`), so they are measured the same way.

* ``kit`` / ``kit_async``: ``LoginKit.post_video(path, privacy_level="SELF_ONLY",
  chunk_size=...)`` (``AsyncLoginKit``), a kit given a client of its own (``http_client=``)
  only so that the hooks can be attached; the kit arms it exactly as its shared pool.
* ``bare`` / ``bare_async``: what a program does with httpx alone: the same creator_info,
  init (the same ``post_info`` and ``source_info``), one ``PUT`` per chunk with the chunk
  read the natural way (``f.read(n)``, a ``bytes``), ``Content-Type: video/mp4`` and
  ``Content-Range``, then status/fetch until final.
* ``bare_pieces``: the same loop, each chunk streamed from the file in 1 MiB pieces (a
  generator, with its ``Content-Length``) instead of read whole: what the kit does, written
  with httpx alone. A reference beside the baseline, not the baseline.

Also :func:`make_video` (a test file with an MP4 ``ftyp`` head, random or sparse).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

SIDES = ("kit", "bare", "bare_pieces", "kit_async", "bare_async")
FTYP = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"  # a 24-byte ISO-BMFF ftyp box
_FINAL = ("PUBLISH_COMPLETE", "SEND_TO_USER_INBOX", "FAILED")
_WRITE = 8 << 20
PIECE = 1 << 20


@dataclass(frozen=True)
class Target:
    """The sandbox (another process) and one grant with video.publish."""

    base_api_url: str
    client_key: str
    client_secret: str
    token: dict[str, Any]

    @property
    def access_token(self) -> str:
        return str(self.token["access_token"])


@dataclass(frozen=True)
class Upload:
    """One post: seconds of the upload alone and of the whole post, the bytes and PUTs sent,
    and the client's CPU seconds (every thread) during the upload."""

    upload: float
    total: float
    size: int
    puts: int
    cpu: float

    @property
    def rate(self) -> float:
        """Upload throughput, MB/s (10^6 bytes per second)."""
        return self.size / self.upload / 1e6


class Clock:
    """httpx event hooks: when the first PUT was handed over and the last PUT was answered."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.first = self.last = self.first_cpu = self.last_cpu = 0.0
        self.puts = 0

    def request(self, request: httpx.Request) -> None:
        if request.method == "PUT" and not self.puts:
            self.first, self.first_cpu = time.perf_counter(), time.process_time()

    def response(self, response: httpx.Response) -> None:
        if response.request.method == "PUT":
            self.last, self.last_cpu = time.perf_counter(), time.process_time()
            self.puts += 1

    async def arequest(self, request: httpx.Request) -> None:
        self.request(request)

    async def aresponse(self, response: httpx.Response) -> None:
        self.response(response)

    def hooks(self) -> dict[str, list[Callable[..., Any]]]:
        return {"request": [self.request], "response": [self.response]}

    def async_hooks(self) -> dict[str, list[Callable[..., Any]]]:
        return {"request": [self.arequest], "response": [self.aresponse]}

    def result(self, started: float, size: int) -> Upload:
        if not self.puts:
            raise RuntimeError("no PUT was seen: the upload did not happen")
        total = time.perf_counter() - started
        return Upload(self.last - self.first, total, size, self.puts, self.last_cpu - self.first_cpu)


def make_video(path: str, size: int, *, sparse: bool = False) -> str:
    """A file of ``size`` bytes starting with an MP4 ``ftyp`` box: random bytes, or a hole."""
    with open(path, "wb") as out:
        out.write(FTYP)
        if sparse:
            out.truncate(size)
        else:
            left = size - len(FTYP)
            while left > 0:
                out.write(os.urandom(min(_WRITE, left)))
                left -= min(_WRITE, left)
    return path


def plan(size: int, chunk_size: int) -> list[tuple[int, int]]:
    """(first, length) per chunk, TikTok's way: floor(size / chunk) chunks, the last one longer."""
    count = max(size // chunk_size, 1)
    return [(i * chunk_size, chunk_size if i < count - 1 else size - i * chunk_size) for i in range(count)]


def _source_info(size: int, chunk_size: int) -> dict[str, Any]:
    count = len(plan(size, chunk_size))
    return {
        "source": "FILE_UPLOAD",
        "video_size": size,
        "chunk_size": min(chunk_size, size),
        "total_chunk_count": count,
    }


#: The kit's own post_info for these arguments (``_posting_rules.video_post_info``).
POST_INFO = {
    "privacy_level": "SELF_ONLY",
    "title": "benchmark",
    "disable_comment": True,
    "disable_duet": True,
    "disable_stitch": True,
    "brand_content_toggle": False,
    "brand_organic_toggle": False,
    "is_aigc": False,
}


def _api(target: Target) -> tuple[str, dict[str, str]]:
    headers = {"Authorization": f"Bearer {target.access_token}", "Content-Type": "application/json; charset=UTF-8"}
    return target.base_api_url.rstrip("/") + "/post/publish/", headers


def _data(answer: httpx.Response) -> dict[str, Any]:
    body = answer.json()
    if answer.status_code != 200 or body.get("error", {}).get("code") != "ok":
        raise RuntimeError(f"the sandbox refused the bare client: {answer.status_code} {body.get('error')}")
    return dict(body["data"])


def _chunk_headers(first: int, length: int, size: int) -> dict[str, str]:
    return {"Content-Type": "video/mp4", "Content-Range": f"bytes {first}-{first + length - 1}/{size}"}


def _check_put(answer: httpx.Response, last: bool) -> None:
    if answer.status_code != (201 if last else 206):
        raise RuntimeError(f"the sandbox answered a bare PUT with {answer.status_code}")


# --------------------------------------------------------------------------- sync
def kit(target: Target, client: httpx.Client, clock: Clock, path: str, chunk_size: int) -> Upload:
    from pytok_sm import LoginKit

    clock.reset()
    started = time.perf_counter()
    with LoginKit(
        target.client_key,
        target.client_secret,
        base_api_url=target.base_api_url,
        token=target.token,
        http_client=client,
    ) as posting:
        result = posting.post_video(path, privacy_level="SELF_ONLY", title="benchmark", chunk_size=chunk_size)
    if result.status != "PUBLISH_COMPLETE":
        raise RuntimeError(f"the kit's post ended {result.status}")
    return clock.result(started, os.path.getsize(path))


def creator_info(target: Target, client: httpx.Client) -> dict[str, Any]:
    """The bare client's creator check (a Direct Post starts with it)."""
    api, headers = _api(target)
    return _data(client.post(api + "creator_info/query/", headers=headers, json={}))


def _pieces(video: Any, length: int) -> Iterator[bytes]:
    while length > 0:
        piece = video.read(min(PIECE, length))
        if not piece:
            raise RuntimeError("the file shrank")
        length -= len(piece)
        yield piece


def _bare(target: Target, client: httpx.Client, clock: Clock, path: str, chunk_size: int, *, pieces: bool) -> Upload:
    clock.reset()
    started = time.perf_counter()
    size = os.path.getsize(path)
    api, headers = _api(target)
    creator_info(target, client)
    init = _data(
        client.post(
            api + "video/init/",
            headers=headers,
            json={"post_info": POST_INFO, "source_info": _source_info(size, chunk_size)},
        )
    )
    chunks = plan(size, chunk_size)
    with open(path, "rb") as video:
        for i, (first, length) in enumerate(chunks):
            put = _chunk_headers(first, length, size)
            if pieces:
                put["Content-Length"] = str(length)
                answer = client.put(init["upload_url"], content=_pieces(video, length), headers=put)
            else:
                answer = client.put(init["upload_url"], content=video.read(length), headers=put)
            _check_put(answer, i == len(chunks) - 1)
    while (
        _data(client.post(api + "status/fetch/", headers=headers, json={"publish_id": init["publish_id"]}))["status"]
        not in _FINAL
    ):
        time.sleep(0.05)
    return clock.result(started, size)


def bare(target: Target, client: httpx.Client, clock: Clock, path: str, chunk_size: int) -> Upload:
    return _bare(target, client, clock, path, chunk_size, pieces=False)


def bare_pieces(target: Target, client: httpx.Client, clock: Clock, path: str, chunk_size: int) -> Upload:
    return _bare(target, client, clock, path, chunk_size, pieces=True)


# --------------------------------------------------------------------------- async
async def kit_async(target: Target, client: httpx.AsyncClient, clock: Clock, path: str, chunk_size: int) -> Upload:
    from pytok_sm import AsyncLoginKit

    clock.reset()
    started = time.perf_counter()
    async with AsyncLoginKit(
        target.client_key,
        target.client_secret,
        base_api_url=target.base_api_url,
        token=target.token,
        http_client=client,
    ) as posting:
        result = await posting.post_video(path, privacy_level="SELF_ONLY", title="benchmark", chunk_size=chunk_size)
    if result.status != "PUBLISH_COMPLETE":
        raise RuntimeError(f"the async kit's post ended {result.status}")
    return clock.result(started, os.path.getsize(path))


async def bare_async(target: Target, client: httpx.AsyncClient, clock: Clock, path: str, chunk_size: int) -> Upload:
    clock.reset()
    started = time.perf_counter()
    size = os.path.getsize(path)
    api, headers = _api(target)
    _data(await client.post(api + "creator_info/query/", headers=headers, json={}))
    init = _data(
        await client.post(
            api + "video/init/",
            headers=headers,
            json={"post_info": POST_INFO, "source_info": _source_info(size, chunk_size)},
        )
    )
    chunks = plan(size, chunk_size)
    with open(path, "rb") as video:  # noqa: ASYNC230 - the natural way; the file is in the page cache
        for i, (first, length) in enumerate(chunks):
            data = video.read(length)
            answer = await client.put(init["upload_url"], content=data, headers=_chunk_headers(first, length, size))
            _check_put(answer, i == len(chunks) - 1)
    while (
        _data(await client.post(api + "status/fetch/", headers=headers, json={"publish_id": init["publish_id"]}))[
            "status"
        ]
        not in _FINAL
    ):
        await asyncio.sleep(0.05)
    return clock.result(started, size)
