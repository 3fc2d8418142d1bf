"""The ``pytok`` token file as a token store of :mod:`pytok_sm.stores`: one protocol, not two.

:class:`FileStore` follows :class:`pytok_sm.stores.TokenStore` (``get``, ``put``,
``compare_and_set``, ``mark``, ``delete``, ``open_ids``, ``accounts`` and the lease) with the
very rules of :class:`~pytok_sm.stores.MemoryStore` and :class:`~pytok_sm.stores.SQLiteStore`:
it is a row store of the library (:class:`pytok_sm.stores._rows.RowStore`) whose transaction
is the token file's (:meth:`TokenFile.transaction`: the ``flock`` of ``tokens.json.lock``, a
load, an atomic replace), so every operation is one locked read-modify-write and none holds
the lock between calls. A store-backed kit (``LoginKit(..., store=FileStore(file),
open_id=...)``) thus refreshes with the library's protocol across ``pytok`` processes: lease,
re-read, adopt or refresh, compare-and-set.

What an entry holds besides its ``token`` and ``saved_at`` (all optional, so that files
written before them read as they were)::

    "version": 3                      1 when absent
    "state": "active"                 or "reauth_required", "removed"; when absent,
                                      "reauth_required" if the entry has "refused", else "active"
    "reason": null                    why the state is not active, in words
    "updated_at": 1700000000.0        the last write; saved_at when absent
    "refused": {"reason", "at"}       kept beside state "reauth_required" (pytok before states read it)

and each client may hold ``"leases": {"<open_id>": {"holder": ..., "expires_at": ...}}``
(seconds since the epoch: the processes of a machine share that clock). An entry stored
without an open_id (key ``"-"``) is not an account of the protocol and is not listed.

Every failure is a :class:`~pytok_sm.TokenStoreError`: an ``OSError`` while writing (a full
disk) becomes :class:`~pytok_sm.stores.StoreUnavailable` naming the file, so that a kit
whose rotated token cannot be written still hands it over (``error.token``).

Example:
    >>> import pathlib, tempfile
    >>> from pytok_sm import Token
    >>> from pytok_sm.cli._token_file_io import TokenFile
    >>> store = FileStore(TokenFile(pathlib.Path(tempfile.mkdtemp()) / "tokens.json"))
    >>> first = store.put("aw_key", Token(access_token="act.one", expires_at=2e9, open_id="u1"))
    >>> second = store.compare_and_set("aw_key", "u1", first.version, Token(access_token="act.two", expires_at=2e9, open_id="u1"))
    >>> second.version, store.compare_and_set("aw_key", "u1", first.version, second.token) is None
    (2, True)
    >>> store.acquire_lease("aw_key", "u1", "a", ttl=30), store.acquire_lease("aw_key", "u1", "b", ttl=30)
    (True, False)
    >>> [(a.open_id, a.version, a.state) for a in store.accounts("aw_key")]
    [('u1', 2, 'active')]
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from typing import Any

from .._token import Token
from ..stores import Account, StoreUnavailable
from ..stores._codec import Row
from ..stores._rows import Lease, RowStore
from ._token_file_io import StoreData, TokenFile
from ._token_file_schema import NO_OPEN_ID

__all__ = ["FileStore", "entry_row", "remove_entry", "write_entry"]


def entry_row(entry: dict[str, Any]) -> Row:
    """The protocol's view of a file entry: version 1 and state active unless it says otherwise."""
    state = entry.get("state")
    if state is None:
        state = "reauth_required" if entry.get("refused") else "active"
    reason = entry.get("reason")
    if reason is None and state == "reauth_required" and isinstance(entry.get("refused"), dict):
        reason = entry["refused"].get("reason")
    updated = entry.get("updated_at", entry.get("saved_at", 0.0))
    token = json.dumps(entry.get("token"), separators=(",", ":"), allow_nan=False)
    return Row(entry.get("version", 1), state, reason, updated, token)


def write_entry(client: dict[str, Any], open_id: str, row: Row, token: dict[str, Any]) -> None:
    """Write one account into a client of the file: the entry keeps fields it does not know,
    ``saved_at`` moves when the token changes, ``refused`` follows the state, and the first
    account of a client becomes its current one."""
    entry = dict(client["accounts"].get(open_id) or {})
    if entry.get("token") != token:
        entry["saved_at"] = row.updated_at
    entry.update(token=token, version=row.version, state=row.state, reason=row.reason, updated_at=row.updated_at)
    if row.state == "reauth_required":
        entry["refused"] = {"reason": str(row.reason or "reauth_required")[:200], "at": row.updated_at}
    else:
        entry.pop("refused", None)
    client["accounts"][open_id] = entry
    if client.get("current") is None:
        client["current"] = open_id


