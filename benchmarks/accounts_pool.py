"""Figure 7, "one pool": 1,000 kits refreshing must share a handful of TCP connections.

One ``LoginKit`` per account (all with the same app configuration, each with its own
grant from ``Sandbox.issue_tokens()``) refreshes once in sequence, then once more from a
thread pool of 8. The sandbox runs in a child process that keeps connections alive and
counts them (``_pool_sandbox_child.py``): for each phase, the number of distinct TCP
connections that carried its requests, and how many of them were newly accepted. A
program whose kits share one process-wide pool uses one connection in sequence and at most
one per thread; a kit per pool uses one per kit.

The named baseline is the same refreshes (same form, same number of accounts, each with its
own rotating refresh token) sent by one bare ``httpx.Client``, in a plain loop and then
from the same thread pool: it also shows that the counter works (1, then at most 8). The
ratio printed is the wall time of the kits' phase over the baseline's.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from ._common import Figure, Settings, fmt_time
from ._sandbox import SandboxProcess

if TYPE_CHECKING:
    from .accounts import Sizes

_CHILD = Path(__file__).with_name("_pool_sandbox_child.py")
_HEADERS = {"Accept": "application/json"}


class PoolSandbox(SandboxProcess):
    """``SandboxProcess`` served by ``_pool_sandbox_child.py``: keep-alive, connections counted."""

    def __enter__(self) -> PoolSandbox:
        self._proc = subprocess.Popen(  # noqa: S603 - this interpreter, our own script
            [sys.executable, str(_CHILD), json.dumps(self._options)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self.info = self._read()
        return self

    def reset_connections(self) -> None:
        self._call("reset_connections")

    def connections(self) -> dict[str, int]:
        """``accepted``, ``used`` (distinct connections that carried answers) and ``requests``."""
        return dict(self._call("connections"))


class BareAccounts:
    """The baseline: one bare httpx.Client refreshing many accounts, rotation kept per account."""

    def __init__(self, sb: SandboxProcess, grants: list[dict[str, Any]]) -> None:
        self.client = httpx.Client(follow_redirects=False)
        self.url = sb.token_url
        self.form = {"client_key": sb.client_key, "client_secret": sb.client_secret, "grant_type": "refresh_token"}
        self.refresh_tokens = [grant["refresh_token"] for grant in grants]

    def refresh(self, i: int) -> None:
        answer = self.client.post(
            self.url, data={**self.form, "refresh_token": self.refresh_tokens[i]}, headers=_HEADERS
        )
        body = answer.json()
        if "access_token" not in body:
            raise RuntimeError(f"bare refresh failed: {body.get('error')}")
        self.refresh_tokens[i] = body.get("refresh_token") or self.refresh_tokens[i]

    def close(self) -> None:
        self.client.close()


def _connections(seen: dict[str, int]) -> str:
    used = seen["used"]
    return f"{used:,} TCP connection{'' if used == 1 else 's'}, {seen['accepted']:,} newly accepted"


def phase(sb: PoolSandbox, call: Callable[[int], Any], n: int, threads: int) -> tuple[float, dict[str, int]]:
    """Wall time of ``call(0..n-1)`` (in a loop if ``threads`` is 1) and the connections it used."""
    sb.reset_connections()
    start = time.perf_counter()
    if threads == 1:
        for i in range(n):
            call(i)
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            for _ in pool.map(call, range(n)):
                pass
    elapsed = time.perf_counter() - start
    seen = sb.connections()
    if seen["requests"] != n:
        raise RuntimeError(f"the sandbox answered {seen['requests']} requests in a phase of {n}")
    return elapsed, seen


def run(settings: Settings, mode: str, size: Sizes, per_kit: float) -> list[Figure]:
    from pytok_sm import LoginKit

    from .accounts import scaled

    n = scaled(size.refresh_kits, per_kit, size.budget)
    note = (
        f"one kit took {fmt_time(per_kit)} to build: {n:,} kits and refreshes instead of {size.refresh_kits:,}; "
        if n < size.refresh_kits
        else ""
    )
    warmup = min(settings.warmup, 20)
    with PoolSandbox() as sb:
        grants = sb.issue_tokens(2 * n + 2)
        kits = [LoginKit(sb.client_key, sb.client_secret, token=g, base_api_url=sb.base_api_url) for g in grants[:n]]
        spare = LoginKit(sb.client_key, sb.client_secret, token=grants[2 * n + 1], base_api_url=sb.base_api_url)
        bare = BareAccounts(sb, grants[n : 2 * n + 1])  # its last grant is for the warm-up
        try:
            for _ in range(warmup):  # code paths and the first connection, outside every phase
                spare.refresh_access_token()
                bare.refresh(n)
            results: dict[str, tuple[float, dict[str, int]]] = {}
            for threads in (1, size.threads):
                order = ("kits", "bare") if threads == 1 else ("bare", "kits")
                for side in order:
                    call = (lambda i: kits[i].refresh_access_token()) if side == "kits" else bare.refresh
                    results[f"{side}/{threads}"] = phase(sb, call, n, threads)
        finally:
            bare.close()
            for kit in [*kits, spare]:
                kit.close()
        errors, refreshes = sb.errors(), sb.count("token")
    if errors:
        raise RuntimeError(f"the sandbox failed: {errors}")
    if refreshes != 4 * n + 2 * warmup:
        raise RuntimeError(f"the sandbox saw {refreshes} token requests, expected {4 * n + 2 * warmup}")
    figures = []
    for threads in (1, size.threads):
        (t_kits, c_kits), (t_bare, c_bare) = results[f"kits/{threads}"], results[f"bare/{threads}"]
        how = "in sequence" if threads == 1 else f"on {threads} threads"
        met = c_kits["used"] <= size.threads
        figures.append(
            Figure(
                "7",
                f"accounts cost nothing: refreshes {how}",
                mode,
                t_kits / t_bare,
                f"<= {size.threads} connections",
                met,
                f"{note}{n:,} kits, one refresh each {how}: {_connections(c_kits)} "
                f"({'OK' if met else 'MISS'}); {fmt_time(t_kits)} ({fmt_time(t_kits / n)} per refresh) vs one bare "
                f"httpx.Client {how}: {_connections(c_bare)}; {fmt_time(t_bare)} ({fmt_time(t_bare / n)} per "
                f"refresh); the sandbox keeps connections alive",
                {
                    "n": n,
                    "threads": threads,
                    "kits_s": t_kits,
                    "bare_s": t_bare,
                    "kits_connections": c_kits,
                    "bare_connections": c_bare,
                },
            )
        )
    return figures
