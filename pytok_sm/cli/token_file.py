"""The token file of the ``pytok`` command: one entry per (client_key, open_id), on disk.

Where: ``$XDG_CONFIG_HOME/pytok/tokens.json`` (``~/.config/pytok/tokens.json`` when the
variable is unset or not absolute), or any path given to :class:`TokenStore`
(``pytok --store PATH``).

What (``schema_version`` 1)::

    {
      "schema_version": 1,
      "clients": {
        "<client_key>": {
          "current": "<open_id>",
          "accounts": {"<open_id>": {"token": Token.to_dict(), "saved_at": 1700000000.0,
                                     "version": 2, "state": "active", "reason": null,
                                     "updated_at": 1700000000.0}},
          "leases": {"<open_id>": {"holder": "...", "expires_at": 1700000135.0}}
        }
      }
    }

``version``, ``state``, ``reason``, ``updated_at`` and ``leases`` are the token-store
protocol's (:mod:`pytok_sm.cli.file_store`): the file is a :class:`pytok_sm.stores.TokenStore`
(:meth:`TokenStore.as_store`), and ``pytok refresh``, ``whoami``, ``revoke`` and
``refresh-due`` use it only through that protocol. They are optional: an entry written
before them is version 1, active (or ``reauth_required`` when it has the ``refused`` mark,
which is kept beside that state).

How (docs/ROBUSTNESS.md, "Token storage on disk"; the code is :mod:`._token_file_io`):

* every change is a read-modify-write under an exclusive ``fcntl.flock`` on a separate lock
  file (``tokens.json.lock``), so two ``pytok`` processes never lose each other's update;
* the new content goes to a temp file in the same directory (``mkstemp``: mode 0600,
  ``O_EXCL``), is fsynced, renamed over the old file with ``os.replace`` (atomic), and the
  directory is fsynced: a crash or ``kill -9`` at any point leaves the old file or the new
  one, never a mix. Temp files left by a killed writer are removed by the next writer;
* the directory is created 0700; a token file readable by others is set back to 0600 (and
  the default directory to 0700) with a warning, when it is loaded;
* nothing is trusted that others could have put there (:mod:`._token_file_checks`): the
  token file and the lock file are opened with ``O_NOFOLLOW`` (a link at either name is
  refused, nothing is created or chmodded through one), must be regular files of ours, and
  a directory that group or others can write is refused (``chmod 700 DIR`` says the error);
* a file that is not valid JSON, or not this schema, or with any field of the wrong type
  (:mod:`._token_file_schema`), or over 4 MiB, is an error that says what to do
  (:class:`TokenStoreError`). It is never overwritten: :meth:`TokenStore.move_aside` keeps
  it as ``tokens.json.corrupt-<UTC time>`` only when asked (``pytok --move-corrupt-store``);
* :meth:`TokenStore.check_writable` proves a token can be saved (a real temp file created
  and removed in the directory) before ``pytok login`` lets anyone approve anything.

Example:
    >>> import tempfile, pathlib
    >>> from pytok_sm._token import Token
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> store = TokenStore(folder / "pytok" / "tokens.json")
    >>> store.save("aw_key", Token(access_token="act.a", expires_at=2e9, open_id="u1", refresh_token="rft.r"))
    >>> store.get("aw_key").open_id, oct(store.path.stat().st_mode & 0o777)
    ('u1', '0o600')
    >>> store.as_store().get("aw_key", "u1").version
    1
    >>> store.remove("aw_key", "u1"), store.get("aw_key")
    (True, None)
"""

from __future__ import annotations

import os  # noqa: F401 - tests patch token_file.os (the module every write goes through)
import time

from .._errors import TokenStoreError
from .._token import Token
from ..stores._codec import Row
from . import _token_file_schema as schema
from ._token_file_io import StoreData, TokenFile, default_path
from ._token_file_schema import NO_OPEN_ID as _NO_OPEN_ID
from ._token_file_schema import SCHEMA_VERSION
from .file_store import FileStore, entry_row, remove_entry, write_entry

