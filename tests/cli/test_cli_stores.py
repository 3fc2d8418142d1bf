"""``pytok`` over the token-store protocol, run as real subprocesses against the sandbox.

Two ``pytok refresh`` at once make one rotation and both succeed; a refresh never loses the
rotated token, however long another process holds the token file's lock (the lease is taken
before anything is sent; a write that still fails leaves a rescue file that ``pytok token
--import`` restores); ``pytok accounts`` and ``pytok refresh-due`` list and keep many
accounts; ``--store`` takes a JSON token file, a SQLite file or ``sqlite:///``, and
``redis://`` (its password never printed). Token files written before versions and states
existed are read as version 1 (and a ``refused`` entry as ``reauth_required``).
"""

from __future__ import annotations

import json
import re
import stat
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from pytok_sm._token import Token
from pytok_sm.cli.token_file import TokenStore
from pytok_sm.sandbox import Sandbox
from pytok_sm.stores import RedisStore, SQLiteStore
from tests.stores.helpers import RedisServer

from ..conftest import need_redis
from .helpers import Pytok, sandbox_flags

#: Holds the token file's lock (as another pytok writing would) for argv[2] seconds.
HOLD_LOCK = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


def seed(sandbox: Sandbox, store: Path, open_id: str | None = None, **changes: Any) -> Token:
    """Log an account in without HTTP and write it into the token file, as pytok login would."""
    token = Token.from_dict({**sandbox.issue_tokens(["user.info.basic"], open_id=open_id), **changes})
    TokenStore(store).save(sandbox.client_key, token)
    return token


def issued(sandbox: Sandbox, open_id: str | None = None, **changes: Any) -> Token:
    return Token.from_dict({**sandbox.issue_tokens(["user.info.basic"], open_id=open_id), **changes})


def hold_lock(store: Path, seconds: float) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(store.with_name(store.name + ".lock")), str(seconds)],
        stdout=subprocess.PIPE, text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.kill()
    process.wait(10)


def entry(store: Path, client_key: str, open_id: str) -> dict[str, Any]:
    return dict(json.loads(store.read_text())["clients"][client_key]["accounts"][open_id])


def no_secret(text: str, *secrets: str | None) -> None:
    for secret in secrets:
        assert not secret or secret not in text


# ------------------------------------------------------------------------------ one rotation, never lost
@pytest.mark.parametrize("kind", ["json", "sqlite"])
def test_two_refreshes_at_once_both_succeed_with_one_rotation(
    pytok: Pytok, sandbox: Sandbox, tmp_path: Path, kind: str
) -> None:
    if kind == "json":
        store, spec = tmp_path / "tokens.json", str(tmp_path / "tokens.json")
        old = seed(sandbox, store)
    else:
        store, spec = tmp_path / "private" / "tokens.db", f"sqlite:///{tmp_path / 'private' / 'tokens.db'}"
        old = issued(sandbox)
        with SQLiteStore(store) as db:
            db.put(sandbox.client_key, old)
    sandbox.faults.add("token", "delay", seconds=3.0, times=2)  # both are in flight together
    flags = [*sandbox_flags(sandbox, tmp_path / "unused.json"), "--store", spec]
    runs = [pytok.start(*flags, "refresh") for _ in range(2)]
    try:
        results = [run.finish(timeout=90) for run in runs]
    finally:
        for run in runs:
            run.kill()
    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    assert sandbox.count("token") == 1  # one rotation at TikTok: the second pytok adopted it
    if kind == "json":
        live = TokenStore(store).get(sandbox.client_key)
    else:
        with SQLiteStore(store) as db:
            account = db.get(sandbox.client_key, old.open_id or "")
            assert account is not None and account.version == 2
            live = account.token
    assert live is not None and live.refresh_token != old.refresh_token
    assert sandbox.is_alive(live.refresh_token or "") and not sandbox.is_alive(old.refresh_token or "")
    for result in results:
        assert f"Refreshed the token of open_id {old.open_id}." in result.stdout
        no_secret(result.stdout + result.stderr, live.access_token, live.refresh_token)


