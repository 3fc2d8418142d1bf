"""A post taken over by a second OS process, end to end: process A uploads chunk 1 of 3,
writes the flow's snapshot and dies; this process resumes it from the last acknowledged
byte, or from a new init once the upload URL expired. A tampered snapshot sends nothing."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

import pytok_sm
from pytok_sm.flows import _snapshot as snapshots
from pytok_sm.sandbox import Sandbox

from .posting_child import SNAPSHOT_EXIT
from .posting_support import CHUNK, THREE_CHUNKS, child_job, planned, poster, sha256, uploads, video

PLAN = planned(THREE_CHUNKS, CHUNK)


def crashed_after_one_chunk(sb: Sandbox, request: pytest.FixtureRequest, path: Path, tmp_path: Path) -> Any:
    """Run process A; the snapshot it wrote before dying."""
    kind = request.node.callspec.params["make_runner"].name
    out = tmp_path / "snapshot.json"
    done = subprocess.run(child_job(sb, kind, "snapshot", path, chunk_size=CHUNK, out=str(out)),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == SNAPSHOT_EXIT, done.stderr
    snapshot = json.loads(out.read_text())
    assert (snapshot["flow"], snapshot["state"]) == ("post_video", "uploading")
    assert "act." not in out.read_text()  # the access token never goes into a snapshot
    (post,) = sb.posts
    assert post.ranges == PLAN[:1]
    return snapshot


def test_a_second_process_resumes_the_upload_where_it_stopped(make_runner: Any, sandbox: Sandbox,
                                                              tmp_path: Path, request: pytest.FixtureRequest) -> None:
    path = video(tmp_path)
    snapshot = crashed_after_one_chunk(sandbox, request, path, tmp_path)
    runner = poster(make_runner, sandbox)
    result = runner("resume_post", snapshot)
    (post,) = sandbox.posts
    assert post.publish_id == result.publish_id and result.status == "PUBLISH_COMPLETE"
    assert (post.ranges, post.sha256) == (PLAN, sha256(path))  # every range once, in order
    assert uploads(sandbox) == [206, 206, 201] and sandbox.count("video_init") == 1


def test_a_resume_after_the_upload_url_expired_starts_a_new_init(make_runner: Any, sandbox: Sandbox,
                                                                 tmp_path: Path,
                                                                 request: pytest.FixtureRequest) -> None:
    path = video(tmp_path)
    snapshot = crashed_after_one_chunk(sandbox, request, path, tmp_path)
    sandbox.clock.advance(3601)  # an hour later, for TikTok and for the resuming process
    runner = poster(make_runner, sandbox, clock=lambda: time.time() + 3601)
    result = runner("resume_post", snapshot)
    first, second = sandbox.posts
    assert second.publish_id == result.publish_id != first.publish_id and result.confirmed
    assert (first.ranges, first.status) == (PLAN[:1], "PROCESSING_UPLOAD")
    assert (second.ranges, second.sha256) == (PLAN, sha256(path))
    assert uploads(sandbox) == [206, 206, 206, 201]  # nothing sent to the dead URL
    assert sandbox.count("video_init") == 2 and sandbox.count("creator_info") == 1


def stopped_after_one_chunk(runner: Any, path: Path) -> Any:
    """A snapshot taken in this process (the tests below need no second one)."""
    flow = runner("prepare_post_video", path, privacy_level="SELF_ONLY", chunk_size=CHUNK)

    def stop(progress: pytok_sm.PostProgress) -> None:
        if progress.chunk == 1:
            raise Stopped

    with pytest.raises(Stopped):
        runner("run_post", flow, on_progress=stop)
    return flow.snapshot()


class Stopped(Exception):
    pass


def test_a_resume_the_clock_cannot_tell_expired_meets_403_and_starts_again(make_runner: Any, sandbox: Sandbox,
                                                                         tmp_path: Path) -> None:
    path = video(tmp_path)
    runner = poster(make_runner, sandbox)
    snapshot = stopped_after_one_chunk(runner, path)
    sandbox.clock.advance(3601)  # TikTok's clock only: the URL died early
    result = runner("resume_post", snapshot)
    assert result.publish_id == sandbox.posts[1].publish_id and sandbox.posts[1].sha256 == sha256(path)
    assert uploads(sandbox) == [206, 403, 206, 206, 201]


def test_a_snapshot_taken_while_processing_resumes(make_runner: Any, sandbox: Sandbox, tmp_path: Path) -> None:
    runner = poster(make_runner, sandbox, processing=60)
    path = video(tmp_path)
    flow = runner("prepare_post_video", path, privacy_level="SELF_ONLY", chunk_size=CHUNK)
    assert runner("run_post", flow, wait=False).status == "PROCESSING_UPLOAD"
    snapshot = json.loads(json.dumps(flow.snapshot()))
    assert snapshot["state"] == "processing"
    sandbox.clock.advance(60)
    result = runner("resume_post", snapshot)
    assert (result.publish_id, result.status) == (flow.publish_id, "PUBLISH_COMPLETE")
    assert uploads(sandbox) == [206, 206, 201] and sandbox.posts[0].sha256 == sha256(path)


def tampered(snapshot: dict[str, Any], how: str) -> dict[str, Any]:
    changed = json.loads(json.dumps(snapshot))
    if how == "index":
        changed["data"]["index"] = 2  # skip a chunk
    elif how == "upload_url":
        changed["data"]["upload_url"] = "https://attacker.example/upload/?upload_id=1"
    elif how == "seal":
        changed["seal"] = changed["seal"][:-2] + ("00" if changed["seal"][-2:] != "00" else "11")
    elif how == "state":
        changed["state"] = "processing"
    else:
        changed["flow"] = "publish_status"
    return changed


def test_a_tampered_snapshot_is_refused_and_sends_nothing(make_runner: Any, sandbox: Sandbox,
                                                          tmp_path: Path) -> None:
    runner = poster(make_runner, sandbox)
    snapshot = stopped_after_one_chunk(runner, video(tmp_path))
    seen = len(sandbox.requests)
    for how in ("index", "upload_url", "seal", "state", "flow"):
        with pytest.raises(pytok_sm.SnapshotRejected):
            runner("resume_post", tampered(snapshot, how))
    assert len(sandbox.requests) == seen and sandbox.posts[0].ranges == PLAN[:1]
    assert runner("resume_post", snapshot).confirmed  # the untouched one still goes on
    assert (sandbox.posts[0].ranges, uploads(sandbox)) == (PLAN, [206, 206, 201])


def test_a_snapshot_sealed_with_the_key_but_impossible_is_refused(make_runner: Any, sandbox: Sandbox,
                                                                   tmp_path: Path) -> None:
    """The second line behind the seal (a leaked key): a plan TikTok would not take, or a
    chunk outside it, is refused as a snapshot, never sent and never a crash."""
    runner = poster(make_runner, sandbox)
    snapshot = stopped_after_one_chunk(runner, video(tmp_path))
    key = snapshots.seal_key(runner.kit.config, None)
    seen = len(sandbox.requests)
    for field, value in [("index", 3), ("index", 999), ("count", 5), ("chunk_size", 1), ("size", 10),
                         ("path", None), ("upload_url", None), ("video_url", "https://media.example.com/v.mp4")]:
        body = {name: item for name, item in tampered(snapshot, "none").items() if name != "seal"}
        body["flow"], body["data"][field] = "post_video", value
        with pytest.raises(pytok_sm.SnapshotRejected):
            runner("resume_post", snapshots.seal(body, key))
    assert len(sandbox.requests) == seen
