"""Figures 1 and 2: token refreshes against the sandbox.

1. ``LoginKit.refresh_access_token()`` versus the same POST on a bare, reused
   ``httpx.Client`` (form in, JSON out, rotated refresh token kept), interleaved one for one.
2. The same refreshes through Authlib's httpx ``OAuth2Client`` (a peer OAuth library),
   interleaved with pytok_sm the same way.

Each side has its own grant (the sandbox rotates refresh tokens, so each side keeps its
own chain) and its own connection pool. The sandbox answers ``Connection: close``, so every
request opens a connection on both sides alike: that is the HTTP floor.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from typing import Any

import httpx

from ._common import Figure, Settings, fmt_time, median, quartiles
from ._sandbox import SandboxProcess

_HEADERS = {"Accept": "application/json"}


class BareRefresher:
    """The floor: one reused httpx.Client, the same form, the rotated refresh token kept."""

    def __init__(self, sb: SandboxProcess, grant: dict[str, Any]) -> None:
        self.client = httpx.Client(follow_redirects=False)
        self.url = sb.token_url
        self.form = {"client_key": sb.client_key, "client_secret": sb.client_secret, "grant_type": "refresh_token"}
        self.refresh_token = grant["refresh_token"]

    def __call__(self) -> None:
        answer = self.client.post(self.url, data={**self.form, "refresh_token": self.refresh_token}, headers=_HEADERS)
        body = answer.json()
        self.refresh_token = body.get("refresh_token") or self.refresh_token
        if "access_token" not in body:
            raise RuntimeError(f"bare refresh failed: {body.get('error')}")

    def close(self) -> None:
        self.client.close()


class KitRefresher:
    """pytok_sm: a LoginKit holding the grant, refreshed through its public method."""

    def __init__(self, sb: SandboxProcess, grant: dict[str, Any]) -> None:
        from pytok_sm import LoginKit

        self.kit = LoginKit(sb.client_key, sb.client_secret, base_api_url=sb.base_api_url)
        self.kit.load_token(grant)

    def __call__(self) -> None:
        self.kit.refresh_access_token()

    def close(self) -> None:
        self.kit.close()


def _tiktok_client_auth(client: Any, method: str, uri: str, headers: Any, body: str) -> tuple[str, Any, str]:
    """Authlib client auth for TikTok: ``client_key`` (not ``client_id``) and the secret in the form."""
    from authlib.common.urls import add_params_to_qs

    body = add_params_to_qs(body or "", [("client_key", client.client_id), ("client_secret", client.client_secret)])
    return uri, headers, body


class AuthlibRefresher:
    """The peer: Authlib's httpx OAuth2Client with a TikTok client-auth method (form POST)."""

    def __init__(self, sb: SandboxProcess, grant: dict[str, Any]) -> None:
        import authlib.deprecate  # noqa: F401 - installs its own "always" filter first

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Authlib 1.9 warns that it prefers httpx2 over httpx
            from authlib.integrations.httpx_client import OAuth2Client

        self.client = OAuth2Client(
            client_id=sb.client_key,
            client_secret=sb.client_secret,
            token_endpoint_auth_method="tiktok_client_post",
            token=dict(grant, token_type="Bearer"),
            follow_redirects=False,
        )
        self.client.register_client_auth_method(("tiktok_client_post", _tiktok_client_auth))
        self.url = sb.token_url

    def __call__(self) -> None:
        token = self.client.refresh_token(
            self.url, headers={**_HEADERS, "Content-Type": "application/x-www-form-urlencoded"}
        )
        if "access_token" not in token:
            raise RuntimeError("authlib refresh failed")

    def close(self) -> None:
        self.client.close()