def test_refresh_while_another_process_holds_the_lock_sends_nothing_and_keeps_the_token(
    pytok: Pytok, sandbox: Sandbox, tmp_path: Path
) -> None:
    store = tmp_path / "tokens.json"
    old = seed(sandbox, store)
    holder = hold_lock(store, 14)
    try:
        result = pytok.run(*sandbox_flags(sandbox, store), "refresh", timeout=90)
    finally:
        stop(holder)
    stored = TokenStore(store).get(sandbox.client_key)
    assert stored is not None
    # Never lost: the token in the file still works at TikTok (nothing was sent without the lease).
    assert sandbox.is_alive(stored.refresh_token or ""), (result.returncode, result.stderr)
    assert sandbox.count("token") == 0 and stored == old
    assert result.returncode == 2 and "is locked by another pytok" in result.stderr
    again = pytok.run(*sandbox_flags(sandbox, store), "refresh")
    assert again.returncode == 0, again.stderr


def test_a_rotation_the_store_cannot_take_is_rescued_and_imported(pytok: Pytok, sandbox: Sandbox, tmp_path: Path) -> None:
    store = tmp_path / "tokens.json"
    old = seed(sandbox, store)
    sandbox.faults.add("token", "delay", seconds=4.0)
    running = pytok.start(*sandbox_flags(sandbox, store), "refresh")
    try:
        deadline = time.monotonic() + 30
        while sandbox.faults.pending("token"):  # the refresh request has reached TikTok
            assert time.monotonic() < deadline and running.process.poll() is None, "".join(running.err)
            time.sleep(0.02)
        holder = hold_lock(store, 20)  # another process takes the lock for longer than pytok waits
        try:
            result = running.finish(timeout=90)
        finally:
            stop(holder)
    finally:
        running.kill()
    assert sandbox.count("token") == 1 and not sandbox.is_alive(old.refresh_token or "")
    live = [t.value for t in sandbox.tokens("refresh", alive=True)]
    stored = TokenStore(store).get(sandbox.client_key)
    found = re.search(r"pytok token --import (\S+)", result.stderr)
    # Never lost: the live refresh token is in the store, or in the rescue file the error names.
    assert (stored is not None and stored.refresh_token in live) or found, (result.returncode, result.stderr)
    assert result.returncode == 1 and found is not None, result.stderr
    rescue = Path(found.group(1))
    assert rescue.parent == store.parent and stat.S_IMODE(rescue.stat().st_mode) == 0o600
    assert json.loads(rescue.read_text())["token"]["refresh_token"] in live
    no_secret(result.stdout + result.stderr, *live)
    restored = pytok.run(*sandbox_flags(sandbox, store), "token", "--import", str(rescue))
    assert restored.returncode == 0, restored.stderr
    assert not rescue.exists()  # it held secrets: gone once they are in the store
    now = TokenStore(store).get(sandbox.client_key)
    assert now is not None and now.refresh_token in live
    assert pytok.run(*sandbox_flags(sandbox, store), "refresh").returncode == 0


# ------------------------------------------------------------------------------ pytok accounts
def test_accounts_lists_states_expiries_and_the_current_one(pytok: Pytok, sandbox: Sandbox, tmp_path: Path) -> None:
    store = tmp_path / "tokens.json"
    seed(sandbox, store, "acct-gone")
    seed(sandbox, store, "acct-refused")
    TokenStore(store).mark_refused(sandbox.client_key, "acct-refused", "invalid_grant")
    document = json.loads(store.read_text())
    document["clients"][sandbox.client_key]["accounts"]["acct-gone"].update(state="removed", reason="revoked")
    store.write_text(json.dumps(document))
    seed(sandbox, store, "acct-live", expires_in=600)  # the last login: current
    flags = ["--store", str(store), "--client-key", sandbox.client_key]
    result = pytok.run(*flags, "accounts")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    live = next(line for line in lines if "acct-live" in line)
    assert live.startswith("*") and "active" in live and re.search(r"expires in \d+:\d\d\s.*days", live), live
    refused = next(line for line in lines if "acct-refused" in line)
    assert not refused.startswith("*") and "reauth_required" in refused and "invalid_grant" in refused
    assert "removed" in next(line for line in lines if "acct-gone" in line)
    data = json.loads(pytok.run(*flags, "accounts", "--json").stdout)
    by_id = {a["open_id"]: a for a in data["accounts"]}
    assert set(by_id) == {"acct-gone", "acct-live", "acct-refused"}
    assert by_id["acct-live"]["current"] is True and by_id["acct-refused"]["state"] == "reauth_required"
    assert by_id["acct-refused"]["reason"] == "invalid_grant" and by_id["acct-gone"]["reason"] == "revoked"
    assert by_id["acct-live"]["access_expires_at"] > time.time() and "access_token" not in by_id["acct-live"]
    no_secret(result.stdout, *(Token.from_dict(e["token"]).refresh_token for e in
                               json.loads(store.read_text())["clients"][sandbox.client_key]["accounts"].values()))


