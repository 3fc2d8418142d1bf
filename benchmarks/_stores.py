"""Figure 8's stores: a real redis-server, seeding 10,000 due accounts, and the store's own
cost per refresh (the protocol's four calls in a tight loop, without HTTP).

* :class:`RedisServer` starts Debian's ``redis-server`` on a free 127.0.0.1 port with
  ``--save '' --appendonly no`` (as ``tests/stores/helpers.py`` does), in its own directory.
* :func:`seed_sqlite` writes the accounts with ``SQLiteStore.put`` into a store on tmpfs
  (``/dev/shm``) and copies the closed file to the temporary path the figure uses: a ``put``
  on the disk is a durable transaction of about 5 ms here, so 10,000 of them would take a
  minute per logging mode. The rows are the store's own either way.
* :func:`store_cost` times ``acquire_lease``, ``get``, ``compare_and_set`` and
  ``release_lease`` per account, and the baselines beside them, interleaved: the store's
  bare ``get`` and one raw write (a ``sqlite3`` UPDATE in its own transaction with the
  store's pragmas, or a redis-py ``SET``).
"""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable
from contextlib import closing
from pathlib import Path
from types import TracebackType
from typing import Any

from pytok_sm import Token

REDIS_SERVER = os.environ.get("PYTOK_REDIS_SERVER") or shutil.which("redis-server") or "/usr/bin/redis-server"
TMPFS = Path("/dev/shm")  # noqa: S108 - a private mkdtemp under it, for seeding only
CALLS = ("acquire_lease", "get", "compare_and_set", "release_lease")


def redis_missing() -> str | None:
    """Why the Redis half cannot run here (None: it can)."""
    import importlib.util

    if importlib.util.find_spec("redis") is None:
        return "redis-py is not installed (pip install redis)"
    if not os.access(REDIS_SERVER, os.X_OK):
        return f"no redis-server at {REDIS_SERVER} (apt-get install redis-server, or set PYTOK_REDIS_SERVER)"
    return None