def interleave(
    a: Callable[[], None], b: Callable[[], None], n: int, warmup: int
) -> tuple[list[float], list[float], float, float]:
    """Time ``a`` and ``b`` one after the other ``n`` times, swapping which goes first.

    Returns both lists of wall times and the mean CPU time (this thread) per call of each.
    """
    for _ in range(warmup):
        a()
        b()
    ta: list[float] = []
    tb: list[float] = []
    cpu = {id(ta): 0.0, id(tb): 0.0}
    clock, thread_cpu = time.perf_counter, time.thread_time
    for i in range(n):
        first, second, t_first, t_second = (a, b, ta, tb) if i % 2 == 0 else (b, a, tb, ta)
        c0 = thread_cpu()
        start = clock()
        first()
        middle = clock()
        c1 = thread_cpu()
        second()
        end = clock()
        c2 = thread_cpu()
        t_first.append(middle - start)
        t_second.append(end - middle)
        cpu[id(t_first)] += c1 - c0
        cpu[id(t_second)] += c2 - c1
    return ta, tb, cpu[id(ta)] / n, cpu[id(tb)] / n


def _compare(
    number: str,
    title: str,
    mode: str,
    n: int,
    warmup: int,
    baseline_name: str,
    make_baseline: Any,
    target: float,
    check: Callable[[float], bool],
    target_text: str,
) -> Figure:
    with SandboxProcess() as sb:
        grants = sb.issue_tokens(2)
        ours, theirs = KitRefresher(sb, grants[0]), make_baseline(sb, grants[1])
        try:
            t_ours, t_theirs, cpu_ours, cpu_theirs = interleave(ours, theirs, n, warmup)
        finally:
            ours.close()
            theirs.close()
        errors = sb.errors()
        refreshes = sb.count("token")
    if errors:
        raise RuntimeError(f"the sandbox failed: {errors}")
    expected = 2 * (n + warmup)
    if refreshes != expected:
        raise RuntimeError(f"the sandbox saw {refreshes} token requests, expected {expected}")
    m_ours, m_theirs = median(t_ours), median(t_theirs)
    ratio = m_ours / m_theirs
    pairs = sorted(a / b for a, b in zip(t_ours, t_theirs, strict=True))
    q1, q3 = quartiles(pairs)
    detail = (
        f"pytok_sm LoginKit.refresh_access_token {fmt_time(m_ours)} vs {baseline_name} {fmt_time(m_theirs)} "
        f"per refresh (medians of {n}, interleaved); per-pair ratio median {median(pairs):.3f} "
        f"[IQR {q1:.3f}-{q3:.3f}]; overhead {fmt_time(m_ours - m_theirs)}; client CPU per refresh "
        f"{fmt_time(cpu_ours)} vs {fmt_time(cpu_theirs)}"
    )
    return Figure(
        number,
        title,
        mode,
        ratio,
        target_text,
        check(ratio),
        detail,
        {
            "ours_s": m_ours,
            "baseline_s": m_theirs,
            "n": n,
            "pair_ratio": median(pairs),
            "ours_cpu_s": cpu_ours,
            "baseline_cpu_s": cpu_theirs,
        },
    )


def run_overhead(settings: Settings, mode: str) -> Figure:
    return _compare(
        "1",
        "refresh overhead vs bare httpx.Client",
        mode,
        settings.refreshes,
        settings.warmup,
        "bare httpx.Client POST",
        BareRefresher,
        1.2,
        lambda r: r <= 1.2,
        "<= 1.2",
    )


def authlib_missing() -> bool:
    import importlib.util

    return importlib.util.find_spec("authlib") is None


def run_peer(settings: Settings, mode: str) -> Figure:
    if authlib_missing():
        return Figure(
            "2",
            "refresh vs Authlib OAuth2Client (httpx)",
            mode,
            float("nan"),
            "< 1 (faster)",
            None,
            "skipped: Authlib is not installed (pip install -e '.[bench]')",
        )
    return _compare(
        "2",
        "refresh vs Authlib OAuth2Client (httpx)",
        mode,
        settings.peer_refreshes,
        settings.warmup,
        "Authlib OAuth2Client.refresh_token",
        AuthlibRefresher,
        1.0,
        lambda r: r < 1.0,
        "< 1 (faster)",
    )
