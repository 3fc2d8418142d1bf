"""Figure 7: accounts cost nothing -- a program holding one ``LoginKit`` per TikTok account.

A service that posts for 10,000 creators holds 10,000 kits: the same app configuration,
each with that account's saved token (``LoginKit(key, secret, token=saved)``). Holding
one must cost about what the account's token costs, not what a connection pool costs.

* **Build and hold** (this module): creation time per kit (median of rounds, without
  tracemalloc) and bytes per live kit (tracemalloc: retained bytes of the kits kept in a
  list, net of warm-up kits made under tracing, the list itself excluded).
* **Resident set**: the RSS growth for all the kits, in a fresh process
  (``_accounts_child.py``). tracemalloc misses what OpenSSL allocates for each
  ``httpx.Client``'s TLS context; RSS does not.
* **One pool** (``accounts_pool.py``): 1,000 kits refreshing against a keep-alive sandbox
  must share a handful of connections.

Baselines measured in the same run: ``Token.from_dict`` per account (the floor: the
account's own state) and, the old way, a kit handed its own ``httpx.Client``. That one
costs tens of ms and about 830 KiB each, so it is measured at a few hundred at most. If one
kit takes more than 5 ms to build, the kit count is scaled down to a time budget and the
figure says so; the per-kit numbers are extrapolated to the full count.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._accounts_child import makers, saved_tokens
from ._common import Figure, Settings, fmt_time, median
from .waiting import child_env

TIME_TARGET = 20e-6
MEMORY_TARGET = 2048
RSS_TARGET = 40 * 2**20  # for ACCOUNTS kits
ACCOUNTS = 10_000
SLOW_KIT = 5e-3  # seconds: a kit slower than this to build scales the kit count down
_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Sizes:
    """Figure 7's sizes for one run level (full, ``--quick``, ``--smoke``)."""

    kits: int = ACCOUNTS
    old_way: int = 200
    refresh_kits: int = 1000
    threads: int = 8
    budget: float = 5.0  # seconds one pass over slow kits may take before the count is scaled down


def sizes(settings: Settings) -> Sizes:
    if settings == Settings.smoke():
        return Sizes(kits=200, old_way=5, refresh_kits=20, threads=4, budget=0.3)
    if settings == Settings.quick():
        return Sizes(kits=2000, old_way=30, refresh_kits=200, threads=8, budget=1.5)
    return Sizes()


def scaled(n: int, per_object: float, budget: float, floor: int = 10) -> int:
    """``n``, or fewer when one object costs more than SLOW_KIT: as many as fit ``budget``."""
    if per_object <= SLOW_KIT:
        return n
    return max(min(n, floor), min(n, int(budget / per_object)))


def probe(make: Callable[[int], Any], n: int = 5) -> float:
    """Seconds to build one object, from ``n`` after one to warm up (all kept until the end)."""
    first = make(0)
    start = time.perf_counter()
    keep = [make(i) for i in range(n)]
    elapsed = (time.perf_counter() - start) / n
    del keep, first
    return elapsed


def time_per_object(make: Callable[[int], Any], n: int, rounds: int) -> float:
    results = []
    for _ in range(rounds):
        keep: list[Any] = [None] * n
        gc.collect()
        start = time.perf_counter()
        for i in range(n):
            keep[i] = make(i)
        results.append((time.perf_counter() - start) / n)
        del keep
    return median(results)


def bytes_per_object(make: Callable[[int], Any], n: int, warm: int) -> float:
    """Net traced bytes per live object. ``warm`` objects made under tracing stay alive, so
    shared caches fill before the measurement; the list holding the objects is excluded."""
    keep: list[Any] = [None] * n
    gc.collect()
    tracemalloc.start()
    try:
        warmed = [make(n + i) for i in range(warm)]
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        for i in range(n):
            keep[i] = make(i)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(warmed) == warm and all(item is not None for item in keep)
    return (after - before) / n


def rss_per_object(kind: str, n: int, warm: int, mode: str) -> tuple[float, str]:
    """Resident-set growth per object of ``kind`` across ``n`` of them, in a fresh process."""
    run = subprocess.run(  # noqa: S603 - this interpreter, our own module
        [sys.executable, "-m", "benchmarks._accounts_child", kind, str(n), str(warm)],
        capture_output=True,
        text=True,
        env=child_env(mode),
        cwd=_ROOT,
        timeout=600,
        check=False,
    )
    if run.returncode != 0:
        raise RuntimeError(f"the {kind} RSS child failed:\n{run.stderr[-3000:]}")
    answer = json.loads(run.stdout.strip().splitlines()[-1])
    return answer["growth"] / n, str(answer["source"])


