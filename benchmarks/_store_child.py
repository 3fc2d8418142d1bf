"""Figure 8's worker processes (started with ``multiprocessing``'s spawn method).

Each worker gets ready (imports, its store handle, its HTTP client, one warm-up refresh of an
account of its own), waits twice at the shared barrier (the parent reads the sandbox's
counters between the two waits, while every worker is idle) and then, all at once:

* :func:`keeper`: ``TikTokApp(key, secret, store=..., base_api_url=...).refresh_due(within=3600,
  concurrency=8)``, every keeper over every account of the store;
* :func:`bare`: the baseline, its share of the same refresh POSTs on one bare
  ``httpx.Client`` shared by as many threads as a keeper's ``concurrency``, no store.

Each puts one dict on the results queue: what it did, its own seconds, and the log lines it
rendered (``logging`` mode); or ``{"error": traceback}``.
"""

from __future__ import annotations

import os
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from typing import Any

BARRIER_TIMEOUT = 300.0
WITHIN = 3600.0


def _log_mode(mode: str) -> Any:
    os.environ["PYTOK_BENCH_LOG_MODE"] = mode
    from ._common import SINK, configure_from_env

    configure_from_env()
    return SINK


def keeper(
    spec: tuple[str, ...],
    app: dict[str, str],
    warm_open_id: str,
    concurrency: int,
    barrier: Any,
    results: Any,
    mode: str,
) -> None:
    store = None
    try:
        sink = _log_mode(mode)
        import pytok_sm

        from ._stores import open_store

        store = open_store(spec)
        tiktok = pytok_sm.TikTokApp(
            app["client_key"], app["client_secret"], store=store, base_api_url=app["base_api_url"]
        )
        tiktok.kit(warm_open_id).refresh_access_token()  # imports, pool, store connection: paid here
        barrier.wait(BARRIER_TIMEOUT)  # ready
        barrier.wait(BARRIER_TIMEOUT)  # go
        start, cpu = time.perf_counter(), time.process_time()
        report = tiktok.refresh_due(within=WITHIN, concurrency=concurrency)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        results.put(
            {
                "pid": os.getpid(),
                "seconds": seconds,
                "cpu": cpu,
                "refreshed": report.refreshed,
                "unchanged": len(report.unchanged),
                "reauth_required": report.reauth_required,
                "failed": report.failed,
                "log_lines": sink.lines,
            }
        )
    except BaseException:  # noqa: BLE001 - reported to the parent, which raises
        barrier.abort()
        results.put({"error": traceback.format_exc()})
    finally:
        if store is not None:
            store.close()


def bare(
    app: dict[str, str],
    grants: list[dict[str, Any]],
    warm: dict[str, Any],
    threads: int,
    barrier: Any,
    results: Any,
    mode: str,
) -> None:
    try:
        _log_mode(mode)
        import httpx

        client = httpx.Client(follow_redirects=False)
        url = app["base_api_url"] + "oauth/token/"
        form = {"client_key": app["client_key"], "client_secret": app["client_secret"], "grant_type": "refresh_token"}
        headers = {"Accept": "application/json"}

        def refresh(grant: dict[str, Any]) -> dict[str, Any]:
            answer = client.post(url, data={**form, "refresh_token": grant["refresh_token"]}, headers=headers)
            body: dict[str, Any] = answer.json()
            if "access_token" not in body:
                raise RuntimeError(f"bare refresh failed: {body.get('error')}")
            return body  # the rotated grant: the caller keeps it, as every client must

        refresh(warm)
        barrier.wait(BARRIER_TIMEOUT)
        barrier.wait(BARRIER_TIMEOUT)
        start, cpu = time.perf_counter(), time.process_time()
        with ThreadPoolExecutor(max_workers=threads) as pool:
            rotated = list(pool.map(refresh, grants))
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        client.close()
        results.put({"pid": os.getpid(), "seconds": seconds, "cpu": cpu, "rotated": rotated})
    except BaseException:  # noqa: BLE001 - reported to the parent, which raises
        barrier.abort()
        results.put({"error": traceback.format_exc()})
