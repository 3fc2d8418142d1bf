"""The sync driver sends JSON bodies and file uploads streamed from disk (TikTok's chunked
video upload), against a real HTTP server on 127.0.0.1 that hashes what it reads.

An upload's body is exactly the planned slice, framed by ``Content-Length`` (never chunked),
read a piece at a time (a 64 MB slice costs a few MiB); a file that is not the planned one
sends nothing, and one that shrinks or changes mid-send never gives the server a complete
body. The call deadline still ends a stalled upload; ``on_tick`` moves while the body is
written. The async driver's twin is ``test_upload_transport_async.py``.
"""

from __future__ import annotations

import hashlib
import os
import random
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pytok_sm import FlowUsageError
from pytok_sm._http import FileSlice, Request, Response
from pytok_sm._retry import RequestKind
from pytok_sm.drivers import SyncDriver
from pytok_sm.drivers._transport import send
from pytok_sm.flows._effects import Finished, MediaChanged, RenewToken, RunFlow, Send, StoreStep, TransportFailure

from ..ports import free_port
from .upload_server import UploadServer

MiB = 1 << 20
SIZE = 5 * MiB + 12_345  # six pieces, the last one short
QUERY = "/upload/?upload_id=7%2B1&upload_token=a%3Db%26c&x=%E2%9C%93"


# ------------------------------------------------------------------ shared helpers (the async twin uses them)
def make_video(path: Path, size: int = SIZE, seed: int = 7) -> bytes:
    """A file of distinct bytes (no two pieces alike), returned as written."""
    data = random.Random(seed).randbytes(size)
    path.write_bytes(data)
    return data


def make_sparse(path: Path, size: int) -> None:
    with open(path, "wb") as file:
        file.truncate(size)


def upload(path: Path, url: str, offset: int, length: int, *, deadline: float = 30.0, timeout: float = 10.0,
           headers: dict[str, str] | None = None, progress: Any = None, planned: os.stat_result | None = None) -> Send:
    """The Send a posting flow would make for one chunk (the file as it is now, unless ``planned``)."""
    info = planned or os.stat(path)
    total = info.st_size
    head = {"Content-Type": "video/mp4", "Content-Range": f"bytes {offset}-{offset + length - 1}/{total}"}
    request = Request("PUT", url, RequestKind.UPLOAD_CHUNK, headers={**head, **(headers or {})},
                      upload=FileSlice(str(path), offset, length, total, info.st_mtime_ns))
    return Send(request, timeout, deadline, progress=progress)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def open_descriptors(path: Path) -> int:
    """How many of this process's descriptors are open on ``path`` (Linux)."""
    target = os.path.realpath(path)
    count = 0
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{name}") == target:
                count += 1
        except OSError:
            continue
    return count


needs_proc = pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts descriptors in /proc")
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")


def change(kind: str, path: Path) -> None:
    """Make the file no longer the planned one."""
    info = os.stat(path)
    if kind == "resized":
        with open(path, "ab") as file:
            file.write(b"x")
        os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))  # same mtime: only the size tells
    elif kind == "touched":
        os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000_000))
    elif kind == "directory":
        path.unlink()
        path.mkdir()
    elif kind == "deleted":
        path.unlink()
    elif kind == "fifo":
        path.unlink()
        os.mkfifo(path)
    else:
        raise AssertionError(kind)


class OneSend:
    """The smallest flow a driver runs: one effect, then finished with its result."""

    KIND = "one_send"
    flow_id = "test"

    def __init__(self, effect: Any) -> None:
        self.planned = effect
        self.effect: Any = None
        self.result: Any = None
        self.error = None

    def start(self) -> Any:
        self.effect = self.planned
        return self.effect

    def send(self, result: Any) -> Any:
        self.result = result
        self.effect = Finished(result)
        return self.effect

    def cancel(self) -> Any:
        self.effect = Finished(None)
        return self.effect