class RedisServer:
    """``with RedisServer(directory) as server:`` a redis-server persisting nothing; ``server.url``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def __enter__(self) -> RedisServer:
        import redis

        for _ in range(3):
            with closing(socket.socket()) as probe:
                probe.bind(("127.0.0.1", 0))
                self.port = probe.getsockname()[1]
            self.process = subprocess.Popen(  # noqa: S603 - the system's redis-server, fixed arguments
                [
                    REDIS_SERVER,
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--dir",
                    str(self.directory),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--daemonize",
                    "no",
                    "--loglevel",
                    "warning",
                    "--logfile",
                    str(self.directory / "redis.log"),
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
            )
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self.process.poll() is None:
                with closing(redis.Redis(port=self.port, socket_timeout=1, socket_connect_timeout=1)) as client:
                    try:
                        if client.ping():
                            return self
                    except redis.RedisError:
                        time.sleep(0.05)
            self._stop()
        raise RuntimeError(f"redis-server did not answer PING; see {self.directory / 'redis.log'}")

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop()

    def _stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None


def open_store(spec: tuple[str, ...]) -> Any:
    """A new handle on the store a spec names: ``("sqlite", path)`` or ``("redis", url, prefix)``."""
    from pytok_sm.stores import RedisStore, SQLiteStore

    if spec[0] == "sqlite":
        return SQLiteStore(spec[1])
    return RedisStore.from_url(spec[1], spec[2])


def due_tokens(bodies: Iterable[dict[str, Any]], lifetime: float = 60.0) -> list[Token]:
    """Tokens from token-endpoint answers, their access tokens expiring in ``lifetime`` seconds."""
    now = time.time()
    return [Token.from_response({**body, "expires_in": lifetime}, now=now) for body in bodies]


def seed_sqlite(path: Path, client_key: str, tokens: list[Token]) -> Path | None:
    """``path`` becomes a SQLite store holding ``tokens``; the tmpfs template is returned (or
    None when there is no tmpfs and the puts went to ``path`` directly)."""
    from pytok_sm.stores import SQLiteStore

    template = Path(tempfile.mkdtemp(prefix="pytok-bench8-", dir=TMPFS)) if TMPFS.is_dir() else None
    target = template / path.name if template is not None else path
    with SQLiteStore(target) as store:
        for token in tokens:
            store.put(client_key, token)
    if template is not None:  # closed: checkpointed, the -wal file is gone
        for suffix in ("", "-wal"):
            if Path(f"{target}{suffix}").exists():
                shutil.copyfile(f"{target}{suffix}", f"{path}{suffix}")
                os.chmod(f"{path}{suffix}", 0o600)
    return template


def seed(store: Any, client_key: str, tokens: list[Token]) -> None:
    for token in tokens:
        store.put(client_key, token)


def _per_account(open_ids: list[str], call: Callable[[str], object]) -> float:
    start = time.perf_counter()
    for open_id in open_ids:
        call(open_id)
    return (time.perf_counter() - start) / len(open_ids)


def protocol(store: Any, client_key: str, open_ids: list[str]) -> dict[str, float]:
    """Seconds per account of each of the protocol's calls, as one refresh makes them (the HTTP
    refresh left out: the stored token is written back with compare-and-set)."""
    holder = f"{os.getpid()}:bench8"
    spent = dict.fromkeys(CALLS, 0.0)
    clock = time.perf_counter
    for open_id in open_ids:
        t0 = clock()
        leased = store.acquire_lease(client_key, open_id, holder, 30.0)
        t1 = clock()
        account = store.get(client_key, open_id)
        t2 = clock()
        written = store.compare_and_set(client_key, open_id, account.version, account.token)
        t3 = clock()
        released = store.release_lease(client_key, open_id, holder)
        t4 = clock()
        if not (leased and written is not None and released):
            raise RuntimeError(f"the store refused a step of the protocol for {open_id}")
        for name, seconds in zip(CALLS, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            spent[name] += seconds
    return {name: seconds / len(open_ids) for name, seconds in spent.items()}


def raw_sqlite_write(directory: Path, value: str, open_ids: list[str]) -> float:
    """Seconds per UPDATE of a token-sized row, each in its own ``BEGIN IMMEDIATE`` transaction,
    with the store's pragmas (WAL, ``synchronous=FULL``), in a file beside the store's."""
    with closing(sqlite3.connect(directory / "raw.db", isolation_level=None)) as db:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")
        db.execute("CREATE TABLE IF NOT EXISTS raw (k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID")
        db.execute("BEGIN IMMEDIATE")
        db.executemany("INSERT OR REPLACE INTO raw VALUES (?, ?)", [(o, value) for o in open_ids])
        db.execute("COMMIT")

        def update(open_id: str) -> None:
            db.execute("BEGIN IMMEDIATE")
            db.execute("UPDATE raw SET v = ? WHERE k = ?", (value[::-1], open_id))
            db.execute("COMMIT")

        return _per_account(open_ids, update)


def raw_redis_set(url: str, value: str, open_ids: list[str]) -> float:
    """Seconds per redis-py ``SET`` of a token-sized value on the same server."""
    import redis

    with closing(redis.Redis.from_url(url)) as client:
        return _per_account(open_ids, lambda open_id: client.set(f"bench8-raw:{open_id}", value))


def store_cost(
    store: Any, client_key: str, open_ids: list[str], raw: Callable[[list[str]], float], rounds: int = 5
) -> dict[str, Any]:
    """The protocol's calls per account, and the two baselines: the store's ``get``, one raw write.

    Each loop runs once untimed over a few accounts first (connections, Lua scripts, caches).
    Then the accounts are cut into ``rounds`` slices; on each slice the three loops run back to
    back (the order rotating), and each figure is the median over the slices, so a burst of
    load on the machine lands on all three alike."""
    warm = open_ids[:10]
    _per_account(warm, lambda open_id: store.get(client_key, open_id)), raw(warm), protocol(store, client_key, warm)
    loops: dict[str, Callable[[list[str]], Any]] = {
        "get": lambda part: _per_account(part, lambda open_id: store.get(client_key, open_id)),
        "raw_write": raw,
        "calls": lambda part: protocol(store, client_key, part),
    }
    seen: dict[str, list[Any]] = {name: [] for name in loops}
    for i in range(rounds):
        names = list(loops)[i % 3 :] + list(loops)[: i % 3]
        for name in names:
            seen[name].append(loops[name](open_ids[i::rounds]))
    calls = {name: statistics.median(c[name] for c in seen["calls"]) for name in CALLS}
    return {
        "n": len(open_ids),
        "calls": calls,
        "protocol": statistics.median(sum(c.values()) for c in seen["calls"]),
        "get": statistics.median(seen["get"]),
        "raw_write": statistics.median(seen["raw_write"]),
    }
