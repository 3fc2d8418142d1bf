"""Posting processes end to end: a 1 GiB file goes up from a child process whose memory stays
small (the upload streams from disk), and Ctrl+C in the middle of an upload cancels the post
at TikTok before the process ends (the sandbox runs in this process)."""

from __future__ import annotations

import functools
import hashlib
import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from pytok_sm.sandbox import Sandbox

from .posting_support import CHUNK, MP4_HEAD, child_job, video

GIB = 1 << 30
MIB = 1 << 20

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and sparse files")


def sparse_file(path: Path, size: int) -> str:
    """An MP4 ``ftyp`` header then a hole up to ``size`` bytes; returns its sha256."""
    with open(path, "wb") as f:
        f.write(MP4_HEAD)
        f.truncate(size)
    return sparse_sha256(size)


@functools.cache
def sparse_sha256(size: int) -> str:
    digest = hashlib.sha256(MP4_HEAD)
    zeros = bytes(8 * MIB)
    left = size - len(MP4_HEAD)
    while left:
        digest.update(zeros[: min(left, len(zeros))])
        left -= min(left, len(zeros))
    return digest.hexdigest()


def kind_of(request: pytest.FixtureRequest) -> str:
    return str(request.node.callspec.params["make_runner"].name)


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_1_gib_upload_keeps_resident_memory_under_100_mib(kind: str, sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.switches.processing_seconds = 0
    path = tmp_path / "big.mp4"
    expected = sparse_file(path, GIB)
    # The largest chunks TikTok takes: 15 of 64,000,000 bytes and a last one of 113,741,824.
    done = subprocess.run(child_job(sandbox, kind, "big", path, chunk_size=64_000_000), capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    said = json.loads(done.stdout.strip().splitlines()[-1])
    (post,) = sandbox.posts
    assert (said["publish_id"], said["status"]) == (post.publish_id, "PUBLISH_COMPLETE")
    assert post.uploaded_bytes == GIB and post.sha256 == expected
    assert len(post.ranges) == 16 and post.ranges[-1] == (15 * 64_000_000, GIB - 1)
    assert said["peak_rss"] < 100 * MIB, f"peak resident memory {said['peak_rss'] / MIB:.1f} MiB"


def test_ctrl_c_mid_upload_cancels_the_post_at_tiktok(make_runner: Any, sandbox: Sandbox, tmp_path: Path,
                                                      request: pytest.FixtureRequest) -> None:
    sandbox.switches.processing_seconds = 0
    sandbox.faults.add("upload", "delay", seconds=0)
    sandbox.faults.add("upload", "delay", seconds=30)  # the second chunk hangs: Ctrl+C comes mid-upload
    path = video(tmp_path)
    child = subprocess.Popen(child_job(sandbox, kind_of(request), "interrupt", path, chunk_size=CHUNK),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        said = child.stdout.readline().strip()
        if said != "uploading":
            pytest.fail(f"the child said {said!r}: {child.communicate(timeout=30)[1]}")
        time.sleep(0.2)  # chunk 2 is on its way (the host holds it)
        child.send_signal(signal.SIGINT)
        _, stderr = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGINT and "KeyboardInterrupt" in stderr, stderr
    (post,) = sandbox.posts
    assert (post.status, post.fail_reason, len(post.ranges)) == ("FAILED", "publish_cancelled", 1)
    assert sandbox.count("publish_cancel") == 1 and sandbox.count("publish_status") == 0
