"""``pytok login --scopes``: a misspelt scope stops the command at once (exit 2), with the
closest documented scope, before any browser, QR code or sandbox; ``+name`` asks for a
scope the documented list does not know yet."""

from __future__ import annotations

import time
import urllib.parse
from pathlib import Path

from pytok_sm.sandbox import Sandbox

from .helpers import Pytok, sandbox_flags
from .test_cli_usage import assert_one_line_error

TYPO_ADVICE = ("unknown scope 'user.info.basci'; did you mean 'user.info.basic'?", "'+user.info.basci'")


def fake_browser(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """$BROWSER as a script that notes the URL it was asked to open (webbrowser honours it)."""
    opened = tmp_path / "opened-url"
    script = tmp_path / "browser.sh"
    script.write_text(f'#!/bin/sh\nprintf "%s" "$1" > "{opened}"\n')
    script.chmod(0o755)
    return {"BROWSER": str(script)}, opened


def test_a_misspelt_scope_is_exit_2_with_a_suggestion_and_no_browser(
    pytok: Pytok, sandbox: Sandbox, tmp_path: Path
) -> None:
    env, opened = fake_browser(tmp_path)
    started = time.monotonic()
    result = pytok.run(
        *sandbox_flags(sandbox, tmp_path / "t.json"), "login", "--port", "0", "--scopes", "user.info.basci",
        "--timeout", "5", env=env,
    )
    assert result.returncode == 2, result.stderr
    assert_one_line_error(result.stderr, *TYPO_ADVICE)
    assert not opened.exists()  # no browser was opened on TikTok's invalid_scope page
    assert sandbox.requests == []
    assert time.monotonic() - started < 5  # it did not wait for anybody
    assert not (tmp_path / "t.json").exists()


def test_a_misspelt_scope_stops_a_qr_login_before_the_qr_code(pytok: Pytok, sandbox: Sandbox, tmp_path: Path) -> None:
    result = pytok.run(
        *sandbox_flags(sandbox, tmp_path / "t.json"), "login", "--qr", "--scopes", "user.info.basic,video.lst",
        "--timeout", "5",
    )
    assert result.returncode == 2, result.stderr
    assert_one_line_error(result.stderr, "did you mean 'video.list'?")
    assert sandbox.count("get_qrcode") == 0 and "Scan this QR code" not in result.stdout


def test_a_misspelt_scope_stops_before_the_embedded_sandbox_starts(pytok: Pytok) -> None:
    result = pytok.run("login", "--sandbox", "--no-browser", "--scopes", "user.info.basci", "--timeout", "5")
    assert result.returncode == 2, result.stderr
    assert_one_line_error(result.stderr, *TYPO_ADVICE)
    assert "Sandbox running" not in result.stdout + result.stderr


def test_a_plus_asks_for_a_scope_the_list_does_not_know(pytok: Pytok, sandbox: Sandbox, tmp_path: Path) -> None:
    env, opened = fake_browser(tmp_path)
    result = pytok.run(
        *sandbox_flags(sandbox, tmp_path / "t.json"), "login", "--port", "0",
        "--scopes", "user.info.basic,+brand.new.scope", "--timeout", "1", env=env,
    )
    assert result.returncode == 5, result.stderr  # nobody approved: it got as far as waiting
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(opened.read_text()).query)
    assert query["scope"] == ["user.info.basic,brand.new.scope"]


def test_the_help_explains_the_plus(pytok: Pytok) -> None:
    result = pytok.run("login", "--help")
    assert result.returncode == 0
    assert "+name" in " ".join(result.stdout.split())
