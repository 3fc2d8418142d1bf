"""``pytok demo``: the whole story against the embedded sandbox, and the README's transcript."""

from __future__ import annotations

import re

from .helpers import REPO, Pytok

STEPS = ["1. TikTok, emulated", "2. Browser login", "3. Who is this?", "4. Refresh", "5. Revoke", "Done:"]
TOKEN_SHAPED = re.compile(r"\b(act|rft|clt)\.[A-Za-z0-9_\-*!]{6,}")


def normalise(text: str) -> str:
    """Hide what changes from run to run: ports, flow ids, expiry times, QR session ids."""
    text = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", text)
    text = re.sub(r"\[(\w+) [0-9a-f]{6}\]", r"[\1 ID]", text)
    text = re.sub(r"expires in \d+h\d\dm", "expires in HhMMm", text)
    return text


def test_the_demo_tells_the_whole_story_and_exits_0(pytok: Pytok) -> None:
    done = pytok.run("demo")
    assert done.returncode == 0, done.stderr
    positions = [done.stdout.index(step) for step in STEPS]
    assert positions == sorted(positions)
    assert "--token_issued--> authorized" in done.stdout
    assert "old refresh token alive at TikTok: False" in done.stdout
    assert "kit.current_access_token = None" in done.stdout
    assert "Sandbox Creator" in done.stdout
    assert not TOKEN_SHAPED.search(done.stdout + done.stderr)


def test_the_qr_demo_shows_a_code_a_phone_scans(pytok: Pytok) -> None:
    done = pytok.run("demo", "--qr")
    assert done.returncode == 0, done.stderr
    assert "█" in done.stdout
    assert "awaiting_scan --scan--> scanned" in done.stdout
    assert "scanned --confirm--> exchanging" in done.stdout
    assert not TOKEN_SHAPED.search(done.stdout + done.stderr)


def test_the_readme_transcript_is_what_the_demo_prints(pytok: Pytok) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- demo:start -->", 1)[1].split("<!-- demo:end -->", 1)[0]
    transcript = block.split("```text\n", 1)[1].split("```", 1)[0]
    done = pytok.run("demo")
    assert done.returncode == 0, done.stderr
    assert normalise(transcript.removeprefix("$ pytok demo\n")) == normalise(done.stdout)
