"""The posting cassettes (``cassettes/post_video/``): replayed offline through the real kits,
refused when an upload is not the recorded one, and holding no video bytes and no secret.

An upload's body is in a cassette as its length and sha256 (``digest_of_upload_body``); a
``PUT`` matches only with the same URL (its ``upload_token`` a placeholder), the same
``Content-Range`` and the same digest. The video files are written by the test
(:mod:`tests.replay.media`), the same bytes as when the cassettes were recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import re
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from pytok_sm import AsyncLoginKit, LoginKit
from pytok_sm import _contract as contract
from pytok_sm._posting_errors import PostingSpamRisk
from pytok_sm._posting_values import PostProgress, PostResult
from pytok_sm.sandbox import Sandbox
from pytok_sm.testing import CassetteMismatch, CassetteUnplayed, capture_transitions, find_unscrubbed, use_cassette
from pytok_sm.testing._upload import Digest, read_record

from .media import encodings_of_marker, slice_sha256, write_video
from .posting_scenarios import CHUNK, POSTING_SCENARIOS, POSTING_SCOPES, VIDEOS
from .record import record
from .scenarios import CASSETTES, CLIENT_KEY, RECORD_COMMAND, SCRUB_OPTIONS, ReplayWorld, Scenario, kit_settings, replay

FILES = sorted((CASSETTES / "post_video").glob("*.yaml"))
BY_NAME = {s.name: s for s in POSTING_SCENARIOS}
UPLOADING = [name for name, case in VIDEOS.items() if name != "post_video/spam_cap"]
RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")
#: The second chunk's PUT, as every message must show it (placeholders, canonical ids).
SECOND_PUT = "PUT https://open.tiktokapis.com/upload/video/?upload_id=7000000000000000002&upload_token=scrubbed-upload-token-1"


def interactions(path: Path) -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = yaml.safe_load(path.read_text(encoding="utf-8"))["interactions"]
    return loaded


def uploads(name: str) -> list[dict[str, Any]]:
    return [i["request"] for i in interactions(CASSETTES / f"{name}.yaml") if i["request"]["method"] == "PUT"]


@contextlib.contextmanager
def replaying(name: str, **kit_options: Any) -> Iterator[LoginKit]:
    """The sync kit, answered by the cassette ``name`` only (strict: every answer used once)."""
    world = ReplayWorld()
    hint = f"record it again: {RECORD_COMMAND} {name}"
    with use_cassette(CASSETTES / f"{name}.yaml", record=False, hint=hint, **SCRUB_OPTIONS):
        settings = kit_settings(random=world.random, **kit_options)
        with LoginKit(CLIENT_KEY, ReplayWorld.CLIENT_SECRET, token=world.tokens(POSTING_SCOPES), **settings) as kit:
            yield kit


def video(tmp_path: Path, name: str) -> Path:
    return write_video(tmp_path / "video.mp4", VIDEOS[name].size)


# ---------------------------------------------------------------------------- replayed to the same result
@pytest.mark.parametrize("scenario", POSTING_SCENARIOS, ids=lambda s: s.name)
def test_every_posting_cassette_replays_through_the_kit(scenario: Scenario) -> None:
    outcome = replay(scenario)
    scenario.expect(outcome)
    if isinstance(outcome.value, PostResult):  # what the kit holds came out of the cassette: canonical ids
        assert re.fullmatch(r"v_(pub|inbox)_file~v2(-1)?\.70000000000000000\d\d", outcome.value.publish_id)


@pytest.mark.parametrize("name", ["post_video/multi_chunk", "post_video/upload_url_expired"])
def test_the_async_kit_replays_the_same_cassette_to_the_same_result(name: str, tmp_path: Path) -> None:
    """vcrpy serves httpx.AsyncClient from the same cassette; the file is read in a worker
    thread, a piece ahead, and the digests are the recorded ones."""
    path, world = video(tmp_path, name), ReplayWorld()

    async def main() -> PostResult:
        settings = kit_settings(random=world.random)
        async with AsyncLoginKit(CLIENT_KEY, "another-secret", token=world.tokens(POSTING_SCOPES), **settings) as kit:
            return await kit.post_video(path, **VIDEOS[name].arguments())

    with capture_transitions() as events, use_cassette(CASSETTES / f"{name}.yaml", record=False, **SCRUB_OPTIONS):
        result = asyncio.run(main())
    synced = replay(BY_NAME[name])
    assert result == synced.value
    assert [f"{e['flow']}.{e['trigger']}->{e['dest']}" for e in events] == synced.path


# ---------------------------------------------------------------------------- refused
def test_one_changed_byte_in_a_chunk_is_refused_naming_the_digest(tmp_path: Path) -> None:
    name = "post_video/multi_chunk"
    path = video(tmp_path, name)
    with path.open("r+b") as file:  # one bit of the second chunk; the size (so the plan) stays
        file.seek(CHUNK + 4096)
        byte = file.read(1)[0]
        file.seek(CHUNK + 4096)
        file.write(bytes([byte ^ 1]))
    with pytest.raises(CassetteMismatch) as refused, replaying(name) as kit:
        kit.post_video(path, **VIDEOS[name].arguments())
    message = str(refused.value)
    assert f"has no answer for {SECOND_PUT}: the closest recorded request differs in match_body: upload bodies " \
           f"differ: the same length ({CHUNK} bytes), another sha256 (sent " in message
    assert f"{RECORD_COMMAND} {name}" in message
    assert "PYTOK-CASSETTE" not in message  # the digest, never the bytes


def test_a_chunk_with_another_content_range_is_refused(tmp_path: Path) -> None:
    """The right bytes under a wrong header (an off-by-one end) do not match."""
    name = "post_video/multi_chunk"
    recorded = f"bytes {CHUNK}-{2 * CHUNK - 1}/{VIDEOS[name].size}"
    wrong = f"bytes {CHUNK}-{2 * CHUNK}/{VIDEOS[name].size}"

    def off_by_one(request: httpx.Request) -> None:
        if request.headers.get("Content-Range") == recorded:
            request.headers["Content-Range"] = wrong

    with httpx.Client(event_hooks={"request": [off_by_one]}) as client:
        with pytest.raises(CassetteMismatch) as refused, replaying(name, http_client=client) as kit:
            kit.post_video(video(tmp_path, name), **VIDEOS[name].arguments())
    assert f"has no answer for {SECOND_PUT}: the closest recorded request differs in match_content_range: " \
           f"Content-Range differs: {wrong} sent, {recorded} recorded" in str(refused.value)


def test_another_file_of_the_same_size_is_refused_at_its_first_chunk(tmp_path: Path) -> None:
    name = "post_video/direct"
    path = write_video(tmp_path / "other.mp4", VIDEOS[name].size, seed="another video")
    with pytest.raises(CassetteMismatch, match="differs in match_body: upload bodies differ: the same length"):
        with replaying(name) as kit:
            kit.post_video(path, **VIDEOS[name].arguments())


def test_an_extra_request_is_refused(tmp_path: Path) -> None:
    name = "post_video/direct"
    with pytest.raises(CassetteMismatch, match="already answered") as refused, replaying(name) as kit:
        result = kit.post_video(video(tmp_path, name), **VIDEOS[name].arguments())
        assert result.status == contract.STATUS_PUBLISH_COMPLETE
        kit.publish_status(result.publish_id)  # once more: the cassette answered it once
    assert "POST https://open.tiktokapis.com/v2/post/publish/status/fetch/" in str(refused.value)


def test_after_the_spam_cap_nothing_else_may_be_sent(tmp_path: Path) -> None:
    name = "post_video/spam_cap"
    with pytest.raises(CassetteMismatch, match="creator_info/query/: it matches a recorded request that was already"):
        with replaying(name) as kit:
            with pytest.raises(PostingSpamRisk):
                kit.post_video(video(tmp_path, name), **VIDEOS[name].arguments())
            kit.creator_info()  # asking again: the cassette answered once


def test_a_request_left_out_is_reported(tmp_path: Path) -> None:
    name = "post_video/direct"
    with pytest.raises(CassetteUnplayed, match="status/fetch/"), replaying(name) as kit:
        kit.post_video(video(tmp_path, name), wait=False, **VIDEOS[name].arguments())


# ---------------------------------------------------------------------------- what the files hold
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_a_posting_cassette_holds_no_video_bytes(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert len(text.encode()) < 12 * 1024  # the biggest video is 16 MB; its cassette a few KB
    assert "!!binary" not in text
    squeezed = "".join(text.split())  # base64 is wrapped over lines
    assert [shown for shown in encodings_of_marker() if shown.decode() in squeezed] == []
    for request in [i["request"] for i in interactions(path) if i["request"]["method"] == "PUT"]:
        assert request["body"].startswith('{"digest_of_upload_body": {"length": ')
        assert read_record(request["body"]) is not None and "content-length" not in request["headers"]


@pytest.mark.parametrize("name", UPLOADING)
def test_each_digest_is_the_sha256_of_the_slice_its_content_range_names(name: str, tmp_path: Path) -> None:
    """Also: the video the tests write is, byte for byte, the one recorded."""
    path = video(tmp_path, name)
    puts = uploads(name)
    assert len(puts) == VIDEOS[name].chunks * (2 if name.endswith("expired") else 1)
    for request in puts:
        span = RANGE.fullmatch(request["headers"]["content-range"][0])
        assert span is not None
        first, last, total = (int(group) for group in span.groups())
        assert total == VIDEOS[name].size
        assert read_record(request["body"]) == Digest(last - first + 1, slice_sha256(path, first, last - first + 1))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_no_secret_in_a_posting_cassette(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert find_unscrubbed(text, path=str(path)) == []
    tokens = re.findall(r"upload_token=([^&\s'\"]*)", text)
    assert all(re.fullmatch(r"scrubbed-upload-token-\d+", token) for token in tokens), tokens
    assert set(re.findall(r"Bearer (\S+)", text)) <= {"act.scrubbed-given-1"}
    for interaction in interactions(path):  # each PUT goes to the URL the last init handed out
        answer = interaction["response"]["body"]["string"]
        if '"upload_url"' in answer:
            handed_out = answer.split('"upload_url": "', 1)[1].split('"', 1)[0]
        elif interaction["request"]["method"] == "PUT":
            assert interaction["request"]["uri"] == handed_out


def test_recording_writes_no_upload_token_and_the_scan_would_find_one(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Recorded afresh: the upload URL's token (seen on the wire by the recorder) is nowhere in
    the file. Negative control: with placeholders off, the same scan reports it."""
    from pytok_sm.testing import Scrubber

    result = record(["post_video/direct"], out=tmp_path / "scrubbed", log=lambda line: None)
    assert "post_video/direct: upload token #1" in result.secrets
    written = (tmp_path / "scrubbed/post_video/direct.yaml").read_text()
    assert find_unscrubbed(written, result.secrets) == []
    assert written == (CASSETTES / "post_video/direct.yaml").read_text()
    monkeypatch.setattr(Scrubber, "placeholder", lambda self, value, name, given=False: value)
    result = record(["post_video/direct"], out=tmp_path / "raw", log=lambda line: None)
    kinds = {f.kind for f in find_unscrubbed((tmp_path / "raw/post_video/direct.yaml").read_text(), result.secrets)}
    assert {"secret: post_video/direct: upload token #1", "secret-shaped value"} <= kinds


