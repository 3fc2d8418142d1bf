"""The upload host: PUT upload_url with Content-Type, Content-Length and Content-Range, as the
media transfer guide says; hostile clients; the body never held in memory."""

from __future__ import annotations

import hashlib
import threading
import tracemalloc
from collections.abc import Iterator

import httpx
import pytest

from pytok_sm import _contract as contract
from pytok_sm.sandbox import Sandbox

from .test_posting_support import (
    MB,
    WEBM_HEAD,
    Poster,
    code_of,
    poster_fixture,  # noqa: F401 - fixture
    put_head,
    raw_exchange,
    video_bytes,
)


class TestTheGuidesExample:
    def test_five_chunks_answer_206_four_times_then_201(self, poster: Poster, sandbox: Sandbox) -> None:
        size, chunk = 50_000_123, 10_000_000
        publish_id, url = poster.started(size, chunk, 5)
        data = video_bytes(size)
        ranges = []
        for index in range(5):
            first = index * chunk
            piece = data[first:] if index == 4 else data[first : first + chunk]
            answer = poster.put(url, piece, first, size)
            ranges.append(answer.headers["content-range"])
            assert answer.status_code == (201 if index == 4 else 206)
            assert answer.content == b""
        assert ranges[-1] == "bytes 0-50000122/50000123" and ranges[0] == "bytes 0-9999999/50000123"
        post = sandbox.posts[-1]
        assert post.ranges == [(0, 9_999_999), (10_000_000, 19_999_999), (20_000_000, 29_999_999),
                               (30_000_000, 39_999_999), (40_000_000, 50_000_122)]
        assert post.sha256 == hashlib.sha256(data).hexdigest()
        assert post.chunk_sha256[-1] == hashlib.sha256(data[40_000_000:]).hexdigest()
        assert post.uploaded_bytes == size and post.publish_id == publish_id

    def test_a_small_video_goes_whole(self, poster: Poster, sandbox: Sandbox) -> None:
        _, url = poster.started(4_194_304)
        answer = poster.put(url, video_bytes(4_194_304), 0, 4_194_304)
        assert (answer.status_code, answer.headers["content-range"]) == (201, "bytes 0-4194303/4194304")

    @pytest.mark.parametrize("content_type", ["video/mp4", "video/quicktime", "video/webm"])
    def test_each_documented_content_type(self, poster: Poster, content_type: str) -> None:
        _, url = poster.started(1000)
        assert poster.put(url, video_bytes(1000), 0, 1000, content_type=content_type).status_code == 201

    def test_a_ceil_plan_when_accepted_ends_with_its_short_chunk(self, poster: Poster, sandbox: Sandbox) -> None:
        sandbox.switches.ceil_chunk_plans = "accept"
        size, chunk = 10_000_100, 5_000_000
        _, url = poster.started(size, chunk, 3)
        data = video_bytes(size)
        statuses = [poster.put(url, data[first : first + chunk], first, size).status_code
                    for first in (0, chunk, 2 * chunk)]
        assert statuses == [206, 206, 201]
        assert sandbox.posts[-1].ranges[-1] == (10_000_000, 10_000_099)


class TestOutOfStep:
    @pytest.fixture
    def started(self, poster: Poster) -> tuple[Poster, str, bytes]:
        _, url = poster.started(15 * MB, 5 * MB, 3)
        return poster, url, video_bytes(15 * MB)

    def test_a_replayed_chunk_is_416_with_what_is_held(self, started: tuple[Poster, str, bytes]) -> None:
        poster, url, data = started
        assert poster.put(url, data[: 5 * MB], 0, 15 * MB).status_code == 206
        again = poster.put(url, data[: 5 * MB], 0, 15 * MB)
        assert (again.status_code, again.headers["content-range"]) == (416, "bytes 0-4999999/15000000")
        assert poster.put(url, data[5 * MB : 10 * MB], 5 * MB, 15 * MB).status_code == 206  # resume from it

    def test_a_skipped_chunk_is_416_and_nothing_held_reads_star(self, started: tuple[Poster, str, bytes]) -> None:
        poster, url, data = started
        answer = poster.put(url, data[5 * MB : 10 * MB], 5 * MB, 15 * MB)
        assert (answer.status_code, answer.headers["content-range"]) == (416, "bytes */15000000")
        assert poster.sb.posts[-1].uploaded_bytes == 0

    @pytest.mark.parametrize(("first", "length"), [(0, 4 * MB), (0, 6 * MB), (1, 5 * MB)])
    def test_a_chunk_other_than_the_plan_is_416(self, started: tuple[Poster, str, bytes], first: int,
                                                length: int) -> None:
        poster, url, data = started
        assert poster.put(url, data[first : first + length], first, 15 * MB).status_code == 416

    def test_a_complete_upload_takes_nothing_more(self, poster: Poster) -> None:
        _, url = poster.started(1000)
        assert poster.put(url, video_bytes(1000), 0, 1000).status_code == 201
        again = poster.put(url, video_bytes(1000), 0, 1000)
        assert (again.status_code, again.headers["content-range"]) == (416, "bytes 0-999/1000")

    def test_the_416_content_range_is_a_switch(self, started: tuple[Poster, str, bytes]) -> None:
        poster, url, data = started
        poster.sb.switches.upload_416_content_range = False
        answer = poster.put(url, data[5 * MB : 10 * MB], 5 * MB, 15 * MB)
        assert answer.status_code == 416 and "content-range" not in answer.headers
        assert "content-range" in poster.put(url, data[: 5 * MB], 0, 15 * MB).headers


