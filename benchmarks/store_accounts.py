"""Figure 8: many accounts in a store -- many accounts, many processes, many machines.

For each store (``SQLiteStore`` on a temporary path, ``RedisStore`` on a real redis-server):

* **Keepers side by side.** 10,000 accounts, each with its own grant from the sandbox
  (``issue_tokens(open_id=f"acct-{n}")``), all due (their access tokens expire in 60 s).
  Four spawned processes, released together by a barrier, each run
  ``TikTokApp(...).refresh_due(within=3600, concurrency=8)`` over the whole store. Checked:
  each account refreshed exactly once (the reports' ``refreshed`` lists are the 10,000
  accounts with no repeat, the sandbox answered exactly 10,000 token requests in the window,
  nothing ``failed``, every stored account is at version 2: seeded, then written once).
  Baseline, in the same run: the same 10,000 refresh POSTs (the same accounts, just before)
  from a bare ``httpx.Client`` per process, split over 4 processes, 8 threads each, no store.
* **The store's own cost per refresh**: acquire_lease, get, compare_and_set, release_lease
  per account in a tight loop, no HTTP, against one raw write and the store's bare ``get``.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import queue
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from . import _store_child, _stores
from ._common import Figure, Settings, fmt_time
from .accounts_pool import PoolSandbox

TARGET = 1.3
PROCESSES = 4
CONCURRENCY = 8
TITLE = "many accounts in a store"


@dataclass(frozen=True)
class Sizes:
    accounts: int = 10_000
    cost_accounts: int = 1_000  # part 2: the protocol's calls in a loop


def sizes(settings: Settings) -> Sizes:
    if settings == Settings.smoke():
        return Sizes(accounts=40, cost_accounts=20)
    if settings == Settings.quick():
        return Sizes(accounts=1_000, cost_accounts=200)
    return Sizes()


def _report(results: Any, workers: list[Any]) -> dict[str, Any]:
    """The next report; an error one when a worker ended without reporting (killed, or it could
    not start: a script run as ``__main__`` without a main guard, for instance)."""
    while True:
        try:
            report: dict[str, Any] = results.get(timeout=1.0)
            return report
        except queue.Empty:
            dead = [w.exitcode for w in workers if w.exitcode not in (None, 0)]
            if dead:
                return {"error": f"a worker ended with exit code {dead[0]} and no report"}


def _phase(sb: PoolSandbox, target: Callable[..., None], jobs: list[tuple[Any, ...]], mode: str) -> dict[str, Any]:
    """Run one worker per job, released together; the wall time from the release to the last
    report, the reports, and the sandbox's token requests and connections in between."""
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(len(jobs) + 1), ctx.Queue()
    workers = [ctx.Process(target=target, args=(*job, barrier, results, mode), daemon=True) for job in jobs]
    for worker in workers:
        worker.start()
    before = 0
    try:
        try:
            barrier.wait(_store_child.BARRIER_TIMEOUT)  # every worker is ready and idle
            before = sb.count("token")
            sb.reset_connections()
            barrier.wait(_store_child.BARRIER_TIMEOUT)  # go
        except threading.BrokenBarrierError:
            pass  # a worker failed: its report says why
        start = time.perf_counter()
        reports = [_report(results, workers) for _ in workers]
        wall = time.perf_counter() - start
    finally:
        for worker in workers:
            worker.join(30)
            if worker.is_alive():
                worker.kill()
    failed = [r["error"] for r in reports if "error" in r]
    if failed:
        raise RuntimeError(f"a figure 8 worker failed:\n{failed[0]}")
    return {
        "wall": wall,
        "reports": reports,
        "token_requests": sb.count("token") - before,
        "connections": sb.connections(),
    }


def _keepers_and_bare(
    sb: PoolSandbox, spec: tuple[str, ...], open_ids: list[str], mode: str, seed: Callable[[list[Any]], None]
) -> dict[str, Any]:
    """The bare baseline, the store seeded with the accounts it rotated, then the keepers."""
    n, tag = len(open_ids), spec[0]
    warm_bare = [f"warm-bare-{tag}-{i}" for i in range(PROCESSES)]
    warm_keep = [f"warm-{tag}-{i}" for i in range(PROCESSES)]
    grants = sb.issue_tokens(open_ids=open_ids + warm_bare + warm_keep)
    app = {k: sb.info[k] for k in ("client_key", "client_secret", "base_api_url")}
    share = [grants[i:n:PROCESSES] for i in range(PROCESSES)]
    bare = _phase(sb, _store_child.bare, [(app, share[i], grants[n + i], CONCURRENCY) for i in range(PROCESSES)], mode)
    rotated: dict[str, dict[str, Any]] = {}
    for report in bare["reports"]:
        rotated.update((body["open_id"], body) for body in report["rotated"])
    if bare["token_requests"] != n or sorted(rotated) != sorted(open_ids):
        raise RuntimeError(f"the bare baseline sent {bare['token_requests']} token requests for {n} accounts")
    seed(_stores.due_tokens([rotated[o] for o in open_ids] + grants[n + PROCESSES :]))
    keep = _phase(sb, _store_child.keeper, [(spec, app, warm_keep[i], CONCURRENCY) for i in range(PROCESSES)], mode)
    return {"bare": bare, "keepers": keep}


