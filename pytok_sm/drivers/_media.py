"""The media probe: what a video file is, read from its header before anything is planned.

:func:`probe_video` opens the file once (non-blocking, so a FIFO or device cannot hang it),
checks on the open descriptor that it is a regular file within TikTok's size limit, tells
MP4, MOV and WebM apart by their magic bytes, and reads an MP4/MOV's duration from
``moov/mvhd``, walking box headers with small bounded reads: a lying box size ends the walk,
it never loops or reads the media itself. Every refusal is a :class:`MediaError` whose
``rule`` names the check and whose message says what to do.

Example:
    >>> probe_video("/nonexistent/clip.mp4")
    Traceback (most recent call last):
    ...
    pytok_sm.MediaError: invalid_file_upload: there is no file /nonexistent/clip.mp4: check the path
"""

from __future__ import annotations

import errno
import os
import stat
import struct
from collections.abc import Iterator
from dataclasses import dataclass

from .. import _contract as contract
from .._posting_errors import MediaError

__all__ = ["VideoFile", "probe_video"]

_EBML = b"\x1a\x45\xdf\xa3"
#: ``ftyp`` major brands of still images and audio: ISO-BMFF, but not a video TikTok takes.
_NOT_VIDEO_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis", b"M4A ",
                               b"M4B ", b"M4P ", b"F4A ", b"F4B "})