class TestBadRequests:
    @pytest.mark.parametrize(
        ("headers", "status"),
        [
            ({"Content-Type": "application/octet-stream"}, 400),
            ({"Content-Type": "video/avi"}, 400),
            ({"Content-Range": "bytes=0-999/1000"}, 400),
            ({"Content-Range": "bytes 0-999/*"}, 400),
            ({"Content-Range": "0-999/1000"}, 400),
            ({"Content-Range": "bytes 0-999/1001"}, 400),  # TOTAL is not the init's video_size
            ({"Content-Range": "bytes 999-0/1000"}, 400),
            ({"Content-Range": "bytes 0-1000/1000"}, 400),
            ({"Content-Range": "bytes 0-499/1000"}, 400),  # Content-Length says 1000
            ({"Content-Range": "bytes ٠-999/1000".encode()}, 400),  # not ASCII digits
        ],
    )
    def test_bad_headers_are_400_and_hold_nothing(self, poster: Poster, headers: dict[str, str | bytes],
                                                  status: int) -> None:
        _, url = poster.started(1000)
        sent: dict[str, str | bytes] = {"Content-Type": "video/mp4", "Content-Range": "bytes 0-999/1000", **headers}
        raw = {name.encode(): value if isinstance(value, bytes) else value.encode() for name, value in sent.items()}
        answer = poster.http.put(url, content=video_bytes(1000), headers=raw)
        assert answer.status_code == status
        assert answer.headers["content-range"] == "bytes */1000"
        assert poster.sb.posts[-1].uploaded_bytes == 0
        assert poster.put(url, video_bytes(1000), 0, 1000).status_code == 201

    def test_a_body_shorter_than_its_content_length(self, poster: Poster) -> None:
        _, url = poster.started(1000)
        head = put_head(url, length=1000, content_range="bytes 0-999/1000")
        answer = raw_exchange(url, head, video_bytes(990))
        assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]
        assert poster.sb.posts[-1].uploaded_bytes == 0 and poster.sb.posts[-1].ranges == []
        assert poster.put(url, video_bytes(1000), 0, 1000).status_code == 201

    def test_a_body_longer_than_its_content_length_is_cut_there(self, poster: Poster) -> None:
        _, url = poster.started(1000)
        head = put_head(url, length=1000, content_range="bytes 0-999/1000")
        data = video_bytes(1000)
        answer = raw_exchange(url, head, data + b"trailing garbage")
        assert answer.startswith(b"HTTP/1.1 201 ")
        assert poster.sb.posts[-1].sha256 == hashlib.sha256(data).hexdigest()

    def test_no_content_length(self, poster: Poster) -> None:
        _, url = poster.started(1000)
        chunked = poster.http.put(url, content=iter([video_bytes(1000)]),
                                  headers={"Content-Type": "video/mp4", "Content-Range": "bytes 0-999/1000"})
        assert chunked.status_code == 411

    def test_too_large_a_chunk_is_413_before_any_byte(self, poster: Poster) -> None:
        _, url = poster.started(1000)
        head = put_head(url, length=contract.LAST_CHUNK_MAX_BYTES + 1, content_range="bytes 0-999/1000")
        assert raw_exchange(url, head, b"").startswith(b"HTTP/1.1 413 ")

    def test_only_put(self, poster: Poster) -> None:
        _, url = poster.started(1000)
        answer = poster.http.post(url, content=video_bytes(1000), headers={"Content-Range": "bytes 0-999/1000"})
        assert answer.status_code == 405 and answer.headers["allow"] == "PUT"


