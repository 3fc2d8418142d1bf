"""Post boards shared between processes: :class:`SQLitePostBoard` (one machine) and
:class:`RedisPostBoard` (many machines). See :mod:`._board` for what a board does.

A receiver records a post's status in one process (the web app's webhook route, or
``pytok webhooks listen``); the process that posted and waits reads it from there. Both
keep each post for :data:`~._board.BOARD_TTL` (7 days), merge every delivery atomically
(SQLite: one ``BEGIN IMMEDIATE`` transaction; Redis: ``WATCH``/``MULTI``, retried on a
conflict), and are polled by waiters every :attr:`poll_interval` seconds (0.2 s: a read of
one row or one key); a waiter in the recording process wakes at once.

Example:
    >>> import pathlib, tempfile
    >>> from pytok_sm import PublishStatus
    >>> board = SQLitePostBoard(pathlib.Path(tempfile.mkdtemp()) / "tokens.db")
    >>> _ = board.record("aw_key", "v_inbox_url~v2.1", PublishStatus("v_inbox_url~v2.1", "SEND_TO_USER_INBOX"))
    >>> SQLitePostBoard(board.store).wait("aw_key", "v_inbox_url~v2.1", 5).status   # another process's view
    'SEND_TO_USER_INBOX'
    >>> board.close()
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from os import PathLike
from typing import Any

from .._errors import ConfigurationError
from ..stores import RedisStore, SQLiteStore
from ..stores._redis import check_prefix, client_from_url
from ..stores._redis_lua import describe_client, translate
from ._board import BOARD_TTL, PostBoardBase

__all__ = ["RedisPostBoard", "SQLitePostBoard"]

#: Seconds between two reads of a waiter at a shared board.
POLL_INTERVAL = 0.2

_TABLE = "webhook_posts"
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS webhook_posts (client_key TEXT NOT NULL, publish_id TEXT NOT NULL, record TEXT NOT NULL,"
    " expires_at REAL NOT NULL, PRIMARY KEY (client_key, publish_id)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS webhook_posts_expiry ON webhook_posts (expires_at)",
)
_SELECT = "SELECT record, expires_at FROM webhook_posts WHERE client_key = ? AND publish_id = ?"
_WRITE = "INSERT OR REPLACE INTO webhook_posts (client_key, publish_id, record, expires_at) VALUES (?, ?, ?, ?)"
_PURGE = ("DELETE FROM webhook_posts WHERE (client_key, publish_id) IN "
          "(SELECT client_key, publish_id FROM webhook_posts WHERE expires_at <= ? LIMIT 100)")


def _decode(raw: object) -> Any:
    """A stored record, or None for one that cannot be read (it is replaced by the next event)."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        return json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None


def _encode(record: dict[str, Any]) -> str:
    return json.dumps(record, separators=(",", ":"), sort_keys=True, allow_nan=False)


class SQLitePostBoard(PostBoardBase):
    """Posts in a table of a :class:`~pytok_sm.stores.SQLiteStore`'s file (``webhook_posts``),
    shared by every process of the machine, with the store's file checks, WAL and fork
    safety. Pass the store (its file then holds tokens, deliveries and posts) or a path.

    Example: see the module.
    """

    poll_interval = POLL_INTERVAL

    def __init__(self, store: SQLiteStore | str | PathLike[str], *, ttl: float = BOARD_TTL,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(ttl=ttl, clock=clock)
        self._owns_store = not isinstance(store, SQLiteStore)
        self.store = store if isinstance(store, SQLiteStore) else SQLiteStore(store)
        self.where = f"{self.store.where} (table {_TABLE})"
        self._ready = False

    def close(self) -> None:
        """Close the store if this board opened it from a path."""
        if self._owns_store:
            self.store.close()

    def _ensure(self) -> None:
        if not self._ready:
            with self.store._transaction(write=True) as tx:
                for statement in _SCHEMA:
                    tx._db.execute(statement)
            self._ready = True

    def _read(self, key: tuple[str, str]) -> Any:
        self._ensure()
        with self.store._transaction(write=False) as tx:
            found = tx._db.execute(_SELECT, key).fetchone()
        if found is None or not isinstance(found[1], (int, float)) or found[1] <= self._clock():
            return None
        return _decode(found[0])

    def _update(self, key: tuple[str, str], change: Callable[[Any], dict[str, Any]]) -> Any:
        self._ensure()
        with self.store._transaction(write=True) as tx:
            db = tx._db
            now = self._clock()
            found = db.execute(_SELECT, key).fetchone()
            live = found is not None and isinstance(found[1], (int, float)) and found[1] > now
            record = change(_decode(found[0]) if live else None)
            db.execute(_PURGE, (now,))
            db.execute(_WRITE, (*key, _encode(record), now + self.ttl))
        return record


class RedisPostBoard(PostBoardBase):
    """Posts in Redis, one key per post (``<prefix><client_key>:<publish_id>``, a JSON
    record with a ``PX`` expiry), merged under ``WATCH``/``MULTI``: for every machine using
    that Redis. Pass a redis-py client or a :class:`~pytok_sm.stores.RedisStore` (its client
    is used), or use :meth:`from_url`. Errors are :class:`~pytok_sm.stores.StoreUnavailable`
    naming the server, never its password.

    Example:
        >>> board = RedisPostBoard.from_url("redis://:s3cret@localhost:6379/0")   # connects on first use
        >>> board.where
        'Redis redis://localhost:6379/0 (posts, prefix pytok:post:)'
    """

    poll_interval = POLL_INTERVAL

    def __init__(self, client: Any, prefix: str = "pytok:post:", *, ttl: float = BOARD_TTL,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(ttl=ttl, clock=clock)
        self._client = client._client if isinstance(client, RedisStore) else client
        if not callable(getattr(self._client, "transaction", None)):
            raise ConfigurationError("client", "must be a redis-py client (redis.Redis) or a RedisStore")
        self.prefix = check_prefix(prefix)
        self.where = f"{describe_client(self._client)} (posts, prefix {self.prefix})"
        self._owns_client = False

    @classmethod
    def from_url(cls, url: str, prefix: str = "pytok:post:", *, ttl: float = BOARD_TTL,
                 **client_options: Any) -> RedisPostBoard:
        """On a new client for ``url`` (5 s socket timeouts unless given); :meth:`close` closes it."""
        check_prefix(prefix)
        made = cls(client_from_url("redis", url, client_options), prefix, ttl=ttl)
        made._owns_client = True
        return made

    def close(self) -> None:
        """Close the client if :meth:`from_url` made it."""
        if self._owns_client:
            self._client.close()

    def _name(self, key: tuple[str, str]) -> str:
        return f"{self.prefix}{key[0]}:{key[1]}"

    def _do(self, work: Callable[[], Any]) -> Any:
        try:
            return work()
        except Exception as exc:
            error = translate(exc, self.where)
            if error is None:
                raise
            raise error from None

    def _read(self, key: tuple[str, str]) -> Any:
        return _decode(self._do(lambda: self._client.get(self._name(key))))

    def _update(self, key: tuple[str, str], change: Callable[[Any], dict[str, Any]]) -> Any:
        name, ms = self._name(key), max(1, round(self.ttl * 1000))

        def merge_in(pipe: Any) -> dict[str, Any]:
            record = change(_decode(pipe.get(name)))
            pipe.multi()
            pipe.set(name, _encode(record), px=ms)
            return record

        return self._do(lambda: self._client.transaction(merge_in, name, value_from_callable=True))
