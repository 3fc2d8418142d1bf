"""Tokens encrypted at rest: AES-256-GCM, a fresh 96-bit nonce per write, the account as AAD.

``encryption_key=`` on every store takes 32 bytes, or a list of such keys: the first one
encrypts every write, and all of them are tried, in order, to decrypt. That is how keys
rotate: put the new key first and keep the old ones after it; every account written from
then on uses the new key, and once all have been rewritten (a refresh rewrites an account),
the old key can go.

The associated data is the account's key ``(client_key, open_id)``, so a ciphertext copied
into another account's row does not decrypt. What is stored in place of the token's JSON is
``aesgcm1:`` followed by the URL-safe base64 of nonce and ciphertext (with its 16-byte tag).
The record fields (version, state, reason, time) stay readable: the store needs them.

Example:
    >>> import os
    >>> sealer = Cipher([os.urandom(32)])
    >>> sealed = sealer.seal(b'{"access_token": "act.example"}', account_aad("aw_key", "u1"))
    >>> sealed.startswith(SEALED_PREFIX), b"act.example" in sealed.encode()
    (True, False)
    >>> sealer.open(sealed, account_aad("aw_key", "u1"))
    b'{"access_token": "act.example"}'
    >>> sealer.open(sealed, account_aad("aw_key", "u2")) is None  # moved to another account
    True
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Sequence
from typing import Any

from .._errors import ConfigurationError
from ._errors import EncryptionUnavailable

__all__ = ["SEALED_PREFIX", "Cipher", "EncryptionKey", "account_aad", "cipher_for"]

#: What an encrypted token's text starts with.
SEALED_PREFIX = "aesgcm1:"
_KEY_BYTES = 32
_NONCE_BYTES = 12
_TAG_BYTES = 16

#: What ``encryption_key=`` accepts: one 32-byte key, or a list of them (the first encrypts).
EncryptionKey = bytes | Sequence[bytes]


def account_aad(client_key: str, open_id: str) -> bytes:
    """The associated data binding a ciphertext to its account (unambiguous whatever the characters)."""
    return json.dumps(["pytok_sm.stores/1", client_key, open_id], ensure_ascii=False).encode()


def _aesgcm() -> Any:
    try:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    except ImportError:
        raise EncryptionUnavailable() from None
    return AESGCM


def _keys(encryption_key: object) -> list[bytes]:
    if isinstance(encryption_key, (bytes, bytearray, memoryview)):
        candidates: list[object] = [encryption_key]
    elif isinstance(encryption_key, (list, tuple)):
        candidates = list(encryption_key)
    else:
        raise ConfigurationError(
            "encryption_key",
            f"must be 32 bytes or a list of 32-byte keys, not a {type(encryption_key).__name__} "
            "(a text key? decode it first, e.g. base64.b64decode(os.environ['PYTOK_STORE_KEY']))",
        )
    if not candidates:
        raise ConfigurationError("encryption_key", "is an empty list: give at least one 32-byte key")
    keys: list[bytes] = []
    for index, key in enumerate(candidates):
        if not isinstance(key, (bytes, bytearray, memoryview)) or len(bytes(key)) != _KEY_BYTES:
            size = f"{len(bytes(key))} bytes" if isinstance(key, (bytes, bytearray, memoryview)) else type(key).__name__
            raise ConfigurationError(
                "encryption_key",
                f"key {index} must be exactly {_KEY_BYTES} bytes (AES-256), not {size}; make one with os.urandom(32)",
            )
        keys.append(bytes(key))
    return keys


class Cipher:
    """AES-GCM with a list of keys: the first seals, all are tried to open."""

    __slots__ = ("_aeads",)

    def __init__(self, encryption_key: EncryptionKey) -> None:
        keys = _keys(encryption_key)
        aesgcm = _aesgcm()
        self._aeads = [aesgcm(key) for key in keys]

    def __repr__(self) -> str:
        return f"Cipher(keys={len(self._aeads)})"

    @property
    def key_count(self) -> int:
        """How many keys are tried to decrypt."""
        return len(self._aeads)

    def seal(self, plaintext: bytes, aad: bytes) -> str:
        """``aesgcm1:`` and the base64 of a fresh nonce and the ciphertext, under the first key."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = nonce + bytes(self._aeads[0].encrypt(nonce, plaintext, aad))
        return SEALED_PREFIX + base64.urlsafe_b64encode(sealed).decode("ascii")

    def open(self, sealed: str, aad: bytes) -> bytes | None:
        """The plaintext, or None when no key opens it with this ``aad`` (wrong key, tampered, moved)."""
        from cryptography.exceptions import InvalidTag

        try:
            raw = base64.urlsafe_b64decode(sealed[len(SEALED_PREFIX) :].encode("ascii"))
        except (binascii.Error, ValueError, UnicodeEncodeError):
            return None
        if len(raw) < _NONCE_BYTES + _TAG_BYTES:
            return None
        nonce, body = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
        for aead in self._aeads:
            try:
                return bytes(aead.decrypt(nonce, body, aad))
            except InvalidTag:
                continue
        return None


def cipher_for(encryption_key: EncryptionKey | None) -> Cipher | None:
    """The cipher of a store's ``encryption_key=`` (None: tokens stored as plain JSON)."""
    return None if encryption_key is None else Cipher(encryption_key)
