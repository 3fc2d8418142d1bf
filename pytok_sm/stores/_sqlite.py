"""A token store in one SQLite file, shared by the threads and processes of one machine.

* **Atomic.** Every write, compare-and-set and lease operation runs in its own
  ``BEGIN IMMEDIATE`` transaction (the write lock is taken first, so two processes never
  both read version 7 and both write 8); no transaction is held between calls.
* **Concurrent.** WAL mode (readers never wait for the writer), ``synchronous=FULL`` (a
  committed token survives a power cut: a rotated refresh token must not be lost), and a
  ``busy_timeout`` (``timeout=``, 5 s by default) to wait for another writer; past it the
  call raises :class:`StoreUnavailable` (``transient``) and nothing is changed.
* **Private.** The file is created 0600 (a looser mode is set back to 0600; SQLite gives its
  ``-wal`` and ``-shm`` files the same mode), never through a symbolic link, and must be
  ours; its directory (created 0700 when missing) must not be writable by group or others.
* **Fork-safe.** A store used in a child process opens its own connection there.

Tables: ``accounts(client_key, open_id, version, state, reason, updated_at, token)``, the
token being the JSON of ``Token.to_dict()`` or its encryption, and ``leases(client_key,
open_id, holder, expires_at)`` on the wall clock (shared by the processes of the machine).

Example:
    >>> import pathlib, tempfile
    >>> from pytok_sm import Token
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tokens.db"
    >>> with SQLiteStore(path) as store:
    ...     first = store.put("aw_key", Token(access_token="act.example", expires_at=2e9, open_id="u1"))
    ...     second = store.mark("aw_key", "u1", "reauth_required", "invalid_grant on refresh")
    >>> second.version, second.state, oct(path.stat().st_mode & 0o777)
    (2, 'reauth_required', '0o600')
"""

from __future__ import annotations

import contextlib
import math
import os
import shlex
import sqlite3
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .._errors import ConfigurationError
from ._codec import Row
from ._crypto import EncryptionKey, cipher_for
from ._errors import StoreUnavailable
from ._rows import Lease, RowStore

