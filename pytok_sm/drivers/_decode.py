"""An answer's body, decoded within a byte budget (``Content-Encoding``, RFC 9110 section 8.4).

httpx inflates each raw chunk whole: 1 KB of gzip-of-gzip becomes 500 MB in one call,
before any cap can look at it. Here every layer (gzip, deflate, stacked in any order)
inflates at most :data:`PIECE` bytes per step and decoding stops as soon as the body
passes the budget, so no more than the budget plus one piece per layer is ever held.
The raw bytes are capped by the same budget.

Example:
    >>> import gzip
    >>> body = Body("gzip, gzip", budget=1000)
    >>> body.feed(gzip.compress(gzip.compress(b"x" * 10)))
    >>> body.finish()
    b'xxxxxxxxxx'
    >>> bomb = Body("gzip", budget=1000)
    >>> bomb.feed(gzip.compress(bytes(10**6)))
    Traceback (most recent call last):
    ...
    pytok_sm.drivers._decode.TooLarge: the answer is larger than 1000 bytes
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

from .._http import MAX_BODY_BYTES

__all__ = ["ACCEPT_ENCODING", "PIECE", "Body", "BrokenEncoding", "TooLarge"]

#: What the drivers ask for: only codings they can inflate within the budget.
ACCEPT_ENCODING = "gzip, deflate"
#: The most one layer inflates in one step.
PIECE = 64 * 1024
_CODINGS = {"gzip": "gzip", "x-gzip": "gzip", "deflate": "deflate"}


class TooLarge(Exception):
    """The body passed the budget; :attr:`prefix` holds its first ``budget + 1`` bytes."""

    def __init__(self, budget: int, prefix: bytes) -> None:
        super().__init__(f"the answer is larger than {budget} bytes")
        self.prefix = prefix


class BrokenEncoding(Exception):
    """The body does not decode as its ``Content-Encoding`` says (corrupt, cut short, unknown)."""

    def __init__(self, coding: str, what: str = "is broken") -> None:
        super().__init__(f"the answer's {coding} encoding {what}")


class _Inflater:
    """One gzip or deflate layer. ``deflate`` is zlib-wrapped by the RFC, raw by some
    servers (httpx takes both): the first two bytes tell which."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self._head = b""
        self._z = zlib.decompressobj(zlib.MAX_WBITS | 16) if coding == "gzip" else None

    def feed(self, data: bytes) -> Iterator[bytes]:
        z = self._z
        if z is None:
            self._head += data
            if len(self._head) < 2:
                return
            data, self._head = self._head, b""
            wrapped = data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
            z = self._z = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        try:
            while data and not z.eof:  # after the end, trailing bytes are ignored (as httpx does)
                out = z.decompress(data, PIECE)
                data = z.unconsumed_tail
                if out:
                    yield out
                while len(out) == PIECE and not data and not z.eof:  # output the last step held back
                    out = z.decompress(b"", PIECE)
                    if out:
                        yield out
        except zlib.error:
            raise BrokenEncoding(self.coding) from None

    def check_complete(self) -> None:
        if self._z is None or not self._z.eof:
            raise BrokenEncoding(self.coding, "is cut short")


class Body:
    """Collects a body from its raw chunks: :meth:`feed` each, then :meth:`finish`.

    Raises :class:`TooLarge` as soon as the raw or decoded size passes ``budget`` and
    :class:`BrokenEncoding` for an encoding that does not decode (or one it cannot decode).
    """

    def __init__(self, content_encoding: str | None, *, budget: int = MAX_BODY_BYTES) -> None:
        self.budget = budget
        self._layers: list[_Inflater] = []
        codings = [c.strip().lower() for c in (content_encoding or "").split(",")]
        for coding in reversed([c for c in codings if c and c != "identity"]):  # the last applied comes off first
            if coding not in _CODINGS:
                raise BrokenEncoding(coding, "is not supported")
            self._layers.append(_Inflater(_CODINGS[coding]))
        self._chunks: list[bytes] = []
        self._size = 0
        self._raw = 0

    def feed(self, raw: bytes) -> None:
        """Take the next raw chunk (as received); decode it within the budget."""
        self._raw += len(raw)
        if self._raw > self.budget and self._layers:
            self._too_large()
        for piece in self._through(0, raw):
            self._chunks.append(piece)
            self._size += len(piece)
            if self._size > self.budget:
                self._too_large()

    def finish(self) -> bytes:
        """The whole decoded body (every layer must have reached its end; an empty body
        is empty whatever its header says, as httpx has it)."""
        if not self._raw:
            return b""
        for layer in self._layers:
            layer.check_complete()
        return b"".join(self._chunks)

    def _through(self, level: int, data: bytes) -> Iterator[bytes]:
        if level == len(self._layers):
            if data:
                yield data
            return
        for out in self._layers[level].feed(data):
            yield from self._through(level + 1, out)

    def _too_large(self) -> None:
        prefix = b"".join(self._chunks)[: self.budget + 1]
        self._chunks.clear()
        if len(prefix) <= self.budget:  # raw over budget: the decoded body never got there
            prefix = prefix.ljust(self.budget + 1, b"\0")
        raise TooLarge(self.budget, prefix)
