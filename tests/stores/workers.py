"""What the child processes of the concurrency tests run (importable: they start with spawn).

Each opens its own handle on the store from a spec, waits at a barrier with the others so
that all start at once, does its part, and reports through a queue.
"""

from __future__ import annotations

import os
import time
from typing import Any

from .helpers import CLIENT_KEY, Spec, open_spec, token


def race_compare_and_set(spec: Spec, index: int, expected: int, barrier: Any, results: Any) -> None:
    """One contender: compare_and_set from ``expected`` with a token of its own."""
    store = open_spec(spec)
    try:
        barrier.wait(30)
        won = store.compare_and_set(CLIENT_KEY, "u1", expected, token("u1", f"writer{index}"))
        results.put((index, None if won is None else won.version))
    finally:
        store.close()


def count_up(spec: Spec, rounds: int, barrier: Any, results: Any) -> None:
    """Read-modify-write with compare_and_set, retrying on conflicts: no update may be lost."""
    store = open_spec(spec)
    conflicts = 0
    try:
        barrier.wait(30)
        for _ in range(rounds):
            while True:
                current = store.get(CLIENT_KEY, "counter")
                if store.compare_and_set(CLIENT_KEY, "counter", current.version, token("counter", f"p{os.getpid()}")):
                    break
                conflicts += 1
        results.put(("done", conflicts))
    except BaseException as error:  # noqa: BLE001 - reported, so the parent fails with the reason
        results.put(("error", repr(error)))
    finally:
        store.close()


def hold_leases(spec: Spec, name: str, seconds: float, barrier: Any, inside: Any, results: Any) -> None:
    """Take the lease again and again for ``seconds``; while holding it, check nobody else is inside."""
    store = open_spec(spec)
    holds = overlaps = 0
    try:
        barrier.wait(30)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if not store.acquire_lease(CLIENT_KEY, "u1", name, ttl=10):
                time.sleep(0.002)
                continue
            with inside.get_lock():
                overlaps += inside.value != 0
                inside.value += 1
            time.sleep(0.005)
            with inside.get_lock():
                inside.value -= 1
            holds += 1
            assert store.release_lease(CLIENT_KEY, "u1", name)
            time.sleep(0.002)
        results.put((name, holds, overlaps))
    except BaseException as error:  # noqa: BLE001 - reported, so the parent fails with the reason
        results.put((name, -1, repr(error)))
    finally:
        store.close()


def take_lease_and_hang(spec: Spec, ttl: float, ready: Any) -> None:
    """Take the lease, say so, and hang until killed (a holder that dies holding it)."""
    store = open_spec(spec)
    ready.put(store.acquire_lease(CLIENT_KEY, "u1", f"victim-{os.getpid()}", ttl=ttl))
    time.sleep(120)


def put_accounts(spec: Spec, first: int, count: int, barrier: Any, results: Any) -> None:
    """Put ``count`` accounts of its own, all at once with the other processes."""
    store = open_spec(spec)
    try:
        barrier.wait(30)
        for number in range(first, first + count):
            store.put(CLIENT_KEY, token(f"user{number:03d}"))
        results.put(("done", first))
    except BaseException as error:  # noqa: BLE001 - reported, so the parent fails with the reason
        results.put(("error", repr(error)))
    finally:
        store.close()
