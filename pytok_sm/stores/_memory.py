"""A token store in this process's memory, safe between threads (tests, one-process apps).

Rows are kept exactly as a persistent store keeps them (the token as JSON text, encrypted
when ``encryption_key=`` is given), so a :class:`MemoryStore` behaves like the others, and
one lock makes every operation atomic. Leases run on the monotonic clock.

Example:
    >>> from pytok_sm import Token
    >>> store = MemoryStore()
    >>> account = store.put("aw_key", Token(access_token="act.example", expires_at=2e9, open_id="u1"))
    >>> account.version, account.state
    (1, 'active')
    >>> store.compare_and_set("aw_key", "u1", 0, account.token) is None   # 0: only if absent
    True
    >>> store.acquire_lease("aw_key", "u1", "worker-1", ttl=30), store.acquire_lease("aw_key", "u1", "worker-2", ttl=30)
    (True, False)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from ._codec import Row
from ._crypto import EncryptionKey, cipher_for
from ._rows import Lease, RowStore

__all__ = ["MemoryStore"]

_Key = tuple[str, str]


class _MemoryTx:
    """A transaction over the store's dicts: writes are kept aside and applied on commit."""

    def __init__(self, rows: dict[_Key, Row], leases: dict[_Key, Lease]) -> None:
        self._rows = rows
        self._leases = leases
        self._pending_rows: dict[_Key, Row | None] = {}
        self._pending_leases: dict[_Key, Lease | None] = {}

    def read(self, client_key: str, open_id: str) -> Row | None:
        key = (client_key, open_id)
        return self._pending_rows[key] if key in self._pending_rows else self._rows.get(key)

    def write(self, client_key: str, open_id: str, row: Row) -> None:
        self._pending_rows[(client_key, open_id)] = row

    def remove(self, client_key: str, open_id: str) -> bool:
        existed = self.read(client_key, open_id) is not None
        self._pending_rows[(client_key, open_id)] = None
        return existed

    def rows(self, client_key: str) -> list[tuple[str, Row]]:
        keys = {k for k in self._rows if k[0] == client_key} | {k for k in self._pending_rows if k[0] == client_key}
        found = [(key[1], self.read(*key)) for key in keys]
        return [(open_id, row) for open_id, row in found if row is not None]

    def lease(self, client_key: str, open_id: str) -> Lease | None:
        key = (client_key, open_id)
        return self._pending_leases[key] if key in self._pending_leases else self._leases.get(key)

    def set_lease(self, client_key: str, open_id: str, lease: Lease | None) -> None:
        self._pending_leases[(client_key, open_id)] = lease

    def commit(self) -> None:
        for key, row in self._pending_rows.items():
            if row is None:
                self._rows.pop(key, None)
            else:
                self._rows[key] = row
        for key, lease in self._pending_leases.items():
            if lease is None:
                self._leases.pop(key, None)
            else:
                self._leases[key] = lease


class MemoryStore(RowStore):
    """Accounts and leases in a dict, behind one lock; gone when the process ends.

    ``encryption_key=`` (32 bytes, or a list: the first encrypts, all decrypt) encrypts the
    tokens as the persistent stores do: useful to test a setup, rarely needed in memory.
    """

    def __init__(self, *, encryption_key: EncryptionKey | None = None) -> None:
        self.where = "memory store"
        self._cipher = cipher_for(encryption_key)
        self._lock = threading.Lock()
        self._rows: dict[_Key, Row] = {}
        self._leases: dict[_Key, Lease] = {}

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[_MemoryTx]:
        with self._lock:
            tx = _MemoryTx(self._rows, self._leases)
            yield tx
            if write:
                tx.commit()

    def _lease_clock(self) -> float:
        return time.monotonic()