def test_a_token_file_of_before_versions_is_read_as_version_1(pytok: Pytok, sandbox: Sandbox, tmp_path: Path) -> None:
    store = tmp_path / "tokens.json"
    ok, refused = issued(sandbox, "acct-ok"), issued(sandbox, "acct-refused")
    old_layout = {"schema_version": 1, "clients": {sandbox.client_key: {"current": "acct-ok", "accounts": {
        "acct-ok": {"token": ok.to_dict(), "saved_at": 1_700_000_000.0},
        "acct-refused": {"token": refused.to_dict(), "saved_at": 1_700_000_000.0,
                         "refused": {"reason": "invalid_grant", "at": 1_700_000_100.0}},
    }}}}
    store.write_text(json.dumps(old_layout))
    store.chmod(0o600)
    flags = [*sandbox_flags(sandbox, store)]
    listed = json.loads(pytok.run(*flags, "accounts", "--json").stdout)
    by_id = {a["open_id"]: a for a in listed["accounts"]}
    assert (by_id["acct-ok"]["version"], by_id["acct-ok"]["state"]) == (1, "active")
    assert (by_id["acct-refused"]["version"], by_id["acct-refused"]["state"]) == (1, "reauth_required")
    assert pytok.run(*flags, "refresh").returncode == 0
    assert entry(store, sandbox.client_key, "acct-ok")["version"] == 2
    refused_run = pytok.run(*flags, "refresh", "--open-id", "acct-refused")
    assert refused_run.returncode == 3 and "TikTok refused the stored token" in refused_run.stderr
    assert sandbox.count("token") == 1


# ------------------------------------------------------------------------------ pytok refresh-due
def test_refresh_due_refreshes_what_is_due_and_reports_the_rest(pytok: Pytok, sandbox: Sandbox, tmp_path: Path) -> None:
    store = tmp_path / "tokens.json"
    due = seed(sandbox, store, "acct-due", expires_in=300)
    fresh = seed(sandbox, store, "acct-fresh")  # 2 hours left
    dead = seed(sandbox, store, "acct-dead", expires_in=300)
    sandbox.kill_token(dead.refresh_token or "")
    flags = sandbox_flags(sandbox, store)
    result = pytok.run(*flags, "refresh-due", "--within", "30m")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "refreshed acct-due" in lines and "unchanged acct-fresh" in lines
    assert any(line.startswith("reauth_required acct-dead: ") and "invalid_grant" in line for line in lines)
    assert lines[-1] == "1 refreshed, 1 unchanged, 1 need a new login, 0 failed"
    assert sandbox.count("token") == 2
    now = TokenStore(store).get(sandbox.client_key, "acct-due")
    assert now is not None and now.refresh_token != due.refresh_token and sandbox.is_alive(now.refresh_token or "")
    assert TokenStore(store).get(sandbox.client_key, "acct-fresh") == fresh
    assert entry(store, sandbox.client_key, "acct-dead")["state"] == "reauth_required"
    no_secret(result.stdout + result.stderr, now.access_token, now.refresh_token)
    again = pytok.run(*flags, "refresh-due", "--within", "90s")  # nothing is due any more
    assert again.returncode == 0 and again.stdout.splitlines()[-1] == "0 refreshed, 2 unchanged, 1 need a new login, 0 failed"
    assert sandbox.count("token") == 2
    whole = json.loads(pytok.run(*flags, "refresh-due", "--within", "1d", "--json").stdout)
    assert sorted(whole["refreshed"]) == ["acct-due", "acct-fresh"] and list(whole["reauth_required"]) == ["acct-dead"]


