"""Any synchronous store as an :class:`~pytok_sm.stores.AsyncTokenStore`: each call in a worker thread.

For ``AsyncLoginKit`` over :class:`MemoryStore` or :class:`SQLiteStore` (whose calls block
on the file): the event loop keeps running while SQLite waits for another process. A call
whose task is cancelled still finishes in its thread (a lease taken so is held until its
ttl); :class:`AsyncRedisStore` is natively asynchronous and needs no adapter.

Example:
    >>> import asyncio
    >>> from pytok_sm import Token
    >>> from pytok_sm.stores import MemoryStore
    >>> store = as_async(MemoryStore())
    >>> async def main():
    ...     await store.put("aw_key", Token(access_token="act.example", expires_at=2e9, open_id="u1"))
    ...     return (await store.get("aw_key", "u1")).version
    >>> asyncio.run(main())
    1
"""

from __future__ import annotations

import asyncio

from .._token import Token
from ._model import Account, AccountState, AsyncTokenStore, TokenStore

__all__ = ["as_async"]


class _Threaded:
    """The coroutines of :class:`AsyncTokenStore` over a :class:`TokenStore`."""

    def __init__(self, store: TokenStore) -> None:
        self.store = store
        self.where = store.where

    def __repr__(self) -> str:
        return f"as_async({self.store!r})"

    async def get(self, client_key: str, open_id: str) -> Account | None:
        return await asyncio.to_thread(self.store.get, client_key, open_id)

    async def put(self, client_key: str, token: Token) -> Account:
        return await asyncio.to_thread(self.store.put, client_key, token)

    async def compare_and_set(
        self, client_key: str, open_id: str, expected_version: int, token: Token
    ) -> Account | None:
        return await asyncio.to_thread(self.store.compare_and_set, client_key, open_id, expected_version, token)

    async def mark(
        self,
        client_key: str,
        open_id: str,
        state: AccountState,
        reason: str | None = None,
        *,
        expected_version: int | None = None,
    ) -> Account | None:
        return await asyncio.to_thread(
            self.store.mark, client_key, open_id, state, reason, expected_version=expected_version
        )

    async def delete(self, client_key: str, open_id: str) -> bool:
        return await asyncio.to_thread(self.store.delete, client_key, open_id)

    async def open_ids(self, client_key: str) -> list[str]:
        return await asyncio.to_thread(self.store.open_ids, client_key)

    async def accounts(self, client_key: str) -> list[Account]:
        return await asyncio.to_thread(self.store.accounts, client_key)

    async def acquire_lease(self, client_key: str, open_id: str, holder: str, ttl: float) -> bool:
        return await asyncio.to_thread(self.store.acquire_lease, client_key, open_id, holder, ttl)

    async def renew_lease(self, client_key: str, open_id: str, holder: str, ttl: float) -> bool:
        return await asyncio.to_thread(self.store.renew_lease, client_key, open_id, holder, ttl)

    async def release_lease(self, client_key: str, open_id: str, holder: str) -> bool:
        return await asyncio.to_thread(self.store.release_lease, client_key, open_id, holder)

    async def aclose(self) -> None:
        await asyncio.to_thread(self.store.close)


def as_async(store: TokenStore) -> AsyncTokenStore:
    """``store`` with every method a coroutine run in a worker thread (``asyncio.to_thread``)."""
    if not isinstance(store, TokenStore):
        from .._errors import ConfigurationError

        raise ConfigurationError("store", f"must be a TokenStore (MemoryStore, SQLiteStore, RedisStore), not {store!r}")
    return _Threaded(store)
