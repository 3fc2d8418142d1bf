"""What the Redis stores (sync and asyncio) share: keys, Lua scripts, and reading the answers.

Layout, with ``P`` the prefix, ``C`` the client_key and ``O`` the open_id (each
percent-encoded, so no ``:`` or brace in them can be confused; ``{C}`` is a Redis Cluster
hash tag, keeping one app's keys in one slot)::

    P:{C}:account:O    hash  version (integer), meta (JSON: client_key, open_id, state, reason,
                             updated_at), token (JSON of Token.to_dict(), or its encryption)
    P:{C}:accounts     set   the open_ids of C, changed in the same script as the accounts
    P:{C}:lease:O      string the holder's name, with a PX expiry: a dead holder's lease ends by itself

Every write is one Lua script, so it is atomic on the server: ``PUT`` (version +1),
``CAS`` (write only at the expected version, or only when absent for 0), ``MARK`` (new
meta at the expected version, the token untouched), ``DELETE``, and the lease scripts
``ACQUIRE`` (free or already ours: ``SET ... PX``), ``RENEW`` (ours: ``PEXPIRE``) and
``RELEASE`` (ours: ``DEL``). Lua only compares strings and counts versions; the JSON is
written by Python and never re-encoded by the server.

Example:
    >>> keys = Keys("pytok")
    >>> keys.account("aw:key", "u1"), keys.lease("aw:key", "u1")
    ('pytok:{aw%3Akey}:account:u1', 'pytok:{aw%3Akey}:lease:u1')
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import quote

from .._errors import TokenStoreError
from .._token import Token
from ._codec import Row, meta_json, read_meta, read_row, token_text
from ._crypto import Cipher
from ._errors import CorruptRecord, StoreUnavailable
from ._model import Account, AccountState

__all__ = [
    "MARK_ATTEMPTS",
    "SCRIPTS",
    "Keys",
    "Write",
    "account_of",
    "describe_client",
    "finish_put",
    "plan_mark",
    "row_of",
    "text_of",
    "translate",
    "too_busy",
]

#: How many times ``mark`` without ``expected_version`` re-reads after losing a race.
MARK_ATTEMPTS = 50

SCRIPTS = {
    "put": """
local v = redis.call('HGET', KEYS[1], 'version')
local n = 1
if v then
  if not string.match(v, '^[1-9]%d*$') then return -1 end
  n = tonumber(v) + 1
end
redis.call('HSET', KEYS[1], 'version', string.format('%d', n), 'meta', ARGV[2], 'token', ARGV[3])
redis.call('SADD', KEYS[2], ARGV[1])
return n
""",
    "cas": """
if ARGV[1] == '0' then
  if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
elseif redis.call('HGET', KEYS[1], 'version') ~= ARGV[1] then
  return 0
end
local n = tonumber(ARGV[1]) + 1
redis.call('HSET', KEYS[1], 'version', string.format('%d', n), 'meta', ARGV[3], 'token', ARGV[4])
redis.call('SADD', KEYS[2], ARGV[2])
return n
""",
    "mark": """
if redis.call('HGET', KEYS[1], 'version') ~= ARGV[1] then return 0 end
local n = tonumber(ARGV[1]) + 1
redis.call('HSET', KEYS[1], 'version', string.format('%d', n), 'meta', ARGV[2])
return n
""",
    "delete": """
local n = redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
return n
""",
    "acquire": """
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
""",
    "renew": """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
""",
    "release": """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
""",
}


def _part(text: str) -> str:
    return quote(text, safe="")


class Keys:
    """The Redis keys of one prefix."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def account(self, client_key: str, open_id: str) -> str:
        return f"{self.prefix}:{{{_part(client_key)}}}:account:{_part(open_id)}"

    def index(self, client_key: str) -> str:
        return f"{self.prefix}:{{{_part(client_key)}}}:accounts"

    def lease(self, client_key: str, open_id: str) -> str:
        return f"{self.prefix}:{{{_part(client_key)}}}:lease:{_part(open_id)}"


class Write(NamedTuple):
    """A prepared write: the script's keys and arguments, and the account it makes."""

    keys: list[str]
    args: list[str]
    account: Account

    def done(self, version: int) -> Account:
        a = self.account
        return Account(a.client_key, a.open_id, a.token, version, a.state, a.reason, a.updated_at)

    @classmethod
    def put(cls, keys: Keys, client_key: str, open_id: str, token: Token, cipher: Cipher | None) -> Write:
        now = time.time()
        meta = meta_json(client_key, open_id, "active", None, now)
        text = token_text(token, client_key, open_id, cipher)
        account = Account(client_key, open_id, token, 0, "active", None, now)
        return cls([keys.account(client_key, open_id), keys.index(client_key)], [open_id, meta, text], account)

    @classmethod
    def cas(cls, keys: Keys, client_key: str, open_id: str, expected: int, token: Token, cipher: Cipher | None) -> Write:
        put = cls.put(keys, client_key, open_id, token, cipher)
        return cls(put.keys, [str(expected), *put.args], put.account)

    @classmethod
    def mark(cls, keys: Keys, account: Account, state: AccountState, reason: str | None) -> Write:
        now = time.time()
        meta = meta_json(account.client_key, account.open_id, state, reason, now)
        marked = Account(account.client_key, account.open_id, account.token, 0, state, reason, now)
        return cls([keys.account(account.client_key, account.open_id)], [str(account.version), meta], marked)