def _exactly_once(run: dict[str, Any], store: Any, client_key: str, open_ids: list[str], mode: str) -> str:
    """Raise unless every account was refreshed once; the sentence that says so."""
    reports = run["keepers"]["reports"]
    refreshed = [open_id for report in reports for open_id in report["refreshed"]]
    failed = {k: v for report in reports for k, v in report["failed"].items()}
    reauth = [o for report in reports for o in report["reauth_required"]]
    stored = {a.open_id: a for a in store.accounts(client_key) if a.open_id.startswith("acct-")}
    versions = sorted({a.version for a in stored.values()})
    still_due = sum(a.token.expires_at - time.time() <= _store_child.WITHIN for a in stored.values())
    problems = []
    if len(refreshed) != len(open_ids) or set(refreshed) != set(open_ids):
        problems.append(f"{len(refreshed)} refreshes reported ({len(set(refreshed))} distinct accounts)")
    if run["keepers"]["token_requests"] != len(open_ids):
        problems.append(f"the sandbox answered {run['keepers']['token_requests']} token requests")
    if failed or reauth:
        problems.append(f"{len(failed)} failed, {len(reauth)} reauth_required: {list(failed.items())[:3]}")
    if sorted(stored) != sorted(open_ids) or versions != [2] or still_due:
        problems.append(f"stored versions {versions}, {still_due} accounts still due")
    listed = [len(r["refreshed"]) + r["unchanged"] for r in reports]  # the warm-up accounts are listed too
    if listed != [len(open_ids) + PROCESSES] * PROCESSES:
        problems.append(f"the keepers accounted for {listed} accounts each, not {len(open_ids) + PROCESSES}")
    if mode == "logging" and not all(report["log_lines"] for report in reports):
        problems.append("transition logging was on but a keeper logged nothing")
    if problems:
        raise RuntimeError(f"figure 8 ({store.where}): not exactly once: " + "; ".join(problems))
    return (
        f"exactly once: refreshed {len(refreshed):,} = {len(open_ids):,} accounts "
        f"({' + '.join(str(len(r['refreshed'])) for r in reports)}), sandbox token requests "
        f"{run['keepers']['token_requests']:,}, failed 0, every account at version 2"
    )


def _refresh_figure(name: str, run: dict[str, Any], once: str, mode: str, n: int) -> Figure:
    keepers, bare = run["keepers"], run["bare"]
    ratio = keepers["wall"] / bare["wall"]
    adopted = sum(r["unchanged"] for r in keepers["reports"]) - PROCESSES * PROCESSES  # less the warm-up accounts
    cpu = {side: sum(r["cpu"] for r in got["reports"]) / n for side, got in run.items()}
    return Figure(
        "8",
        f"{TITLE}: {name}, {PROCESSES} processes",
        mode,
        ratio,
        f"<= {TARGET}",
        ratio <= TARGET,
        f"{once}; {PROCESSES} x refresh_due(within=3600, concurrency={CONCURRENCY}) over {n:,} due accounts: "
        f"{fmt_time(keepers['wall'])} ({fmt_time(keepers['wall'] / n)} per account; {adopted:,} found "
        f"already refreshed by another keeper; client CPU {fmt_time(cpu['keepers'])} per account; "
        f"{keepers['connections']['used']} TCP connections) vs the same {n:,} POSTs "
        f"from a bare httpx.Client per process, {PROCESSES} processes x {CONCURRENCY} threads, no store: "
        f"{fmt_time(bare['wall'])} ({fmt_time(bare['wall'] / n)} per account; client CPU {fmt_time(cpu['bare'])}; "
        f"{bare['connections']['used']} connections)",
        {
            "n": n,
            "keepers_s": keepers["wall"],
            "bare_s": bare["wall"],
            "keeper_seconds": [r["seconds"] for r in keepers["reports"]],
            "refreshed": [len(r["refreshed"]) for r in keepers["reports"]],
            "cpu_per_account": cpu,
            "adopted": adopted,
        },
    )


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:,.0f} us"


