"""The token file (pytok_sm.cli.token_file) per docs/ROBUSTNESS.md: location, modes, atomicity, corruption."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from pytok_sm._token import Token
from pytok_sm.cli.token_file import SCHEMA_VERSION, TokenStore, TokenStoreError, default_path

from .helpers import Pytok
from .test_cli_usage import assert_one_line_error


def token(open_id: str = "u1", access: str = "act.access-1", refresh: str = "rft.refresh-1") -> Token:
    return Token(
        access_token=access, expires_at=time.time() + 3600, open_id=open_id, refresh_token=refresh,
        refresh_expires_at=time.time() + 86400, scopes=frozenset({"user.info.basic"}),
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def write_private(path: Path, text: str) -> None:
    """A file as a careful user would have it (0600 in a 0700 directory)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.write_text(text)
    os.chmod(path, 0o600)


# ------------------------------------------------------------------------------ location
def test_default_path_follows_xdg_config_home(tmp_path: Path) -> None:
    assert default_path({"XDG_CONFIG_HOME": str(tmp_path)}) == tmp_path / "pytok" / "tokens.json"


def test_default_path_falls_back_to_dot_config(tmp_path: Path) -> None:
    expected = tmp_path / ".config" / "pytok" / "tokens.json"
    assert default_path({"HOME": str(tmp_path)}) == expected
    assert default_path({"HOME": str(tmp_path), "XDG_CONFIG_HOME": ""}) == expected
    assert default_path({"HOME": str(tmp_path), "XDG_CONFIG_HOME": "not/absolute"}) == expected


def test_the_cli_writes_under_xdg_config_home_and_falls_back_to_home(pytok: Pytok, tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "config" / "pytok" / "tokens.json")
    store.save("aw_k", token())
    assert pytok.run("token", "--client-key", "aw_k").returncode == 0
    result = pytok.run("token", "--client-key", "aw_k", env={"XDG_CONFIG_HOME": ""})
    assert result.returncode == 3  # XDG_CONFIG_HOME empty: ~/.config, which has no token
    assert str(tmp_path / "home" / ".config" / "pytok" / "tokens.json") in result.stderr


# ------------------------------------------------------------------------------ content
def test_one_entry_per_client_key_and_open_id_with_a_current_one(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "tokens.json")
    store.save("app1", token("alice"))
    store.save("app1", token("bob"))
    store.save("app2", token("alice", access="act.other-app"))
    assert store.get("app1").open_id == "bob"  # the last login is current
    assert store.get("app1", "alice").open_id == "alice"
    assert store.get("app2").access_token == "act.other-app"
    assert store.accounts("app1") == ["bob", "alice"]
    document = json.loads(store.path.read_text())
    assert document["schema_version"] == SCHEMA_VERSION
    assert document["clients"]["app1"]["current"] == "bob"
    assert set(document["clients"]["app1"]["accounts"]) == {"alice", "bob"}


def test_saving_without_make_current_keeps_the_current_entry(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "tokens.json")
    store.save("app", token("alice"))
    store.save("app", token("bob"))
    store.save("app", token("alice", access="act.refreshed"), make_current=False)
    assert store.get("app").open_id == "bob"
    assert store.get("app", "alice").access_token == "act.refreshed"


def test_remove_moves_current_to_another_account_and_drops_empty_clients(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "tokens.json")
    store.save("app", token("alice"))
    store.save("app", token("bob"))
    assert store.remove("app", "bob") is True
    assert store.get("app").open_id == "alice"
    assert store.remove("app", "bob") is False
    assert store.remove("app", "alice") is True
    assert json.loads(store.path.read_text())["clients"] == {}


def test_removing_from_a_missing_file_creates_nothing(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "tokens.json")
    assert store.remove("app", "u1") is False
    assert not store.path.exists()