def remove_entry(data: StoreData, client_key: str, open_id: str) -> bool:
    """Delete one entry; the current one moves to another account, an empty client goes."""
    client = data.clients.get(client_key)
    if client is None or open_id not in client["accounts"]:
        return False
    del client["accounts"][open_id]
    if client.get("current") == open_id:
        client["current"] = min(client["accounts"]) if client["accounts"] else None
    _drop_if_empty(data, client_key)
    return True


def _drop_if_empty(data: StoreData, client_key: str) -> None:
    client = data.clients[client_key]
    if not client["accounts"] and not client.get("leases"):
        del data.clients[client_key]


class _FileTx:
    """One transaction of a :class:`~pytok_sm.stores._rows.RowStore` over the loaded file."""

    def __init__(self, data: StoreData) -> None:
        self.data = data

    def _client(self, client_key: str, *, create: bool) -> dict[str, Any] | None:
        if create:
            return self.data.clients.setdefault(client_key, {"current": None, "accounts": {}})
        return self.data.clients.get(client_key)

    def read(self, client_key: str, open_id: str) -> Row | None:
        entry = self.data.accounts(client_key).get(open_id)
        return None if entry is None or open_id == NO_OPEN_ID else entry_row(entry)

    def write(self, client_key: str, open_id: str, row: Row) -> None:
        client = self._client(client_key, create=True)
        assert client is not None and isinstance(row.token, str)  # the JSON of Token.to_dict(): no cipher here
        write_entry(client, open_id, row, json.loads(row.token))

    def remove(self, client_key: str, open_id: str) -> bool:
        return remove_entry(self.data, client_key, open_id)

    def rows(self, client_key: str) -> list[tuple[str, Row]]:
        entries = self.data.accounts(client_key)
        return [(open_id, entry_row(entry)) for open_id, entry in entries.items() if open_id != NO_OPEN_ID]

    def lease(self, client_key: str, open_id: str) -> Lease | None:
        client = self._client(client_key, create=False)
        found = (client or {}).get("leases", {}).get(open_id)
        return None if found is None else Lease(found["holder"], float(found["expires_at"]))

    def set_lease(self, client_key: str, open_id: str, lease: Lease | None) -> None:
        client = self._client(client_key, create=lease is not None)
        if client is None:
            return
        now = time.time()
        leases = {key: value for key, value in client.get("leases", {}).items() if value["expires_at"] > now}
        if lease is None:
            leases.pop(open_id, None)
        else:
            leases[open_id] = {"holder": lease.holder, "expires_at": lease.expires_at}
        if leases:
            client["leases"] = leases
        else:
            client.pop("leases", None)
            _drop_if_empty(self.data, client_key)


class FileStore(RowStore):
    """The token file behind the :class:`pytok_sm.stores.TokenStore` protocol (see the module).

    ``put(..., make_current=True)`` also makes the account the file's current one (what
    ``pytok login`` does); :meth:`current` and :meth:`set_current` read and move that marker,
    which the other stores do not have.
    """

    def __init__(self, file: TokenFile) -> None:
        self.file = file
        self.where = f"token file {file.path}"

    def __repr__(self) -> str:
        return f"<FileStore {self.file.path}>"

    @contextlib.contextmanager
    def _transaction(self, *, write: bool) -> Iterator[_FileTx]:
        try:
            if not write:
                yield _FileTx(self.file.load())
                return
            with self.file.transaction() as data:
                yield _FileTx(data)
        except OSError as exc:
            raise StoreUnavailable(
                self.where, f"could not be read or written ({exc.strerror or type(exc).__name__})",
                f"nothing was changed; check that the disk is not full and that {self.file.path.parent} is yours "
                "and writable",
            ) from None

    def put(self, client_key: str, token: Token, *, make_current: bool = False) -> Account:
        """See :meth:`pytok_sm.stores.TokenStore.put`; ``make_current`` also moves the marker."""
        account = super().put(client_key, token)
        if make_current:
            self.set_current(client_key, account.open_id)
        return account

    def current(self, client_key: str) -> str | None:
        """The open_id of the file's current account of ``client_key`` (None when there is none)."""
        with self._transaction(write=False) as tx:
            return tx.data.current(client_key)

    def set_current(self, client_key: str, open_id: str) -> None:
        """Make ``open_id`` the current account of ``client_key`` (it must be stored)."""
        with self._transaction(write=True) as tx:
            client = tx.data.clients.get(client_key)
            if client is not None and open_id in client["accounts"]:
                client["current"] = open_id
