"""One HTTP connection pool per process (and per event loop for async), shared by every kit.

Building an ``httpx.Client`` loads the CA bundle: about 22 ms and 830 KiB each. A program
holding one kit per TikTok account would pay that per account; instead every kit without
its own ``http_client=`` or ``transport=`` uses the pool returned here, made on the first
request. Only the process's end closes it (closing a kit never does). A forked child
starts with no pool (it must not share its parent's sockets); an async pool belongs to the
event loop it was made on and goes with it. The sync pool's sockets wait no longer than the
deadline of the call they carry (:func:`._deadline.arm`); its connections are still shared.

Example:
    >>> shared_client() is shared_client()
    True
"""

from __future__ import annotations

import asyncio
import atexit
import os
import threading
import weakref

import httpx

__all__ = ["armed", "shared_async_client", "shared_client"]

_lock = threading.Lock()
_client: httpx.Client | None = None
_async_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = weakref.WeakKeyDictionary()


def shared_client() -> httpx.Client:
    """The process's sync pool (made on first use)."""
    global _client
    client = _client
    if client is None or client.is_closed:
        with _lock:
            if _client is None or _client.is_closed:
                _client = armed(httpx.Client(follow_redirects=False))
            client = _client
    return client


def shared_async_client() -> httpx.AsyncClient:
    """The running event loop's async pool (made on first use on that loop)."""
    loop = asyncio.get_running_loop()
    client = _async_clients.get(loop)
    if client is None or client.is_closed:
        client = httpx.AsyncClient(follow_redirects=False)
        _async_clients[loop] = client
    return client


def _forget_in_child() -> None:
    global _client, _lock
    _client = None
    _lock = threading.Lock()
    _async_clients.clear()


def _close_at_exit() -> None:
    if _client is not None:
        _client.close()  # its idle keep-alive sockets, quietly, before the interpreter goes


os.register_at_fork(after_in_child=_forget_in_child)
atexit.register(_close_at_exit)


def armed(client: httpx.Client) -> httpx.Client:
    """``client`` held to each call's deadline at its sockets (httpcore is imported here, at
    the first driver, not when pytok_sm is imported: it costs about 0.1 s)."""
    from ._deadline_backend import arm_client

    return arm_client(client)
