"""What a token store holds (:class:`Account`) and what every store does (:class:`TokenStore`).

An account is keyed by ``(client_key, open_id)``: one TikTok app, one TikTok user. Its
``version`` starts at 1 and grows by one with every write (``put``, ``compare_and_set``,
``mark``), so a writer that read version 7 can say "write only if it is still 7".

Example:
    >>> from pytok_sm import Token
    >>> token = Token(access_token="act.example", expires_at=2e9, open_id="u1", refresh_token="rft.example")
    >>> account = Account("aw_key", "u1", token, version=1, state="active", reason=None, updated_at=1.0)
    >>> account.key, account.active
    (('aw_key', 'u1'), True)
    >>> check_state("gone")
    Traceback (most recent call last):
    pytok_sm.ConfigurationError: state: must be one of 'active', 'reauth_required', 'removed', not 'gone'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, Protocol, get_args, runtime_checkable

from .._errors import AccountMismatch, ConfigurationError
from .._token import Token

__all__ = [
    "STATES",
    "Account",
    "AccountState",
    "AsyncTokenStore",
    "TokenStore",
    "check_expected",
    "check_holder",
    "check_key",
    "check_reason",
    "check_state",
    "check_ttl",
    "open_id_of",
]

AccountState = Literal["active", "reauth_required", "removed"]
#: Every state an account can be in.
STATES: tuple[AccountState, ...] = get_args(AccountState)

_MAX_KEY = 512
_MAX_REASON = 2000


@dataclass(frozen=True, slots=True)
class Account:
    """One stored account: its token and the record around it.

    ``state`` is ``"active"`` (the token is usable), ``"reauth_required"`` (the refresh token
    was refused: the person must log in again) or ``"removed"`` (the app stopped using it);
    ``reason`` says why, in words. ``updated_at`` is the time of the last write (seconds
    since the epoch).
    """

    client_key: str
    open_id: str
    token: Token
    version: int
    state: AccountState
    reason: str | None
    updated_at: float

    @property
    def key(self) -> tuple[str, str]:
        """``(client_key, open_id)``."""
        return (self.client_key, self.open_id)

    @property
    def active(self) -> bool:
        """Whether the token may be used (state ``"active"``)."""
        return self.state == "active"


@runtime_checkable
class TokenStore(Protocol):
    """What every synchronous store offers (:class:`MemoryStore`, :class:`SQLiteStore`,
    :class:`RedisStore`); every method is atomic and holds nothing between calls."""

    where: str

    def get(self, client_key: str, open_id: str) -> Account | None:
        """The account, or None when there is none."""

    def put(self, client_key: str, token: Token) -> Account:
        """Insert or overwrite the account of ``token.open_id``: version +1 (1 when new), state active."""

    def compare_and_set(self, client_key: str, open_id: str, expected_version: int, token: Token) -> Account | None:
        """Write ``token`` only if the stored version is still ``expected_version`` (0: only if there
        is no account); the new account, or None on a conflict."""

    def mark(
        self,
        client_key: str,
        open_id: str,
        state: AccountState,
        reason: str | None = None,
        *,
        expected_version: int | None = None,
    ) -> Account | None:
        """Set the state and reason, keeping the token (version +1); None when there is no account
        or its version is not ``expected_version``."""

    def delete(self, client_key: str, open_id: str) -> bool:
        """Remove the account; whether there was one."""

    def open_ids(self, client_key: str) -> list[str]:
        """The open_ids stored for ``client_key``, in every state, sorted."""

    def accounts(self, client_key: str) -> list[Account]:
        """The accounts stored for ``client_key``, in every state, sorted by open_id."""

    def acquire_lease(self, client_key: str, open_id: str, holder: str, ttl: float) -> bool:
        """Take the account's lease for ``ttl`` seconds, unless another holder has it."""

    def renew_lease(self, client_key: str, open_id: str, holder: str, ttl: float) -> bool:
        """Extend the lease to ``ttl`` seconds from now, only if ``holder`` still has it."""

    def release_lease(self, client_key: str, open_id: str, holder: str) -> bool:
        """Give the lease up, only if ``holder`` has it; whether it did."""

    def close(self) -> None:
        """Release connections the store opened itself."""


