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
* a file that is not valid JSON, or not this schema, is an error that says what to do
  (:class:`TokenStoreError`). It is never overwritten: :meth:`TokenStore.move_aside` keeps
  it as ``tokens.json.corrupt-<UTC time>`` only when asked (``pytok --move-corrupt-store``).

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
import stat
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import logs
from .._errors import TikTokError, TokenStoreError
from .._token import Token

__all__ = ["SCHEMA_VERSION", "StoreData", "TokenStore", "TokenStoreError", "default_path"]

#: The layout this code reads and writes.
SCHEMA_VERSION = 1
_FILE_MODE = 0o600
_DIR_MODE = 0o700
#: How long to wait for another pytok holding the lock.
_LOCK_TIMEOUT = 10.0
#: An open_id key for tokens that came without one (client tokens; never from a login).
_NO_OPEN_ID = "-"


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

        Raises :class:`TokenStoreError` for a corrupt or foreign file, which stays untouched.
        """
        self._repair_permissions()
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return StoreData()
        except IsADirectoryError:
            raise TokenStoreError(f"the token file {self.path} is a directory; pass --store with a file path") from None
        except OSError as exc:
            raise TokenStoreError(f"cannot read the token file {self.path}: {exc.strerror or exc}") from None
        return self._parse(raw)

    def get(self, client_key: str, open_id: str | None = None) -> Token | None:
        """The token of ``open_id`` (default: the current one) for ``client_key``, or None."""
        data = self.load()
        chosen = open_id if open_id is not None else data.current(client_key)
        if chosen is None:
            return None
        entry = data.accounts(client_key).get(chosen)
        return None if entry is None else _token_of(entry, self.path)

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

    def move_aside(self) -> Path | None:
        """Rename an unreadable file to ``<name>.corrupt-<UTC time>``; returns the new path.

        Only on explicit request (``pytok --move-corrupt-store``): the content is kept for a
        person to look at. Returns None when there is no file.
        """
        self._ensure_directory()
        with self._locked():
            if not self.path.exists():
                return None
            stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
            target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
            counter = 1
            while target.exists():
                counter += 1
                target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{counter}")
            os.replace(self.path, target)
            _fsync_directory(self.path.parent)
            logs.emit("token_store_moved_aside", path=str(self.path), backup=str(target))
            return target

    # ------------------------------------------------------------------ internals
    def _parse(self, raw: bytes) -> StoreData:
        move = (
            f"or run pytok again with --move-corrupt-store to keep it as {self.path.name}.corrupt-<time> "
            "and start with an empty file"
        )
        what_to_do = f"it was left untouched. Repair or delete it, {move}"
        try:
            document = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            where = f" (line {exc.lineno})" if isinstance(exc, json.JSONDecodeError) else ""
            raise TokenStoreError(
                f"the token file {self.path} is not valid JSON{where}; {what_to_do}", corrupt=True
            ) from None
        except RecursionError:
            raise TokenStoreError(f"the token file {self.path} is not a token file; {what_to_do}", corrupt=True) from None
        if not isinstance(document, dict) or "schema_version" not in document:
            raise TokenStoreError(
                f"the token file {self.path} is not a pytok token file (no schema_version); {what_to_do}", corrupt=True
            )
        version = document["schema_version"]
        if version != SCHEMA_VERSION:
            raise TokenStoreError(
                f"the token file {self.path} has schema_version {version!r} but this pytok reads "
                f"{SCHEMA_VERSION}; it was left untouched. Use the pytok that wrote it, pass another --store, {move}",
                corrupt=True,
            )
        clients = document.get("clients", {})
        problem = _check_clients(clients)
        if problem:
            raise TokenStoreError(f"the token file {self.path} is damaged ({problem}); {what_to_do}", corrupt=True)
        data = StoreData(clients=clients)
        for client in clients.values():
            for entry in client["accounts"].values():
                _token_of(entry, self.path)  # every entry must be a readable token
        return data

    def _write(self, data: StoreData) -> None:
        payload = (json.dumps(data.to_json(), indent=2, sort_keys=True) + "\n").encode("utf-8")
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
            directory.mkdir(mode=_DIR_MODE, parents=True, exist_ok=True)
        except OSError as exc:
            raise TokenStoreError(f"cannot create the directory {directory}: {exc.strerror or exc}") from None

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: atomic replace still holds
            yield
            return
        try:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, _FILE_MODE)
        except OSError as exc:
            raise TokenStoreError(f"cannot open the lock file {self.lock_path}: {exc.strerror or exc}") from None
        try:
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
                if entry.name.startswith(prefix) and entry.name.endswith(".tmp") and entry.is_file(follow_symlinks=False):
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)

    def _repair_permissions(self) -> None:
        targets: list[tuple[Path, int]] = [(self.path, _FILE_MODE), (self.lock_path, _FILE_MODE)]
        if self.private_dir:
            targets.insert(0, (self.path.parent, _DIR_MODE))
        for target, wanted in targets:
            try:
                info = target.stat()
            except OSError:
                continue
            mode = stat.S_IMODE(info.st_mode)
            ours = not hasattr(os, "getuid") or info.st_uid == os.getuid()
            if mode & ~wanted & 0o777 == 0 or not ours:
                continue
            try:
                os.chmod(target, wanted)
            except OSError:
                continue
            message = f"{target} had mode {mode:04o}, readable by others; set it to {wanted:04o}"
            logs.emit("token_store_permissions_repaired", path=str(target), old_mode=f"{mode:04o}", new_mode=f"{wanted:04o}")
            if self.warn is not None:
                self.warn(message)


def _check_clients(clients: object) -> str | None:
    """What is wrong with the ``clients`` object, or None."""
    if not isinstance(clients, dict):
        return "clients is not an object"
    for client_key, client in clients.items():
        if not isinstance(client, dict) or not isinstance(client.get("accounts"), dict):
            return f"client {client_key!r} has no accounts object"
        current = client.get("current")
        if current is not None and current not in client["accounts"]:
            return f"client {client_key!r} names a current account it does not have"
        for open_id, entry in client["accounts"].items():
            if not isinstance(entry, dict) or not isinstance(entry.get("token"), dict):
                return f"the entry of {open_id!r} has no token object"
    return None


def _token_of(entry: Mapping[str, Any], path: Path) -> Token:
    try:
        return Token.from_dict(entry["token"])
    except TikTokError as exc:
        raise TokenStoreError(
            f"the token file {path} holds an unreadable token ({exc.message}); "
            "run pytok again with --move-corrupt-store to start with an empty file, then log in",
            corrupt=True,
        ) from None


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
