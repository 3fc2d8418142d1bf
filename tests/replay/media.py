"""Video files for the posting cassettes: the same bytes on every run, written a piece at a time.

A file is an MP4 as far as :func:`pytok_sm.drivers.probe_video` and the emulator's container
check look (``ftyp``, ``moov``/``mvhd`` with a 12-second duration, then one ``mdat``), filled
with seeded pseudo-random pieces. Every piece starts with :data:`MARKER`, so a cassette that
held any run of a video's bytes would show it (raw, or in the base64 of a ``!!binary`` body):
the cassette tests look for it. Recording and replaying write the same file, so the digests
the replay computes are the recorded ones.

Example:
    >>> import hashlib, tempfile, pathlib
    >>> path = write_video(pathlib.Path(tempfile.mkdtemp()) / "v.mp4", 300_000)
    >>> path.stat().st_size, path.read_bytes()[4:8]
    (300000, b'ftyp')
    >>> sha256(path) == hashlib.sha256(path.read_bytes()).hexdigest() == sha256(write_video(path, 300_000))
    True
"""

from __future__ import annotations

import base64
import hashlib
import random
import struct
from pathlib import Path
from typing import Final

__all__ = ["MARKER", "PIECE", "encodings_of_marker", "sha256", "slice_sha256", "write_video"]

#: At the start of every piece of every generated video (never in a cassette).
MARKER: Final = b"PYTOK-CASSETTE-VIDEO-BYTES:"
#: Bytes generated (and written) at a time.
PIECE: Final = 1 << 20
SEED: Final = "pytok_sm posting cassettes v1"
DURATION_MS: Final = 12_000


def _header(size: int) -> bytes:
    mvhd = struct.pack(">B3xIIII", 0, 0, 0, 1000, DURATION_MS) + bytes(80)
    moov = struct.pack(">I4s", 8 + 8 + len(mvhd), b"moov") + struct.pack(">I4s", 8 + len(mvhd), b"mvhd") + mvhd
    ftyp = struct.pack(">I4s4sI4s", 20, b"ftyp", b"isom", 512, b"isom")
    head = ftyp + moov
    return head + struct.pack(">I4s", size - len(head), b"mdat")


def write_video(path: Path, size: int, *, seed: str = SEED) -> Path:
    """Write a ``size``-byte video to ``path`` (the same bytes for the same size and seed)."""
    head = _header(size)
    with path.open("wb") as out:
        out.write(head)
        left, index = size - len(head), 0
        while left > 0:
            piece = MARKER + random.Random(f"{seed}:{size}:{index}").randbytes(PIECE - len(MARKER))
            out.write(piece[:left])
            left -= len(piece)
            index += 1
    return path


def slice_sha256(path: Path, first: int, length: int) -> str:
    """The sha256 of ``length`` bytes of ``path`` from ``first``, read a piece at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as source:
        source.seek(first)
        while length > 0 and (piece := source.read(min(PIECE, length))):
            digest.update(piece)
            length -= len(piece)
    return digest.hexdigest()


def sha256(path: Path) -> str:
    """The sha256 of the whole file, read a piece at a time."""
    return slice_sha256(path, 0, path.stat().st_size)


def encodings_of_marker() -> list[bytes]:
    """:data:`MARKER` raw and as it shows in base64 at each of the three alignments."""
    shown = [MARKER]
    for shift in range(3):
        encoded = base64.b64encode(bytes(shift) + MARKER)
        shown.append(encoded[4:-4])  # the part that depends on the marker alone
    return shown
