"""The async driver's twin of ``test_upload_transport.py``: the same real server, the same
checks, plus what is the async driver's own: the disk is read off the event loop, the
deadline cancels a stalled upload, cancelling the task closes the file.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pytok_sm import FlowUsageError
from pytok_sm._http import Request, Response
from pytok_sm._retry import RequestKind
from pytok_sm.drivers import AsyncDriver, _upload_body
from pytok_sm.drivers._transport import send_async
from pytok_sm.flows._effects import MediaChanged, RenewToken, RunFlow, Send, StoreStep, TransportFailure

from .test_upload_transport import (
    QUERY,
    SIZE,
    SLICES,
    MiB,
    OneSend,
    Ticks,
    change,
    check_ticks,
    make_sparse,
    make_video,
    needs_fifo,
    needs_proc,
    open_descriptors,
    sha,
    upload,
)
from .upload_server import UploadServer


@pytest.fixture
def video(tmp_path: Path) -> tuple[Path, bytes]:
    path = tmp_path / "video.mp4"
    return path, make_video(path)


@pytest.fixture
def server() -> Iterator[UploadServer]:
    with UploadServer() as running:
        yield running


async def send_once(effect: Send, transport: httpx.AsyncBaseTransport | None = None) -> object:
    async with httpx.AsyncClient(transport=transport) as client:
        return await send_async(client, effect)


@pytest.mark.parametrize("where", list(SLICES))
def test_a_slice_arrives_byte_for_byte_with_its_length_and_range(
    where: str, video: tuple[Path, bytes], server: UploadServer
) -> None:
    path, data = video
    offset, length = SLICES[where]
    seen: list[int] = []
    result = asyncio.run(send_once(upload(path, server.url(QUERY), offset, length, progress=seen.append)))
    assert isinstance(result, Response) and result.status == 206
    (got,) = server.wait_for(1)
    assert got.complete and got.received == length and got.sha256 == sha(data[offset : offset + length])
    assert got.path == QUERY
    assert got.header("Content-Length") == [str(length)] and got.header("Transfer-Encoding") == []
    assert got.header("Content-Range") == [f"bytes {offset}-{offset + length - 1}/{SIZE}"]
    assert seen == [*range(MiB, length, MiB), length]


def test_the_disk_is_read_off_the_event_loop(video: tuple[Path, bytes], server: UploadServer,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    path, _ = video
    readers: set[int] = set()
    read = _upload_body.Source.read

    def recording(self: _upload_body.Source, start: int, size: int, *, last: bool = False) -> bytes:
        readers.add(threading.get_ident())
        return read(self, start, size, last=last)

    monkeypatch.setattr(_upload_body.Source, "read", recording)

    async def main() -> object:
        loop_thread = threading.get_ident()
        result = await send_once(upload(path, server.url("/u"), 0, SIZE))
        assert readers and loop_thread not in readers
        return result

    assert isinstance(asyncio.run(main()), Response)


def test_a_mock_transport_gets_the_whole_body(video: tuple[Path, bytes]) -> None:
    path, data = video
    seen: list[httpx.Request] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = await request.aread()
        return httpx.Response(201, content=sha(body).encode())

    result = asyncio.run(send_once(upload(path, "https://upload.test/u", 5, SIZE - 5), httpx.MockTransport(handler)))
    assert isinstance(result, Response) and result.body == sha(data[5:]).encode()
    assert seen[0].headers["Content-Length"] == str(SIZE - 5) and "Transfer-Encoding" not in seen[0].headers


def test_a_json_body_is_sent_exactly(server: UploadServer) -> None:
    request = Request("POST", server.url("/init/"), RequestKind.USER_INFO,
                      headers={"Content-Type": "application/json; charset=UTF-8"}, json={"title": "ça ✓", "n": [1]})
    result = asyncio.run(send_once(Send(request)))
    assert isinstance(result, Response)
    (got,) = server.wait_for(1)
    assert got.small_body == request.encoded_body() and got.header("Transfer-Encoding") == []


@needs_proc
@pytest.mark.timeout(20)
@pytest.mark.parametrize("kind", ["resized", "touched", "directory", "deleted", pytest.param("fifo", marks=needs_fifo)])
def test_a_changed_file_sends_nothing(kind: str, video: tuple[Path, bytes], server: UploadServer) -> None:
    path, _ = video
    planned = os.stat(path)
    change(kind, path)
    result = asyncio.run(asyncio.wait_for(send_once(upload(path, server.url("/u"), 0, MiB, planned=planned)), 5))
    assert isinstance(result, MediaChanged) and str(path) in result.reason
    assert server.connections == 0 and server.received == []
    if path.exists():
        assert open_descriptors(path) == 0


@needs_proc
def test_a_file_truncated_mid_send_never_gives_the_server_a_complete_body(
    video: tuple[Path, bytes], server: UploadServer
) -> None:
    path, data = video

    def truncate(sent: int) -> None:
        if sent >= 2 * MiB and os.path.getsize(path) == SIZE:
            os.truncate(path, 3 * MiB)  # the pieces read ahead may go past it: they were read whole

    result = asyncio.run(send_once(upload(path, server.url("/u"), 0, SIZE, progress=truncate)))
    assert isinstance(result, MediaChanged) and "shrank" in result.reason
    (got,) = server.wait_for(1)
    assert not got.complete and 2 * MiB <= got.received < SIZE
    assert got.sha256 == sha(data[: got.received])  # what went was the file as planned, never padding
    assert open_descriptors(path) == 0


def test_a_64_mb_slice_streams_in_a_few_mib(tmp_path: Path, server: UploadServer) -> None:
    path = tmp_path / "big.mp4"
    make_sparse(path, 80 * MiB)

    async def main() -> tuple[object, int]:
        async with httpx.AsyncClient() as client:
            await send_async(client, upload(path, server.url("/u"), MiB, 8 * MiB))  # warm up
            tracemalloc.start()
            try:
                result = await send_async(client, upload(path, server.url("/u"), 5 * MiB, 64 * MiB))
                return result, tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()

    result, peak = asyncio.run(main())
    assert isinstance(result, Response) and result.status == 206
    assert server.wait_for(2)[1].complete
    assert peak < 6 * MiB, f"peak {peak / MiB:.1f} MiB"  # two pieces, one in the transport's buffer


@needs_proc
@pytest.mark.timeout(20)
def test_the_deadline_ends_a_stalled_upload(tmp_path: Path) -> None:
    path = tmp_path / "big.mp4"
    make_sparse(path, 32 * MiB)
    with UploadServer(stall_after=MiB, rcvbuf=64 * 1024) as stalling:
        started = time.monotonic()
        result = asyncio.run(send_once(upload(path, stalling.url("/u"), 0, 32 * MiB, deadline=1.0)))
        elapsed = time.monotonic() - started
    assert isinstance(result, TransportFailure) and result.sent and "deadline of 1 s" in result.reason
    assert elapsed < 3 and open_descriptors(path) == 0


@needs_proc
@pytest.mark.timeout(20)
def test_cancelling_the_task_mid_upload_closes_the_file(tmp_path: Path) -> None:
    path = tmp_path / "big.mp4"
    make_sparse(path, 32 * MiB)

    async def main() -> None:
        task = asyncio.ensure_future(send_once(upload(path, stalling.url("/u"), 0, 32 * MiB)))
        await asyncio.sleep(0.5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    with UploadServer(stall_after=MiB, rcvbuf=64 * 1024) as stalling:
        asyncio.run(main())
        deadline = time.monotonic() + 5
        while open_descriptors(path) and time.monotonic() < deadline:  # a read in flight closes it when done
            time.sleep(0.01)
        assert open_descriptors(path) == 0
        assert not stalling.received[0].complete


def test_on_tick_moves_while_a_slow_upload_is_written_and_once_after_its_answer(tmp_path: Path) -> None:
    path = tmp_path / "big.mp4"
    make_sparse(path, 8 * MiB)
    ticks = Ticks()

    async def main() -> object:
        async with httpx.AsyncClient() as client:
            flow = OneSend(upload(path, slow.url("/u"), 0, 8 * MiB))
            return await AsyncDriver(client, on_tick=ticks, tick=0.05).run(flow)  # type: ignore[arg-type]

    with UploadServer(delay=0.008, rcvbuf=64 * 1024) as slow:
        result = asyncio.run(main())
        (got,) = slow.wait_for(1)
    assert isinstance(result, Response) and got.complete
    check_ticks(ticks, got.ended_at, 0.05)


def test_other_requests_do_not_tick(server: UploadServer) -> None:
    ticks = Ticks()

    async def main() -> None:
        async with httpx.AsyncClient() as client:
            request = Request("POST", server.url("/j"), RequestKind.USER_INFO, json={"a": 1})
            await AsyncDriver(client, on_tick=ticks, tick=0.0).run(OneSend(Send(request)))  # type: ignore[arg-type]

    asyncio.run(main())
    assert ticks.times == []


@pytest.mark.parametrize("effect", [RenewToken(), StoreStep("get", ("k", "o")), RunFlow(None)],
                         ids=["RenewToken", "StoreStep", "RunFlow"])
def test_an_effect_only_a_kit_carries_out_is_a_usage_error(effect: Any) -> None:
    async def main() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(500))) as client:
            await AsyncDriver(client).run(OneSend(effect))  # type: ignore[arg-type]

    with pytest.raises(FlowUsageError, match=f"cannot carry out {type(effect).__name__}.*through a kit method"):
        asyncio.run(main())