def test_refresh_due_exits_1_when_one_failed_and_3_when_every_account_needs_a_login(
    pytok: Pytok, sandbox: Sandbox, tmp_path: Path
) -> None:
    store = tmp_path / "tokens.json"
    due = seed(sandbox, store, "acct-due", expires_in=60)
    sandbox.faults.add("token", "html_5xx", status=502)
    failed = pytok.run(*sandbox_flags(sandbox, store), "refresh-due")  # default: within 1h
    assert failed.returncode == 1, failed.stderr
    assert any(line.startswith("failed acct-due: ") for line in failed.stdout.splitlines()), failed.stdout
    assert failed.stdout.splitlines()[-1] == "0 refreshed, 0 unchanged, 0 need a new login, 1 failed"
    assert TokenStore(store).get(sandbox.client_key, "acct-due") == due and sandbox.is_alive(due.refresh_token or "")
    sandbox.kill_token(due.refresh_token or "")
    dead = pytok.run(*sandbox_flags(sandbox, store), "refresh-due")
    assert dead.returncode == 3, dead.stderr
    assert dead.stdout.splitlines()[-1] == "0 refreshed, 0 unchanged, 1 need a new login, 0 failed"
    empty = pytok.run(*sandbox_flags(sandbox, tmp_path / "empty.json"), "refresh-due")
    assert empty.returncode == 3 and "no accounts" in empty.stderr


@pytest.mark.parametrize("within", ["2x", "-1h", "", "h", "401d"])
def test_refresh_due_refuses_a_bad_duration(pytok: Pytok, within: str) -> None:
    result = pytok.run("refresh-due", "--client-key", "aw_k", f"--within={within}")
    assert result.returncode == 2 and "90s, 30m, 2h or 1d" in result.stderr


def test_refresh_due_help_documents_the_exit_codes(pytok: Pytok) -> None:
    text = " ".join(pytok.run("refresh-due", "--help").stdout.split())
    assert "--within" in text and "cron" in text
    assert "0 when nothing failed" in text and "1 when" in text and "3 when" in text


# ------------------------------------------------------------------------------ --store
def test_store_sqlite_url_and_db_path(pytok: Pytok, sandbox: Sandbox, tmp_path: Path) -> None:
    database = tmp_path / "private" / "tokens.db"
    old = issued(sandbox)
    with SQLiteStore(database) as db:
        db.put(sandbox.client_key, old)
    flags = [*sandbox_flags(sandbox, tmp_path / "unused.json"), "--store", f"sqlite:///{database}"]
    refreshed = pytok.run(*flags, "refresh")
    assert refreshed.returncode == 0, refreshed.stderr
    assert not (tmp_path / "unused.json").exists() and not (tmp_path / "sqlite:").exists()
    with SQLiteStore(database) as db:
        account = db.get(sandbox.client_key, old.open_id or "")
    assert account is not None and account.version == 2 and sandbox.is_alive(account.token.refresh_token or "")
    whoami = pytok.run(*flags, "whoami")
    assert whoami.returncode == 0 and "Sandbox Creator" in whoami.stdout, whoami.stderr
    listed = pytok.run(*flags, "accounts")
    assert listed.returncode == 0 and old.open_id in listed.stdout and "active" in listed.stdout
    plain = pytok.run(*sandbox_flags(sandbox, database), "token")  # a path ending in .db is SQLite too
    assert plain.returncode == 0 and f"open_id:        {old.open_id}" in plain.stdout, plain.stderr


def test_store_redis_url(pytok: Pytok, sandbox: Sandbox, tmp_path: Path, redis_server: RedisServer) -> None:
    prefix = f"cli{uuid.uuid4().hex[:10]}"
    old = issued(sandbox)
    with RedisStore.from_url(redis_server.url, prefix=prefix) as redis:
        redis.put(sandbox.client_key, old)
    flags = [*sandbox_flags(sandbox, tmp_path / "unused.json"), "--store", f"{redis_server.url}?prefix={prefix}"]
    runs = [pytok.start(*flags, "refresh") for _ in range(2)]
    results = [run.finish(timeout=90) for run in runs]
    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    with RedisStore.from_url(redis_server.url, prefix=prefix) as redis:
        account = redis.get(sandbox.client_key, old.open_id or "")
    assert account is not None and sandbox.is_alive(account.token.refresh_token or "")
    due = pytok.run(*flags, "refresh-due", "--within", "1d")
    assert due.returncode == 0 and due.stdout.splitlines()[-1].startswith("1 refreshed"), due.stderr


