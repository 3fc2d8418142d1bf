"""``pytok`` commands that talk to TikTok, run as subprocesses against the sandbox emulator."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from pytok_sm.cli.token_file import TokenStore
from pytok_sm.sandbox import Sandbox
from pytok_sm.testing import FakeBrowser

from .helpers import Pytok, Running, sandbox_flags, seed_token
from .test_cli_usage import assert_one_line_error

LOG_ID = re.compile(r"\(log_id [0-9A-Za-z]+\)")


def authorize_url(running: Running) -> str:
    running.wait_for(r"^Open this URL in your browser to log in:")
    return running.wait_for(r"^\s+(http\S+)").group(1)


def assert_no_secret(text: str, *secrets: str | None) -> None:
    for secret in secrets:
        if secret:
            assert secret not in text


# ------------------------------------------------------------------------------ login, browser
def test_login_against_the_sandbox_approve(pytok: Pytok, sandbox: Sandbox, tmp_path: Path) -> None:
    store = tmp_path / "tokens.json"
    running = pytok.start(*sandbox_flags(sandbox, store), "login", "--no-browser", "--port", "0")
    try:
        browser = FakeBrowser("approve", background=False)
        browser(authorize_url(running))
        result = running.finish()
    finally:
        running.kill()
    assert result.returncode == 0, result.stderr
    assert browser.last_callback_status == 200
    token = TokenStore(store).get(sandbox.client_key)
    assert token is not None and sandbox.is_alive(token.access_token)
    assert f"Logged in as open_id {token.open_id}." in result.stdout
    assert "act.…" in result.stdout and str(store) in result.stdout
    assert_no_secret(result.stdout + result.stderr, token.access_token, token.refresh_token, sandbox.client_secret)
    assert "\r" not in result.stderr  # not a terminal: no live line


def test_login_denied_is_exit_4(pytok: Pytok, sandbox: Sandbox, tmp_path: Path) -> None:
    store = tmp_path / "tokens.json"
    running = pytok.start(*sandbox_flags(sandbox, store), "login", "--no-browser", "--port", "0")
    try:
        FakeBrowser("deny", background=False)(authorize_url(running))
        result = running.finish()
    finally:
        running.kill()
    assert result.returncode == 4
    assert result.stderr.strip().splitlines()[-1].startswith("pytok: error: access_denied")
    assert "Traceback" not in result.stderr
    assert not store.exists()


def test_login_timeout_is_exit_5(pytok: Pytok, sandbox: Sandbox, tmp_path: Path) -> None:
    result = pytok.run(*sandbox_flags(sandbox, tmp_path / "t.json"), "login", "--no-browser", "--port", "0", "--timeout", "1")
    assert result.returncode == 5
    assert result.stderr.strip().splitlines()[-1] == "pytok: error: nobody completed the login in the browser within 1 s; try again"


def test_login_with_an_unknown_client_key_fails_at_exchange_with_log_id(pytok: Pytok, sandbox: Sandbox, tmp_path: Path) -> None:
    flags = sandbox_flags(sandbox, tmp_path / "t.json")
    flags[flags.index("--client-secret") + 1] = "wrong-secret-value"
    running = pytok.start(*flags, "login", "--no-browser", "--port", "0")
    try:
        FakeBrowser("approve", background=False)(authorize_url(running))
        result = running.finish()
    finally:
        running.kill()
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("pytok: error: invalid_client") and LOG_ID.search(last), last
    assert "wrong-secret-value" not in result.stderr


def test_login_sandbox_flag_runs_the_emulator_in_process(pytok: Pytok) -> None:
    running = pytok.start("login", "--sandbox", "--no-browser")
    try:
        base = running.wait_for(r"Sandbox running at (http://127\.0\.0\.1:\d+)").group(1)
        url = authorize_url(running)
        assert url.startswith(base + "/v2/auth/authorize/?")
        FakeBrowser("approve", background=False)(url)
        result = running.finish()
    finally:
        running.kill()
    assert result.returncode == 0, result.stderr
    assert "This is a sandbox token" in result.stdout
    from pytok_sm.sandbox import DEFAULT_CLIENT_KEY

    # a sandbox token goes to a file of its own, never among real tokens
    assert TokenStore(pytok.tmp_path / "run/pytok/sandbox-tokens.json").get(DEFAULT_CLIENT_KEY) is not None
    assert not pytok.default_store.exists()


def test_verbose_login_shows_the_transition_log_without_secrets(pytok: Pytok, sandbox: Sandbox, tmp_path: Path) -> None:
    store = tmp_path / "tokens.json"
    running = pytok.start(*sandbox_flags(sandbox, store), "-v", "login", "--no-browser", "--port", "0")
    try:
        url = authorize_url(running)
        FakeBrowser("approve", background=False)(url)
        result = running.finish()
    finally:
        running.kill()
    assert result.returncode == 0
    transitions = [line for line in result.stderr.splitlines() if "transition" in line]
    assert any("dest=awaiting_callback" in line for line in transitions)
    assert any("dest=authorized" in line for line in transitions)
    token = TokenStore(store).get(sandbox.client_key)
    state = re.search(r"[?&]state=([^&]+)", url).group(1)
    log_only = result.stderr.replace(url, "")  # the URL itself is what the person must open
    assert_no_secret(log_only + result.stdout, token.access_token, token.refresh_token, sandbox.client_secret, state)


def test_json_log_format_is_one_json_object_per_line(pytok: Pytok, sandbox: Sandbox, tmp_path: Path) -> None:
    result = pytok.run(
        *sandbox_flags(sandbox, tmp_path / "t.json"), "--log-format", "json", "login", "--no-browser", "--port", "0", "--timeout", "1"
    )
    assert result.returncode == 5
    events = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert [e["dest"] for e in events if e["event"] == "transition"] == [
        "listening", "opening_browser", "awaiting_callback", "timed_out"
    ]
    assert all(e["flow"] == "browser" and "timestamp" in e for e in events)


# ------------------------------------------------------------------------------ login, QR
def test_qr_login_renders_writes_files_and_completes(pytok: Pytok, sandbox: Sandbox, tmp_path: Path) -> None:
    png, svg = tmp_path / "qr.png", tmp_path / "qr.svg"
    store = tmp_path / "tokens.json"
    running = pytok.start(*sandbox_flags(sandbox, store), "login", "--qr", "--qr-png", str(png), "--qr-svg", str(svg))
    try:
        running.wait_for(r"^Scan this QR code with the TikTok app")
        url = running.wait_for(r"^QR code URL: (aweme://\S+)").group(1)
        running.wait_for(r"^QR code status: new")
        assert sandbox.phone_scan(url) == "scanned"
        running.wait_for(r"^QR code status: scanned")
        assert sandbox.phone_confirm(url) == "confirmed"
        result = running.finish()
    finally:
        running.kill()
    assert result.returncode == 0, result.stderr
    assert "QR code status: confirmed" in result.stderr
    assert f"QR code written to {png}" in result.stderr and f"QR code written to {svg}" in result.stderr
    assert png.read_bytes().startswith(b"\x89PNG") and b"<svg" in svg.read_bytes()
    assert "▀" in result.stdout or "▄" in result.stdout
    assert "\x1b[" not in result.stdout  # no colour codes on a pipe
    assert TokenStore(store).get(sandbox.client_key) is not None


def test_qr_login_denied_on_the_phone_is_an_expired_code(pytok: Pytok, sandbox: Sandbox, tmp_path: Path) -> None:
    running = pytok.start(*sandbox_flags(sandbox, tmp_path / "t.json"), "login", "--qr")
    try:
        url = running.wait_for(r"^QR code URL: (aweme://\S+)").group(1)
        sandbox.phone_deny(url)
        result = running.finish()
    finally:
        running.kill()
    assert result.returncode == 5
    last = result.stderr.strip().splitlines()[-1]
    assert last == "pytok: error: the QR code expired; ask for a new one (generate_qr_code)"


def test_qr_login_through_the_sandbox_phone_page(pytok: Pytok) -> None:
    running = pytok.start("login", "--sandbox", "--qr")
    try:
        phone = running.wait_for(r"^Sandbox: play the phone at (\S+)").group(1)
        assert httpx.get(phone).status_code == 200
        base = phone.split("/sandbox/phone")[0]
        qr_url = running.wait_for(r"^QR code URL: (aweme://\S+)").group(1)
        assert httpx.post(base + "/sandbox/phone/confirm", data={"url": qr_url}).json() == {"status": "confirmed"}
        result = running.finish()
    finally:
        running.kill()
    assert result.returncode == 0, result.stderr


# ------------------------------------------------------------------------------ refresh
def test_refresh_saves_the_rotated_refresh_token(pytok: Pytok, sandbox: Sandbox, tmp_path: Path) -> None:
    store = tmp_path / "tokens.json"
    old = seed_token(sandbox, store)
    result = pytok.run(*sandbox_flags(sandbox, store), "refresh")
    assert result.returncode == 0, result.stderr
    new = TokenStore(store).get(sandbox.client_key)
    assert new.refresh_token != old.refresh_token and new.access_token != old.access_token
    assert sandbox.is_alive(new.refresh_token) and not sandbox.is_alive(old.refresh_token)
    assert f"Refreshed the token of open_id {old.open_id}." in result.stdout
    assert_no_secret(result.stdout + result.stderr, new.access_token, new.refresh_token)


def test_refresh_is_saved_before_anything_else(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Even when the command fails right after TikTok answered, the new refresh token is on disk."""
    from pytok_sm import cli
    from pytok_sm.cli import account as cli_account

    store = tmp_path / "tokens.json"
    old = seed_token(sandbox, store)

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("output failed")

    monkeypatch.setattr(cli_account, "describe_token", broken)
    assert cli.main([*sandbox_flags(sandbox, store), "refresh"]) == 1
    new = TokenStore(store).get(sandbox.client_key)
    assert new.refresh_token != old.refresh_token and sandbox.is_alive(new.refresh_token)