def _cost_figure(name: str, cost: dict[str, Any], raw_name: str, mode: str, extra: str = "") -> Figure:
    calls = ", ".join(f"{k} {_us(v)}" for k, v in cost["calls"].items())
    return Figure(
        "8",
        f"{TITLE}: {name} store cost",
        mode,
        cost["protocol"] / cost["raw_write"],
        "none (cost shown)",
        None,
        f"lease + re-read + CAS + release, no HTTP, x {cost['n']:,}: {_us(cost['protocol'])} per refresh "
        f"({calls}); refresh_due adds 2 reads before the lease: {_us(cost['protocol'] + 2 * cost['get'])}; "
        f"vs {raw_name}: {_us(cost['raw_write'])}; vs the store's get: {_us(cost['get'])} "
        f"({cost['protocol'] / cost['get']:.1f}x){extra}",
        cost,
    )


def _sqlite(sb: PoolSandbox, size: Sizes, directory: Path, mode: str) -> list[Figure]:
    path = directory / "tokens.db"
    key, open_ids = sb.client_key, [f"acct-{n}" for n in range(size.accounts)]
    templates: list[Path] = []

    def seed(tokens: list[Any]) -> None:
        template = _stores.seed_sqlite(path, key, tokens)
        if template is not None:
            templates.append(template)

    try:
        run = _keepers_and_bare(sb, ("sqlite", str(path)), open_ids, mode, seed)
        sample, extra = open_ids[: size.cost_accounts], ""
        with _stores.open_store(("sqlite", str(path))) as store:
            once = _exactly_once(run, store, key, open_ids, mode)
            value = json.dumps(store.get(key, sample[0]).token.to_dict())
            cost = _stores.store_cost(store, key, sample, partial(_stores.raw_sqlite_write, directory, value))
        for template in templates:  # the seeding template on tmpfs: the same calls without fsync
            with _stores.open_store(("sqlite", str(template / path.name))) as fast:
                on_tmpfs = _stores.store_cost(fast, key, sample, partial(_stores.raw_sqlite_write, template, value))
            cost["tmpfs"] = on_tmpfs
            extra = (
                f"; the same store on tmpfs (no fsync): {_us(on_tmpfs['protocol'])} per refresh, raw UPDATE "
                f"{_us(on_tmpfs['raw_write'])}, get {_us(on_tmpfs['get'])}"
            )
    finally:
        for template in templates:
            shutil.rmtree(template, ignore_errors=True)
    return [
        _refresh_figure("SQLite", run, once, mode, size.accounts),
        _cost_figure("SQLite", cost, "one raw sqlite3 UPDATE transaction (WAL, synchronous=FULL)", mode, extra),
    ]


def _redis(sb: PoolSandbox, size: Sizes, directory: Path, mode: str) -> list[Figure]:
    key, open_ids = sb.client_key, [f"acct-{size.accounts + n}" for n in range(size.accounts)]
    with _stores.RedisServer(directory) as server:
        spec = ("redis", server.url, "bench8")
        with _stores.open_store(spec) as store:
            run = _keepers_and_bare(sb, spec, open_ids, mode, lambda tokens: _stores.seed(store, key, tokens))
            once = _exactly_once(run, store, key, open_ids, mode)
            sample = open_ids[: size.cost_accounts]
            value = json.dumps(store.get(key, sample[0]).token.to_dict())
            cost = _stores.store_cost(store, key, sample, partial(_stores.raw_redis_set, server.url, value))
    return [
        _refresh_figure("Redis", run, once, mode, size.accounts),
        _cost_figure("Redis", cost, "one redis-py SET", mode),
    ]


def _skipped(name: str, why: str, mode: str) -> list[Figure]:
    return [
        Figure("8", f"{TITLE}: {name}{suffix}", mode, math.nan, target, None, f"skipped: {why}")
        for suffix, target in ((f", {PROCESSES} processes", f"<= {TARGET}"), (" store cost", "none (cost shown)"))
    ]


def run(settings: Settings, mode: str) -> list[Figure]:
    size = sizes(settings)
    missing = _stores.redis_missing()
    with tempfile.TemporaryDirectory(prefix="pytok-bench8-") as tmp, PoolSandbox() as sb:
        for part in ("sqlite", "redis"):
            Path(tmp, part).mkdir(0o700)
        figures = _sqlite(sb, size, Path(tmp, "sqlite"), mode)
        if missing is None:
            figures += _redis(sb, size, Path(tmp, "redis"), mode)
        else:
            figures += _skipped("Redis", missing, mode)
        errors = sb.errors()
    if errors:
        raise RuntimeError(f"the sandbox failed: {errors}")
    return figures
