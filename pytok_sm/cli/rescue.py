"""A rotated token the store could not take is written to a rescue file, never dropped.

TikTok kills the old refresh token the moment it issues a new one. If the store then cannot
write the new one (the token file locked for too long by another process, a full disk,
Redis gone), the account would be lost. :class:`Rescuing` wraps the store a ``pytok``
command uses: when ``compare_and_set`` or ``put`` fails, it writes the token to a rescue
file first and then raises the store's error, extended with where the token is and how to
restore it (``pytok token --import FILE``, :func:`read_import`).

Where: the store's own directory (the token file's or the SQLite file's, already private),
else ``$XDG_STATE_HOME/pytok`` (``~/.local/state/pytok``), created 0700. The file is created
0600 with ``O_EXCL`` and ``O_NOFOLLOW``, fsynced, and its directory fsynced. A directory
others can write is skipped.

Example:
    >>> import pathlib, tempfile
    >>> from pytok_sm import Token
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> token = Token(access_token="act.new", expires_at=2e9, open_id="u1", refresh_token="rft.new")
    >>> path = write_rescue(token, "aw_key", "token file x", [folder], "tokens.json.")
    >>> path.name.startswith("tokens.json.rescued-"), oct(path.stat().st_mode & 0o777)
    (True, '0o600')
    >>> found = read_import(path)
    >>> found.token == token, found.client_key
    (True, 'aw_key')
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shlex
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._errors import TikTokError, TokenStoreError
from .._token import Token
from . import _token_file_checks as checks
from .exits import CheckFailed, UsageError

__all__ = ["Imported", "Rescuing", "TokenRescued", "read_import", "restore_advice", "state_directory", "write_rescue"]

#: The marker of a rescue file (and its layout's version).
RESCUE_MARK = "pytok_rescue"
_MAX_IMPORT_BYTES = 1 << 20


def state_directory(environ: Mapping[str, str]) -> Path:
    """``$XDG_STATE_HOME/pytok``, or ``~/.local/state/pytok`` (a relative value is ignored).

    Example:
        >>> state_directory({"XDG_STATE_HOME": "/st"}).as_posix(), state_directory({"HOME": "/h"}).as_posix()
        ('/st/pytok', '/h/.local/state/pytok')
    """
    base = environ.get("XDG_STATE_HOME", "")
    if not base or not os.path.isabs(base):
        base = os.path.join(environ.get("HOME") or os.path.expanduser("~"), ".local", "state")
    return Path(base) / "pytok"


def write_rescue(token: Token, client_key: str, where: str, directories: list[Path], prefix: str) -> Path:
    """Write ``token`` to a new 0600 file in the first of ``directories`` that takes it.

    Raises :class:`OSError` (the last failure) when none does.
    """
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    document = {
        RESCUE_MARK: 1, "client_key": client_key, "open_id": token.open_id, "store": where,
        "rescued_at": time.time(), "token": token.to_dict(),
        "note": "TikTok rotated this token but the store could not save it: pytok token --import THIS_FILE",
    }
    payload = (json.dumps(document, indent=2, sort_keys=True) + "\n").encode("utf-8")
    failure: OSError = OSError("no directory to write a rescue file in")
    for index, directory in enumerate(directories):
        name = f"{prefix if index == 0 else ''}rescued-{stamp}-{secrets.token_hex(3)}.json"
        try:
            directory.mkdir(mode=checks.DIR_MODE, parents=True, exist_ok=True)
            checks.check_directory(directory, private=False, warn=None)
            return _write_new(directory / name, payload)
        except TokenStoreError as refused:
            failure = OSError(refused.message)
        except OSError as exc:
            failure = exc
    raise failure


def _write_new(path: Path, payload: bytes) -> Path:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise
    with contextlib.suppress(OSError):
        directory = os.open(path.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    return path


class TokenRescued(CheckFailed):
    """TikTok rotated a token the store could not save (exit 1): the message says where the
    new token was written and how to restore it, or that the account must log in again."""


@dataclass(frozen=True)
class Imported:
    """What ``pytok token --import FILE`` read: the token, and for a rescue file its client
    key and when it was rescued (None for a plain token, as ``pytok token --json`` prints)."""

    token: Token
    client_key: str | None
    rescued_at: float | None


def read_import(path: str | os.PathLike[str]) -> Imported:
    """A rescue file, ``pytok token --json``'s output or the token endpoint's JSON, checked."""
    shown = shlex.quote(os.fspath(path))
    try:
        with open(path, "rb") as handle:
            raw = handle.read(_MAX_IMPORT_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"cannot read {shown}: {exc.strerror or exc}") from None
    try:
        document = json.loads(raw.decode("utf-8")) if len(raw) <= _MAX_IMPORT_BYTES else None
    except (UnicodeDecodeError, ValueError, RecursionError):
        document = None
    if not isinstance(document, dict):
        raise UsageError(f"{shown} is not a token: pytok token --import reads a rescue file or pytok token --json")
    rescue = document.get(RESCUE_MARK) is not None
    saved: Any = document.get("token") if rescue else document
    client_key, rescued_at = document.get("client_key"), document.get("rescued_at")
    try:
        if not isinstance(saved, dict) or not (isinstance(client_key, str) or not rescue):
            raise ValueError
        token = Token.from_dict(saved)
    except (TikTokError, ValueError, TypeError):
        raise UsageError(f"{shown} holds no readable token (a field is missing or of the wrong type)") from None
    if not token.open_id:
        raise UsageError(f"the token in {shown} has no open_id: only a login's token can be stored")
    when = float(rescued_at) if rescue and isinstance(rescued_at, (int, float)) else None
    return Imported(token, client_key if rescue else None, when)


class Rescuing:
    """A token store whose ``compare_and_set`` and ``put`` rescue the token they fail to write.

    Everything else goes to the store as it is. ``rescued`` maps each open_id whose token
    was rescued to ``(file, what failed)`` (or ``(None, ...)`` when no file could be written).
    """

    def __init__(self, inner: Any, directories: Callable[[], list[Path]], prefix: str) -> None:
        self._inner = inner
        self._directories = directories
        self._prefix = prefix
        self.where: str = inner.where
        self.rescued: dict[str, tuple[Path | None, str]] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __repr__(self) -> str:
        return f"<Rescuing {self._inner!r}>"

    def compare_and_set(self, client_key: str, open_id: str, expected_version: int, token: Token) -> Any:
        try:
            return self._inner.compare_and_set(client_key, open_id, expected_version, token)
        except (TokenStoreError, OSError) as error:
            raise self._rescue(client_key, token, error) from None

    def put(self, client_key: str, token: Token, **options: Any) -> Any:
        try:
            return self._inner.put(client_key, token, **options)
        except (TokenStoreError, OSError) as error:
            raise self._rescue(client_key, token, error) from None

    def _rescue(self, client_key: str, token: Token, error: BaseException) -> TokenStoreError:
        reason = error.message if isinstance(error, TikTokError) else (
            f"{getattr(error, 'strerror', None) or type(error).__name__}")
        open_id = token.open_id or "-"
        try:
            path = write_rescue(token, client_key, self.where, self._directories(), self._prefix)
        except OSError as exc:
            self.rescued[open_id] = (None, reason)
            return TokenStoreError(
                f"{reason}; the new token could not be written to a rescue file either "
                f"({exc.strerror or exc}): account {open_id} must log in again"
            )
        self.rescued[open_id] = (path, reason)
        return TokenStoreError(f"{reason}; the new token was written to {path}: {restore_advice(path)}")


def restore_advice(path: Path) -> str:
    """What to run to put a rescued token back.

    Example:
        >>> restore_advice(Path("/home/ann/.local/state/pytok/rescued-x.json"))
        'once the store works again, run pytok token --import /home/ann/.local/state/pytok/rescued-x.json (with the same --store and client key)'
    """
    return f"once the store works again, run pytok token --import {shlex.quote(str(path))} " \
        "(with the same --store and client key)"
