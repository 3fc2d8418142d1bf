"""Passing each delivery on once: TikTok delivers at least once, and retries for 72 hours.

A :class:`Deduplicator` keys deliveries on :attr:`WebhookEvent.delivery_id` over any
``single_use(key, seconds) -> bool`` (the :data:`pytok_sm._web.SingleUse` shape the kits
take: record ``key`` for ``seconds`` atomically, False when it was there already) together
with a ``release(key)`` that forgets it. A delivery is *claimed* for ``processing_ttl``
before ``on_event`` runs; when ``on_event`` succeeds the claim is *kept* for ``ttl`` (72 h
and an hour's margin), when it raises the claim is *released*, so TikTok's next attempt is
passed on again. A worker that dies meanwhile holds the claim only for ``processing_ttl``.

Three backings: :class:`MemorySingleUse` (this process; the default), :class:`SQLiteSingleUse`
(the processes of one machine: a table beside a :class:`~pytok_sm.stores.SQLiteStore`'s, with its
file checks, WAL and ``BEGIN IMMEDIATE``) and :class:`RedisSingleUse` (many machines: ``SET NX PX``).

Example:
    >>> dedupe = Deduplicator()
    >>> dedupe.claim("d1"), dedupe.claim("d1")      # a second worker, or a retry, meanwhile
    (True, False)
    >>> dedupe.release("d1"); dedupe.claim("d1")    # on_event raised: the retry goes through
    True
    >>> dedupe.confirm("d1"); dedupe.claim("d1")    # done: kept for 73 hours
    False
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from os import PathLike
from typing import Any

from .._errors import ConfigurationError
from .._web import SingleUse
from ..stores import RedisStore, SQLiteStore
from ..stores._redis import check_prefix, client_from_url
from ..stores._redis_lua import describe_client, translate

__all__ = [
    "DELIVERY_TTL",
    "PROCESSING_TTL",
    "Deduplicator",
    "MemorySingleUse",
    "RedisSingleUse",
    "SQLiteSingleUse",
]

#: How long a delivery passed on is remembered: TikTok's 72 hours of retries, and an hour.
DELIVERY_TTL = 73 * 3600.0
#: How long a claim lasts while ``on_event`` runs (a worker that died frees it after this).
PROCESSING_TTL = 600.0
_MAX_SECONDS = 30 * 86400.0


def _key(key: object) -> str:
    if not isinstance(key, str) or not key or len(key) > 256 or not key.isprintable():
        raise ConfigurationError("key", "must be a non-empty printable string of at most 256 characters")
    return key


def _seconds(seconds: object, name: str = "seconds") -> float:
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds):
        raise ConfigurationError(name, f"must be a finite number of seconds, not {seconds!r}")
    if not 0 < seconds <= _MAX_SECONDS:
        raise ConfigurationError(name, f"must be more than 0 and at most {_MAX_SECONDS:g} seconds, not {seconds!r}")
    return float(seconds)


class MemorySingleUse:
    """Keys remembered in this process (threads share it; other processes do not).

    Bounded: past ``limit`` live keys, expired ones are dropped, then the oldest (a delivery
    forgotten that way could be passed on twice). Runs on the monotonic clock.

    Example:
        >>> seen = MemorySingleUse()
        >>> seen("k", 60), seen("k", 60), seen.release("k"), seen("k", 60)
        (True, False, None, True)
    """

    #: Calls are quick and never wait: an asyncio receiver calls them on its event loop.
    blocking = False

    def __init__(self, limit: int = 100_000, *, clock: Callable[[], float] = time.monotonic) -> None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ConfigurationError("limit", f"must be a positive integer, not {limit!r}")
        self.limit = limit
        self._clock = clock
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._until)

    def __call__(self, key: str, seconds: float) -> bool:
        key, seconds = _key(key), _seconds(seconds)
        with self._lock:
            now = self._clock()
            until = self._until.get(key)
            if until is not None and until > now:
                return False
            self._store(key, now + seconds, now)
            return True

    def keep(self, key: str, seconds: float) -> None:
        """Record ``key`` for ``seconds`` from now, whether it was there or not."""
        key, seconds = _key(key), _seconds(seconds)
        with self._lock:
            now = self._clock()
            self._store(key, now + seconds, now)

    def release(self, key: str) -> None:
        """Forget ``key``."""
        with self._lock:
            self._until.pop(_key(key), None)

    def _store(self, key: str, until: float, now: float) -> None:
        self._until.pop(key, None)  # re-inserted last: the dict stays ordered oldest first
        if len(self._until) >= self.limit:
            for old in [k for k, end in self._until.items() if end <= now]:
                del self._until[old]
            while len(self._until) >= self.limit:
                del self._until[next(iter(self._until))]
        self._until[key] = until


_TABLE = "webhook_deliveries"
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS webhook_deliveries (id TEXT PRIMARY KEY, expires_at REAL NOT NULL) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS webhook_deliveries_expiry ON webhook_deliveries (expires_at)",
)
_SELECT = "SELECT expires_at FROM webhook_deliveries WHERE id = ?"
_WRITE = "INSERT OR REPLACE INTO webhook_deliveries (id, expires_at) VALUES (?, ?)"
_DELETE = "DELETE FROM webhook_deliveries WHERE id = ?"
_PURGE = "DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries WHERE expires_at <= ? LIMIT 100)"


class SQLiteSingleUse:
    """Keys in a table of a :class:`~pytok_sm.stores.SQLiteStore`'s file, shared by every
    process of the machine: the same file checks (0600, no links, a private directory), WAL,
    ``busy_timeout``, one ``BEGIN IMMEDIATE`` transaction per call and fork safety, since it
    runs through the store. Pass the store (its file then holds tokens and deliveries) or a
    path. Expiry is on the wall clock; expired rows are purged as new ones come.

    Example:
        >>> import pathlib, tempfile
        >>> seen = SQLiteSingleUse(pathlib.Path(tempfile.mkdtemp()) / "tokens.db")
        >>> seen("k", 60), SQLiteSingleUse(seen.store)("k", 60)
        (True, False)
        >>> seen.close()
    """

    def __init__(self, store: SQLiteStore | str | PathLike[str], *, clock: Callable[[], float] = time.time) -> None:
        self._owns_store = not isinstance(store, SQLiteStore)
        self.store = SQLiteStore(store) if not isinstance(store, SQLiteStore) else store
        self.where = f"{self.store.where} (table {_TABLE})"
        self._clock = clock
        self._ready = False

    def close(self) -> None:
        """Close the store if this object opened it from a path."""
        if self._owns_store:
            self.store.close()

    def _run(self, work: Callable[[Any, float], Any]) -> Any:
        with self.store._transaction(write=True) as tx:
            db = tx._db
            if not self._ready:
                for statement in _SCHEMA:
                    db.execute(statement)
            result = work(db, self._clock())
        self._ready = True
        return result

    def __call__(self, key: str, seconds: float) -> bool:
        key, seconds = _key(key), _seconds(seconds)

        def claim(db: Any, now: float) -> bool:
            found = db.execute(_SELECT, (key,)).fetchone()
            if found is not None and isinstance(found[0], (int, float)) and found[0] > now:
                return False
            db.execute(_PURGE, (now,))
            db.execute(_WRITE, (key, now + seconds))
            return True

        return bool(self._run(claim))

    def keep(self, key: str, seconds: float) -> None:
        """Record ``key`` for ``seconds`` from now, whether it was there or not."""
        key, seconds = _key(key), _seconds(seconds)
        self._run(lambda db, now: db.execute(_WRITE, (key, now + seconds)))

    def release(self, key: str) -> None:
        """Forget ``key``."""
        key = _key(key)
        self._run(lambda db, now: db.execute(_DELETE, (key,)))


class RedisSingleUse:
    """Keys in Redis (``SET key 1 NX PX ms``), for every machine using that Redis: the
    README's recipe, with a ``release`` and typed errors (:class:`~pytok_sm.stores.StoreUnavailable`
    naming the server, never its password). Pass a redis-py client or a
    :class:`~pytok_sm.stores.RedisStore` (its client is used), or use :meth:`from_url`.

    Example:
        >>> seen = RedisSingleUse.from_url("redis://:s3cret@localhost:6379/0")   # connects on first use
        >>> seen.where
        'Redis redis://localhost:6379/0 (webhook deliveries, prefix pytok:webhook:)'
        >>> seen("k", 60)   # doctest: +SKIP
        True
    """

    def __init__(self, client: Any, prefix: str = "pytok:webhook:") -> None:
        self._client = client._client if isinstance(client, RedisStore) else client
        self.prefix = check_prefix(prefix)
        self.where = f"{describe_client(self._client)} (webhook deliveries, prefix {self.prefix})"
        self._owns_client = False

    @classmethod
    def from_url(cls, url: str, prefix: str = "pytok:webhook:", **client_options: Any) -> RedisSingleUse:
        """On a new client for ``url`` (5 s socket timeouts unless given); :meth:`close` closes it."""
        check_prefix(prefix)
        made = cls(client_from_url("redis", url, client_options), prefix)
        made._owns_client = True
        return made

    def close(self) -> None:
        """Close the client if :meth:`from_url` made it."""
        if self._owns_client:
            self._client.close()

    def _do(self, work: Callable[[], Any]) -> Any:
        try:
            return work()
        except Exception as exc:
            error = translate(exc, self.where)
            if error is None:
                raise
            raise error from None

    def __call__(self, key: str, seconds: float) -> bool:
        name, ms = self.prefix + _key(key), max(1, round(_seconds(seconds) * 1000))
        return bool(self._do(lambda: self._client.set(name, b"1", nx=True, px=ms)))

    def keep(self, key: str, seconds: float) -> None:
        """Record ``key`` for ``seconds`` from now, whether it was there or not."""
        name, ms = self.prefix + _key(key), max(1, round(_seconds(seconds) * 1000))
        self._do(lambda: self._client.set(name, b"1", px=ms))

    def release(self, key: str) -> None:
        """Forget ``key``."""
        name = self.prefix + _key(key)
        self._do(lambda: self._client.delete(name))


class Deduplicator:
    """Each delivery passed on once, over ``single_use`` (default: :class:`MemorySingleUse`).

    ``release`` forgets a key (default: ``single_use.release``); it is required, or a
    delivery whose ``on_event`` raised could never be passed on again. A ``single_use.keep``
    (the three backings here have one) makes :meth:`confirm` one atomic step; without it
    :meth:`confirm` releases and claims again.

    Example (the README's Redis recipe as a backing)::

        dedupe = Deduplicator(
            lambda key, ttl: bool(redis.set(f"tiktok:{key}", 1, nx=True, ex=int(ttl) + 1)),
            release=lambda key: redis.delete(f"tiktok:{key}"),
        )
    """

    def __init__(
        self,
        single_use: SingleUse | None = None,
        *,
        release: Callable[[str], object] | None = None,
        ttl: float = DELIVERY_TTL,
        processing_ttl: float = PROCESSING_TTL,
    ) -> None:
        backing: Any = MemorySingleUse() if single_use is None else single_use
        if not callable(backing):
            raise ConfigurationError("single_use", f"must be callable as single_use(key, seconds), not a {type(backing).__name__}")
        forget = release if release is not None else getattr(backing, "release", None)
        if not callable(forget):
            raise ConfigurationError(
                "release",
                "is needed with this single_use (it has no release method): pass release=lambda key: ... that "
                "forgets the key, so that a delivery whose on_event raised is passed on when TikTok retries it",
            )
        self.single_use: SingleUse = backing
        self._release: Callable[[str], object] = forget
        self._keep: Callable[[str, float], object] | None = getattr(backing, "keep", None)
        self.ttl = _seconds(ttl, "ttl")
        self.processing_ttl = _seconds(processing_ttl, "processing_ttl")
        #: Whether calls may wait on I/O (an asyncio receiver then runs them in a thread).
        self.blocking = bool(getattr(backing, "blocking", True))

    def claim(self, delivery_id: str) -> bool:
        """True when this delivery is not being or has not been passed on: pass it on now."""
        return bool(self.single_use(delivery_id, self.processing_ttl))

    def confirm(self, delivery_id: str) -> None:
        """``on_event`` succeeded: remember the delivery for :attr:`ttl`."""
        if self._keep is not None:
            self._keep(delivery_id, self.ttl)
            return
        self._release(delivery_id)
        self.single_use(delivery_id, self.ttl)

    def release(self, delivery_id: str) -> None:
        """``on_event`` failed: forget the claim, so that TikTok's retry is passed on."""
        self._release(delivery_id)
