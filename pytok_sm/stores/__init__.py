"""Token stores: many accounts, many processes, many machines.

A store keeps one :class:`Account` per ``(client_key, open_id)`` — its :class:`~pytok_sm.Token`,
a ``version`` (1 on the first write, +1 on every write), a ``state`` (``"active"``,
``"reauth_required"``, ``"removed"``) with a ``reason``, and ``updated_at`` — and one
lease per account, so that of all the workers sharing the store, one refreshes a token.

=====================  ==========================================================================
store                  for
=====================  ==========================================================================
:class:`MemoryStore`   one process, its threads (tests, scripts)
:class:`SQLiteStore`   the processes of one machine: one file, WAL, ``BEGIN IMMEDIATE`` per write
:class:`RedisStore`    many machines: Lua scripts, leases with a server-side expiry
:class:`AsyncRedisStore`  the same for asyncio; :func:`as_async` turns any other store into one
=====================  ==========================================================================

All follow :class:`TokenStore` (:class:`AsyncTokenStore`); every method is one atomic step
and holds nothing (no transaction, no lock) between calls:

* ``get(client_key, open_id)``: the account or None.
* ``put(client_key, token)``: insert or overwrite ``token.open_id``'s account; version +1
  (1 when new), state ``"active"``. For a new login.
* ``compare_and_set(client_key, open_id, expected_version, token)``: write only if the
  stored version is still ``expected_version`` (``0``: only if there is no account); the new
  account, or None on a conflict (someone wrote first: read again). State ``"active"``.
* ``mark(client_key, open_id, state, reason, expected_version=None)``: change the state,
  keep the token (version +1); never deletes. None when absent or at another version.
* ``delete(client_key, open_id)``; ``open_ids(client_key)`` and ``accounts(client_key)``
  (every state, sorted by open_id).
* ``acquire_lease(client_key, open_id, holder, ttl)``: True if the lease was free, expired or
  already ``holder``'s (then extended to ``ttl`` seconds); ``renew_lease`` extends it only
  while ``holder`` has it; ``release_lease`` frees it only for ``holder``. A holder that
  died (``kill -9``) blocks the others for at most ``ttl``.

A lease alone cannot stop a holder that paused past its ttl from writing late; the
version can. Refreshing an account, in any number of processes::

    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex}"
    if store.acquire_lease(key, open_id, holder, ttl=30):
        try:
            account = store.get(key, open_id)           # read under the lease: maybe refreshed already
            if account.active and account.token.is_expired(time.time()):
                try:
                    token = refresh(account.token)      # TikTok rotates the refresh token
                except ReauthorizationRequired as error:
                    store.mark(key, open_id, "reauth_required", str(error), expected_version=account.version)
                else:
                    if store.compare_and_set(key, open_id, account.version, token) is None:
                        ...                              # the lease ran out and another worker wrote: read again
        finally:
            store.release_lease(key, open_id, holder)
    else:
        ...                                              # another worker refreshes: read again shortly

Encryption at rest (``pip install cryptography``): ``encryption_key=`` on every store, 32
bytes (``os.urandom(32)``), or a list of them: the first encrypts, all are tried to decrypt.
To rotate, put the new key first and keep the old ones after it until every account has
been written again. Tokens are sealed with AES-256-GCM, a random 96-bit nonce per write,
the account ``(client_key, open_id)`` as associated data: a wrong key, a tampered row, or a
ciphertext copied to another account raises :class:`DecryptionFailed`, never a crash.

Errors (each a :class:`~pytok_sm.TokenStoreError`, naming the store and the account):
:class:`StoreUnavailable` (cannot reach or use the store; ``transient``), :class:`CorruptRecord`
(an account that cannot be read; left as it is), :class:`DecryptionFailed`,
:class:`EncryptionUnavailable`. A wrong argument is a :class:`~pytok_sm.ConfigurationError`;
a token given for another account's open_id an :class:`~pytok_sm.AccountMismatch`. A failed
call never changes what is stored.

Example:
    >>> import pathlib, tempfile
    >>> from pytok_sm import Token
    >>> store = SQLiteStore(pathlib.Path(tempfile.mkdtemp()) / "tokens.db")
    >>> first = store.put("aw_key", Token(access_token="act.one", expires_at=2e9, open_id="u1"))
    >>> refreshed = Token(access_token="act.two", expires_at=3e9, open_id="u1")
    >>> store.compare_and_set("aw_key", "u1", first.version, refreshed).version
    2
    >>> store.compare_and_set("aw_key", "u1", first.version, refreshed) is None   # stale: a conflict
    True
    >>> store.acquire_lease("aw_key", "u1", "worker-a", ttl=30), store.acquire_lease("aw_key", "u1", "worker-b", ttl=30)
    (True, False)
    >>> [(a.open_id, a.version, a.state) for a in store.accounts("aw_key")]
    [('u1', 2, 'active')]
    >>> store.close()
"""

from ._errors import CorruptRecord, DecryptionFailed, EncryptionUnavailable, StoreUnavailable
from ._memory import MemoryStore
from ._model import STATES, Account, AccountState, AsyncTokenStore, TokenStore
from ._redis import RedisStore
from ._redis_async import AsyncRedisStore
from ._sqlite import SQLiteStore
from ._threaded import as_async

__all__ = [
    "STATES",
    "Account",
    "AccountState",
    "AsyncRedisStore",
    "AsyncTokenStore",
    "CorruptRecord",
    "DecryptionFailed",
    "EncryptionUnavailable",
    "MemoryStore",
    "RedisStore",
    "SQLiteStore",
    "StoreUnavailable",
    "TokenStore",
    "as_async",
]

# Show the public classes as ``pytok_sm.stores.Name`` (tracebacks, reprs, pickles), as the root does.
for _value in (Account, AsyncRedisStore, AsyncTokenStore, CorruptRecord, DecryptionFailed, EncryptionUnavailable,
               MemoryStore, RedisStore, SQLiteStore, StoreUnavailable, TokenStore):
    _value.__module__ = __name__
del _value
