"""The operations of the row stores (memory, SQLite), written once over a small transaction.

A row store only says how to run a transaction (:meth:`RowStore._transaction`) and what a
transaction can do (:class:`Tx`: read, write or remove a row, list a client's rows, read or
set a lease); every operation's rules live here, so both stores follow them alike, and the
Redis stores follow them in Lua (:mod:`._redis_lua`).

Example:
    >>> from pytok_sm import Token
    >>> from pytok_sm.stores import MemoryStore
    >>> store = MemoryStore()   # a RowStore
    >>> first = store.put("aw_key", Token(access_token="act.one", expires_at=2e9, open_id="u1"))
    >>> store.compare_and_set("aw_key", "u1", first.version, Token(access_token="act.two", expires_at=2e9, open_id="u1")).version
    2
"""

from __future__ import annotations

import time
from contextlib import AbstractContextManager
from typing import NamedTuple, Protocol

from .._secrets import hush
from .._token import Token
from ._codec import Row, is_version, read_row, token_text
from ._crypto import Cipher
from ._errors import CorruptRecord
from ._model import (
    Account,
    AccountState,
    check_expected,
    check_holder,
    check_key,
    check_reason,
    check_state,
    check_ttl,
    open_id_of,
)

__all__ = ["Lease", "RowStore", "Tx"]


class Lease(NamedTuple):
    """Who holds an account's lease, and until when (on the store's lease clock)."""

    holder: str
    expires_at: float


class Tx(Protocol):
    """What one transaction of a row store can do; all of it is committed together or not at all."""

    def read(self, client_key: str, open_id: str) -> Row | None: ...

    def write(self, client_key: str, open_id: str, row: Row) -> None: ...

    def remove(self, client_key: str, open_id: str) -> bool: ...

    def rows(self, client_key: str) -> list[tuple[str, Row]]: ...

    def lease(self, client_key: str, open_id: str) -> Lease | None: ...

    def set_lease(self, client_key: str, open_id: str, lease: Lease | None) -> None: ...