class TestUnknownAndExpired:
    def test_a_url_without_its_token_is_404(self, poster: Poster, sandbox: Sandbox) -> None:
        _, url = poster.started(1000)
        base, _, token = url.partition("&upload_token=")
        for wrong in (base, f"{base}&upload_token={token[:-1]}x", url.replace("upload_id=", "upload_id=1")):
            answer = poster.put(wrong, video_bytes(1000), 0, 1000)
            assert answer.status_code == 404 and "content-range" not in answer.headers
        other = Poster(sandbox, poster.http, sandbox.issue_tokens()["access_token"]).started(1000)[1]
        mixed = f"{base}&upload_token={other.partition('&upload_token=')[2]}"  # another upload's token
        assert poster.put(mixed, video_bytes(1000), 0, 1000).status_code == 404
        assert sandbox.posts[0].uploaded_bytes == 0

    def test_an_expired_url_is_403(self, poster: Poster, sandbox: Sandbox) -> None:
        _, url = poster.started(10 * MB, 5 * MB, 2)
        data = video_bytes(10 * MB)
        assert poster.put(url, data[: 5 * MB], 0, 10 * MB).status_code == 206
        sandbox.clock.advance(contract.UPLOAD_URL_LIFETIME)
        answer = poster.put(url, data[5 * MB :], 5 * MB, 10 * MB)
        assert (answer.status_code, answer.headers["content-range"]) == (403, "bytes 0-4999999/10000000")
        assert poster.status_data(sandbox.posts[-1].publish_id) == {
            "status": "PROCESSING_UPLOAD", "publicaly_available_post_id": [], "uploaded_bytes": 5 * MB}

    def test_the_lifetime_is_a_switch(self, poster: Poster, sandbox: Sandbox) -> None:
        sandbox.switches.upload_url_lifetime = 10
        _, url = poster.started(1000)
        sandbox.clock.advance(9)
        assert poster.put(url, video_bytes(1000), 0, 1000).status_code == 201
        _, url = poster.started(1000)
        sandbox.clock.advance(10)
        assert poster.put(url, video_bytes(1000), 0, 1000).status_code == 403

    def test_a_cancelled_upload_is_gone(self, poster: Poster, sandbox: Sandbox) -> None:
        publish_id, url = poster.started(10 * MB, 5 * MB, 2)
        data = video_bytes(10 * MB)
        assert poster.put(url, data[: 5 * MB], 0, 10 * MB).status_code == 206
        assert poster.cancel(publish_id).status_code == 200
        assert poster.put(url, data[5 * MB :], 5 * MB, 10 * MB).status_code == 404


class TestAnswerBodies:
    def test_an_envelope_when_switched(self, poster: Poster, sandbox: Sandbox) -> None:
        sandbox.switches.upload_answer_body = "envelope"
        _, url = poster.started(10 * MB, 5 * MB, 2)
        data = video_bytes(10 * MB)
        ok = poster.put(url, data[: 5 * MB], 0, 10 * MB)
        assert ok.status_code == 206 and code_of(ok) == "ok" and ok.headers["content-range"] == "bytes 0-4999999/10000000"
        out_of_step = poster.put(url, data[: 5 * MB], 0, 10 * MB)
        assert out_of_step.status_code == 416 and code_of(out_of_step) != "ok"
        assert code_of(poster.put(url, data[5 * MB :], 5 * MB, 10 * MB)) == "ok"


