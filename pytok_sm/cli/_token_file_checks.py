"""Where the token file lives, checked before pytok trusts it: links, owners, modes, kinds.

* The token file and its lock file are opened with ``O_NOFOLLOW``: a symbolic link at either
  name is refused, and nothing is ever created, read or chmodded through a link.
* Both must be regular files (a FIFO would block a read forever, a directory is not a file)
  owned by the user running pytok; a mode open to others is repaired with ``fchmod`` on the
  open descriptor (never by path), with a warning.
* The directory must not be writable by group or others (they could swap the token file),
  unless it is sticky and owned by us or root, like ``/tmp``: there others cannot rename or
  delete what we own, and files that are not ours are refused. The default directory is
  made 0700 (through a descriptor opened without following a link).

Every refusal is a :class:`~pytok_sm.TokenStoreError` naming the path and the fix.

Example:
    >>> import tempfile, os, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> (folder / "tokens.json").symlink_to("/etc/passwd")
    >>> try:
    ...     open_existing(folder / "tokens.json", "token file")
    ... except TokenStoreError as error:
    ...     print(str(error).split(" (")[0].endswith("tokens.json is a symbolic link"))
    True
    >>> os.chmod(folder, 0o777)
    >>> try:
    ...     check_directory(folder, private=False, warn=None)
    ... except TokenStoreError as error:
    ...     print("chmod 700" in str(error))
    True
"""

from __future__ import annotations

import contextlib
import errno
import os
import shlex
import stat
from collections.abc import Callable
from pathlib import Path

from .. import logs
from .._errors import TokenStoreError

__all__ = ["check_directory", "check_opened", "is_ours", "open_existing", "open_lock", "read_capped"]

FILE_MODE = 0o600
DIR_MODE = 0o700
_NOFOLLOW: int = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC: int = getattr(os, "O_CLOEXEC", 0)
#: Read-only, no link, and a FIFO opens at once instead of waiting for a writer.
_READ_FLAGS = os.O_RDONLY | _NOFOLLOW | _CLOEXEC | getattr(os, "O_NONBLOCK", 0)
_KINDS = {stat.S_IFIFO: "a FIFO", stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device", stat.S_IFSOCK: "a socket"}

Warn = Callable[[str], None] | None


def _uid() -> int | None:
    return os.getuid() if hasattr(os, "getuid") else None


def is_ours(info: os.stat_result) -> bool:
    """Whether the user running pytok owns the file (always True where there are no uids)."""
    uid = _uid()
    return uid is None or info.st_uid == uid


def _link_error(path: Path, what: str) -> TokenStoreError:
    target = ""
    with contextlib.suppress(OSError):
        target = f" (to {os.readlink(path)})"
    fix = (
        f"remove it (rm {shlex.quote(str(path))}); pytok creates its own lock file"
        if what == "lock file"
        else f"remove the link (rm {shlex.quote(str(path))}) or pass --store with the path of a real file"
    )
    return TokenStoreError(f"the {what} {path} is a symbolic link{target}; pytok never follows links for its files: {fix}")


def _open(path: Path, what: str, flags: int, mode: int = FILE_MODE) -> int | None:
    """``os.open`` without following a link; None when the file does not exist (and is not created)."""
    try:
        return os.open(path, flags, mode)
    except FileNotFoundError:
        if flags & os.O_CREAT:
            raise _cannot_write(path, what, "No such file or directory") from None
        return None
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK) and os.path.islink(path):
            raise _link_error(path, what) from None
        if exc.errno == errno.EISDIR:
            raise _not_regular(path, what, "a directory") from None
        if flags & os.O_CREAT:
            raise _cannot_write(path, what, exc.strerror or str(exc)) from None
        raise TokenStoreError(f"cannot read the {what} {path}: {exc.strerror or exc}") from None


def open_existing(path: Path, what: str) -> int | None:
    """A read-only descriptor of ``path`` (never through a link), or None when it does not exist."""
    return _open(path, what, _READ_FLAGS)


def open_lock(path: Path) -> int:
    """The lock file opened read-write, created 0600 when missing (never through a link)."""
    fd = _open(path, "lock file", os.O_RDWR | os.O_CREAT | _NOFOLLOW | _CLOEXEC)
    assert fd is not None  # O_CREAT: created or raised
    return fd