class RowStore:
    """The :class:`~pytok_sm.stores.TokenStore` operations over :meth:`_transaction`."""

    where: str = "token store"
    _cipher: Cipher | None = None

    def _transaction(self, *, write: bool) -> AbstractContextManager[Tx]:
        """A transaction: exclusive (``BEGIN IMMEDIATE``) when ``write``; none held across calls."""
        raise NotImplementedError

    def _lease_clock(self) -> float:
        """Lease expiry times are on this clock (wall time by default: shared between processes)."""
        return time.time()

    def close(self) -> None:
        """Release what the store opened (nothing here)."""

    def __enter__(self) -> RowStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.where}>"

    # -- accounts ----------------------------------------------------------------------------

    def _read(self, client_key: str, open_id: str, row: Row) -> Account:
        return read_row(self.where, client_key, open_id, row, self._cipher)

    @hush
    def get(self, client_key: str, open_id: str) -> Account | None:
        """The account, or None; a row that cannot be read raises :class:`CorruptRecord`."""
        client_key, open_id = check_key(client_key, open_id)
        with self._transaction(write=False) as tx:
            row = tx.read(client_key, open_id)
        return None if row is None else self._read(client_key, open_id, row)

    @hush
    def put(self, client_key: str, token: Token) -> Account:
        """Insert or overwrite ``token.open_id``'s account: version +1 (1 when new), state active.

        A row whose version cannot be read is not overwritten (:class:`CorruptRecord`):
        delete it first.
        """
        client_key, open_id = check_key(client_key, open_id_of(token))
        text = token_text(token, client_key, open_id, self._cipher)
        now = time.time()
        with self._transaction(write=True) as tx:
            row = tx.read(client_key, open_id)
            if row is not None and not is_version(row.version):
                raise CorruptRecord(self.where, client_key, open_id, "its version is not a positive whole number")
            version = 1 if row is None else int(row.version) + 1  # type: ignore[call-overload]
            tx.write(client_key, open_id, Row(version, "active", None, now, text))
        return Account(client_key, open_id, token, version, "active", None, now)

    @hush
    def compare_and_set(self, client_key: str, open_id: str, expected_version: int, token: Token) -> Account | None:
        """Write ``token`` only if the stored version is still ``expected_version``.

        ``expected_version=0`` writes only when there is no account yet. The new account
        (version ``expected_version + 1``, state active) is returned; None on a conflict,
        which leaves the stored account as it was.
        """
        client_key, open_id = check_key(client_key, open_id)
        open_id_of(token, open_id)
        expected = check_expected(expected_version)
        text = token_text(token, client_key, open_id, self._cipher)
        now = time.time()
        with self._transaction(write=True) as tx:
            row = tx.read(client_key, open_id)
            current = 0 if row is None else row.version
            if current != expected or isinstance(current, bool):
                return None
            tx.write(client_key, open_id, Row(expected + 1, "active", None, now, text))
        return Account(client_key, open_id, token, expected + 1, "active", None, now)

    @hush
    def mark(
        self,
        client_key: str,
        open_id: str,
        state: AccountState,
        reason: str | None = None,
        *,
        expected_version: int | None = None,
    ) -> Account | None:
        """Set the account's state and reason and keep its token (version +1).

        None when there is no account, or when ``expected_version`` is given and the stored
        version differs. The row is read whole first: one that cannot be read is left alone.
        """
        client_key, open_id = check_key(client_key, open_id)
        state, reason = check_state(state), check_reason(reason)
        expected = None if expected_version is None else check_expected(expected_version)
        now = time.time()
        with self._transaction(write=True) as tx:
            row = tx.read(client_key, open_id)
            if row is None or (expected is not None and row.version != expected):
                return None
            account = self._read(client_key, open_id, row)
            version = account.version + 1
            tx.write(client_key, open_id, Row(version, state, reason, now, row.token))
        return Account(client_key, open_id, account.token, version, state, reason, now)

    def delete(self, client_key: str, open_id: str) -> bool:
        """Remove the account (whatever its state or its lease); whether there was one."""
        client_key, open_id = check_key(client_key, open_id)
        with self._transaction(write=True) as tx:
            return tx.remove(client_key, open_id)

    def open_ids(self, client_key: str) -> list[str]:
        """The open_ids stored for ``client_key``, in every state, sorted (no token is read)."""
        client_key, _ = check_key(client_key, "-")
        with self._transaction(write=False) as tx:
            return sorted(open_id for open_id, _ in tx.rows(client_key))

    @hush
    def accounts(self, client_key: str) -> list[Account]:
        """Every account of ``client_key``, sorted by open_id; an unreadable one raises."""
        client_key, _ = check_key(client_key, "-")
        with self._transaction(write=False) as tx:
            rows = tx.rows(client_key)
        return [self._read(client_key, open_id, row) for open_id, row in sorted(rows, key=lambda pair: pair[0])]

    # -- leases ------------------------------------------------------------------------------

    def acquire_lease(self, client_key: str, open_id: str, holder: str, ttl: float) -> bool:
        """Take the account's lease for ``ttl`` seconds: True when it was free, expired or
        already ``holder``'s (then extended), False while another holder has it."""
        client_key, open_id = check_key(client_key, open_id)
        holder, seconds = check_holder(holder), check_ttl(ttl)
        with self._transaction(write=True) as tx:
            now = self._lease_clock()
            current = tx.lease(client_key, open_id)
            if current is not None and current.holder != holder and current.expires_at > now:
                return False
            tx.set_lease(client_key, open_id, Lease(holder, now + seconds))
            return True

    def renew_lease(self, client_key: str, open_id: str, holder: str, ttl: float) -> bool:
        """Extend the lease to ``ttl`` seconds from now, only while ``holder`` has it (not
        once it expired: then :meth:`acquire_lease` again)."""
        client_key, open_id = check_key(client_key, open_id)
        holder, seconds = check_holder(holder), check_ttl(ttl)
        with self._transaction(write=True) as tx:
            now = self._lease_clock()
            current = tx.lease(client_key, open_id)
            if current is None or current.holder != holder or current.expires_at <= now:
                return False
            tx.set_lease(client_key, open_id, Lease(holder, now + seconds))
            return True

    def release_lease(self, client_key: str, open_id: str, holder: str) -> bool:
        """Give the lease up, only if ``holder`` has it; True when it held it until now."""
        client_key, open_id = check_key(client_key, open_id)
        holder = check_holder(holder)
        with self._transaction(write=True) as tx:
            current = tx.lease(client_key, open_id)
            if current is None or current.holder != holder:
                return False
            tx.set_lease(client_key, open_id, None)
            return current.expires_at > self._lease_clock()