class Ticks:
    """Records each on_tick: when, and whether the flow had its answer yet."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.answered: list[bool] = []

    def __call__(self, flow: Any) -> None:
        self.times.append(time.monotonic())
        self.answered.append(flow.result is not None)


@pytest.fixture
def video(tmp_path: Path) -> tuple[Path, bytes]:
    path = tmp_path / "video.mp4"
    return path, make_video(path)


@pytest.fixture
def server() -> Iterator[UploadServer]:
    with UploadServer() as running:
        yield running


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client() as own:
        yield SyncDriver(own).client  # armed: held to each call's deadline, as the kits' pool is


# ------------------------------------------------------------------ the body is the slice, exactly
SLICES = {"first": (0, 2 * MiB + 7), "middle": (2 * MiB + 7, 2 * MiB + 1), "last": (4 * MiB + 8, SIZE - 4 * MiB - 8)}


@pytest.mark.parametrize("where", list(SLICES))
def test_a_slice_arrives_byte_for_byte_with_its_length_and_range(
    where: str, video: tuple[Path, bytes], server: UploadServer, client: httpx.Client
) -> None:
    path, data = video
    offset, length = SLICES[where]
    result = send(client, upload(path, server.url(QUERY), offset, length))
    assert isinstance(result, Response) and result.status == 206
    (got,) = server.wait_for(1)
    assert got.complete and got.received == length
    assert got.sha256 == sha(data[offset : offset + length])
    assert got.method == "PUT" and got.path == QUERY  # the query (a credential) is passed on whole
    assert got.header("Content-Length") == [str(length)]
    assert got.header("Transfer-Encoding") == []
    assert got.header("Content-Range") == [f"bytes {offset}-{offset + length - 1}/{SIZE}"]
    assert got.header("Content-Type") == ["video/mp4"]


def test_the_flows_framing_headers_give_way_to_the_slices_own(
    video: tuple[Path, bytes], server: UploadServer, client: httpx.Client
) -> None:
    path, data = video
    send(client, upload(path, server.url("/u"), 0, MiB, headers={"content-length": "3", "Transfer-Encoding": "chunked"}))
    (got,) = server.wait_for(1)
    assert got.header("Content-Length") == [str(MiB)] and got.header("Transfer-Encoding") == []
    assert got.complete and got.sha256 == sha(data[:MiB])


def test_progress_reports_the_bytes_written_piece_by_piece(
    video: tuple[Path, bytes], server: UploadServer, client: httpx.Client
) -> None:
    path, _ = video
    seen: list[int] = []
    send(client, upload(path, server.url("/u"), 0, SIZE, progress=seen.append))
    assert seen == [*range(MiB, SIZE, MiB), SIZE]


def test_a_mock_transport_gets_the_whole_body(video: tuple[Path, bytes]) -> None:
    path, data = video
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = request.read()
        return httpx.Response(201, json={"sha": sha(body), "length": len(body)})

    with httpx.Client(transport=httpx.MockTransport(handler)) as mock:
        result = send(mock, upload(path, "https://upload.test" + QUERY, 3, SIZE - 3))
    assert isinstance(result, Response) and result.status == 201
    assert result.body == httpx.Response(201, json={"sha": sha(data[3:]), "length": SIZE - 3}).content
    assert seen[0].headers["Content-Length"] == str(SIZE - 3) and "Transfer-Encoding" not in seen[0].headers
    assert str(seen[0].url).endswith(QUERY)


def test_a_mock_transport_upload_still_ends_at_the_deadline(video: tuple[Path, bytes]) -> None:
    path, _ = video
    mock = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(201, content=r.read())))
    slow = upload(path, "https://upload.test/u", 0, SIZE, deadline=0.3, progress=lambda sent: time.sleep(0.2))
    result = send(mock, slow)
    assert isinstance(result, TransportFailure) and result.sent and "deadline" in result.reason


# ------------------------------------------------------------------ JSON bodies
def test_a_json_body_is_sent_exactly_with_the_requests_headers(server: UploadServer, client: httpx.Client) -> None:
    request = Request("POST", server.url("/v2/post/publish/video/init/?a=b"), RequestKind.USER_INFO,
                      headers={"Authorization": "Bearer act.x", "Content-Type": "application/json; charset=UTF-8"},
                      json={"post_info": {"title": "été ✓", "privacy_level": "SELF_ONLY"}, "n": 1})
    result = send(client, Send(request))
    assert isinstance(result, Response) and result.status == 206
    (got,) = server.wait_for(1)
    body = request.encoded_body()
    assert body is not None and got.small_body == body and got.complete
    assert got.header("Content-Length") == [str(len(body))] and got.header("Transfer-Encoding") == []
    assert got.header("Authorization") == ["Bearer act.x"]
    assert got.header("Content-Type") == ["application/json; charset=UTF-8"]
    assert got.path == "/v2/post/publish/video/init/?a=b"


def test_a_json_body_without_a_content_type_says_json(server: UploadServer, client: httpx.Client) -> None:
    send(client, Send(Request("POST", server.url("/j"), RequestKind.USER_INFO, json={"a": [1, 2]})))
    (got,) = server.wait_for(1)
    assert got.small_body == b'{"a":[1,2]}' and got.header("Content-Type") == ["application/json; charset=UTF-8"]


# ------------------------------------------------------------------ a file that is not the planned one
@needs_proc
@pytest.mark.timeout(20)
@pytest.mark.parametrize("kind", ["resized", "touched", "directory", "deleted", pytest.param("fifo", marks=needs_fifo)])
def test_a_changed_file_sends_nothing(
    kind: str, video: tuple[Path, bytes], server: UploadServer, client: httpx.Client
) -> None:
    path, _ = video
    planned = os.stat(path)
    change(kind, path)
    started = time.monotonic()
    result = send(client, upload(path, server.url("/u"), 0, MiB, planned=planned))
    assert time.monotonic() - started < 2  # a FIFO put in its place does not hang the open
    assert isinstance(result, MediaChanged), result
    assert str(path) in result.reason
    assert server.connections == 0 and server.received == []
    if path.exists():
        assert open_descriptors(path) == 0


@needs_proc
@pytest.mark.parametrize("how", ["truncated", "rewritten"])
def test_a_file_changed_mid_send_never_gives_the_server_a_complete_body(
    how: str, video: tuple[Path, bytes], server: UploadServer, client: httpx.Client
) -> None:
    path, data = video

    def meddle(sent: int) -> None:
        if sent >= 2 * MiB and os.path.getsize(path) == SIZE:
            if how == "truncated":
                os.truncate(path, 3 * MiB)
            else:  # same size, new content: only the time of modification tells
                with open(path, "r+b") as file:
                    file.write(b"changed")
                info = os.stat(path)
                os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000_000))

    result = send(client, upload(path, server.url("/u"), 0, SIZE, progress=meddle))
    assert isinstance(result, MediaChanged), result
    assert ("shrank" if how == "truncated" else "modified") in result.reason
    (got,) = server.wait_for(1)
    assert not got.complete and 2 * MiB <= got.received < SIZE
    assert got.sha256 == sha(data[: got.received])  # what went was the file as planned, never padding
    assert open_descriptors(path) == 0


@needs_proc
def test_the_file_is_closed_after_every_outcome(video: tuple[Path, bytes], server: UploadServer,
                                                client: httpx.Client) -> None:
    path, _ = video
    assert isinstance(send(client, upload(path, server.url("/u"), 0, SIZE)), Response)
    refused = send(client, upload(path, f"http://127.0.0.1:{free_port()}/u", 0, MiB))
    assert refused == TransportFailure(sent=False, reason="connection failed")  # still "surely not sent"
    assert open_descriptors(path) == 0


# ------------------------------------------------------------------ memory, time, progress
def test_a_64_mb_slice_streams_in_a_few_mib(tmp_path: Path, server: UploadServer, client: httpx.Client) -> None:
    path = tmp_path / "big.mp4"
    make_sparse(path, 80 * MiB)
    send(client, upload(path, server.url("/u"), MiB, 8 * MiB))  # warm the connection and the allocator
    tracemalloc.start()
    try:
        result = send(client, upload(path, server.url("/u"), 5 * MiB, 64 * MiB))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(result, Response) and result.status == 206
    got = server.wait_for(2)[1]
    assert got.complete and got.sha256 == sha(bytes(64 * MiB))
    assert peak < 4 * MiB, f"peak {peak / MiB:.1f} MiB"


@pytest.mark.timeout(20)
def test_the_deadline_ends_a_stalled_upload(tmp_path: Path) -> None:
    path = tmp_path / "big.mp4"
    make_sparse(path, 32 * MiB)
    with UploadServer(stall_after=MiB, rcvbuf=64 * 1024) as stalling:
        started = time.monotonic()
        result = SyncDriver().run(OneSend(upload(path, stalling.url("/u"), 0, 32 * MiB, deadline=1.0)))  # type: ignore[arg-type]
        elapsed = time.monotonic() - started
    assert isinstance(result, TransportFailure) and result.sent and "deadline of 1 s" in result.reason
    assert elapsed < 3
    if os.path.isdir("/proc/self/fd"):
        assert open_descriptors(path) == 0


def test_on_tick_moves_while_a_slow_upload_is_written_and_once_after_its_answer(tmp_path: Path) -> None:
    path = tmp_path / "big.mp4"
    make_sparse(path, 8 * MiB)
    ticks = Ticks()
    with UploadServer(delay=0.008, rcvbuf=64 * 1024) as slow:  # about 8 MB/s: a second
        flow = OneSend(upload(path, slow.url("/u"), 0, 8 * MiB))
        result = SyncDriver(httpx.Client(), on_tick=ticks, tick=0.05).run(flow)  # type: ignore[arg-type]
        (got,) = slow.wait_for(1)
    assert isinstance(result, Response) and got.complete
    check_ticks(ticks, got.ended_at, 0.05)


def check_ticks(ticks: Ticks, body_read_at: float, tick: float) -> None:
    """Ticks while the body was still being read, no closer than ``tick``, then one after the answer."""
    during = [t for t, answered in zip(ticks.times, ticks.answered, strict=True) if not answered]
    assert len([t for t in during if t < body_read_at]) >= 2, (during, body_read_at)
    assert all(b - a >= tick * 0.9 for a, b in zip(during, during[1:], strict=False)), during
    assert ticks.answered.count(True) == 1 and ticks.answered[-1]  # once, after the flow took the answer


def test_other_requests_do_not_tick(server: UploadServer) -> None:
    ticks = Ticks()
    request = Request("POST", server.url("/j"), RequestKind.USER_INFO, json={"a": 1})
    SyncDriver(httpx.Client(), on_tick=ticks, tick=0.0).run(OneSend(Send(request)))  # type: ignore[arg-type]
    assert ticks.times == []


# ------------------------------------------------------------------ the kit's work is not a driver's
@pytest.mark.parametrize("effect", [RenewToken(), StoreStep("get", ("k", "o")), RunFlow(None)],
                         ids=["RenewToken", "StoreStep", "RunFlow"])
def test_an_effect_only_a_kit_carries_out_is_a_usage_error(effect: Any) -> None:
    driver = SyncDriver(httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(500))))
    with pytest.raises(FlowUsageError, match=f"cannot carry out {type(effect).__name__}.*through a kit method"):
        driver.run(OneSend(effect))  # type: ignore[arg-type]


@needs_proc
def test_a_keyboard_interrupt_mid_upload_closes_the_file(video: tuple[Path, bytes], server: UploadServer,
                                                         client: httpx.Client) -> None:
    path, _ = video

    def interrupt(sent: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        send(client, upload(path, server.url("/u"), 0, SIZE, progress=interrupt))
    (got,) = server.wait_for(1)
    assert not got.complete and open_descriptors(path) == 0


def test_a_copy_of_the_planned_file_elsewhere_is_not_read(tmp_path: Path, server: UploadServer,
                                                          client: httpx.Client) -> None:
    """The slice names its path: a symlink swapped in to another file of another size is refused."""
    path, other = tmp_path / "v.mp4", tmp_path / "other.mp4"
    make_video(path, MiB)
    make_video(other, MiB + 1, seed=8)
    planned = os.stat(path)
    path.unlink()
    path.symlink_to(other)
    result = send(client, upload(path, server.url("/u"), 0, MiB, planned=planned))
    assert isinstance(result, MediaChanged) and server.received == []