__all__ = ["SQLiteStore"]

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    client_key TEXT NOT NULL, open_id TEXT NOT NULL, version INTEGER NOT NULL, state TEXT NOT NULL,
    reason TEXT, updated_at REAL NOT NULL, token TEXT NOT NULL, PRIMARY KEY (client_key, open_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS leases (
    client_key TEXT NOT NULL, open_id TEXT NOT NULL, holder TEXT NOT NULL, expires_at REAL NOT NULL,
    PRIMARY KEY (client_key, open_id)
) WITHOUT ROWID;
"""
_NOFOLLOW: int = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC: int = getattr(os, "O_CLOEXEC", 0)
_BUSY = ("SQLITE_BUSY", "SQLITE_LOCKED")
_DAMAGED = ("SQLITE_NOTADB", "SQLITE_CORRUPT")
#: Creating a file and closing it must not race with another store of this process opening it.
_PREPARE_LOCK = threading.Lock()


class _SQLiteTx:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    def read(self, client_key: str, open_id: str) -> Row | None:
        found = self._db.execute(
            "SELECT version, state, reason, updated_at, token FROM accounts WHERE client_key = ? AND open_id = ?",
            (client_key, open_id),
        ).fetchone()
        return None if found is None else Row(*found)

    def write(self, client_key: str, open_id: str, row: Row) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO accounts (client_key, open_id, version, state, reason, updated_at, token) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (client_key, open_id, *row),
        )

    def remove(self, client_key: str, open_id: str) -> bool:
        cursor = self._db.execute("DELETE FROM accounts WHERE client_key = ? AND open_id = ?", (client_key, open_id))
        return cursor.rowcount > 0

    def rows(self, client_key: str) -> list[tuple[str, Row]]:
        found = self._db.execute(
            "SELECT open_id, version, state, reason, updated_at, token FROM accounts WHERE client_key = ?",
            (client_key,),
        ).fetchall()
        return [(str(open_id), Row(*rest)) for open_id, *rest in found]

    def lease(self, client_key: str, open_id: str) -> Lease | None:
        found = self._db.execute(
            "SELECT holder, expires_at FROM leases WHERE client_key = ? AND open_id = ?", (client_key, open_id)
        ).fetchone()
        if found is None or not isinstance(found[0], str) or not isinstance(found[1], (int, float)):
            return None  # none, or a damaged lease row: a lease is free then (it would expire anyway)
        return Lease(found[0], float(found[1]))

    def set_lease(self, client_key: str, open_id: str, lease: Lease | None) -> None:
        if lease is None:
            self._db.execute("DELETE FROM leases WHERE client_key = ? AND open_id = ?", (client_key, open_id))
        else:
            self._db.execute(
                "INSERT OR REPLACE INTO leases (client_key, open_id, holder, expires_at) VALUES (?, ?, ?, ?)",
                (client_key, open_id, lease.holder, lease.expires_at),
            )


class SQLiteStore(RowStore):
    """Accounts and leases in the SQLite file ``path``, for every thread and process of a machine.

    ``timeout`` is how long (seconds) a call waits for another process's write transaction
    before raising :class:`StoreUnavailable`. ``encryption_key=`` (32 bytes, or a list: the
    first encrypts, all decrypt) encrypts the tokens with AES-GCM.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, encryption_key: EncryptionKey | None = None, timeout: float = 5.0
    ) -> None:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 3600:
            raise ConfigurationError("timeout", f"must be a number of seconds from 0 to 3600, not {timeout!r}")
        if not math.isfinite(timeout):
            raise ConfigurationError("timeout", "must be finite")
        self.path = Path(os.fspath(path)).absolute()
        self.where = f"SQLite store {self.path}"
        self.timeout = float(timeout)
        self._cipher = cipher_for(encryption_key)
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self._pid = 0
        _prepare(self.path, self.where)
        with self._lock, self._guard():
            self._connect()

    def close(self) -> None:
        """Close this process's connection (a later call opens a new one)."""
        with self._lock:
            if self._connection is not None and self._pid == os.getpid():
                with contextlib.suppress(sqlite3.Error):
                    self._connection.close()
            self._connection = None

    def _connect(self) -> sqlite3.Connection:
        if self._connection is not None and self._pid == os.getpid():
            return self._connection
        self._connection = None  # one inherited through fork belongs to the parent: never used here
        db = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False)
        try:
            db.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            if str(db.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = FULL")
            self._migrate(db)
        except BaseException:
            db.close()
            raise
        self._connection, self._pid = db, os.getpid()
        return db

    def _migrate(self, db: sqlite3.Connection) -> None:
        if int(db.execute("PRAGMA user_version").fetchone()[0]) == SCHEMA_VERSION:
            return
        db.execute("BEGIN IMMEDIATE")
        try:
            found = int(db.execute("PRAGMA user_version").fetchone()[0])
            if found > SCHEMA_VERSION:
                raise StoreUnavailable(
                    self.where,
                    f"has schema version {found}, newer than this pytok_sm knows ({SCHEMA_VERSION})",
                    "upgrade pytok_sm, or use another file",
                    transient=False,
                )
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise self._unavailable(exc) from None

    def _unavailable(self, exc: sqlite3.Error) -> StoreUnavailable:
        name = str(getattr(exc, "sqlite_errorname", "") or "")
        text = str(exc)
        if name.startswith(_BUSY) or "locked" in text:
            return StoreUnavailable(
                self.where,
                f"stayed locked by another connection for more than {self.timeout:g} s",
                "another process holds a long write transaction; nothing was changed: try again, or give the store "
                "a longer timeout=",
            )
        if name.startswith(_DAMAGED) or "not a database" in text or "malformed" in text:
            return StoreUnavailable(
                self.where,
                f"is not a SQLite database or is damaged ({text})",
                f"nothing was changed: move {shlex.quote(str(self.path))} aside and restore it from a backup, "
                "or pass the path of a new file",
                transient=False,
                corrupt=True,
            )
        return StoreUnavailable(
            self.where,
            f"cannot be used ({text})",
            f"check that {shlex.quote(str(self.path))} and its directory are yours and writable and that the disk "
            "is not full",
            transient=name.startswith("SQLITE_IOERR") or name.startswith("SQLITE_FULL"),
        )

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[_SQLiteTx]:
        with self._lock, self._guard():
            db = self._connect()
            if not write:
                yield _SQLiteTx(db)
                return
            db.execute("BEGIN IMMEDIATE")
            try:
                yield _SQLiteTx(db)
                db.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
                raise


def _refuse(where: str, problem: str, advice: str) -> StoreUnavailable:
    return StoreUnavailable(where, problem, advice, transient=False)


def _prepare(path: Path, where: str) -> None:
    """The directory (created 0700) and the file (created 0600) checked before SQLite opens them.

    An existing file is checked with ``lstat`` and never opened here: closing a descriptor
    of a database file would drop the POSIX locks SQLite holds on it in this process.
    """
    directory = path.parent
    quoted = shlex.quote(str(directory))
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.stat(directory)
    except OSError as exc:
        raise _refuse(where, f"cannot have {directory} as its directory ({exc.strerror or exc})",
                      "pass a path in a directory you can write") from None
    if not stat.S_ISDIR(info.st_mode):
        raise _refuse(where, f"cannot have {directory} as its directory (not a directory)", "pass another path")
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o022:
        raise _refuse(where, f"would be in {directory}, which others can write (mode {mode:04o}) and so swap the file",
                      f"run chmod 700 {quoted} (at least chmod go-w {quoted}), or use a file in a private directory")
    with _PREPARE_LOCK:
        if not _check_existing(path, where):
            _create(path, where)
        for suffix in ("-wal", "-shm", "-journal"):
            _check_existing(path.with_name(path.name + suffix), where)


def _create(path: Path, where: str) -> None:
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, 0o600))
    except FileExistsError:
        _check_existing(path, where)  # made meanwhile by another process: check it as any existing file
    except OSError as exc:
        raise _refuse(where, f"cannot create {path} ({exc.strerror or exc})",
                      "pass a path in a directory you can write") from None


def _check_existing(path: Path, where: str) -> bool:
    """Whether ``path`` exists; if so it must be a regular file of ours (not a link), set to 0600."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise _refuse(where, f"cannot read {path} ({exc.strerror or exc})", "pass another path") from None
    if stat.S_ISLNK(info.st_mode):
        raise _refuse(where, f"found a symbolic link at {path}; it never follows links for its files",
                      f"remove the link (rm {shlex.quote(str(path))}) or pass the path of a real file")
    if not stat.S_ISREG(info.st_mode):
        raise _refuse(where, f"found {path}, which is not a regular file", "pass the path of a regular file")
    uid = os.getuid() if hasattr(os, "getuid") else None
    if uid is not None and info.st_uid != uid:
        raise _refuse(where, f"found {path} owned by uid {info.st_uid}, not by you (uid {uid})",
                      "use a file of your own, or take it over (chown) if you trust it")
    if stat.S_IMODE(info.st_mode) & 0o077:
        try:
            os.chmod(path, 0o600)
        except OSError as exc:
            raise _refuse(where, f"cannot make {path} private ({exc.strerror or exc})",
                          f"run chmod 600 {shlex.quote(str(path))}") from None
    return True
