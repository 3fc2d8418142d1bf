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
          "accounts": {"<open_id>": {"token": Token.to_dict(), "saved_at": 1700000000.0}}
        }
      }
    }

How (shared/ROBUSTNESS.md, "Token storage on disk"):

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
    >>> store.remove("aw_key", "u1"), store.get("aw_key")
    (True, None)
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import logs
from .._errors import TokenStoreError
from .._token import Token
from . import _token_file_checks as checks
from . import _token_file_schema as schema
from ._token_file_schema import NO_OPEN_ID as _NO_OPEN_ID
from ._token_file_schema import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "StoreData", "TokenStore", "TokenStoreError", "default_path"]

#: How long to wait for another pytok holding the lock.
_LOCK_TIMEOUT = 10.0


def default_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CONFIG_HOME/pytok/tokens.json``, or ``~/.config/pytok/tokens.json``.

    The XDG Base Directory spec says a relative ``XDG_CONFIG_HOME`` is invalid and ignored.

    Example:
        >>> default_path({"XDG_CONFIG_HOME": "/cfg"}).as_posix()
        '/cfg/pytok/tokens.json'
        >>> default_path({"XDG_CONFIG_HOME": "relative", "HOME": "/home/ann"}).as_posix()
        '/home/ann/.config/pytok/tokens.json'
    """
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME", "")
    if not base or not os.path.isabs(base):
        home = env.get("HOME") or os.path.expanduser("~")
        base = os.path.join(home, ".config")
    return Path(base) / "pytok" / "tokens.json"


@dataclass
class StoreData:
    """The file's content in memory: ``clients[client_key] = {"current": ..., "accounts": {...}}``."""

    clients: dict[str, dict[str, Any]] = field(default_factory=dict)

    def accounts(self, client_key: str) -> dict[str, dict[str, Any]]:
        """The entries of one client_key by open_id (empty if none)."""
        client = self.clients.get(client_key)
        return dict(client["accounts"]) if client else {}

    def current(self, client_key: str) -> str | None:
        """The open_id of the current entry of a client_key, or None."""
        client = self.clients.get(client_key)
        return client.get("current") if client else None

    def to_json(self) -> dict[str, Any]:
        return {"schema_version": SCHEMA_VERSION, "clients": self.clients}


