"""The errors of the token stores: each a :class:`~pytok_sm.TokenStoreError`, naming the store.

::

    TokenStoreError                  (pytok_sm's own)
    ├── StoreUnavailable             the store cannot be reached or used: Redis down, a SQLite
    │                                file that cannot be written or is locked too long
    ├── CorruptRecord                a stored account cannot be read (corrupt JSON, wrong types,
    │                                another open_id inside than its key); ``corrupt = True``
    ├── DecryptionFailed             an encrypted token does not open with the keys given
    │                                (a wrong key, a tampered row, a row moved to another account)
    └── EncryptionUnavailable        encryption was asked for without the ``cryptography`` package

Every message says which store (a path, or a Redis URL without its password), which account
(``client_key/open_id``) where there is one, and what to do. A failed operation changes nothing.

Example:
    >>> error = CorruptRecord("SQLite store /srv/tokens.db", "aw_key", "u1", "its version is not a number")
    >>> error.corrupt, error.open_id
    (True, 'u1')
    >>> str(error).split(";")[0]
    'the account aw_key/u1 in the SQLite store /srv/tokens.db cannot be read (its version is not a number)'
"""

from __future__ import annotations

from .._errors import TokenStoreError

__all__ = ["CorruptRecord", "DecryptionFailed", "EncryptionUnavailable", "StoreUnavailable"]


class StoreUnavailable(TokenStoreError):
    """The store cannot be reached or used; ``store`` names it, ``transient`` tells whether
    trying again later may help (Redis down, a lock held too long) or something must be
    fixed first (a file that cannot be written, a directory others can write).

    Example:
        >>> error = StoreUnavailable("Redis redis://cache:6379/0", "cannot be reached (Connection refused)",
        ...                          "start Redis or fix the URL")
        >>> str(error), error.transient
        ('the token store Redis redis://cache:6379/0 cannot be reached (Connection refused); start Redis or fix the URL', True)
    """

    def __init__(self, store: str, problem: str, advice: str, *, transient: bool = True, corrupt: bool = False) -> None:
        super().__init__(f"the token store {store} {problem}; {advice}", corrupt=corrupt)
        self.store = store
        self.transient = transient


class CorruptRecord(TokenStoreError):
    """A stored account cannot be read: nothing was changed, the row is left as it is.

    Example:
        >>> CorruptRecord("memory store", "aw_key", "u1", "its token is not JSON").client_key
        'aw_key'
    """

    def __init__(self, store: str, client_key: str, open_id: str, problem: str) -> None:
        super().__init__(
            f"the account {client_key}/{open_id} in the {store} cannot be read ({problem}); nothing was changed: "
            "delete the account (store.delete(client_key, open_id)) and log it in again, or restore it from a backup",
            corrupt=True,
        )
        self.store = store
        self.client_key = client_key
        self.open_id = open_id
        self.problem = problem


class DecryptionFailed(TokenStoreError):
    """An account's token cannot be decrypted (or is not encrypted when it should be).

    AES-GCM cannot tell a wrong key from a tampered row or a ciphertext copied from another
    account: all three are refused the same way, and nothing is changed.

    Example:
        >>> error = DecryptionFailed("memory store", "aw_key", "u1", "none of the 1 key(s) opens it")
        >>> "pass the encryption_key it was written with" in str(error)
        True
    """

    def __init__(self, store: str, client_key: str, open_id: str, problem: str, advice: str = "") -> None:
        advice = advice or (
            "pass the encryption_key it was written with (when rotating keys, give a list: the new key first, "
            "the old ones after it); if the key is right, the row was tampered with or copied from another "
            "account: delete the account and log it in again"
        )
        super().__init__(
            f"the token of account {client_key}/{open_id} in the {store} cannot be decrypted ({problem}); "
            f"nothing was changed: {advice}"
        )
        self.store = store
        self.client_key = client_key
        self.open_id = open_id
        self.problem = problem


class EncryptionUnavailable(TokenStoreError):
    """``encryption_key=`` was given but the ``cryptography`` package is not installed.

    Example:
        >>> "pip install cryptography" in str(EncryptionUnavailable())
        True
    """

    def __init__(self) -> None:
        super().__init__(
            "encryption_key= needs the cryptography package (AES-GCM), which is not installed: "
            "pip install cryptography (or pip install 'pytok-sm[crypto]')"
        )