def _cannot_write(path: Path, what: str, reason: str) -> TokenStoreError:
    return TokenStoreError(
        f"cannot create the {what} {path} ({reason}): pytok could not save a token in {path.parent}; "
        "pass --store with a file in a directory you can write"
    )


def _not_regular(path: Path, what: str, kind: str) -> TokenStoreError:
    if what == "token file" and kind == "a directory":
        fix = f"pass --store with a file path, such as {path / 'tokens.json'}"
    elif kind == "a directory":
        fix = f"remove it (rmdir {shlex.quote(str(path))}); pytok creates its own lock file"
    else:
        fix = "pass --store with the path of a regular file (a token file is read and replaced, not streamed)"
    return TokenStoreError(f"the {what} {path} is {kind}, not a regular file; {fix}")


def check_opened(fd: int, path: Path, what: str, *, warn: Warn) -> os.stat_result:
    """The checks of an opened token or lock file: a regular file, ours, private (repaired)."""
    info = os.fstat(fd)
    if stat.S_ISDIR(info.st_mode):
        raise _not_regular(path, what, "a directory")
    if not stat.S_ISREG(info.st_mode):
        raise _not_regular(path, what, _KINDS.get(stat.S_IFMT(info.st_mode), "not a file"))
    if not is_ours(info):
        raise TokenStoreError(
            f"the {what} {path} belongs to uid {info.st_uid}, not to you (uid {_uid()}); pytok uses only its own "
            f"files: pass --store with a file of yours, or take it over (chown {_uid()} {shlex.quote(str(path))}) "
            "if you trust it"
        )
    _repair(fd, path, info, FILE_MODE, warn)
    return info


def _repair(fd: int, path: Path, info: os.stat_result, wanted: int, warn: Warn) -> None:
    mode = stat.S_IMODE(info.st_mode)
    if mode & ~wanted & 0o777 == 0:
        return
    try:
        os.fchmod(fd, wanted)
    except OSError:
        return
    logs.emit("token_store_permissions_repaired", path=str(path), old_mode=f"{mode:04o}", new_mode=f"{wanted:04o}")
    if warn is not None:
        warn(f"{path} had mode {mode:04o}, open to others; set it to {wanted:04o}")


def check_directory(directory: Path, *, private: bool, warn: Warn) -> None:
    """Refuse a directory others can write; with ``private``, first make it 0700 if it is ours.

    A missing directory passes (pytok creates it 0700). The repair goes through a descriptor
    opened with ``O_NOFOLLOW``: a directory that is a link is checked but never chmodded.
    """
    if private:
        with contextlib.suppress(OSError):
            fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW | _CLOEXEC)
            try:
                info = os.fstat(fd)
                if is_ours(info):
                    _repair(fd, directory, info, DIR_MODE, warn)
            finally:
                os.close(fd)
    try:
        info = os.stat(directory)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise TokenStoreError(
            f"cannot use {directory} as the token file's directory ({exc.strerror or exc}); "
            "pass --store with a file in a directory you can write"
        ) from None
    if not stat.S_ISDIR(info.st_mode):
        raise TokenStoreError(
            f"{directory} is not a directory, so it cannot hold the token file; pass --store with a file in a directory"
        )
    mode = stat.S_IMODE(info.st_mode)
    shared_like_tmp = bool(mode & stat.S_ISVTX) and (is_ours(info) or info.st_uid == 0)
    if mode & 0o022 and not shared_like_tmp:
        quoted = shlex.quote(str(directory))
        raise TokenStoreError(
            f"the directory {directory} of the token file can be written by others (mode {mode:04o}), who could "
            f"swap the token file; run chmod 700 {quoted} (or at least chmod go-w {quoted}), or pass --store with "
            "a file in a private directory"
        )


def read_capped(fd: int, limit: int) -> bytes | None:
    """The whole file behind ``fd``, or None when it holds more than ``limit`` bytes (not read whole)."""
    if os.fstat(fd).st_size > limit:
        return None
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = os.read(fd, min(1 << 16, limit + 1 - total))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            return None