def test_refresh_with_a_dead_refresh_token_is_not_logged_in(pytok: Pytok, sandbox: Sandbox, tmp_path: Path) -> None:
    store = tmp_path / "tokens.json"
    token = seed_token(sandbox, store)
    sandbox.kill_token(token.refresh_token)
    result = pytok.run(*sandbox_flags(sandbox, store), "refresh")
    assert result.returncode == 3
    assert_one_line_error(result.stderr, "invalid_grant", "log in again")
    assert LOG_ID.search(result.stderr)
    assert TokenStore(store).get(sandbox.client_key) == token  # nothing half-written


def test_refresh_with_a_wrong_secret_is_exit_1_with_log_id(pytok: Pytok, sandbox: Sandbox, tmp_path: Path) -> None:
    store = tmp_path / "tokens.json"
    seed_token(sandbox, store)
    flags = sandbox_flags(sandbox, store)
    flags[flags.index("--client-secret") + 1] = "not-the-secret"
    result = pytok.run(*flags, "refresh")
    assert result.returncode == 1
    assert_one_line_error(result.stderr, "invalid_client")
    assert LOG_ID.search(result.stderr)


def test_unreachable_tiktok_is_one_line_exit_1(pytok: Pytok, sandbox: Sandbox, tmp_path: Path) -> None:
    from .helpers import free_port

    store = tmp_path / "tokens.json"
    seed_token(sandbox, store)
    flags = sandbox_flags(sandbox, store)
    flags[flags.index("--base-api-url") + 1] = f"http://127.0.0.1:{free_port()}/v2/"
    result = pytok.run(*flags, "refresh", timeout=120)
    assert result.returncode == 1
    assert_one_line_error(result.stderr, "check the network")


