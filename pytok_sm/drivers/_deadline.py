"""The sync driver's call deadline at the socket: every connect, TLS handshake, write and
read of a call waits at most until the call's deadline.

httpx's timeouts are per operation: a server dripping its response head one byte at a time,
each within the read timeout, holds a call for as long as it likes. The async driver
cancels the whole call (``asyncio.timeout``); a thread cannot be cancelled, so instead the
sync client's network backend shortens each socket operation's timeout to the time left
before the deadline of the call in progress. The call is a context variable set by
:func:`deadline`, so each thread sees only its own call, connections stay pooled and shared
between calls, and outside a call (the caller's own use of its client) nothing changes.

:func:`arm` puts the backend under an ``httpx.Client``'s transports (its own and its proxy
mounts); a transport that is not httpx's own (a ``MockTransport``) is left alone, and the
driver's check between body chunks still bounds it. (A single TLS handshake or SSL read
is bounded as a whole by its timeout since Python 3.5, so shortening the timeout suffices.)
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

__all__ = ["arm", "deadline"]

#: Writes are split so each piece waits at most the time then left.
_WRITE_PIECE = 64 * 1024


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


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        for start in range(0, len(buffer), _WRITE_PIECE):
            self._inner.write(buffer[start : start + _WRITE_PIECE], _clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        timeout = _clamp(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """A network backend whose streams end each operation by the current call's deadline."""

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _clamp(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_tcp(host, port, timeout, local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        timeout = _clamp(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def arm(client: httpx.Client) -> httpx.Client:
    """Put :class:`DeadlineBackend` under the client's httpx transports (idempotent)."""
    mounts = getattr(client, "_mounts", {}) or {}
    for transport in (getattr(client, "_transport", None), *mounts.values()):
        pool: Any = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if isinstance(backend, httpcore.NetworkBackend) and not isinstance(backend, DeadlineBackend):
            pool._network_backend = DeadlineBackend(backend)
    return client