@dataclass
class Measured:
    """One kind of per-account object: how many, and what one costs."""

    n: int
    seconds: float
    traced: float  # bytes (tracemalloc)
    rss: float  # bytes (fresh process)
    rss_source: str = ""


def measure(kind: str, make: Callable[[int], Any], n: int, per: float, budget: float, mode: str) -> Measured:
    rounds = 5 if per * n * 5 <= budget else 3 if per * n * 3 <= budget else 1
    warm = min(n, 5000) if per <= SLOW_KIT else 5  # enough to fill shared caches (the secret registry: 4,096)
    seconds = time_per_object(make, n, rounds)
    traced = bytes_per_object(make, n, warm)
    rss, source = rss_per_object(kind, n, min(warm, 50), mode)
    return Measured(n, seconds, traced, rss, source)


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else float("nan")


def _kib(value: float) -> str:
    return f"{value / 1024:,.1f} KiB" if abs(value) >= 1024 else f"{value:,.0f} B"


def _mib(value: float) -> str:
    return f"{value / 2**20:,.1f} MiB"


def build_and_hold(settings: Settings, mode: str) -> list[Figure]:
    size = sizes(settings)
    saved = saved_tokens(size.kits + 5000)  # the 5,000 spare ones feed the warm-up kits
    make = makers(saved)
    per_kit = probe(make["kit"])
    n = scaled(size.kits, per_kit, size.budget)
    note = (
        f"one kit took {fmt_time(per_kit)} to build (> {fmt_time(SLOW_KIT)}): measured {n:,} kits instead "
        f"of {size.kits:,} and extrapolated; "
        if n < size.kits
        else ""
    )
    kit = measure("kit", make["kit"], n, per_kit, size.budget, mode)
    per_token = probe(make["token"])  # never slow: measured at the full count, for a clean RSS reading
    token = measure("token", make["token"], scaled(size.kits, per_token, size.budget), per_token, size.budget, mode)
    per_old = probe(make["old_way"], 3)
    old = measure("old_way", make["old_way"], size.old_way, per_old, size.budget * 3, mode)
    total_rss = kit.rss * ACCOUNTS  # the target is for 10,000 kits whatever the run's size
    time_ok, bytes_ok, rss_ok = kit.seconds <= TIME_TARGET, kit.traced <= MEMORY_TARGET, total_rss <= RSS_TARGET
    raw = {"n": n, "accounts": size.kits, "kit": vars(kit), "token": vars(token), "old_way": vars(old)}
    build = Figure(
        "7",
        "accounts cost nothing: build and hold",
        mode,
        _ratio(kit.seconds, old.seconds),
        "<= 20 us and <= 2 KiB per kit",
        time_ok and bytes_ok,
        f"{note}LoginKit(key, secret, token=saved) x {n:,}: {fmt_time(kit.seconds)} "
        f"({'OK' if time_ok else 'MISS'}) and {_kib(kit.traced)} traced ({'OK' if bytes_ok else 'MISS'}) per kit; "
        f"vs Token.from_dict(saved) x {token.n:,}: {fmt_time(token.seconds)} and {_kib(token.traced)} "
        f"(kit/token {_ratio(kit.seconds, token.seconds):.1f}x time, {_ratio(kit.traced, token.traced):.1f}x bytes); "
        f"vs a kit with its own httpx.Client (old way) x {old.n:,}: {fmt_time(old.seconds)} and "
        f"{_kib(old.traced)} traced (bytes ratio {_ratio(kit.traced, old.traced):.3f}x; tracemalloc misses OpenSSL)",
        raw,
    )
    hold = Figure(
        "7",
        "accounts cost nothing: resident set",
        mode,
        _ratio(kit.rss, old.rss),
        f"<= 40 MiB for {ACCOUNTS:,} kits",
        rss_ok,
        f"{note}RSS growth in a fresh process ({kit.rss_source}) across {n:,} kits: {_kib(kit.rss)} per kit, "
        f"{_mib(total_rss)} for {ACCOUNTS:,} ({'OK' if rss_ok else 'MISS'}); Token.from_dict x {token.n:,}: "
        f"{_kib(token.rss)} per account, {_mib(token.rss * ACCOUNTS)} for {ACCOUNTS:,}; old way x {old.n:,}: "
        f"{_kib(old.rss)} per kit, {_mib(old.rss * ACCOUNTS)} for {ACCOUNTS:,}",
        raw,
    )
    return [build, hold]


def run(settings: Settings, mode: str) -> list[Figure]:
    from . import accounts_pool

    size = sizes(settings)
    figures = build_and_hold(settings, mode)
    per_kit = figures[0].extra["kit"]["seconds"]
    figures += accounts_pool.run(settings, mode, size, per_kit)
    return figures