# ------------------------------------------------------------------------------ whoami
def test_whoami(pytok: Pytok, sandbox: Sandbox, tmp_path: Path) -> None:
    store = tmp_path / "tokens.json"
    seed_token(sandbox, store)
    result = pytok.run(*sandbox_flags(sandbox, store), "whoami")
    assert result.returncode == 0, result.stderr
    assert re.search(r"^display_name:\s+Sandbox Creator$", result.stdout, re.M)
    assert re.search(r"^open_id:\s+\S+", result.stdout, re.M)


def test_whoami_fields_and_json(pytok: Pytok, sandbox: Sandbox, tmp_path: Path) -> None:
    store = tmp_path / "tokens.json"
    seed_token(sandbox, store, scopes=("user.info.basic", "user.info.stats"))
    result = pytok.run(*sandbox_flags(sandbox, store), "whoami", "--fields", "display_name,follower_count", "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert set(info) == {"display_name", "follower_count"}


def test_whoami_without_the_scope_is_exit_1_with_log_id(pytok: Pytok, sandbox: Sandbox, tmp_path: Path) -> None:
    store = tmp_path / "tokens.json"
    seed_token(sandbox, store)
    result = pytok.run(*sandbox_flags(sandbox, store), "whoami", "--fields", "follower_count")
    assert result.returncode == 1
    assert_one_line_error(result.stderr, "scope_permission_missed")
    assert LOG_ID.search(result.stderr)


def test_whoami_refreshes_an_expired_token_and_saves_it(pytok: Pytok, sandbox: Sandbox, tmp_path: Path) -> None:
    store = tmp_path / "tokens.json"
    old = seed_token(sandbox, store, expires_in=0)
    result = pytok.run(*sandbox_flags(sandbox, store), "whoami")
    assert result.returncode == 0, result.stderr
    new = TokenStore(store).get(sandbox.client_key)
    assert new.refresh_token != old.refresh_token and sandbox.is_alive(new.access_token)


# ------------------------------------------------------------------------------ revoke
def test_revoke_removes_the_entry(pytok: Pytok, sandbox: Sandbox, tmp_path: Path) -> None:
    store = tmp_path / "tokens.json"
    token = seed_token(sandbox, store)
    result = pytok.run(*sandbox_flags(sandbox, store), "revoke")
    assert result.returncode == 0, result.stderr
    assert not sandbox.is_alive(token.access_token)
    assert TokenStore(store).get(sandbox.client_key) is None
    assert "Revoked the token of open_id" in result.stdout
    again = pytok.run(*sandbox_flags(sandbox, store), "revoke")
    assert again.returncode == 3


def test_revoke_picks_an_account_with_open_id(pytok: Pytok, sandbox: Sandbox, tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "tokens.json")
    seed_token(sandbox, store.path)
    from pytok_sm._token import Token

    other = Token(access_token="act.other", expires_at=2e9, open_id="someone-else", refresh_token="rft.other")
    store.save(sandbox.client_key, other, make_current=False)
    result = pytok.run(*sandbox_flags(sandbox, store.path), "revoke", "--open-id", "someone-else")
    assert result.returncode == 0, result.stderr  # the sandbox answers success for an unknown token
    assert store.accounts(sandbox.client_key) == [sandbox.user.open_id]


# ------------------------------------------------------------------------------ token
def test_token_is_masked_by_default_and_whole_with_json(pytok: Pytok, sandbox: Sandbox, tmp_path: Path) -> None:
    store = tmp_path / "tokens.json"
    token = seed_token(sandbox, store)
    masked = pytok.run("--store", str(store), "--client-key", sandbox.client_key, "token")
    assert masked.returncode == 0
    assert_no_secret(masked.stdout + masked.stderr, token.access_token, token.refresh_token)
    assert re.search(r"^access token:\s+act\.… \(expires in 1:59:\d\d\)$", masked.stdout, re.M), masked.stdout
    assert re.search(r"^refresh token:\s+rft\.… \(expires in 1\d\d days\)$", masked.stdout, re.M)
    assert f"open_id:        {token.open_id}" in masked.stdout
    whole = pytok.run("--store", str(store), "--client-key", sandbox.client_key, "token", "--json")
    assert whole.returncode == 0
    data = json.loads(whole.stdout)
    assert data["access_token"] == token.access_token and data["refresh_token"] == token.refresh_token
    from pytok_sm._kit import LoginKit

    with LoginKit(sandbox.client_key, "s") as kit:
        assert kit.load_token(data) == token  # scripts can hand it to LoginKit


# ------------------------------------------------------------------------------ pytok sandbox
def test_pytok_sandbox_serves_until_interrupted(pytok: Pytok) -> None:
    import signal

    from .helpers import free_port

    port = free_port()
    running = pytok.start("sandbox", "--port", str(port), "--qr-lifetime", "30")
    try:
        running.wait_for(rf"listening on http://127\.0\.0\.1:{port}")
        answer = httpx.post(
            f"http://127.0.0.1:{port}/v2/oauth/token/",
            data={"client_key": "nobody", "client_secret": "x", "grant_type": "client_credentials"},
        )
        assert answer.json()["error"] == "invalid_client"
        running.process.send_signal(signal.SIGINT)
        result = running.finish()
    finally:
        running.kill()
    assert result.returncode == 0
    assert "sandbox stopped" in result.stdout


def test_pytok_sandbox_passes_unknown_options_to_the_sandbox(pytok: Pytok) -> None:
    result = pytok.run("sandbox", "--no-such-option")
    assert result.returncode == 2
    assert "--no-such-option" in result.stderr


# ------------------------------------------------------------------------------ more endings
def test_a_busy_port_is_a_clear_error_before_any_url_is_shown(pytok: Pytok, sandbox: Sandbox, tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = pytok.run(*sandbox_flags(sandbox, tmp_path / "t.json"), "login", "--no-browser", "--port", str(port))
    assert result.returncode == 1
    assert_one_line_error(result.stderr, f"port {port} on 127.0.0.1 is already in use")


def test_ctrl_c_during_a_qr_login_exits_130(pytok: Pytok, sandbox: Sandbox, tmp_path: Path) -> None:
    import signal

    running = pytok.start(*sandbox_flags(sandbox, tmp_path / "t.json"), "login", "--qr")
    try:
        running.wait_for(r"^QR code status: new")
        running.process.send_signal(signal.SIGINT)
        result = running.finish()
    finally:
        running.kill()
    assert result.returncode == 130
    assert result.stderr.strip().splitlines()[-1] == "pytok: cancelled (Ctrl+C)"


def test_default_login_opens_the_browser_and_does_not_print_the_url(pytok: Pytok, sandbox: Sandbox, tmp_path: Path) -> None:
    """$BROWSER stands in for the person's browser (webbrowser honours it)."""
    opened = tmp_path / "opened-url"
    script = tmp_path / "browser.sh"
    script.write_text(f'#!/bin/sh\nprintf "%s" "$1" > "{opened}"\n')
    script.chmod(0o755)
    running = pytok.start(*sandbox_flags(sandbox, tmp_path / "t.json"), "login", "--port", "0", env={"BROWSER": str(script)})
    try:
        running.wait_for(r"^Opened TikTok's authorize page in your browser")
        url = opened.read_text()
        assert url.startswith(sandbox.authorization_url + "?")
        FakeBrowser("approve", background=False)(url)
        result = running.finish()
    finally:
        running.kill()
    assert result.returncode == 0, result.stderr
    assert url not in result.stderr and "Open this URL" not in result.stderr


def test_refresh_without_a_refresh_token_is_not_logged_in(pytok: Pytok, sandbox: Sandbox, tmp_path: Path) -> None:
    from pytok_sm._token import Token

    store = TokenStore(tmp_path / "tokens.json")
    store.save(sandbox.client_key, Token(access_token="act.only", expires_at=2e9, open_id="u1"))
    result = pytok.run(*sandbox_flags(sandbox, store.path), "refresh")
    assert result.returncode == 3
    assert_one_line_error(result.stderr, "not logged in (no refresh token is held); run pytok login first")