#: First atoms of a classic QuickTime file written without ``ftyp``.
_QUICKTIME_ATOMS = frozenset({b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"})
#: At most this many boxes are looked at on each level (each costs one 16-byte read).
_MAX_BOXES = 4096
_HEAD = 64
_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)


@dataclass(frozen=True, slots=True)
class VideoFile:
    """A probed video: its absolute ``path``, ``size`` and ``mtime_ns`` when probed (an upload
    stops if they change), its chunks' ``content_type`` and its ``duration`` in seconds (None
    when the header does not say, as for WebM)."""

    path: str
    size: int
    mtime_ns: int
    content_type: str
    duration: float | None


def _error(rule: str, message: str, code: str = contract.API_INVALID_FILE_UPLOAD) -> MediaError:
    return MediaError(code, message, rule=rule)


def _read(fd: int, offset: int, length: int) -> bytes:
    if hasattr(os, "pread"):
        return os.pread(fd, length, offset)
    os.lseek(fd, offset, os.SEEK_SET)  # pragma: no cover - platforms without pread
    return os.read(fd, length)  # pragma: no cover


def _boxes(fd: int, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """``(type, payload start, box end)`` of the boxes between ``start`` and ``end``; the walk
    ends at the first box whose size cannot be right (its end is clamped to ``end``)."""
    offset = start
    for _ in range(_MAX_BOXES):
        if offset + 8 > end:
            return
        header = _read(fd, offset, 16)
        if len(header) < 8:
            return
        size, kind = struct.unpack(">I4s", header[:8])
        head = 8
        if size == 1:  # a 64-bit largesize follows the type
            if len(header) < 16:
                return
            size, head = struct.unpack(">Q", header[8:16])[0], 16
        elif size == 0:  # the box runs to the end of its parent (of the file, at the top)
            size = end - offset
        if size < head:
            return
        yield kind, offset + head, min(offset + size, end)
        if offset + size > end:
            return
        offset += size


def _mvhd_duration(fd: int, start: int, end: int) -> float | None:
    data = _read(fd, start, min(32, end - start))
    version = data[0] if data else None
    if version == 0 and len(data) >= 20:
        timescale, duration = struct.unpack(">II", data[12:20])
        unknown = 0xFFFFFFFF
    elif version == 1 and len(data) >= 32:
        timescale, duration = struct.unpack(">IQ", data[20:32])
        unknown = 0xFFFFFFFFFFFFFFFF
    else:
        return None
    if not timescale or duration == unknown:
        return None
    return float(duration) / float(timescale)


def _movie(fd: int, size: int) -> tuple[bool, float | None]:
    """Whether the file has a ``moov`` box at its top level, and the duration its ``mvhd`` says."""
    for kind, start, end in _boxes(fd, 0, size):
        if kind == b"moov":
            for inner, inner_start, inner_end in _boxes(fd, start, end):
                if inner == b"mvhd":
                    return True, _mvhd_duration(fd, inner_start, inner_end)
            return True, None
    return False, None


def _kind(head: bytes, path: str) -> str | None:
    """The Content-Type the first bytes say (None: classic QuickTime, to be confirmed)."""
    what = f"{path} is not an MP4, MOV or WebM video"
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _NOT_VIDEO_BRANDS:
            raise _error("file_format", f"{what} (an image or audio file, brand {brand.decode('latin-1')!r}): "
                                        "post a video, or photos as a photo post", "file_format_check_failed")
        return contract.VIDEO_CONTENT_TYPES["mov" if brand == b"qt  " else "mp4"]
    if head[:4] == _EBML:
        if b"matroska" in head and b"webm" not in head:
            raise _error("file_format", f"{what} (a Matroska .mkv file): convert it to MP4 or WebM",
                         "file_format_check_failed")
        return contract.VIDEO_CONTENT_TYPES["webm"]
    if len(head) >= 8 and head[4:8] in _QUICKTIME_ATOMS:
        return None
    raise _error("file_format", f"{what} (by its first bytes): convert it to MP4 (H.264), MOV or WebM",
                 "file_format_check_failed")


def _open(name: str) -> int:
    try:
        return os.open(name, _FLAGS)
    except (FileNotFoundError, NotADirectoryError):
        raise _error("file_missing", f"there is no file {name}: check the path") from None
    except IsADirectoryError:
        raise _error("not_a_file", f"{name} is a directory: give the path of a video file") from None
    except PermissionError:
        raise _error("file_unreadable", f"{name} cannot be read (permission denied): check its permissions") from None
    except OSError as error:
        reason = errno.errorcode.get(error.errno or 0, "error")
        raise _error("file_unreadable", f"{name} cannot be opened ({reason}): check the path") from None


def probe_video(path: str | os.PathLike[str]) -> VideoFile:
    """Look at a video file before posting it: a regular, readable, non-empty file of at most
    4 GB in MP4, MOV or WebM, with its duration when the header says.

    Example:
        >>> import tempfile
        >>> with tempfile.NamedTemporaryFile(suffix=".mp4") as f:
        ...     _ = f.write(b"not a video at all"); f.flush()
        ...     probe_video(f.name)
        Traceback (most recent call last):
        ...
        pytok_sm.MediaError: file_format_check_failed: ... is not an MP4, MOV or WebM video (by its first bytes): \
convert it to MP4 (H.264), MOV or WebM
    """
    raw = os.fspath(path)
    if not isinstance(raw, str) or not raw or "\x00" in raw:
        raise _error("file_missing", "the video's path must be a non-empty text path")
    name = os.path.abspath(raw)
    fd = _open(name)
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise _error("not_a_file", f"{name} is a directory: give the path of a video file")
        if not stat.S_ISREG(info.st_mode):
            raise _error("not_a_file", f"{name} is not a regular file (a pipe, device or socket): save the video "
                                       "to a file first")
        size = info.st_size
        if size == 0:
            raise _error("file_empty", f"{name} is empty: give a video file")
        if size > contract.VIDEO_MAX_BYTES:
            raise _error("file_too_large", f"{name} has {size} bytes, over TikTok's limit of "
                                           f"{contract.VIDEO_MAX_BYTES} (4 GB): make it smaller")
        try:
            head = _read(fd, 0, _HEAD)
            content_type = _kind(head, name)
            if content_type == contract.VIDEO_CONTENT_TYPES["webm"]:
                duration = None
            else:
                has_movie, duration = _movie(fd, size)
                if content_type is None:
                    if not has_movie:
                        raise _error("file_format", f"{name} is not an MP4, MOV or WebM video (by its first "
                                                    "bytes): convert it to MP4 (H.264), MOV or WebM",
                                     "file_format_check_failed")
                    content_type = contract.VIDEO_CONTENT_TYPES["mov"]
        except OSError as error:
            reason = errno.errorcode.get(error.errno or 0, "error")
            raise _error("file_unreadable", f"{name} cannot be read ({reason}): check the file") from None
        return VideoFile(name, size, info.st_mtime_ns, content_type, duration)
    finally:
        os.close(fd)