# ---------------------------------------------------------------------------- memory
def _retained_per_chunk(post: Any) -> tuple[int, list[int]]:
    """Run ``post(on_progress)`` traced: the peak, and what stays after each chunk (collected)."""
    after: list[int] = []

    def collect(progress: PostProgress) -> None:
        if progress.state in ("uploading", "processing") and progress.chunk > len(after):
            gc.collect()  # httpx keeps a finished request in a reference cycle until a collection
            after.append(tracemalloc.get_traced_memory()[0])

    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        post(collect)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak - base, [held - base for held in after]


@pytest.mark.parametrize("recording", [True, False], ids=["record", "replay"])
def test_a_multi_chunk_upload_holds_no_more_than_vcrpys_copy_of_one_chunk(recording: bool, tmp_path: Path) -> None:
    """vcrpy joins a chunk's body to look at it (the pieces and the joined copy); the digest
    is taken from that copy and nothing of it stays: memory does not grow chunk by chunk, and
    never nears the 16 MB file."""
    name = "post_video/multi_chunk"
    path, case = video(tmp_path, name), VIDEOS[name]
    largest = case.size - (case.chunks - 1) * CHUNK

    def post_recorded(on_progress: Any) -> None:
        with Sandbox() as sb:
            sb.switches.processing_seconds = 0
            with use_cassette(tmp_path / "c.yaml", record=True, **SCRUB_OPTIONS), LoginKit(
                sb.client_key, sb.client_secret, token=sb.issue_tokens(), base_api_url=sb.base_api_url
            ) as kit:
                kit.post_video(path, on_progress=on_progress, **case.arguments())

    def post_replayed(on_progress: Any) -> None:
        with replaying(name) as kit:
            kit.post_video(path, on_progress=on_progress, **case.arguments())

    post = post_recorded if recording else post_replayed
    post(lambda progress: None)  # warm: imports, the emulator's first threads
    peak, after = _retained_per_chunk(post)
    assert len(after) == case.chunks
    assert max(after) < 1 << 20, after  # nothing of a chunk is kept (the cassette holds its digest)
    assert peak < 2 * largest + (2 << 20) < case.size, peak
