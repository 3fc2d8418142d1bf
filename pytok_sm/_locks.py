"""The refresh lock of each stored account in this process, shared by every kit bound to it
(in front of the store's lease, so that one process sends one lease request per rotation),
and calling a token store from either kind of kit.

Example:
    >>> account_lock(("store", "aw_key", "u1")) is account_lock(("store", "aw_key", "u1"))
    True
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import weakref
from typing import Any

from ._errors import TikTokError, TokenStoreError

__all__ = ["account_lock", "async_account_lock", "call_store", "call_store_sync"]


class _Held:
    """A lock the registry forgets once no kit is using it."""

    __slots__ = ("lock", "__weakref__")

    def __init__(self, lock: Any) -> None:
        self.lock = lock

    def __enter__(self) -> None:
        self.lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self.lock.release()

    async def __aenter__(self) -> None:
        await self.lock.acquire()

    async def __aexit__(self, *exc: object) -> None:
        self.lock.release()


_guard = threading.Lock()
_locks: weakref.WeakValueDictionary[object, _Held] = weakref.WeakValueDictionary()
_async_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, weakref.WeakValueDictionary[object, _Held]] = (
    weakref.WeakKeyDictionary()
)


def account_lock(key: object) -> _Held:
    """The process's lock for the account ``key`` (threads)."""
    with _guard:
        held = _locks.get(key)
        if held is None:
            held = _locks[key] = _Held(threading.Lock())
        return held


def async_account_lock(key: object) -> _Held:
    """The running event loop's lock for the account ``key`` (tasks)."""
    loop = asyncio.get_running_loop()
    locks = _async_locks.setdefault(loop, weakref.WeakValueDictionary())
    held = locks.get(key)
    if held is None:
        held = locks[key] = _Held(asyncio.Lock())
    return held


def _store_failed(store: Any, method: str, exc: Exception) -> TokenStoreError:
    where = getattr(store, "where", type(store).__name__)
    return TokenStoreError(f"the token store {where} failed in {method} ({type(exc).__name__}); check the store: "
                           "nothing was overwritten")


def call_store_sync(store: Any, method: str, args: tuple[Any, ...]) -> Any:
    """``store.method(*args)``; any failure of a store of someone else's making becomes a
    :class:`~pytok_sm.TokenStoreError`, so the refresh protocol can keep a rotated token."""
    try:
        return getattr(store, method)(*args)
    except TikTokError:
        raise
    except Exception as exc:  # noqa: BLE001 - a third-party store may raise anything
        raise _store_failed(store, method, exc) from None


async def call_store(store: Any, method: str, args: tuple[Any, ...]) -> Any:
    """``store.method(*args)``: awaited for an async store, in a worker thread for a sync one
    (a SQLite write must not stall the event loop); failures as :func:`call_store_sync`'s."""
    function = getattr(store, method)
    try:
        if inspect.iscoroutinefunction(function):
            return await function(*args)
        return await asyncio.to_thread(function, *args)
    except TikTokError:
        raise
    except Exception as exc:  # noqa: BLE001 - a third-party store may raise anything
        raise _store_failed(store, method, exc) from None
