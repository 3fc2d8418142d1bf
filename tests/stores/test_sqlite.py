"""SQLiteStore on disk: a private file (0600, also its -wal and -shm) in a private directory,
WAL, no transaction held between calls, typed errors for a file it cannot use or a lock held
too long, and nothing ever overwritten by a failure."""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytok_sm import ConfigurationError, TokenStoreError
from pytok_sm.stores import SQLiteStore, StoreUnavailable

from .helpers import CLIENT_KEY, token


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@contextlib.contextmanager
def raw(path: Path, timeout: float = 5.0) -> Iterator[sqlite3.Connection]:
    db = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    try:
        yield db
    finally:
        db.close()


def test_the_file_and_its_wal_and_shm_are_0600_in_a_new_0700_directory(tmp_path: Path) -> None:
    path = tmp_path / "new" / "deeper" / "tokens.db"
    with SQLiteStore(path) as store:
        store.put(CLIENT_KEY, token("u1"))
        assert mode(path.parent) == 0o700 and mode(path) == 0o600
        for suffix in ("-wal", "-shm"):
            side = path.with_name(path.name + suffix)
            assert side.exists() and mode(side) == 0o600, suffix


def test_the_file_is_wal_and_holds_the_token_json_and_the_record_fields(tmp_path: Path) -> None:
    path = tmp_path / "tokens.db"
    with SQLiteStore(path) as store:
        store.put(CLIENT_KEY, token("u1"))
        store.mark(CLIENT_KEY, "u1", "reauth_required", "invalid_grant")
    with raw(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        version, state, reason, updated_at, text = db.execute(
            "SELECT version, state, reason, updated_at, token FROM accounts").fetchone()
    assert (version, state, reason) == (2, "reauth_required", "invalid_grant") and updated_at > 0
    assert json.loads(text) == token("u1").to_dict()


def test_a_file_open_to_others_is_set_back_to_0600(tmp_path: Path) -> None:
    path = tmp_path / "tokens.db"
    SQLiteStore(path).close()
    os.chmod(path, 0o644)
    with SQLiteStore(path):
        assert mode(path) == 0o600


def test_a_directory_others_can_write_is_refused_and_nothing_is_created(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    with pytest.raises(StoreUnavailable, match="chmod 700") as caught:
        SQLiteStore(shared / "tokens.db")
    assert str(shared) in str(caught.value) and caught.value.transient is False
    assert list(shared.iterdir()) == []


def test_a_symbolic_link_is_never_followed(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.db"
    target.write_bytes(b"precious")
    (tmp_path / "tokens.db").symlink_to(target)
    with pytest.raises(StoreUnavailable, match="symbolic link"):
        SQLiteStore(tmp_path / "tokens.db")
    assert target.read_bytes() == b"precious"


def test_a_path_that_cannot_be_created_is_a_typed_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a directory")
    with pytest.raises(StoreUnavailable) as caught:
        SQLiteStore(tmp_path / "a-file" / "tokens.db")
    assert "a-file" in str(caught.value) and isinstance(caught.value, TokenStoreError)


def test_a_file_that_is_not_a_database_is_an_error_and_stays_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "tokens.db"
    content = b"this is not SQLite, it is someone's notes\n" * 200
    path.write_bytes(content)
    os.chmod(path, 0o600)
    with pytest.raises(StoreUnavailable) as caught:
        SQLiteStore(path)
    assert caught.value.corrupt and not caught.value.transient
    assert str(path) in str(caught.value) and "move" in str(caught.value)
    assert path.read_bytes() == content


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tokens.db"
    SQLiteStore(path).close()
    with raw(path) as db:
        db.execute("PRAGMA user_version = 9")
    with pytest.raises(StoreUnavailable, match="schema version 9"):
        SQLiteStore(path)


def test_a_lock_held_too_long_is_a_transient_typed_error_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "tokens.db"
    store = SQLiteStore(path, timeout=0.2)
    first = store.put(CLIENT_KEY, token("u1", "one"))
    with raw(path) as other:
        other.execute("BEGIN IMMEDIATE")  # another process in a long write transaction
        for attempt in (
            lambda: store.compare_and_set(CLIENT_KEY, "u1", 1, token("u1", "two")),
            lambda: store.put(CLIENT_KEY, token("u1", "two")),
            lambda: store.acquire_lease(CLIENT_KEY, "u1", "a", ttl=5),
            lambda: store.mark(CLIENT_KEY, "u1", "removed"),
        ):
            with pytest.raises(StoreUnavailable, match="locked") as caught:
                attempt()
            assert caught.value.transient and str(path) in str(caught.value)
        assert store.get(CLIENT_KEY, "u1") == first  # WAL: reads go on meanwhile
        other.execute("ROLLBACK")
    assert store.get(CLIENT_KEY, "u1") == first
    assert store.compare_and_set(CLIENT_KEY, "u1", 1, token("u1", "two")) is not None


def test_no_transaction_is_held_between_calls(tmp_path: Path) -> None:
    path = tmp_path / "tokens.db"
    store = SQLiteStore(path)
    calls = [
        lambda: store.put(CLIENT_KEY, token("u1")),
        lambda: store.get(CLIENT_KEY, "u1"),
        lambda: store.compare_and_set(CLIENT_KEY, "u1", 9, token("u1")),  # a conflict, too
        lambda: store.mark(CLIENT_KEY, "u1", "removed"),
        lambda: store.accounts(CLIENT_KEY),
        lambda: store.acquire_lease(CLIENT_KEY, "u1", "a", ttl=5),
        lambda: store.acquire_lease(CLIENT_KEY, "u1", "b", ttl=5),
        lambda: store.release_lease(CLIENT_KEY, "u1", "a"),
    ]
    with raw(path, timeout=0) as other:
        for call in calls:
            call()
            other.execute("BEGIN IMMEDIATE")  # would fail at once if the store still held a write lock
            other.execute("ROLLBACK")
    store.close()


def test_a_store_made_before_a_fork_works_in_the_child(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "tokens.db")
    store.put(CLIENT_KEY, token("u1"))
    fork = multiprocessing.get_context("fork")
    child = fork.Process(target=_child_puts, args=(store,))
    child.start()
    child.join(30)
    assert child.exitcode == 0
    assert store.open_ids(CLIENT_KEY) == ["u1", "u2"]
    store.close()


def _child_puts(store: SQLiteStore) -> None:
    store.put(CLIENT_KEY, token("u2"))
    store.close()


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf"), "5", True])
def test_an_odd_timeout_is_a_configuration_error(tmp_path: Path, timeout: object) -> None:
    with pytest.raises(ConfigurationError, match="timeout"):
        SQLiteStore(tmp_path / "tokens.db", timeout=timeout)  # type: ignore[arg-type]
