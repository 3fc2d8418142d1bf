"""How an account is written down, and read back with every field checked.

A stored account is its record fields (``version``, ``state``, ``reason``, ``updated_at``)
and its token: the JSON of :meth:`Token.to_dict` (with ``open_id``), or that JSON encrypted
(:mod:`._crypto`). Reading checks every field: a version that is not a positive int, an
unknown state, a token that is not JSON or not a token, a token (or record) about another
open_id than its key: each is a :class:`CorruptRecord` naming the account; an encrypted
token that does not open is a :class:`DecryptionFailed`. Nothing of the row is in a message.

Example:
    >>> from pytok_sm import Token
    >>> token = Token(access_token="act.example", expires_at=2e9, open_id="u1")
    >>> text = token_text(token, "aw_key", "u1", None)
    >>> row = Row(version=3, state="active", reason=None, updated_at=5.0, token=text)
    >>> account = read_row("memory store", "aw_key", "u1", row, None)
    >>> account.version, account.token == token
    (3, True)
    >>> read_row("memory store", "aw_key", "u2", row, None)
    Traceback (most recent call last):
    pytok_sm.stores.CorruptRecord: the account aw_key/u2 in the memory store cannot be read (its token belongs to another open_id than its key); nothing was changed: delete the account (store.delete(client_key, open_id)) and log it in again, or restore it from a backup
"""

from __future__ import annotations

import json
import math
from typing import Any, NamedTuple, TypeGuard

from .._errors import TikTokError
from .._secrets import hush
from .._token import Token
from ._crypto import SEALED_PREFIX, Cipher, account_aad
from ._errors import CorruptRecord, DecryptionFailed
from ._model import STATES, Account, AccountState

__all__ = ["Row", "is_version", "meta_json", "read_meta", "read_row", "token_text"]


class Row(NamedTuple):
    """An account's fields as a store holds them, not yet checked."""

    version: object
    state: object
    reason: object
    updated_at: object
    token: object


def token_text(token: Token, client_key: str, open_id: str, cipher: Cipher | None) -> str:
    """The token as stored: its JSON, sealed for its account when there is a cipher."""
    text = json.dumps(token.to_dict(), separators=(",", ":"), allow_nan=False)
    if cipher is None:
        return text
    return cipher.seal(text.encode("utf-8"), account_aad(client_key, open_id))


def is_version(value: object) -> TypeGuard[int]:
    """A stored version: an int (not a bool) >= 1."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def meta_json(client_key: str, open_id: str, state: AccountState, reason: str | None, updated_at: float) -> str:
    """The record fields besides version and token, as one JSON text (Redis keeps them so)."""
    return json.dumps(
        {"client_key": client_key, "open_id": open_id, "state": state, "reason": reason, "updated_at": updated_at},
        separators=(",", ":"),
        allow_nan=False,
    )


def read_meta(where: str, client_key: str, open_id: str, text: object) -> tuple[object, object, object]:
    """``(state, reason, updated_at)`` from :func:`meta_json`'s text, checked against the key."""
    try:
        meta = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        meta = None
    if not isinstance(meta, dict):
        raise CorruptRecord(where, client_key, open_id, "its record fields are not a JSON object")
    if meta.get("client_key") != client_key or meta.get("open_id") != open_id:
        raise CorruptRecord(where, client_key, open_id, "its record names another account than its key")
    return meta.get("state"), meta.get("reason"), meta.get("updated_at")


def _token_dict(where: str, client_key: str, open_id: str, text: object, cipher: Cipher | None) -> Any:
    if not isinstance(text, str):
        raise CorruptRecord(where, client_key, open_id, f"its token is a {type(text).__name__}, not text")
    if text.startswith(SEALED_PREFIX):
        if cipher is None:
            raise DecryptionFailed(
                where, client_key, open_id, "it is encrypted and this store was given no encryption_key",
                "pass the encryption_key it was written with",
            )
        plain = cipher.open(text, account_aad(client_key, open_id))
        if plain is None:
            raise DecryptionFailed(where, client_key, open_id, f"none of the {cipher.key_count} key(s) given opens it")
        text = plain.decode("utf-8", errors="replace")
    elif cipher is not None:
        raise DecryptionFailed(
            where, client_key, open_id, "it is stored unencrypted but this store encrypts",
            "to encrypt existing accounts, read them with a store without encryption_key and put them into one "
            "with it; a plain token where an encrypted one belongs may also have been put there by someone else",
        )
    try:
        return json.loads(text)
    except ValueError:
        raise CorruptRecord(where, client_key, open_id, "its token is not JSON") from None


@hush
def read_row(where: str, client_key: str, open_id: str, row: Row, cipher: Cipher | None) -> Account:
    """The :class:`Account` a stored row holds, every field checked (see the module's text)."""
    version = row.version
    if not is_version(version):
        raise CorruptRecord(where, client_key, open_id, "its version is not a positive whole number")
    state = row.state
    if state not in STATES:
        raise CorruptRecord(where, client_key, open_id, "its state is not one of " + ", ".join(STATES))
    if row.reason is not None and not isinstance(row.reason, str):
        raise CorruptRecord(where, client_key, open_id, "its reason is not text")
    stamp = row.updated_at
    if isinstance(stamp, bool) or not isinstance(stamp, (int, float)) or not math.isfinite(stamp):
        raise CorruptRecord(where, client_key, open_id, "its updated_at is not a time")
    data = _token_dict(where, client_key, open_id, row.token, cipher)
    if not isinstance(data, dict) or "expires_at" not in data:
        raise CorruptRecord(where, client_key, open_id, "its token is not a saved token (Token.to_dict())")
    try:
        token = Token.from_dict(data)
    except TikTokError:
        raise CorruptRecord(where, client_key, open_id, "its token has a field of the wrong type") from None
    if token.open_id != open_id:
        raise CorruptRecord(where, client_key, open_id, "its token belongs to another open_id than its key")
    return Account(
        client_key=client_key,
        open_id=open_id,
        token=token,
        version=version,
        state=state,
        reason=row.reason,
        updated_at=float(stamp),
    )