class TokenStore:
    """The token file: :meth:`get`, :meth:`save`, :meth:`remove`, each safe against crashes.

    ``warn`` receives a one-line message for every repaired permission (the CLI prints it);
    an event ``token_store_permissions_repaired`` is also emitted. ``private_dir`` makes
    the directory itself 0700 when loading (default: only for the default location, so that
    ``--store ~/tokens.json`` never changes the mode of a home directory).

    Example:
        >>> TokenStore("/tmp/x/tokens.json").lock_path.name
        'tokens.json.lock'
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        warn: Callable[[str], None] | None = None,
        private_dir: bool | None = None,
    ) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.path = Path(os.path.abspath(self.path))
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.warn = warn
        self.private_dir = (path is None) if private_dir is None else private_dir

    def __repr__(self) -> str:
        return f"TokenStore({str(self.path)!r})"

    # ------------------------------------------------------------------ reading
    def load(self) -> StoreData:
        """The whole file (empty when it does not exist yet); repairs loose permissions.

        Raises :class:`TokenStoreError` for a corrupt or foreign file, which stays untouched,
        and for what others could have planted: a link at the token or lock file's name, a
        file that is not ours or not a regular file, a directory others can write.
        """
        checks.check_directory(self.path.parent, private=self.private_dir, warn=self.warn)
        lock = checks.open_existing(self.lock_path, "lock file")
        if lock is not None:
            try:
                checks.check_opened(lock, self.lock_path, "lock file", warn=self.warn)
            finally:
                os.close(lock)
        fd = checks.open_existing(self.path, "token file")
        if fd is None:
            return StoreData()
        try:
            checks.check_opened(fd, self.path, "token file", warn=self.warn)
            raw = checks.read_capped(fd, schema.MAX_FILE_BYTES)
        except OSError as exc:
            raise TokenStoreError(f"cannot read the token file {self.path}: {exc.strerror or exc}") from None
        finally:
            os.close(fd)
        if raw is None:
            raise schema.too_large(self.path)
        return StoreData(clients=schema.parse(raw, self.path))

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

    # ------------------------------------------------------------------ writing
    def save(self, client_key: str, token: Token, *, make_current: bool = True) -> None:
        """Store ``token`` as the entry of (client_key, token.open_id), durably, now."""
        key = token.open_id or _NO_OPEN_ID
        with self.transaction() as data:
            client = data.clients.setdefault(client_key, {"current": None, "accounts": {}})
            client["accounts"][key] = {"token": token.to_dict(), "saved_at": time.time()}
            if make_current or client.get("current") is None:
                client["current"] = key

    def remove(self, client_key: str, open_id: str | None) -> bool:
        """Delete one entry; the current one moves to another account of the client, if any.

        Returns whether an entry was removed.
        """
        key = open_id or _NO_OPEN_ID
        with self.transaction() as data:
            client = data.clients.get(client_key)
            if client is None or key not in client["accounts"]:
                return False
            del client["accounts"][key]
            if not client["accounts"]:
                del data.clients[client_key]
            elif client.get("current") == key:
                client["current"] = sorted(client["accounts"])[0]
            return True

    @contextlib.contextmanager
    def transaction(self) -> Iterator[StoreData]:
        """Lock, load, let the caller change the data, write it atomically, unlock.

        Nothing is written when the body raises; an unchanged existing file is not rewritten.
        """
        self._ensure_directory()
        with self._locked():
            self._remove_stale_temp_files()
            data = self.load()
            before = json.dumps(data.to_json(), sort_keys=True)
            yield data
            if json.dumps(data.to_json(), sort_keys=True) != before:
                self._write(data)

    def check_writable(self) -> None:
        """Prove now that a token can be saved here, before a login makes one (it would be lost).

        Creates the directory (0700) if needed, takes the lock, and creates and removes a
        temp file where :meth:`save` writes its own: the same calls, so the same failures.
        Raises :class:`TokenStoreError` naming the path and what to do.

        Example:
            >>> try:
            ...     TokenStore("/proc/pytok-example/tokens.json").check_writable()
            ... except TokenStoreError as error:
            ...     print(str(error).split(" (")[0])
            cannot create the directory /proc/pytok-example for the token file
        """
        self._ensure_directory()
        directory = self.path.parent
        with self._locked():
            try:
                fd, probe = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=directory)
            except OSError as exc:
                raise TokenStoreError(
                    f"cannot write in {directory} ({exc.strerror or exc}), so the token file {self.path} could not be "
                    "saved; pass --store with a file in a directory you can write, or fix that directory"
                ) from None
            os.close(fd)
            os.unlink(probe)

    def move_aside(self) -> Path | None:
        """Rename an unreadable file to ``<name>.corrupt-<UTC time>``; returns the new path.

        Only on explicit request (``pytok --move-corrupt-store``): the content is kept for a
        person to look at. Returns None when there is no file.
        """
        self._ensure_directory()
        with self._locked():
            if not os.path.lexists(self.path):
                return None
            stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
            target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
            counter = 1
            while os.path.lexists(target):
                counter += 1
                target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{counter}")
            os.replace(self.path, target)
            _fsync_directory(self.path.parent)
            logs.emit("token_store_moved_aside", path=str(self.path), backup=str(target))
            return target

    # ------------------------------------------------------------------ internals
    def _write(self, data: StoreData) -> None:
        payload = (json.dumps(data.to_json(), indent=2, sort_keys=True) + "\n").encode("utf-8")
        if len(payload) > schema.MAX_FILE_BYTES:
            raise TokenStoreError(
                f"the token file {self.path} would grow to {len(payload)} bytes, too large (the limit is "
                f"{schema.size_text(schema.MAX_FILE_BYTES)}); it was not changed. Remove accounts you no longer "
                "use (pytok revoke --open-id ID) or pass another --store"
            )
        directory = self.path.parent
        fd, temp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
        _fsync_directory(directory)

    def _ensure_directory(self) -> None:
        directory = self.path.parent
        try:
            directory.mkdir(mode=checks.DIR_MODE, parents=True, exist_ok=True)
        except OSError as exc:
            raise TokenStoreError(
                f"cannot create the directory {directory} for the token file ({exc.strerror or exc}); "
                "pass --store with a file in a directory you can write"
            ) from None
        checks.check_directory(directory, private=self.private_dir, warn=self.warn)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: atomic replace still holds
            yield
            return
        fd = checks.open_lock(self.lock_path)
        try:
            checks.check_opened(fd, self.lock_path, "lock file", warn=self.warn)
            deadline = time.monotonic() + _LOCK_TIMEOUT
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES):
                        raise TokenStoreError(
                            f"cannot lock {self.lock_path}: {exc.strerror or exc}"
                        ) from None
                    if time.monotonic() > deadline:
                        raise TokenStoreError(
                            f"the token file {self.path} is locked by another pytok (lock file {self.lock_path}); "
                            "try again when it has finished"
                        ) from None
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def _remove_stale_temp_files(self) -> None:
        """Temp files of writers killed before their rename (we hold the lock: none is live)."""
        prefix = f".{self.path.name}."
        with contextlib.suppress(OSError):
            for entry in os.scandir(self.path.parent):
                if (
                    entry.name.startswith(prefix) and entry.name.endswith(".tmp") and entry.is_file(follow_symlinks=False)
                    and checks.is_ours(entry.stat(follow_symlinks=False))
                ):
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)


def _fsync_directory(directory: Path) -> None:
    """Make a rename durable: fsync the directory entry (POSIX; a no-op where unsupported)."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
