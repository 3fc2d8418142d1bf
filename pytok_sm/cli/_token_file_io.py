"""The token file on disk: where it is, how it is read, locked and replaced (:class:`TokenFile`).

:class:`~pytok_sm.cli.token_file.TokenStore` (the file's own API) and
:class:`~pytok_sm.cli.file_store.FileStore` (the file as a token store of
:mod:`pytok_sm.stores`) both read and change it through :meth:`TokenFile.transaction`; the
guarantees are described in :mod:`pytok_sm.cli.token_file`.

Example:
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> file = TokenFile(folder / "pytok" / "tokens.json")
    >>> with file.transaction() as data:
    ...     data.clients["aw_key"] = {"current": None, "accounts": {}}
    >>> sorted(file.load().clients), oct(file.path.stat().st_mode & 0o777)
    (['aw_key'], '0o600')
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
from . import _token_file_checks as checks
from . import _token_file_schema as schema
from ._token_file_schema import SCHEMA_VERSION

__all__ = ["LOCK_TIMEOUT", "StoreData", "TokenFile", "default_path"]

#: How long to wait for another pytok holding the lock.
LOCK_TIMEOUT = 10.0


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


class TokenFile:
    """The token file's path, lock and atomic replacement; what both of its APIs stand on.

    ``warn`` receives a one-line message for every repaired permission (the CLI prints it);
    an event ``token_store_permissions_repaired`` is also emitted. ``private_dir`` makes
    the directory itself 0700 when loading (default: only for the default location, so that
    ``--store ~/tokens.json`` never changes the mode of a home directory).

    Example:
        >>> TokenFile("/tmp/x/tokens.json").lock_path.name
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
        #: Seconds to wait for another process holding the lock before giving up.
        self.lock_timeout = LOCK_TIMEOUT

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"

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

    # ------------------------------------------------------------------ writing
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
            ...     TokenFile("/proc/pytok-example/tokens.json").check_writable()
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
            deadline = time.monotonic() + self.lock_timeout
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
