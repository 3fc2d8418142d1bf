"""Encryption at rest, for every store: AES-GCM with a fresh nonce per write, the account as
associated data, key rotation by a list of keys, and typed errors (never a crash) for a wrong
key, a tampered row, a ciphertext moved to another account, or a missing ``cryptography``."""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Callable
from typing import Any

import pytest

from pytok_sm import ConfigurationError, TokenStoreError
from pytok_sm.stores import DecryptionFailed, EncryptionUnavailable

from .helpers import CLIENT_KEY, Raw, token

KEY_A = bytes(range(32))
KEY_B = bytes(range(100, 132))


def test_tokens_are_stored_encrypted_and_read_back(open_store: Callable[..., Any], raw: Raw) -> None:
    store = open_store(encryption_key=KEY_A)
    written = store.put(CLIENT_KEY, token("u1"))
    stored = raw.row("u1")
    assert stored["token"].startswith("aesgcm1:")
    assert "secret" not in json.dumps(stored) and "act." not in stored["token"]
    assert (stored["state"], int(stored["version"])) == ("active", 1)  # the record fields stay readable
    assert store.get(CLIENT_KEY, "u1") == written
    assert store.get(CLIENT_KEY, "u1").token == token("u1")


def test_every_write_has_a_fresh_nonce(open_store: Callable[..., Any], raw: Raw) -> None:
    store = open_store(encryption_key=KEY_A)
    seen = set()
    for _ in range(3):
        store.put(CLIENT_KEY, token("u1"))
        sealed = base64.urlsafe_b64decode(raw.row("u1")["token"].removeprefix("aesgcm1:"))
        seen.add(sealed[:12])
    assert len(seen) == 3


def test_a_wrong_key_is_a_typed_error_naming_the_store_and_account_and_changes_nothing(
    open_store: Callable[..., Any], raw: Raw
) -> None:
    right = open_store(encryption_key=KEY_A)
    right.put(CLIENT_KEY, token("u1"))
    before = raw.row("u1")
    wrong = open_store(encryption_key=KEY_B)
    for attempt in (lambda: wrong.get(CLIENT_KEY, "u1"), lambda: wrong.accounts(CLIENT_KEY),
                    lambda: wrong.mark(CLIENT_KEY, "u1", "removed")):
        with pytest.raises(DecryptionFailed) as caught:
            attempt()
        message = str(caught.value)
        assert isinstance(caught.value, TokenStoreError)
        assert f"{CLIENT_KEY}/u1" in message and wrong.where in message and "encryption_key" in message
    assert raw.row("u1") == before
    assert right.get(CLIENT_KEY, "u1").token == token("u1")


def test_a_tampered_ciphertext_is_refused(open_store: Callable[..., Any], raw: Raw) -> None:
    store = open_store(encryption_key=KEY_A)
    store.put(CLIENT_KEY, token("u1"))
    sealed = bytearray(base64.urlsafe_b64decode(raw.row("u1")["token"].removeprefix("aesgcm1:")))
    sealed[20] ^= 1
    raw.set("u1", "token", "aesgcm1:" + base64.urlsafe_b64encode(bytes(sealed)).decode())
    with pytest.raises(DecryptionFailed):
        store.get(CLIENT_KEY, "u1")
    raw.set("u1", "token", "aesgcm1:not base64!")
    with pytest.raises(DecryptionFailed):
        store.get(CLIENT_KEY, "u1")


def test_a_ciphertext_copied_to_another_account_is_refused(open_store: Callable[..., Any], raw: Raw) -> None:
    store = open_store(encryption_key=KEY_A)
    store.put(CLIENT_KEY, token("u1", "victim"))
    store.put(CLIENT_KEY, token("u2", "attacker"))
    raw.set("u2", "token", raw.row("u1")["token"])
    with pytest.raises(DecryptionFailed) as caught:
        store.get(CLIENT_KEY, "u2")
    assert caught.value.open_id == "u2"
    assert store.get(CLIENT_KEY, "u1").token == token("u1", "victim")


def test_keys_rotate_the_first_encrypts_and_all_decrypt(open_store: Callable[..., Any]) -> None:
    old = open_store(encryption_key=KEY_A)
    old.put(CLIENT_KEY, token("u1", "old"))
    rotating = open_store(encryption_key=[KEY_B, KEY_A])
    assert rotating.get(CLIENT_KEY, "u1").token == token("u1", "old")  # written with A, read with [B, A]
    rotating.put(CLIENT_KEY, token("u1", "new"))
    new_only = open_store(encryption_key=[KEY_B])
    assert new_only.get(CLIENT_KEY, "u1").token == token("u1", "new")  # the new write used B
    with pytest.raises(DecryptionFailed, match="1 key"):
        old.get(CLIENT_KEY, "u1")


def test_encrypted_and_plain_tokens_are_never_mistaken_for_each_other(open_store: Callable[..., Any]) -> None:
    plain = open_store()
    encrypted = open_store(encryption_key=KEY_A)
    plain.put(CLIENT_KEY, token("u1"))
    encrypted.put(CLIENT_KEY, token("u2"))
    with pytest.raises(DecryptionFailed, match="stored unencrypted"):
        encrypted.get(CLIENT_KEY, "u1")
    with pytest.raises(DecryptionFailed, match="no encryption_key"):
        plain.get(CLIENT_KEY, "u2")


@pytest.mark.parametrize("key", [b"short", bytes(33), "a" * 32, [], [KEY_A, b"short"], 42])
def test_a_key_that_is_not_32_bytes_is_a_configuration_error(open_store: Callable[..., Any], key: object) -> None:
    with pytest.raises(ConfigurationError, match="encryption_key"):
        open_store(encryption_key=key)


def test_without_cryptography_encryption_is_a_clear_error(open_store: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cryptography.hazmat.primitives.ciphers.aead", None)
    with pytest.raises(EncryptionUnavailable, match=r"pip install cryptography"):
        open_store(encryption_key=KEY_A)
    assert open_store().get(CLIENT_KEY, "u1") is None  # a store without encryption needs no cryptography
