"""``pytok demo``: the whole story against the embedded sandbox, and the README's transcript."""

from __future__ import annotations

import re
import time

from .helpers import REPO, Pytok

STEPS = ["1. TikTok, emulated", "2. Browser login", "3. Who is this?", "4. Refresh", "5. Post a video", "6. Revoke",
         "Done:"]
#: The posting step's lines, in this order (the transition lines between them are checked on their own).
POST_LINES = [
    "creator          Sandbox Creator (@sandbox.creator)",
    "privacy options  PUBLIC_TO_EVERYONE, MUTUAL_FOLLOW_FRIENDS, SELF_ONLY",
    "video            demo.mp4: 10.6 MB, 2 chunks of 5.2 MB (an ftyp header, then zeros)",
    "By posting, you agree to TikTok's Music Usage Confirmation.",
    "Uploaded chunk 1/2: 5.2 of 10.6 MB (49%)",
    "Uploaded chunk 2/2: 10.6 of 10.6 MB (100%)",
    "Status: PROCESSING_UPLOAD (TikTok is processing the post; this may take a few minutes)",
    "Status: PUBLISH_COMPLETE",
    "status           PUBLISH_COMPLETE (published)",
    "sandbox received 10600000 bytes in 2 chunks; sha256 matches the file",
]
TOKEN_SHAPED = re.compile(r"\b(act|rft|clt)\.[A-Za-z0-9_\-*!]{6,}")


def normalise(text: str) -> str:
    """Hide what changes from run to run: ports, flow ids, expiry times, QR session ids, publish ids."""
    text = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", text)
    text = re.sub(r"(v_pub_file~v2-1)\.\d+", r"\1.N", text)
    text = re.sub(r"\[(\w+) [0-9a-f]{6}\]", r"[\1 ID]", text)
    text = re.sub(r"expires in \d+h\d\dm", "expires in HhMMm", text)
    return text


def test_the_demo_tells_the_whole_story_and_exits_0(pytok: Pytok) -> None:
    started = time.monotonic()
    done = pytok.run("demo")
    took = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert_the_post_step(done.stdout)
    assert took < 20, f"the demo took {took:.1f} s"
    positions = [done.stdout.index(step) for step in STEPS]
    assert positions == sorted(positions)
    assert "--token_issued--> authorized" in done.stdout
    assert "old refresh token alive at TikTok: False" in done.stdout
    assert "kit.current_access_token = None" in done.stdout
    assert "Sandbox Creator" in done.stdout
    assert not TOKEN_SHAPED.search(done.stdout + done.stderr)


def assert_the_post_step(stdout: str) -> None:
    """Step 5: a video posted SELF_ONLY in two chunks, its progress, its end, what the sandbox got."""
    step = stdout.split("5. Post a video", 1)[1].split("6. Revoke", 1)[0]
    details = [line.strip() for line in step.splitlines() if line.startswith("   ")]
    shown = [line for line in details if line in POST_LINES]
    assert shown == POST_LINES, step
    transitions = re.findall(r"\[post_video [0-9a-f]{6}\] (\w+ --\w+--> \w+)", step)
    assert transitions == [
        "created --start_check--> checking_creator", "checking_creator --creator_ok--> initialising",
        "initialising --initialised--> uploading", "uploading --chunk_accepted--> uploading",
        "uploading --uploaded--> processing", "processing --still_processing--> processing",
        "processing --published--> published",
    ]
    assert re.search(r"^   publish_id       v_pub_file~v2-1\.\d+$", step, re.M), step
    # The declaration comes before anything is sent; the progress after the upload began.
    assert step.index("Music Usage Confirmation") < step.index("--start_check-->") < step.index("Uploaded chunk 1/2")


def test_the_qr_demo_shows_a_code_a_phone_scans(pytok: Pytok) -> None:
    done = pytok.run("demo", "--qr")
    assert done.returncode == 0, done.stderr
    assert "█" in done.stdout
    assert "awaiting_scan --scan--> scanned" in done.stdout
    assert "scanned --confirm--> exchanging" in done.stdout
    assert "status           PUBLISH_COMPLETE (published)" in done.stdout
    assert not TOKEN_SHAPED.search(done.stdout + done.stderr)


def test_the_readme_transcript_is_what_the_demo_prints(pytok: Pytok) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- demo:start -->", 1)[1].split("<!-- demo:end -->", 1)[0]
    transcript = block.split("```text\n", 1)[1].split("```", 1)[0]
    done = pytok.run("demo")
    assert done.returncode == 0, done.stderr
    assert normalise(transcript.removeprefix("$ pytok demo\n")) == normalise(done.stdout)
