"""A token store in Redis for asyncio (``redis.asyncio``): the same keys, scripts and rules
as :class:`~pytok_sm.stores.RedisStore`, every method a coroutine.

Example:
    >>> store = AsyncRedisStore.from_url("redis://:s3cret@localhost:6379/2")   # connects on first use
    >>> store.where
    'Redis redis://localhost:6379/2 (prefix pytok)'
    >>> account = await store.get("aw_key", "u1")   # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .._secrets import hush
from .._token import Token
from ._crypto import EncryptionKey, cipher_for
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
from ._redis import check_prefix, client_from_url
from ._redis_lua import (
    MARK_ATTEMPTS,
    SCRIPTS,
    Keys,
    Write,
    account_of,
    describe_client,
    finish_put,
    plan_mark,
    text_of,
    too_busy,
    translate,
)

__all__ = ["AsyncRedisStore"]


class AsyncRedisStore:
    """Accounts and leases in Redis through a ``redis.asyncio.Redis`` client.

    ``prefix`` and ``encryption_key=`` as for :class:`RedisStore`. A client passed in is the
    caller's to close; one made by :meth:`from_url` is closed by :meth:`aclose`.
    """

    def __init__(self, client: Any, prefix: str = "pytok", *, encryption_key: EncryptionKey | None = None) -> None:
        self._client = client
        self._keys = Keys(check_prefix(prefix))
        self._cipher = cipher_for(encryption_key)
        self.where = f"{describe_client(client)} (prefix {prefix})"
        self._scripts = {name: client.register_script(text) for name, text in SCRIPTS.items()}
        self._owns_client = False

    @classmethod
    def from_url(
        cls, url: str, prefix: str = "pytok", *, encryption_key: EncryptionKey | None = None, **client_options: Any
    ) -> AsyncRedisStore:
        """A store on a new ``redis.asyncio`` client for ``url`` (see :meth:`RedisStore.from_url`)."""
        check_prefix(prefix), cipher_for(encryption_key)  # refused before a client is made
        store = cls(client_from_url("redis.asyncio", url, client_options), prefix, encryption_key=encryption_key)
        store._owns_client = True
        return store

    async def aclose(self) -> None:
        """Close the client if :meth:`from_url` made it."""
        if self._owns_client:
            close = getattr(self._client, "aclose", None) or self._client.close  # aclose: redis >= 5.0.1
            await close()

    async def __aenter__(self) -> AsyncRedisStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<AsyncRedisStore {self.where}>"

    @contextmanager
    def _guard(self, account: tuple[str, str] | None = None) -> Iterator[None]:
        try:
            yield
        except Exception as exc:
            error = translate(exc, self.where, account)
            if error is None:
                raise
            raise error from None

    async def _run(self, name: str, keys: list[str], args: list[str], account: tuple[str, str] | None) -> int:
        with self._guard(account):
            return int(await self._scripts[name](keys=keys, args=args))

    async def _fetch(self, client_key: str, open_id: str) -> Any:
        with self._guard((client_key, open_id)):
            return await self._client.hgetall(self._keys.account(client_key, open_id))

    # -- accounts ----------------------------------------------------------------------------

    @hush
    async def get(self, client_key: str, open_id: str) -> Account | None:
        """The account, or None; one that cannot be read raises :class:`CorruptRecord`."""
        client_key, open_id = check_key(client_key, open_id)
        return account_of(self.where, client_key, open_id, await self._fetch(client_key, open_id), self._cipher)

    @hush
    async def put(self, client_key: str, token: Token) -> Account:
        """Insert or overwrite ``token.open_id``'s account (see :class:`TokenStore`)."""
        client_key, open_id = check_key(client_key, open_id_of(token))
        write = Write.put(self._keys, client_key, open_id, token, self._cipher)
        return finish_put(self.where, write, await self._run("put", write.keys, write.args, (client_key, open_id)))

    @hush
    async def compare_and_set(
        self, client_key: str, open_id: str, expected_version: int, token: Token
    ) -> Account | None:
        """Write ``token`` only at ``expected_version`` (0: only if absent); None on a conflict."""
        client_key, open_id = check_key(client_key, open_id)
        open_id_of(token, open_id)
        expected = check_expected(expected_version)
        write = Write.cas(self._keys, client_key, open_id, expected, token, self._cipher)
        version = await self._run("cas", write.keys, write.args, (client_key, open_id))
        return write.done(version) if version else None

    @hush
    async def mark(
        self,
        client_key: str,
        open_id: str,
        state: AccountState,
        reason: str | None = None,
        *,
        expected_version: int | None = None,
    ) -> Account | None:
        """Set state and reason, keep the token (version +1); None when absent or at another version."""
        client_key, open_id = check_key(client_key, open_id)
        state, reason = check_state(state), check_reason(reason)
        expected = None if expected_version is None else check_expected(expected_version)
        for _ in range(MARK_ATTEMPTS):
            fields = await self._fetch(client_key, open_id)
            write = plan_mark(self.where, self._keys, fields, (client_key, open_id), expected, (state, reason), self._cipher)
            if write is None:
                return None
            version = await self._run("mark", write.keys, write.args, (client_key, open_id))
            if version:
                return write.done(version)
            if expected is not None:
                return None
        raise too_busy(self.where, (client_key, open_id))

    async def delete(self, client_key: str, open_id: str) -> bool:
        """Remove the account; whether there was one."""
        client_key, open_id = check_key(client_key, open_id)
        keys = [self._keys.account(client_key, open_id), self._keys.index(client_key)]
        return await self._run("delete", keys, [open_id], (client_key, open_id)) > 0

    async def open_ids(self, client_key: str) -> list[str]:
        """The open_ids stored for ``client_key``, in every state, sorted."""
        client_key, _ = check_key(client_key, "-")
        with self._guard():
            members = await self._client.smembers(self._keys.index(client_key))
        return sorted(str(text_of(m)) for m in members)

    @hush
    async def accounts(self, client_key: str) -> list[Account]:
        """Every account of ``client_key``, sorted by open_id; an unreadable one raises."""
        open_ids = await self.open_ids(client_key)
        with self._guard():
            pipe = self._client.pipeline(transaction=False)
            for open_id in open_ids:
                pipe.hgetall(self._keys.account(client_key, open_id))
            answers = await pipe.execute()
        found = (account_of(self.where, client_key, o, f, self._cipher) for o, f in zip(open_ids, answers, strict=True))
        return [account for account in found if account is not None]

    # -- leases ------------------------------------------------------------------------------

    async def _lease(self, name: str, client_key: str, open_id: str, holder: str, ttl: float | None) -> bool:
        client_key, open_id = check_key(client_key, open_id)
        args = [check_holder(holder)]
        if ttl is not None:
            args.append(str(max(1, round(check_ttl(ttl) * 1000))))
        return await self._run(name, [self._keys.lease(client_key, open_id)], args, None) == 1

    async def acquire_lease(self, client_key: str, open_id: str, holder: str, ttl: float) -> bool:
        """Take the lease for ``ttl`` seconds unless another holder has it (see :class:`RedisStore`)."""
        return await self._lease("acquire", client_key, open_id, holder, ttl)

    async def renew_lease(self, client_key: str, open_id: str, holder: str, ttl: float) -> bool:
        """Extend the lease to ``ttl`` seconds from now, only while ``holder`` has it."""
        return await self._lease("renew", client_key, open_id, holder, ttl)

    async def release_lease(self, client_key: str, open_id: str, holder: str) -> bool:
        """Give the lease up, only if ``holder`` has it."""
        return await self._lease("release", client_key, open_id, holder, None)