def text_of(value: object) -> object:
    """A Redis answer as text (bytes decoded as UTF-8, anything undecodable kept recognisably bad)."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", errors="replace")
    return value


def row_of(where: str, client_key: str, open_id: str, fields: Mapping[Any, Any]) -> Row:
    """The row an account hash holds (``HGETALL``), its meta checked against the key."""
    found = {text_of(k): text_of(v) for k, v in fields.items()}
    version: object = found.get("version")
    if isinstance(version, str) and version.isascii() and version.isdigit() and not version.startswith("0"):
        version = int(version)
    state, reason, updated_at = read_meta(where, client_key, open_id, found.get("meta"))
    return Row(version, state, reason, updated_at, found.get("token"))


def account_of(
    where: str, client_key: str, open_id: str, fields: Mapping[Any, Any] | None, cipher: Cipher | None
) -> Account | None:
    """The account an ``HGETALL`` answer holds, or None for an empty one (no such key)."""
    if not fields:
        return None
    return read_row(where, client_key, open_id, row_of(where, client_key, open_id, fields), cipher)


def finish_put(where: str, write: Write, version: int) -> Account:
    """The account a ``PUT`` made; -1 means the stored version could not be read (nothing written)."""
    if version < 1:
        a = write.account
        raise CorruptRecord(where, a.client_key, a.open_id, "its version is not a positive whole number")
    return write.done(version)


def plan_mark(
    where: str,
    keys: Keys,
    fields: Mapping[Any, Any] | None,
    account: tuple[str, str],
    expected: int | None,
    change: tuple[AccountState, str | None],
    cipher: Cipher | None,
) -> Write | None:
    """The ``MARK`` of an account read as ``fields``: None when there is nothing to mark (no
    account, or not at ``expected``); the whole account is read first, so a row that cannot
    be read is never marked."""
    if not fields:
        return None
    client_key, open_id = account
    if expected is not None:
        found = {text_of(k): v for k, v in fields.items()}
        if text_of(found.get("version")) != str(expected):
            return None
    current = account_of(where, client_key, open_id, fields, cipher)
    assert current is not None
    return Write.mark(keys, current, *change)


def too_busy(where: str, account: tuple[str, str]) -> StoreUnavailable:
    return StoreUnavailable(
        where, f"changed account {account[0]}/{account[1]} under each of {MARK_ATTEMPTS} attempts to mark it", "try again"
    )


def describe_client(client: Any) -> str:
    """``Redis redis://host:port/db`` for a redis-py client: never its password."""
    pool = getattr(client, "connection_pool", None)
    options = getattr(pool, "connection_kwargs", None)
    if not isinstance(options, Mapping):
        return f"Redis ({type(client).__name__})"
    db = options.get("db", 0)
    if options.get("path"):
        return f"Redis unix://{options['path']}?db={db}"
    secure = "SSL" in getattr(getattr(pool, "connection_class", None), "__name__", "")
    user = f"{quote(str(options['username']), safe='')}@" if options.get("username") else ""
    scheme = "rediss" if secure else "redis"
    return f"Redis {scheme}://{user}{options.get('host', 'localhost')}:{options.get('port', 6379)}/{db}"


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:200]
    return text or type(exc).__name__


def translate(exc: BaseException, where: str, account: tuple[str, str] | None = None) -> TokenStoreError | None:
    """The typed error for a redis-py exception (None when it is not one)."""
    try:
        from redis import exceptions as rex
    except ImportError:  # pragma: no cover - a client was given, so redis is there
        return None
    if isinstance(exc, (rex.AuthenticationError, rex.AuthenticationWrongNumberOfArgsError)):
        return StoreUnavailable(where, f"refused the credentials ({_short(exc)})",
                                "check the user name and password of the Redis URL", transient=False)
    if isinstance(exc, (rex.ConnectionError, rex.TimeoutError)):
        return StoreUnavailable(where, f"cannot be reached ({_short(exc)})",
                                "start Redis, or check the host, port and TLS of its URL; nothing was changed by "
                                "this call unless it was a write whose answer was lost: read the account again")
    if isinstance(exc, rex.ReadOnlyError):
        return StoreUnavailable(where, "is a read-only replica", "point the store at the primary (after a failover, "
                                "try again)")
    if isinstance(exc, rex.ResponseError) and "WRONGTYPE" in str(exc) and account is not None:
        return CorruptRecord(where, account[0], account[1], "its Redis key holds another kind of value")
    if isinstance(exc, rex.RedisError):
        return StoreUnavailable(where, f"failed ({_short(exc)})",
                                "check the Redis server's log and the permissions (ACL) of its user", transient=False)
    return None
