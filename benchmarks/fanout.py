"""Figure 4: 1,000 accounts refreshing at once on asyncio.

pytok_sm: one ``AsyncLoginKit`` per account (each holding its own grant) sharing one
``httpx.AsyncClient`` through ``http_client=``, all refreshed with ``asyncio.gather``. The
baseline: a bare ``httpx.AsyncClient`` sending the same 1,000 POSTs (form in, JSON out,
rotated refresh token kept). Both clients have the same ``httpx.Limits``. Rounds alternate
A B B A ..., the figure is the median of the per-pair ratios of round times.
"""

from __future__ import annotations

import asyncio
import time

import httpx

from ._common import Figure, Settings, fmt_time, median
from ._sandbox import SandboxProcess

_HEADERS = {"Accept": "application/json"}


def limits(connections: int) -> httpx.Limits:
    return httpx.Limits(max_connections=connections, max_keepalive_connections=min(connections, 100))


async def _rounds(sb: SandboxProcess, settings: Settings) -> tuple[list[float], list[float]]:
    from pytok_sm import AsyncLoginKit

    n = settings.fanout_accounts
    grants = sb.issue_tokens(2 * n)
    timeout = httpx.Timeout(30.0)
    ours_client = httpx.AsyncClient(limits=limits(settings.fanout_connections), timeout=timeout, follow_redirects=False)
    bare_client = httpx.AsyncClient(limits=limits(settings.fanout_connections), timeout=timeout, follow_redirects=False)
    kits = [
        AsyncLoginKit(
            sb.client_key,
            sb.client_secret,
            base_api_url=sb.base_api_url,
            http_client=ours_client,
            http_timeout=30.0,
            call_deadline=60.0,
            token=grant,
        )
        for grant in grants[:n]
    ]
    form = {"client_key": sb.client_key, "client_secret": sb.client_secret, "grant_type": "refresh_token"}
    bare_tokens = [grant["refresh_token"] for grant in grants[n:]]
    url = sb.token_url

    async def bare_one(i: int) -> None:
        answer = await bare_client.post(url, data={**form, "refresh_token": bare_tokens[i]}, headers=_HEADERS)
        body = answer.json()
        if "access_token" not in body:
            raise RuntimeError(f"bare refresh failed: {body.get('error')}")
        bare_tokens[i] = body.get("refresh_token") or bare_tokens[i]

    async def ours() -> float:
        start = time.perf_counter()
        await asyncio.gather(*(kit.refresh_access_token() for kit in kits))
        return time.perf_counter() - start

    async def bare() -> float:
        start = time.perf_counter()
        await asyncio.gather(*(bare_one(i) for i in range(n)))
        return time.perf_counter() - start

    try:
        await ours()  # warm-up: imports, pools, the sandbox's first threads
        await bare()
        t_ours: list[float] = []
        t_bare: list[float] = []
        for r in range(settings.fanout_rounds):
            if r % 2 == 0:
                t_ours.append(await ours())
                t_bare.append(await bare())
            else:
                t_bare.append(await bare())
                t_ours.append(await ours())
        return t_ours, t_bare
    finally:
        await ours_client.aclose()
        await bare_client.aclose()


def run(settings: Settings, mode: str) -> Figure:
    with SandboxProcess() as sb:
        t_ours, t_bare = asyncio.run(_rounds(sb, settings))
        errors = sb.errors()
        seen = sb.count("token")
    n, rounds = settings.fanout_accounts, settings.fanout_rounds
    expected = 2 * n * (rounds + 1)
    if errors or seen != expected:
        raise RuntimeError(f"sandbox saw {seen} token requests (expected {expected}); errors: {errors[:3]}")
    pairs = [a / b for a, b in zip(t_ours, t_bare, strict=True)]
    ratio = median(pairs)
    detail = (
        f"{n:,} concurrent refreshes (one AsyncLoginKit per account, one shared AsyncClient, "
        f"max_connections={settings.fanout_connections}): pytok_sm {fmt_time(median(t_ours))} vs bare "
        f"httpx.AsyncClient {fmt_time(median(t_bare))} per round (medians of {rounds} rounds, A/B alternated); "
        f"{n / median(t_ours):,.0f} vs {n / median(t_bare):,.0f} refreshes/s; all {expected:,} answered"
    )
    return Figure(
        "4",
        "async fan-out vs bare httpx.AsyncClient",
        mode,
        ratio,
        "<= 1.3",
        ratio <= 1.3,
        detail,
        {"ours_s": median(t_ours), "baseline_s": median(t_bare), "n": n, "rounds": rounds},
    )