class TestMediaFormat:
    @pytest.mark.parametrize("head", [b"\x00\x00\x00\x20ftypisom", WEBM_HEAD])
    def test_mp4_and_webm_pass(self, poster: Poster, sandbox: Sandbox, head: bytes) -> None:
        publish_id, url = poster.started(1000)
        assert poster.put(url, video_bytes(1000, head), 0, 1000).status_code == 201
        sandbox.clock.advance(sandbox.switches.processing_seconds)
        assert poster.status_data(publish_id)["status"] == "PUBLISH_COMPLETE"

    def test_anything_else_is_accepted_then_fails_the_check(self, poster: Poster, sandbox: Sandbox) -> None:
        publish_id, url = poster.started(10 * MB, 5 * MB, 2)
        data = b"GIF89a" + video_bytes(10 * MB)[6:]
        assert poster.upload(url, data, 5 * MB, 2) == [206, 201]  # TikTok checks after accepting
        assert poster.status_data(publish_id)["status"] == "PROCESSING_UPLOAD"
        sandbox.clock.advance(sandbox.switches.processing_seconds)
        assert {k: v for k, v in poster.status_data(publish_id).items() if k != "uploaded_bytes"} == {
            "status": "FAILED", "fail_reason": "file_format_check_failed", "publicaly_available_post_id": []}

    def test_the_check_is_a_switch(self, poster: Poster, sandbox: Sandbox) -> None:
        sandbox.switches.check_media_format = False
        publish_id, url = poster.started(1000)
        assert poster.put(url, b"x" * 1000, 0, 1000).status_code == 201
        sandbox.clock.advance(sandbox.switches.processing_seconds)
        assert poster.status_data(publish_id)["status"] == "PUBLISH_COMPLETE"


class _Gate:
    """A body that sends ``before`` bytes, waits to be opened, then sends the rest."""

    def __init__(self, data: bytes, before: int) -> None:
        self.data, self.before = data, before
        self.reached, self.open = threading.Event(), threading.Event()

    def __iter__(self) -> Iterator[bytes]:
        yield self.data[: self.before]
        self.reached.set()
        assert self.open.wait(10)
        yield self.data[self.before :]


class TestStreaming:
    def test_the_state_lock_is_free_while_a_body_arrives(self, poster: Poster, sandbox: Sandbox) -> None:
        publish_id, url = poster.started(10 * MB, 5 * MB, 2)
        data = video_bytes(10 * MB)
        gate = _Gate(data[: 5 * MB], 2 * MB)
        answers: list[httpx.Response] = []
        headers = {"Content-Type": "video/mp4", "Content-Range": "bytes 0-4999999/10000000",
                   "Content-Length": str(5 * MB)}
        with httpx.Client(timeout=20) as other:
            sender = threading.Thread(target=lambda: answers.append(other.put(url, content=gate, headers=headers)))
            sender.start()
            try:
                assert gate.reached.wait(10)
                # The lock is free: other requests are answered meanwhile (a held lock would
                # keep them waiting until the gate opens, past the client's 5 s timeout)...
                assert poster.status_data(publish_id)["uploaded_bytes"] == 0
                assert poster.creator_info().status_code == 200
                # ...and a second sender of the same chunk is out of step.
                assert poster.put(url, data[: 5 * MB], 0, 10 * MB).status_code == 416
            finally:
                gate.open.set()
                sender.join(20)
        assert answers[0].status_code == 206
        assert poster.put(url, data[5 * MB :], 5 * MB, 10 * MB).status_code == 201
        assert sandbox.posts[-1].sha256 == hashlib.sha256(data).hexdigest()

    def test_a_100_mb_chunk_does_not_grow_memory(self, poster: Poster, sandbox: Sandbox) -> None:
        chunk, last = 60_000_000, 100_000_000  # the last chunk carries the remainder: 100 MB in one PUT
        size = chunk + last
        publish_id, url = poster.started(size, chunk, 2)
        piece = bytes(range(256)) * 4096  # 1 MiB, sent again and again
        expected = hashlib.sha256()

        def body(first: int, length: int) -> Iterator[bytes]:
            sent = 0
            while sent < length:
                part = piece[: min(len(piece), length - sent)]
                if first + sent == 0:
                    part = video_bytes(16) + part[16:]
                expected.update(part)
                sent += len(part)
                yield part

        tracemalloc.start()
        try:
            baseline = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            with httpx.Client(timeout=60) as client:
                for first, length in ((0, chunk), (chunk, last)):
                    headers = {"Content-Type": "video/mp4", "Content-Length": str(length),
                               "Content-Range": f"bytes {first}-{first + length - 1}/{size}"}
                    answer = client.put(url, content=body(first, length), headers=headers)
                    assert answer.status_code == (206 if first == 0 else 201), answer.text
            peak = tracemalloc.get_traced_memory()[1] - baseline
        finally:
            tracemalloc.stop()
        assert peak < 16 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB while 100 MB went through"
        post = sandbox.posts[-1]
        assert post.publish_id == publish_id and post.sha256 == expected.hexdigest()
        assert post.ranges == [(0, chunk - 1), (chunk, size - 1)]