def test_a_redis_password_is_never_printed(pytok: Pytok, sandbox: Sandbox, tmp_path: Path) -> None:
    need_redis()
    password = "pw-" + uuid.uuid4().hex
    server = RedisServer(tmp_path / "redis", password=password).start()
    try:
        with RedisStore.from_url(server.url) as redis:
            redis.put(sandbox.client_key, issued(sandbox))
        good = pytok.run("--store", server.url, "--client-key", sandbox.client_key, "accounts")
        assert good.returncode == 0, good.stderr
        assert f"127.0.0.1:{server.port}" in good.stdout and password not in good.stdout + good.stderr
        wrong = pytok.run("--store", server.url.replace(password, "wrong-" + password), "--client-key",
                          sandbox.client_key, "accounts")
        assert wrong.returncode == 2 and password not in wrong.stdout + wrong.stderr, wrong.stderr
    finally:
        server.stop()
    gone = pytok.run("--store", server.url, "--client-key", sandbox.client_key, "accounts")
    assert gone.returncode == 2 and "cannot be reached" in gone.stderr and password not in gone.stderr


@pytest.mark.parametrize("spec", ["http://example.com/tokens", "mysql://user:pw-secret@db/tokens",
                                  "sqlite://host/tokens.db", "redis+cluster://a:pw-secret@b/0"])
def test_an_unknown_store_is_a_usage_error_naming_what_works(pytok: Pytok, spec: str) -> None:
    result = pytok.run("--store", spec, "--client-key", "aw_k", "accounts")
    assert result.returncode == 2
    assert "sqlite:///" in result.stderr and "redis://" in result.stderr and "pw-secret" not in result.stderr


def test_a_rotation_when_redis_goes_away_is_rescued_in_the_state_directory(
    pytok: Pytok, sandbox: Sandbox, tmp_path: Path
) -> None:
    need_redis()
    server = RedisServer(tmp_path / "redis").start()
    try:
        old = issued(sandbox)
        with RedisStore.from_url(server.url) as redis:
            redis.put(sandbox.client_key, old)
        flags = [*sandbox_flags(sandbox, tmp_path / "unused.json"), "--store", server.url]
        sandbox.faults.add("token", "delay", seconds=2.0)
        running = pytok.start(*flags, "refresh")
        try:
            deadline = time.monotonic() + 30
            while sandbox.faults.pending("token"):  # the refresh request has reached TikTok
                assert time.monotonic() < deadline and running.process.poll() is None, "".join(running.err)
                time.sleep(0.02)
            server.stop()  # the store is gone while TikTok rotates
            result = running.finish(timeout=90)
        finally:
            running.kill()
        assert result.returncode == 1, result.stderr
        found = re.search(r"pytok token --import (\S+)", result.stderr)
        assert found is not None, result.stderr
        rescue = Path(found.group(1))
        assert rescue.parent == tmp_path / "state" / "pytok"  # $XDG_STATE_HOME/pytok
        assert stat.S_IMODE(rescue.stat().st_mode) == 0o600 and stat.S_IMODE(rescue.parent.stat().st_mode) == 0o700
        live = json.loads(rescue.read_text())["token"]["refresh_token"]
        assert sandbox.is_alive(live) and not sandbox.is_alive(old.refresh_token or "")
        server.start(port=server.port)  # back, empty (it persists nothing)
        restored = pytok.run(*flags, "token", "--import", str(rescue))
        assert restored.returncode == 0, restored.stderr
        with RedisStore.from_url(server.url) as redis:
            account = redis.get(sandbox.client_key, old.open_id or "")
        assert account is not None and account.token.refresh_token == live
    finally:
        server.stop()
