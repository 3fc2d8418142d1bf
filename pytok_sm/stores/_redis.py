"""A token store in Redis (redis-py, synchronous): many processes, many machines.

Every write is a Lua script, atomic on the server (:mod:`._redis_lua` shows the keys and
the scripts); leases are keys with a ``PX`` expiry on the server's clock, so a holder that
died (``kill -9``, a lost machine) blocks nobody past its ttl. A Redis that cannot be
reached raises :class:`StoreUnavailable` naming the URL (never its password); an account
that cannot be read raises :class:`CorruptRecord` naming it. ``redis`` is an optional
dependency: ``pip install 'pytok-sm[redis]'``.

A lost answer: when the connection drops after Redis ran a write, redis-py may retry it; a
retried ``compare_and_set`` then reports a conflict (None) for a write that happened. On
None, read the account again: its token may be the one you wrote.

Example:
    >>> store = RedisStore.from_url("redis://:s3cret@localhost:6379/0", prefix="myapp")   # connects on first use
    >>> store.where
    'Redis redis://localhost:6379/0 (prefix myapp)'
    >>> store.get("aw_key", "u1")   # doctest: +SKIP
    >>> store.close()
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .._errors import ConfigurationError
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

__all__ = ["RedisStore", "client_from_url", "check_prefix"]

#: Timeouts (seconds) given to a client made from a URL, unless the caller gives its own.
_TIMEOUTS = {"socket_timeout": 5.0, "socket_connect_timeout": 5.0}


def check_prefix(prefix: object) -> str:
    """A key prefix: printable, no white space, at most 100 characters."""
    if not isinstance(prefix, str) or not prefix or len(prefix) > 100 or not prefix.isprintable() or " " in prefix:
        raise ConfigurationError("prefix", "must be a non-empty printable string without spaces, of at most 100 characters")
    return prefix


def client_from_url(module: str, url: object, options: dict[str, Any]) -> Any:
    """A redis-py client (``redis`` or ``redis.asyncio``) for ``url``, with timeouts by default."""
    import importlib

    try:
        redis = importlib.import_module(module)
    except ImportError:
        raise ConfigurationError(
            "url", "a Redis store needs the redis package: pip install redis (or pip install 'pytok-sm[redis]')"
        ) from None
    if not isinstance(url, str):
        raise ConfigurationError("url", f"must be a redis:// URL, not a {type(url).__name__}")
    try:
        return redis.Redis.from_url(url, **{**_TIMEOUTS, **options})
    except ValueError as exc:  # its text may quote the URL: keep the password out
        reason = str(exc).split(":")[0][:120]
        raise ConfigurationError("url", f"is not a Redis URL redis-py can use ({reason})") from None


class RedisStore:
    """Accounts and leases in Redis through a redis-py client (``redis.Redis``).

    ``prefix`` starts every key (several apps or test runs can share one Redis);
    ``encryption_key=`` (32 bytes, or a list: the first encrypts, all decrypt) encrypts the
    tokens with AES-GCM. A client passed in is the caller's to close; one made by
    :meth:`from_url` is closed by :meth:`close`.
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
    ) -> RedisStore:
        """A store on a new client for ``url`` (``redis://[user:password@]host:port/db``,
        ``rediss://`` for TLS, ``unix://``); ``client_options`` go to ``redis.Redis.from_url``
        (5 s socket timeouts unless given)."""
        check_prefix(prefix), cipher_for(encryption_key)  # refused before a client is made
        store = cls(client_from_url("redis", url, client_options), prefix, encryption_key=encryption_key)
        store._owns_client = True
        return store

    def close(self) -> None:
        """Close the client if :meth:`from_url` made it."""
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> RedisStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<RedisStore {self.where}>"

    @contextmanager
    def _guard(self, account: tuple[str, str] | None = None) -> Iterator[None]:
        try:
            yield
        except Exception as exc:
            error = translate(exc, self.where, account)
            if error is None:
                raise
            raise error from None

    def _run(self, name: str, keys: list[str], args: list[str], account: tuple[str, str] | None) -> int:
        with self._guard(account):
            return int(self._scripts[name](keys=keys, args=args))

    # -- accounts ----------------------------------------------------------------------------

    def _fetch(self, client_key: str, open_id: str) -> Any:
        with self._guard((client_key, open_id)):
            return self._client.hgetall(self._keys.account(client_key, open_id))

    @hush
    def get(self, client_key: str, open_id: str) -> Account | None:
        """The account, or None; one that cannot be read raises :class:`CorruptRecord`."""
        client_key, open_id = check_key(client_key, open_id)
        return account_of(self.where, client_key, open_id, self._fetch(client_key, open_id), self._cipher)

    @hush
    def put(self, client_key: str, token: Token) -> Account:
        """Insert or overwrite ``token.open_id``'s account (see :class:`TokenStore`)."""
        client_key, open_id = check_key(client_key, open_id_of(token))
        write = Write.put(self._keys, client_key, open_id, token, self._cipher)
        return finish_put(self.where, write, self._run("put", write.keys, write.args, (client_key, open_id)))

    @hush
    def compare_and_set(self, client_key: str, open_id: str, expected_version: int, token: Token) -> Account | None:
        """Write ``token`` only at ``expected_version`` (0: only if absent); None on a conflict."""
        client_key, open_id = check_key(client_key, open_id)
        open_id_of(token, open_id)
        expected = check_expected(expected_version)
        write = Write.cas(self._keys, client_key, open_id, expected, token, self._cipher)
        version = self._run("cas", write.keys, write.args, (client_key, open_id))
        return write.done(version) if version else None

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
        """Set state and reason, keep the token (version +1); None when absent or at another version."""
        client_key, open_id = check_key(client_key, open_id)
        state, reason = check_state(state), check_reason(reason)
        expected = None if expected_version is None else check_expected(expected_version)
        for _ in range(MARK_ATTEMPTS):
            fields = self._fetch(client_key, open_id)
            write = plan_mark(self.where, self._keys, fields, (client_key, open_id), expected, (state, reason), self._cipher)
            if write is None:
                return None
            version = self._run("mark", write.keys, write.args, (client_key, open_id))
            if version:
                return write.done(version)
            if expected is not None:
                return None
        raise too_busy(self.where, (client_key, open_id))

    def delete(self, client_key: str, open_id: str) -> bool:
        """Remove the account; whether there was one."""
        client_key, open_id = check_key(client_key, open_id)
        keys = [self._keys.account(client_key, open_id), self._keys.index(client_key)]
        return self._run("delete", keys, [open_id], (client_key, open_id)) > 0

    def open_ids(self, client_key: str) -> list[str]:
        """The open_ids stored for ``client_key``, in every state, sorted."""
        client_key, _ = check_key(client_key, "-")
        with self._guard():
            members = self._client.smembers(self._keys.index(client_key))
        return sorted(str(text_of(m)) for m in members)

    @hush
    def accounts(self, client_key: str) -> list[Account]:
        """Every account of ``client_key``, sorted by open_id; an unreadable one raises."""
        open_ids = self.open_ids(client_key)
        with self._guard():
            pipe = self._client.pipeline(transaction=False)
            for open_id in open_ids:
                pipe.hgetall(self._keys.account(client_key, open_id))
            answers = pipe.execute()
        found = (account_of(self.where, client_key, o, f, self._cipher) for o, f in zip(open_ids, answers, strict=True))
        return [account for account in found if account is not None]

    # -- leases ------------------------------------------------------------------------------

    def _lease(self, name: str, client_key: str, open_id: str, holder: str, ttl: float | None) -> bool:
        client_key, open_id = check_key(client_key, open_id)
        args = [check_holder(holder)]
        if ttl is not None:
            args.append(str(max(1, round(check_ttl(ttl) * 1000))))
        return self._run(name, [self._keys.lease(client_key, open_id)], args, None) == 1

    def acquire_lease(self, client_key: str, open_id: str, holder: str, ttl: float) -> bool:
        """Take the lease for ``ttl`` seconds (``SET PX``) unless another holder has it; a holder
        that has it already gets it extended."""
        return self._lease("acquire", client_key, open_id, holder, ttl)

    def renew_lease(self, client_key: str, open_id: str, holder: str, ttl: float) -> bool:
        """Extend the lease to ``ttl`` seconds from now, only while ``holder`` has it."""
        return self._lease("renew", client_key, open_id, holder, ttl)

    def release_lease(self, client_key: str, open_id: str, holder: str) -> bool:
        """Give the lease up, only if ``holder`` has it."""
        return self._lease("release", client_key, open_id, holder, None)
