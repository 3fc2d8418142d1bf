"""``pytok --store``: which token store a command uses, and what the commands ask of it.

=====================================  ===============================================================
``--store``                            store
=====================================  ===============================================================
(none)                                 the token file ``$XDG_CONFIG_HOME/pytok/tokens.json``
``PATH`` (any other name)              that JSON token file (:class:`~pytok_sm.cli.file_store.FileStore`)
``PATH.db``, ``.sqlite``, ``.sqlite3``  a SQLite file (:class:`pytok_sm.stores.SQLiteStore`)
``sqlite:///rel.db``, ``sqlite:////abs.db``  the same, written as SQLAlchemy does
``redis://[:PASSWORD@]HOST[:PORT]/DB``  Redis (:class:`pytok_sm.stores.RedisStore`); also ``rediss://``
                                       and ``unix://``; ``?prefix=NAME`` sets the key prefix (``pytok``)
=====================================  ===============================================================

Anything else with a scheme (``http://``, ``mysql://``, ``sqlite://host/...``) is a usage
error naming these forms, and never the value itself (a URL may carry a password; the Redis
store shows its URL without one).

:class:`CliStore` is what a command gets from ``session.store()``: the protocol store
(``.store``: every command that refreshes goes through it, with :class:`~.rescue.Rescuing`
around it), where it is for people (``.where``), the account a command acts on, and the
*current* marker: the token file keeps one per client key (the last login); a SQLite or
Redis store has none, so there the current account is the only active one, and with
several ``--open-id`` must pick one.

Example:
    >>> parse_spec("/srv/pytok/tokens.db"), parse_spec("sqlite:////srv/t.db"), parse_spec("~/t.json")[0]
    (('sqlite', '/srv/pytok/tokens.db'), ('sqlite', '/srv/t.db'), 'file')
    >>> parse_spec("redis://:pw@cache:6379/0?prefix=app")
    ('redis', 'redis://:pw@cache:6379/0', 'app')
    >>> parse_spec("mysql://root:pw@db/x")
    Traceback (most recent call last):
    pytok_sm.cli.exits.UsageError: --store mysql://… is not a store pytok knows: pass a path (a JSON token file, or a SQLite file ending in .db), sqlite:///PATH (sqlite:////ABSOLUTE/PATH) or redis://[:PASSWORD@]HOST[:PORT]/DB[?prefix=NAME]
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from .._errors import TikTokError, TokenStoreError
from .._token import Token
from ..stores import Account, RedisStore, SQLiteStore
from ._token_file_io import TokenFile
from ._token_file_schema import NO_OPEN_ID
from .exits import StoredTokenMissing, UsageError
from .file_store import FileStore
from .rescue import Rescuing, state_directory
from .token_file import TokenStore

__all__ = ["CliStore", "open_store", "parse_spec"]

_SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
_REDIS_SCHEMES = ("redis", "rediss", "unix")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_FORMS = ("pass a path (a JSON token file, or a SQLite file ending in .db), sqlite:///PATH (sqlite:////ABSOLUTE/PATH) "
          "or redis://[:PASSWORD@]HOST[:PORT]/DB[?prefix=NAME]")


def _refuse(scheme: str, problem: str = "is not a store pytok knows") -> UsageError:
    return UsageError(f"--store {scheme}://… {problem}: {_FORMS}")


def parse_spec(spec: str) -> tuple[str, ...]:
    """``("file", path)``, ``("sqlite", path)`` or ``("redis", url, prefix)``; a usage error else."""
    found = _SCHEME.match(spec)
    if found is None or not spec[found.end():].startswith("//"):
        path = os.path.expanduser(spec)
        return ("sqlite", path) if path.lower().endswith(_SQLITE_SUFFIXES) else ("file", path)
    scheme = found.group(1).lower()
    if scheme == "sqlite":
        rest = spec[found.end() + 2:]
        if not rest.startswith("/") or "?" in rest or "#" in rest or len(rest) < 2:
            raise _refuse(scheme, "names a host, a query or no file")
        return ("sqlite", unquote(rest[1:]))
    if scheme in _REDIS_SCHEMES:
        parts = urlsplit(spec)
        query = parse_qsl(parts.query, keep_blank_values=True)
        prefixes = [value for name, value in query if name == "prefix"]
        rest = urlencode([(name, value) for name, value in query if name != "prefix"])
        return ("redis", urlunsplit(parts._replace(query=rest)), prefixes[-1] if prefixes else "pytok")
    raise _refuse(scheme)


def open_store(spec: str | None, *, explicit: bool, environ: Mapping[str, str], warn: Callable[[str], None],
               move_corrupt: bool) -> CliStore:
    """The store ``--store`` names (None: the default token file), checked now: a corrupt token
    file fails before any login starts (or is moved aside with ``move_corrupt``)."""
    kind, *rest = parse_spec(spec) if spec is not None else ("file",)
    if kind == "file":
        file = TokenStore(rest[0] if rest else None, warn=warn, private_dir=None if explicit else True)
        try:
            file.load()
        except TokenStoreError as error:
            if not (error.corrupt and move_corrupt):
                raise
            backup = file.move_aside()
            warn(f"moved the unreadable token file to {backup}; starting with an empty one")
        return CliStore(FileStore(file), where=str(file.path), directory=file.path.parent, environ=environ)
    if kind == "sqlite":
        database = SQLiteStore(rest[0])
        return CliStore(database, where=database.where, directory=database.path.parent, environ=environ)
    redis = RedisStore.from_url(rest[0], prefix=rest[1])
    return CliStore(redis, where=redis.where, directory=None, environ=environ)


class CliStore:
    """The store of one ``pytok`` run (see the module): ``store`` for kits, ``raw`` unwrapped."""

    def __init__(self, raw: Any, *, where: str, directory: Path | None, environ: Mapping[str, str]) -> None:
        self.raw = raw
        self.where = where
        self.file: TokenFile | None = raw.file if isinstance(raw, FileStore) else None
        self._environ = environ
        self._directory = directory
        prefix = f"{Path(where).name}." if directory is not None else ""
        self.store = Rescuing(raw, self.rescue_directories, prefix)

    @property
    def path(self) -> str:
        """Where the tokens are, for people (a path, or a Redis URL without its password)."""
        return self.where

    @property
    def describe(self) -> str:
        """``token file PATH`` or the store's own words (``SQLite store PATH``, ``Redis URL``)."""
        return f"token file {self.where}" if self.file is not None else self.where

    def rescue_directories(self) -> list[Path]:
        """Where a rotated token the store could not take is written (see :mod:`.rescue`)."""
        found = [self._directory] if self._directory is not None else []
        return [*found, state_directory(self._environ)]

    def close(self) -> None:
        """Release what the store opened (never raises: the command's own outcome stands)."""
        with contextlib.suppress(TikTokError, OSError):
            self.raw.close()

    # ------------------------------------------------------------------ writing
    def check_writable(self) -> None:
        """Prove a token can be saved, before a login makes one that would be lost."""
        if self.file is not None:
            self.file.check_writable()
            return
        holder = f"pytok-check-{os.getpid()}-{secrets.token_hex(4)}"
        if self.raw.acquire_lease("pytok-write-check", "-", holder, 10.0):
            self.raw.release_lease("pytok-write-check", "-", holder)

    def save(self, client_key: str, token: Token, *, make_current: bool = True, rescue: bool = True) -> Account:
        """Store a new login's token (``put``: state active); in the token file it also becomes
        the current account. A token the store cannot take is rescued (:mod:`.rescue`) unless
        ``rescue`` is False (it comes from a file already)."""
        options = {"make_current": make_current} if self.file is not None else {}
        account: Account = (self.store if rescue else self.raw).put(client_key, token, **options)
        return account

    # ------------------------------------------------------------------ the account of a command
    def current(self, client_key: str) -> str | None:
        """The token file's current account; elsewhere the only active account, if there is one."""
        if isinstance(self.raw, FileStore):
            return self.raw.current(client_key)
        active = [a.open_id for a in self.raw.accounts(client_key) if a.active]
        return active[0] if len(active) == 1 else None

    def account(self, client_key: str, open_id: str | None = None) -> Account:
        """``open_id``'s account, else the current one, in any state; exit 3 when there is none."""
        chosen = open_id or self.current(client_key)
        if chosen is None:
            active = [a.open_id for a in self.raw.accounts(client_key) if a.active]
            if len(active) > 1:
                raise UsageError(
                    f"{len(active)} accounts are stored for client key {client_key} in {self.where} "
                    f"({', '.join(active[:5])}{', …' if len(active) > 5 else ''}); pick one with --open-id "
                    "(pytok accounts lists them)"
                )
        who = f"open_id {open_id}" if open_id else f"client key {client_key}"
        if chosen == NO_OPEN_ID:
            raise StoredTokenMissing(f"the stored token of {who} in {self.where} has no open_id (not from a login)")
        found: Account | None = self.raw.get(client_key, chosen) if chosen is not None else None
        if found is None:
            raise StoredTokenMissing(f"no token is stored for {who} in {self.where}")
        return found

    def usable(self, client_key: str, open_id: str | None = None) -> Account:
        """:meth:`account`, refusing one TikTok refused (``reauth_required``) or one removed."""
        account = self.account(client_key, open_id)
        if account.state == "reauth_required":
            day = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(account.updated_at))
            raise StoredTokenMissing(
                f"TikTok refused the stored token of open_id {account.open_id} ({account.reason or 'refused'}, "
                f"on {day}): it was revoked or has expired"
            )
        if account.state == "removed":
            raise StoredTokenMissing(
                f"the account {account.open_id} was removed from {self.where} ({account.reason or 'no reason given'})"
            )
        return account
