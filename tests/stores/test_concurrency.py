"""Many writers at once: threads released together by a barrier for every store, and real OS
processes (spawned) for the stores processes share (SQLite, Redis). Compare-and-set has
exactly one winner, no update is lost, a lease has one holder at a time, and a holder killed
with SIGKILL blocks the others only until its ttl."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from . import workers
from .conftest import SHARED_KINDS
from .helpers import CLIENT_KEY, Spec, open_spec, token

SPAWN = multiprocessing.get_context("spawn")
THREADS = 8
PROCESSES = 4


def run_processes(target: Callable[..., None], argument_lists: list[tuple[Any, ...]]) -> None:
    processes = [SPAWN.Process(target=target, args=args, daemon=True) for args in argument_lists]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
        assert process.exitcode == 0, f"a worker ended with {process.exitcode}"


def collect(results: Any, count: int) -> list[Any]:
    return [results.get(timeout=60) for _ in range(count)]


@pytest.fixture
def busy_switching() -> Iterator[None]:
    """Threads switch every few microseconds, so that a read-check-write without its lock
    would be interleaved (Python's default, 5 ms, would hide the race)."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


@pytest.mark.parametrize("expected", [0, 1], ids=["first-insert", "update"])
@pytest.mark.usefixtures("busy_switching")
def test_threads_racing_compare_and_set_from_one_version_have_exactly_one_winner(
    open_store: Callable[..., Any], expected: int
) -> None:
    seed = open_store()
    if expected:
        seed.put(CLIENT_KEY, token("u1", "seed"))
    handles = [open_store() for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    outcomes: dict[int, Any] = {}

    def contend(index: int) -> None:
        barrier.wait(10)
        outcomes[index] = handles[index].compare_and_set(CLIENT_KEY, "u1", expected, token("u1", f"writer{index}"))

    threads = [threading.Thread(target=contend, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    winners = [index for index, account in outcomes.items() if account is not None]
    assert len(outcomes) == THREADS and len(winners) == 1
    stored = seed.get(CLIENT_KEY, "u1")
    assert stored.version == expected + 1
    assert stored.token == token("u1", f"writer{winners[0]}") == outcomes[winners[0]].token


@pytest.mark.usefixtures("busy_switching")
def test_threads_holding_a_lease_never_overlap(open_store: Callable[..., Any]) -> None:
    handles = [open_store() for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    guard = threading.Lock()
    state = {"inside": 0, "overlaps": 0, "holds": 0}

    def work(index: int) -> None:
        store, name = handles[index], f"thread{index}"
        barrier.wait(10)
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            if not store.acquire_lease(CLIENT_KEY, "u1", name, ttl=10):
                time.sleep(0.001)
                continue
            with guard:
                state["overlaps"] += state["inside"] != 0
                state["inside"] += 1
            time.sleep(0.003)
            with guard:
                state["inside"] -= 1
                state["holds"] += 1
            assert store.release_lease(CLIENT_KEY, "u1", name)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert state["overlaps"] == 0
    assert state["holds"] >= THREADS


@pytest.mark.parametrize("kind", SHARED_KINDS)
def test_processes_racing_compare_and_set_from_one_version_have_exactly_one_winner(spec: Spec) -> None:
    seed = open_spec(spec)
    seed.put(CLIENT_KEY, token("u1", "seed"))
    barrier, results = SPAWN.Barrier(PROCESSES), SPAWN.Queue()
    run_processes(workers.race_compare_and_set, [(spec, i, 1, barrier, results) for i in range(PROCESSES)])
    outcomes = dict(collect(results, PROCESSES))
    winners = [index for index, version in outcomes.items() if version is not None]
    assert len(winners) == 1 and outcomes[winners[0]] == 2
    assert seed.get(CLIENT_KEY, "u1").token == token("u1", f"writer{winners[0]}")
    seed.close()


@pytest.mark.parametrize("kind", SHARED_KINDS)
def test_processes_counting_with_compare_and_set_lose_no_update(spec: Spec) -> None:
    seed = open_spec(spec)
    seed.put(CLIENT_KEY, token("counter", "start"))
    rounds = 15
    barrier, results = SPAWN.Barrier(PROCESSES), SPAWN.Queue()
    run_processes(workers.count_up, [(spec, rounds, barrier, results) for _ in range(PROCESSES)])
    reports = collect(results, PROCESSES)
    assert all(status == "done" for status, _ in reports), reports
    assert seed.get(CLIENT_KEY, "counter").version == 1 + PROCESSES * rounds
    seed.close()


@pytest.mark.parametrize("kind", SHARED_KINDS)
def test_processes_holding_a_lease_never_overlap(spec: Spec) -> None:
    barrier, results, inside = SPAWN.Barrier(PROCESSES), SPAWN.Queue(), SPAWN.Value("i", 0)
    run_processes(workers.hold_leases, [(spec, f"p{i}", 1.5, barrier, inside, results) for i in range(PROCESSES)])
    reports = collect(results, PROCESSES)
    assert all(holds >= 0 for _, holds, _ in reports), reports
    assert sum(overlaps for _, _, overlaps in reports) == 0
    assert sum(holds for _, holds, _ in reports) >= PROCESSES


@pytest.mark.parametrize("kind", SHARED_KINDS)
def test_processes_putting_their_own_accounts_at_once_all_land(spec: Spec) -> None:
    each = 10
    barrier, results = SPAWN.Barrier(PROCESSES), SPAWN.Queue()
    run_processes(workers.put_accounts, [(spec, i * each, each, barrier, results) for i in range(PROCESSES)])
    assert all(status == "done" for status, _ in collect(results, PROCESSES))
    seed = open_spec(spec)
    assert seed.open_ids(CLIENT_KEY) == [f"user{n:03d}" for n in range(PROCESSES * each)]
    seed.close()


@pytest.mark.parametrize("kind", SHARED_KINDS)
def test_a_lease_holder_killed_with_sigkill_blocks_the_others_only_until_its_ttl(spec: Spec) -> None:
    ttl = 1.5
    ready = SPAWN.Queue()
    victim = SPAWN.Process(target=workers.take_lease_and_hang, args=(spec, ttl, ready), daemon=True)
    victim.start()
    try:
        assert ready.get(timeout=60) is True
        held_since = time.monotonic()
        assert victim.pid is not None
        os.kill(victim.pid, signal.SIGKILL)
        victim.join(10)
        assert victim.exitcode == -signal.SIGKILL
    finally:
        if victim.is_alive():
            victim.kill()
    survivor = open_spec(spec)
    try:
        assert survivor.acquire_lease(CLIENT_KEY, "u1", "survivor", ttl=30) is False  # the dead holder's, for now
        while not survivor.acquire_lease(CLIENT_KEY, "u1", "survivor", ttl=30):
            assert time.monotonic() - held_since < ttl + 2.0, "the dead holder's lease outlived its ttl"
            time.sleep(0.02)
        waited = time.monotonic() - held_since
        assert ttl - 0.5 <= waited <= ttl + 2.0
    finally:
        survivor.close()

