"""A file upload's body, streamed from disk piece by piece (never the whole slice in memory).

:meth:`Source.open` opens the :class:`~pytok_sm._http.FileSlice`'s file without blocking
(``O_NONBLOCK``: a FIFO put in its place cannot hang the open) and checks, on the open
descriptor, that it is still the regular file of the plan: same size, same ``mtime_ns``.
:class:`SyncBody` and :class:`AsyncBody` then hand httpx the slice in pieces of at most
:data:`PIECE` bytes, each a fresh ``bytes`` (h11 passes the very object on to the socket
layer, and asyncio's transport or a ``MockTransport`` may keep it: a reused buffer would be
overwritten under them). The async body's file is opened and read by a thread of its own,
a couple of pieces ahead, so a slow or cold disk never stalls the event loop.

A slice the file no longer holds (it shrank), a file changed by the time the last piece is
read, or a read error raises :class:`SourceChanged` *before* the body is complete: the
server never gets a whole chunk it would take for the planned one, nor a short body it
would wait on.

Example:
    >>> import os, tempfile
    >>> from pytok_sm._http import FileSlice
    >>> with tempfile.NamedTemporaryFile(delete=False) as f:
    ...     _ = f.write(b"0123456789")
    >>> info = os.stat(f.name)
    >>> source = Source.open(FileSlice(f.name, 2, 5, info.st_size, info.st_mtime_ns))
    >>> sizes = []
    >>> b"".join(SyncBody(source, sizes.append))
    b'23456'
    >>> sizes
    [5]
    >>> source.close()
    >>> Source.open(FileSlice(f.name, 0, 10, 11, info.st_mtime_ns))
    Traceback (most recent call last):
    ...
    pytok_sm.drivers._upload_body.SourceChanged: the file ... is 10 bytes, not 11 as planned
    >>> os.unlink(f.name)
"""

from __future__ import annotations

import asyncio
import os
import stat
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator

from .._http import FileSlice

__all__ = ["AHEAD", "PIECE", "AsyncBody", "Source", "SourceChanged", "SyncBody"]

#: The most bytes read from disk and handed to httpx at once.
PIECE = 1 << 20
#: Pieces the async body's reader may hold ready beyond the one being written.
AHEAD = 2
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_FLAGS = os.O_RDONLY | _NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


class SourceChanged(Exception):
    """The file is no longer what the upload planned; the message says how."""


class Source:
    """The open file of one slice (read by one thread at a time)."""

    __slots__ = ("_fd", "slice")

    def __init__(self, fd: int, piece: FileSlice) -> None:
        self._fd = fd
        self.slice = piece

    @classmethod
    def open(cls, piece: FileSlice) -> Source:
        """Open ``piece``'s file and check it is the planned one, else :class:`SourceChanged`."""
        try:
            fd = os.open(piece.path, _FLAGS)
        except OSError as exc:
            raise SourceChanged(f"the file {piece.path} cannot be opened: {exc.strerror or exc}") from None
        source = cls(fd, piece)
        try:
            source._check(os.fstat(fd))
            if _NONBLOCK:
                os.set_blocking(fd, True)
        except BaseException as exc:
            os.close(fd)
            if isinstance(exc, OSError):
                raise SourceChanged(f"the file {piece.path} cannot be read: {exc.strerror or exc}") from None
            raise
        return source

    def _check(self, info: os.stat_result) -> None:
        piece = self.slice
        if not stat.S_ISREG(info.st_mode):
            raise SourceChanged(f"the file {piece.path} is no longer a regular file")
        if info.st_size != piece.file_size:
            raise SourceChanged(f"the file {piece.path} is {info.st_size} bytes, not {piece.file_size} as planned")
        if info.st_mtime_ns != piece.mtime_ns:
            raise SourceChanged(f"the file {piece.path} was modified since the upload was planned")

    def read(self, start: int, size: int, *, last: bool = False) -> bytes:
        """``size`` bytes of the slice from ``start`` (relative to the slice) as a new
        ``bytes``; the last piece only once the file is checked unchanged."""
        try:
            data = self._pread(self.slice.offset + start, size)
            if len(data) < size:
                raise SourceChanged(f"the file {self.slice.path} shrank while it was being sent")
            if last:
                self._check(os.fstat(self._fd))
            return data
        except OSError as exc:
            raise SourceChanged(f"the file {self.slice.path} could not be read: {exc.strerror or exc}") from None

    def _pread(self, at: int, size: int) -> bytes:
        pread = getattr(os, "pread", None)
        if pread is None:  # pragma: no cover - Windows (one reader at a time: seek, then read)
            os.lseek(self._fd, at, os.SEEK_SET)
        data = b""
        while len(data) < size:  # more than one turn only for a short read (rare before the end)
            want = size - len(data)
            more = pread(self._fd, want, at + len(data)) if pread is not None else os.read(self._fd, want)
            if not more:
                break
            data = data + more if data else more
        return data

    def close(self) -> None:
        """Close the file (idempotent)."""
        fd, self._fd = self._fd, -1
        if fd >= 0:
            os.close(fd)


