"""The sync driver's call deadline at the socket: every connect, TLS handshake, write and
read of a call waits at most until the call's deadline.

httpx's timeouts are per operation: a server dripping its response head one byte at a time,
each within the read timeout, holds a call for as long as it likes. The async driver
cancels the whole call (``asyncio.timeout``); a thread cannot be cancelled, so instead the
sync client's network backend shortens each socket operation's timeout to the time left
before the deadline of the call in progress. The call is a context variable set by
:func:`deadline`, so each thread sees only its own call, connections stay pooled and shared
between calls, and outside a call (the caller's own use of its client) nothing changes.

:func:`~pytok_sm.drivers._deadline_backend.arm_client` puts the backend under an ``httpx.Client``'s transports (its own and its proxy
mounts); a transport that is not httpx's own (a ``MockTransport``) is left alone, and the
driver's check between body chunks still bounds it. (A single TLS handshake or SSL read
is bounded as a whole by its timeout since Python 3.5, so shortening the timeout suffices.)
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

__all__ = ["Call", "deadline"]

#: Writes are split so each piece waits at most the time then left.
_WRITE_PIECE = 256 * 1024


@dataclass
class Call:
    """The call in progress: its deadline (``time.monotonic``) and whether the deadline,
    rather than the per-operation timeout, bounded the last socket operation."""

    at: float
    bound: bool = False


_current: ContextVar[Call | None] = ContextVar("pytok_sm_call", default=None)


@contextmanager
def deadline(at: float) -> Iterator[Call]:
    """Within the block, this thread's socket operations end by ``at`` (monotonic)."""
    call = Call(at)
    token = _current.set(call)
    try:
        yield call
    finally:
        _current.reset(token)


def _clamp(timeout: float | None, late: type[Exception]) -> float | None:
    call = _current.get()
    if call is None:
        return timeout
    left = call.at - time.monotonic()
    call.bound = timeout is None or left <= timeout
    if left <= 0:
        raise late("the call's deadline passed")
    return left if call.bound else timeout