@runtime_checkable
class AsyncTokenStore(Protocol):
    """:class:`TokenStore` as coroutines (:class:`AsyncRedisStore`, or :func:`as_async` of any store)."""

    where: str

    async def get(self, client_key: str, open_id: str) -> Account | None:
        """See :meth:`TokenStore.get`."""

    async def put(self, client_key: str, token: Token) -> Account:
        """See :meth:`TokenStore.put`."""

    async def compare_and_set(
        self, client_key: str, open_id: str, expected_version: int, token: Token
    ) -> Account | None:
        """See :meth:`TokenStore.compare_and_set`."""

    async def mark(
        self,
        client_key: str,
        open_id: str,
        state: AccountState,
        reason: str | None = None,
        *,
        expected_version: int | None = None,
    ) -> Account | None:
        """See :meth:`TokenStore.mark`."""

    async def delete(self, client_key: str, open_id: str) -> bool:
        """See :meth:`TokenStore.delete`."""

    async def open_ids(self, client_key: str) -> list[str]:
        """See :meth:`TokenStore.open_ids`."""

    async def accounts(self, client_key: str) -> list[Account]:
        """See :meth:`TokenStore.accounts`."""

    async def acquire_lease(self, client_key: str, open_id: str, holder: str, ttl: float) -> bool:
        """See :meth:`TokenStore.acquire_lease`."""

    async def renew_lease(self, client_key: str, open_id: str, holder: str, ttl: float) -> bool:
        """See :meth:`TokenStore.renew_lease`."""

    async def release_lease(self, client_key: str, open_id: str, holder: str) -> bool:
        """See :meth:`TokenStore.release_lease`."""

    async def aclose(self) -> None:
        """Release connections the store opened itself."""


def _text(field: str, value: object, limit: int) -> str:
    if not isinstance(value, str) or not value or len(value) > limit or not value.isprintable():
        shown = repr(value) if isinstance(value, str) and len(value) <= 40 else f"a {type(value).__name__}"
        raise ConfigurationError(field, f"must be a non-empty printable string of at most {limit} characters, not {shown}")
    return value


def check_key(client_key: object, open_id: object) -> tuple[str, str]:
    """``(client_key, open_id)`` checked: non-empty printable strings (no newline, no control)."""
    return _text("client_key", client_key, _MAX_KEY), _text("open_id", open_id, _MAX_KEY)


def open_id_of(token: object, open_id: object = None) -> str:
    """The open_id a token is stored under; ``open_id`` (when given) must be the token's own."""
    if not isinstance(token, Token):
        raise ConfigurationError("token", f"must be a pytok_sm.Token, not a {type(token).__name__}")
    if token.open_id is None:
        raise ConfigurationError("token", "has no open_id: a store keeps tokens by (client_key, open_id)")
    if open_id is not None and token.open_id != open_id:
        raise AccountMismatch(f"the token given for account {open_id}")
    return _text("token.open_id", token.open_id, _MAX_KEY)


def check_state(state: object) -> AccountState:
    """One of :data:`STATES`."""
    for known in STATES:
        if state == known:
            return known
    allowed = ", ".join(repr(s) for s in STATES)
    raise ConfigurationError("state", f"must be one of {allowed}, not {state!r}")


def check_reason(reason: object) -> str | None:
    """None or a string of at most 2000 characters."""
    if reason is None or (isinstance(reason, str) and len(reason) <= _MAX_REASON):
        return reason
    raise ConfigurationError("reason", f"must be None or a string of at most {_MAX_REASON} characters")


def check_expected(expected_version: object) -> int:
    """A version to compare with: an int >= 0 (0 means "no account yet")."""
    if isinstance(expected_version, bool) or not isinstance(expected_version, int) or expected_version < 0:
        raise ConfigurationError("expected_version", f"must be an int >= 0, not {expected_version!r}")
    return expected_version


def check_holder(holder: object) -> str:
    """A lease holder's name: a non-empty printable string (e.g. host, pid and a random part)."""
    return _text("holder", holder, 256)


def check_ttl(ttl: object) -> float:
    """A lease duration in seconds: a finite number from 0.001 to one day."""
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or not math.isfinite(ttl) or not 0.001 <= ttl <= 86400:
        raise ConfigurationError("ttl", f"must be a number of seconds from 0.001 to 86400, not {ttl!r}")
    return float(ttl)