class _Pieces:
    """Where a body stands: bytes written so far, the size of the next piece."""

    __slots__ = ("_pending", "length", "on_piece", "sent")

    def __init__(self, length: int, on_piece: Callable[[int], None] | None) -> None:
        self.length = length
        self.on_piece = on_piece
        self.sent = self._pending = 0

    def next_size(self) -> int:
        """Counts the piece httpx just wrote (it asks for the next one only then) and
        returns the size of the next piece, 0 at the end."""
        if self._pending:
            self.sent += self._pending
            self._pending = 0
            if self.on_piece is not None:
                self.on_piece(self.sent)
        self._pending = max(min(PIECE, self.length - self.sent), 0)
        return self._pending


class SyncBody:
    """The slice of an open :class:`Source` for a sync client; ``on_piece(bytes_written)``
    after each piece is written."""

    def __init__(self, source: Source, on_piece: Callable[[int], None] | None = None) -> None:
        self._source = source
        self._pieces = _Pieces(source.slice.length, on_piece)

    def __iter__(self) -> Iterator[bytes]:
        pieces = self._pieces
        while size := pieces.next_size():
            yield self._source.read(pieces.sent, size, last=pieces.sent + size >= pieces.length)


_Item = bytes | BaseException | None  # None: the file is open and checked; an error ends the reading


class AsyncBody:
    """The slice for an async client. A reader thread of its own opens the file, then reads
    the pieces in order, at most :data:`AHEAD` in advance, and closes it after the last one
    (or once :meth:`close` stops it): the event loop never waits on the disk, and is woken
    only when it waits for a piece.

    From the event loop: :meth:`start`, then ``await`` :meth:`opened` (raises
    :class:`SourceChanged`) before anything is sent, and :meth:`close` when the request is over.
    """

    def __init__(self, piece: FileSlice, on_piece: Callable[[int], None] | None = None) -> None:
        self.slice = piece
        self._pieces = _Pieces(piece.length, on_piece)
        self._ready: deque[_Item] = deque()
        self._turn = threading.Condition()
        self._waiter: asyncio.Future[None] | None = None
        self._reader: threading.Thread | None = None
        self._stop = False

    def start(self) -> None:
        """Start the reader (idempotent)."""
        if self._reader is None:
            loop = asyncio.get_running_loop()
            self._reader = threading.Thread(target=self._run, args=(loop,), name="pytok-upload-read", daemon=True)
            self._reader.start()

    async def opened(self) -> None:
        """Wait until the file is open and checked; :class:`SourceChanged` if it is not the planned one."""
        self.start()
        item = await self._take()
        if isinstance(item, BaseException):
            raise item

    def close(self) -> None:
        """Stop the reader: it closes the file within one piece read."""
        with self._turn:
            self._stop = True
            self._turn.notify()

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        if not self._pieces.next_size():
            raise StopAsyncIteration
        piece = await self._take()
        if isinstance(piece, BaseException):
            raise piece
        assert piece is not None, "opened() comes first"
        return piece

    async def _take(self) -> _Item:
        while True:
            with self._turn:
                if self._ready:
                    item = self._ready.popleft()
                    self._turn.notify()
                    return item
                waiter = self._waiter = asyncio.get_running_loop().create_future()
            await waiter

    # ------------------------------------------------------------------ in the reader thread
    def _run(self, loop: asyncio.AbstractEventLoop) -> None:
        try:
            source = Source.open(self.slice)
        except BaseException as error:  # noqa: BLE001 - handed to the event loop, raised there
            self._put(loop, error)
            return
        try:
            if not self._put(loop, None):
                return
            start, length = 0, self.slice.length
            while start < length and self._room():
                size = min(PIECE, length - start)
                try:
                    piece: _Item = source.read(start, size, last=start + size >= length)
                except BaseException as error:  # noqa: BLE001 - the same
                    piece = error
                if not self._put(loop, piece) or isinstance(piece, BaseException):
                    return
                start += size
        finally:
            source.close()

    def _room(self) -> bool:
        """Wait until fewer than AHEAD pieces are ready; False once stopped."""
        with self._turn:
            while len(self._ready) >= AHEAD and not self._stop:
                self._turn.wait()
            return not self._stop

    def _put(self, loop: asyncio.AbstractEventLoop, item: _Item) -> bool:
        with self._turn:
            self._ready.append(item)
            waiter, self._waiter = self._waiter, None
        if waiter is not None:
            try:
                loop.call_soon_threadsafe(_wake, waiter)
            except RuntimeError:  # the loop is closed: nobody waits any more
                return False
        return True


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