__all__ = ["SCHEMA_VERSION", "StoreData", "TokenStore", "TokenStoreError", "default_path"]


class TokenStore(TokenFile):
    """The token file: :meth:`get`, :meth:`save`, :meth:`remove`, each safe against crashes.

    This is the file's own API (``pytok login`` saves through it; tests seed it); it writes
    entries exactly as :meth:`as_store`, the token-store protocol over the same file, does.
    ``warn`` and ``private_dir``: see :class:`~pytok_sm.cli._token_file_io.TokenFile`.

    Example:
        >>> TokenStore("/tmp/x/tokens.json").lock_path.name
        'tokens.json.lock'
    """

    def as_store(self) -> FileStore:
        """This file as a :class:`pytok_sm.stores.TokenStore` (for store-backed kits)."""
        return FileStore(self)

    # ------------------------------------------------------------------ reading
    def get(self, client_key: str, open_id: str | None = None) -> Token | None:
        """The token of ``open_id`` (default: the current one) for ``client_key``, or None."""
        data = self.load()
        chosen = open_id if open_id is not None else data.current(client_key)
        if chosen is None:
            return None
        entry = data.accounts(client_key).get(chosen)
        return None if entry is None else schema.token_of(entry, self.path, client_key, chosen)

    def accounts(self, client_key: str) -> list[str]:
        """The open_ids stored for ``client_key``, current first."""
        data = self.load()
        current = data.current(client_key)
        names = sorted(data.accounts(client_key))
        return sorted(names, key=lambda name: name != current)

    def refusal(self, client_key: str, open_id: str | None = None) -> str | None:
        """How TikTok refused the entry's token ("reason, on DATE") when it is marked
        ``reauth_required``, or None."""
        data = self.load()
        key = open_id if open_id is not None else data.current(client_key)
        entry = data.accounts(client_key).get(key or _NO_OPEN_ID)
        if not entry:
            return None
        row = entry_row(entry)
        if row.state != "reauth_required":
            return None
        when = (entry.get("refused") or {}).get("at", row.updated_at)
        day = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(when))
        return f"{row.reason or 'refused'}, on {day}"

    # ------------------------------------------------------------------ writing
    def save(self, client_key: str, token: Token, *, make_current: bool = True) -> None:
        """Store ``token`` as the entry of (client_key, token.open_id), durably, now: the
        protocol's ``put`` (version + 1, state active), plus the current marker."""
        key = token.open_id or _NO_OPEN_ID
        with self.transaction() as data:
            client = data.clients.setdefault(client_key, {"current": None, "accounts": {}})
            entry = client["accounts"].get(key)
            version = 1 if entry is None else int(entry.get("version", 1)) + 1
            write_entry(client, key, Row(version, "active", None, time.time(), ""), token.to_dict())
            if make_current:
                client["current"] = key

    def mark_refused(self, client_key: str, open_id: str | None, reason: str) -> None:
        """Note that TikTok refused the entry's token (revoked elsewhere, expired for good):
        the protocol's ``mark(..., "reauth_required", reason)``; the entry stays until a login
        replaces it."""
        key = open_id or _NO_OPEN_ID
        with self.transaction() as data:
            client = data.clients.get(client_key)
            entry = client["accounts"].get(key) if client else None
            if client is not None and entry is not None:
                row = Row(int(entry.get("version", 1)) + 1, "reauth_required", reason, time.time(), "")
                write_entry(client, key, row, entry["token"])

    def remove(self, client_key: str, open_id: str | None) -> bool:
        """Delete one entry; the current one moves to another account of the client, if any.

        Returns whether an entry was removed.
        """
        with self.transaction() as data:
            return remove_entry(data, client_key, open_id or _NO_OPEN_ID)
