"""``pytok post`` on a terminal (pty): one redrawn progress line, then Ctrl+C: exit 130, the
post cancelled at the sandbox, and a second Ctrl+C during that cancel still exits."""

from __future__ import annotations

import re
import signal
import time
from pathlib import Path

from .helpers import sandbox_flags
from .test_cli_post import Poster, poster_fixture, video_fixture  # noqa: F401 - the fixtures
from .test_cli_terminal import PtyRun

UPLOADING = re.compile(r"\rUploading \[(#*)(\.*)\]\s+(\d+)%  ([\d.]+) of 10\.6 MB, chunk (\d)/2, Ctrl\+C to cancel")
PROCESSING = re.compile(r"\rProcessing… \((\d+)s\) PROCESSING_UPLOAD, Ctrl\+C to stop waiting")


def on_a_terminal(poster: Poster, *args: str) -> PtyRun:
    return PtyRun(poster.pytok, *sandbox_flags(poster.sandbox, poster.store), *args)


def test_the_progress_is_one_line_redrawn_from_upload_to_processing(poster: Poster, video: Path) -> None:
    poster.sandbox.switches.processing_seconds = 1.0  # processing lasts until the second poll, 2.5 s later
    run = on_a_terminal(poster, "post", str(video), "--privacy", "SELF_ONLY", "--chunk-size", "5MiB")
    try:
        code, screen = run.finish()
    finally:
        run.kill()
    assert code == 0, screen
    bars = UPLOADING.findall(screen)
    assert ("#########", "...........", "49", "5.2", "2") in bars, screen
    seconds = [int(n) for n in PROCESSING.findall(screen)]
    assert len(set(seconds)) >= 2 and seconds == sorted(seconds), screen  # the same line, counting up
    live = screen[screen.index("\rStarting the post"):]
    last = live.rindex("\rProcessing… (")
    assert "\n" not in live[:last], "every update redraws the line in place"
    assert re.match(r"\rProcessing… \(\d+s\) PROCESSING_UPLOAD, Ctrl\+C to stop waiting *\r {40,}\r", live[last:])
    assert "Uploaded chunk" not in screen and "Status:" not in screen  # the plain lines are for pipes
    assert screen.index("Music Usage Confirmation") < screen.index("\rUploading")
    assert poster.only_post().status == "PUBLISH_COMPLETE"


def test_ctrl_c_during_the_upload_cancels_the_post_at_tiktok_and_exits_130(poster: Poster, video: Path) -> None:
    faults = poster.sandbox.faults
    faults.add("upload", "delay", seconds=0.2)
    faults.add("upload", "delay", seconds=30)  # the second chunk hangs: Ctrl+C comes while it goes up
    run = on_a_terminal(poster, "post", str(video), "--privacy", "SELF_ONLY", "--chunk-size", "5MiB")
    try:
        run.read_until(rb"chunk 2/2, Ctrl\+C to cancel")
        run.process.send_signal(signal.SIGINT)
        code, screen = run.finish(timeout=20)
    finally:
        run.kill()
    post = poster.only_post()
    assert code == 130, screen
    assert (post.status, post.fail_reason) == ("FAILED", "publish_cancelled")
    assert poster.sandbox.count("publish_cancel") == 1
    assert "Traceback" not in screen and "KeyboardInterrupt" not in screen
    assert re.search(r"\r {40,}\rpytok: cancelled \(Ctrl\+C\)", screen), "the live line is cleared first"
    assert screen.rstrip().endswith(
        f"pytok: cancelled (Ctrl+C): TikTok cancelled the post {post.publish_id}; nothing will be published")


def test_a_second_ctrl_c_while_tiktok_is_asked_to_cancel_exits_at_once(poster: Poster, video: Path) -> None:
    faults = poster.sandbox.faults
    faults.add("upload", "delay", seconds=0.2)
    faults.add("upload", "delay", seconds=30)
    faults.add("publish_cancel", "delay", seconds=30)  # TikTok does not answer the cancel
    running = poster.start("post", str(video), "--privacy", "SELF_ONLY", "--chunk-size", "5MiB")
    try:
        running.wait_for(r"^Uploaded chunk 1/2")
        time.sleep(0.3)
        running.process.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 10
        while faults.pending("publish_cancel") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not faults.pending("publish_cancel"), "the kit never asked TikTok to cancel"
        time.sleep(0.3)  # the cancel hangs at the sandbox
        pressed = time.monotonic()
        running.process.send_signal(signal.SIGINT)
        result = running.finish(timeout=20)
        took = time.monotonic() - pressed
    finally:
        running.kill()
    assert result.returncode == 130, result.stderr
    assert took < 8, f"the second Ctrl+C took {took:.1f} s to end the command"
    assert "Traceback" not in result.stderr
    publish_id = poster.sandbox.posts[0].publish_id
    assert result.stderr.strip().splitlines()[-1] == (
        f"pytok: cancelled (Ctrl+C): whether TikTok cancelled the post {publish_id} is not known: check with pytok "
        f"post-status {publish_id} --store {poster.store}")