# ------------------------------------------------------------------------------ permissions
def test_new_file_is_0600_and_new_directory_0700(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        store = TokenStore(tmp_path / "deep" / "pytok" / "tokens.json")
        store.save("app", token())
    finally:
        os.umask(old)
    assert mode(store.path) == 0o600
    assert mode(store.path.parent) == 0o700
    assert mode(store.lock_path) == 0o600


def test_the_cli_creates_the_default_file_0600_in_a_0700_directory(tmp_path: Path, sandbox, pytok: Pytok) -> None:
    from .helpers import seed_token

    seed_token(sandbox, pytok.default_store)  # the same code path as login's on_token
    result = pytok.run(
        "--client-key", sandbox.client_key, "--client-secret", sandbox.client_secret,
        "--base-api-url", sandbox.base_api_url, "refresh",
    )
    assert result.returncode == 0, result.stderr
    assert mode(pytok.default_store) == 0o600
    assert mode(pytok.default_store.parent) == 0o700


def test_loose_permissions_are_repaired_on_load_with_a_warning(tmp_path: Path) -> None:
    warnings: list[str] = []
    store = TokenStore(tmp_path / "pytok" / "tokens.json", warn=warnings.append, private_dir=True)
    store.save("app", token())
    os.chmod(store.path, 0o644)
    os.chmod(store.path.parent, 0o755)
    from pytok_sm.testing import capture_transitions

    with capture_transitions(all_events=True) as events:
        assert store.get("app") is not None
    assert mode(store.path) == 0o600 and mode(store.path.parent) == 0o700
    assert len(warnings) == 2 and "0644" in " ".join(warnings) and "0755" in " ".join(warnings)
    assert [e["event"] for e in events].count("token_store_permissions_repaired") == 2


def test_a_custom_store_directory_keeps_its_mode(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    store = TokenStore(shared / "tokens.json")  # --store PATH: never chmod someone's directory
    store.save("app", token())
    store.load()
    assert mode(shared) == 0o755
    assert mode(store.path) == 0o600


def test_the_cli_prints_the_repair_warning(pytok: Pytok) -> None:
    store = TokenStore(pytok.default_store)
    store.save("aw_k", token())
    os.chmod(store.path, 0o664)
    result = pytok.run("token", "--client-key", "aw_k")
    assert result.returncode == 0
    assert "pytok: warning:" in result.stderr and "0664" in result.stderr and "0600" in result.stderr
    assert mode(store.path) == 0o600


# ------------------------------------------------------------------------------ atomicity
WRITER = textwrap.dedent(
    """
    import os, sys, time
    from pytok_sm.cli import token_file as store_module
    from pytok_sm.cli.token_file import TokenStore
    from pytok_sm._token import Token

    real_replace = os.replace

    def paused_replace(src, dst):
        # The new content is written and fsynced; die here, before the rename.
        with open(sys.argv[2], "w") as marker:
            marker.write(src)
        time.sleep(60)
        real_replace(src, dst)

    store_module.os.replace = paused_replace
    TokenStore(sys.argv[1]).save("app", Token(access_token="act.NEW", expires_at=2e9, open_id="u1"))
    """
)


def test_kill_9_before_the_rename_leaves_the_old_file_intact(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    store = TokenStore(path)
    store.save("app", token(access="act.OLD"))
    before = path.read_bytes()
    marker = tmp_path / "marker"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(marker)])
    try:
        deadline = time.monotonic() + 30
        while not marker.exists() or not marker.read_text():
            assert time.monotonic() < deadline, "the writer never reached os.replace"
            assert writer.poll() is None
            time.sleep(0.02)
        temp = Path(marker.read_text())
        assert temp.parent == path.parent and temp.name.startswith(".tokens.json.")
        assert b"act.NEW" in temp.read_bytes() and mode(temp) == 0o600  # fully written, private
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(10)
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait(10)
    assert path.read_bytes() == before
    assert store.get("app").access_token == "act.OLD"
    # The next writer (holding the lock, so no writer is live) removes the dead one's temp file.
    store.save("app", token(open_id="u2"))
    assert not temp.exists()
    assert store.get("app", "u1").access_token == "act.OLD"


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = TokenStore(tmp_path / "tokens.json")
    store.save("app", token(access="act.OLD"))
    before = store.path.read_bytes()

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("pytok_sm.cli.token_file.os.fsync", broken_fsync)
    with pytest.raises(OSError):
        store.save("app", token(access="act.NEW"))
    monkeypatch.undo()
    assert store.path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tokens.json", "tokens.json.lock"]


CONCURRENT = textwrap.dedent(
    """
    import sys
    from pytok_sm.cli.token_file import TokenStore
    from pytok_sm._token import Token
    store = TokenStore(sys.argv[1])
    for i in range(25):
        store.save("app", Token(access_token=f"act.{sys.argv[2]}{i}", expires_at=2e9, open_id=f"{sys.argv[2]}{i}"))
    """
)


def test_concurrent_writers_lose_no_update(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    writers = [subprocess.Popen([sys.executable, "-c", CONCURRENT, str(path), name]) for name in ("a", "b", "c")]
    for writer in writers:
        assert writer.wait(60) == 0
    assert len(TokenStore(path).accounts("app")) == 75


# ------------------------------------------------------------------------------ bad files
@pytest.mark.parametrize(
    "content, fragment",
    [
        (b"{not json", "is not valid JSON (line 1)"),
        (b"", "is not valid JSON"),
        (b"\xff\xfe garbage", "is not valid JSON"),
        (b"[1, 2]", "no schema_version"),
        (b'{"clients": {}}', "no schema_version"),
        (b'{"schema_version": 1, "clients": {"app": {"accounts": []}}}', "damaged"),
        (b'{"schema_version": 1, "clients": {"app": {"current": "x", "accounts": {}}}}', "damaged"),
        (b'{"schema_version": 1, "clients": {"app": {"current": null, "accounts": {"u": {"token": {"x": 1}}}}}}', "unreadable token"),
    ],
)
def test_a_corrupt_file_is_a_clear_error_and_is_not_touched(tmp_path: Path, content: bytes, fragment: str) -> None:
    path = tmp_path / "tokens.json"
    path.write_bytes(content)
    store = TokenStore(path)
    with pytest.raises(TokenStoreError) as caught:
        store.get("app")
    assert fragment in str(caught.value) and str(path) in str(caught.value)
    assert "--move-corrupt-store" in str(caught.value) and caught.value.corrupt
    with pytest.raises(TokenStoreError):
        store.save("app", token())
    assert path.read_bytes() == content


def test_a_foreign_schema_says_so(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text('{"schema_version": 2, "accounts": []}')
    with pytest.raises(TokenStoreError, match="schema_version 2 but this pytok reads 1"):
        TokenStore(path).load()
    assert path.read_text() == '{"schema_version": 2, "accounts": []}'


def test_the_cli_fails_on_a_corrupt_file_with_exit_2_and_keeps_it(pytok: Pytok) -> None:
    write_private(pytok.default_store, "{oops")
    result = pytok.run("token", "--client-key", "aw_k")
    assert result.returncode == 2
    assert_one_line_error(result.stderr, str(pytok.default_store), "not valid JSON", "--move-corrupt-store")
    assert pytok.default_store.read_text() == "{oops"


def test_login_with_a_corrupt_file_fails_before_any_flow_starts(pytok: Pytok) -> None:
    write_private(pytok.default_store, "{oops")
    result = pytok.run("login", "--no-browser", "--port", "0", env={"PYTOK_CLIENT_KEY": "k", "PYTOK_CLIENT_SECRET": "s"})
    assert result.returncode == 2
    assert "Open this URL" not in result.stderr
    assert_one_line_error(result.stderr, "not valid JSON")


def test_move_corrupt_store_keeps_a_backup_and_starts_empty(pytok: Pytok) -> None:
    write_private(pytok.default_store, "{oops")
    result = pytok.run("--move-corrupt-store", "token", "--client-key", "aw_k")
    assert result.returncode == 3  # now simply not logged in
    assert "pytok: warning: moved the unreadable token file to" in result.stderr
    backups = list(pytok.default_store.parent.glob("tokens.json.corrupt-*"))
    assert len(backups) == 1 and backups[0].read_text() == "{oops"
    assert not pytok.default_store.exists()
