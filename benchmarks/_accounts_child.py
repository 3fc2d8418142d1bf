"""Figure 7's objects, and its resident-set measurement in a fresh process.

The module holds what figure 7 builds, one object per TikTok account: the saved token dicts
(made before any measurement) and three makers over them,

* ``token``: ``pytok_sm.Token.from_dict(saved)``, the bare per-account state (baseline);
* ``kit``: ``pytok_sm.LoginKit(key, secret, token=saved)``, the figure itself;
* ``old_way``: the same kit handed its own ``httpx.Client`` (``http_client=``), one
  connection pool (and one TLS context) per account: the reference being replaced.

``python -m benchmarks._accounts_child KIND N WARM`` builds WARM objects of KIND first (kept
alive, so imports, caches and allocator set-up are paid), then N more, and prints one JSON
line: the growth of the process's resident set across those N. A fresh interpreter keeps
that figure clean of whatever earlier benchmarks left in the parent's heap. tracemalloc
cannot give it: it sees Python's allocations only, not OpenSSL's CA store inside each
``httpx.Client``.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import sys
import time
from collections.abc import Callable
from typing import Any

KINDS = ("token", "kit", "old_way")
CLIENT_KEY = "aw_benchmark_key"
CLIENT_SECRET = "benchmark_secret"
_SCOPES = "user.info.basic,user.info.profile,user.info.stats"


def saved_tokens(n: int, *, start: int = 0) -> list[dict[str, Any]]:
    """``n`` distinct saved tokens (``Token.to_dict()``), as a program loads them from storage."""
    from pytok_sm import Token

    now = time.time()
    return [
        Token.from_response(
            {
                "access_token": f"act.{i:010d}{'a' * 62}",
                "expires_in": 86400,
                "open_id": f"_000{i:010d}{'o' * 18}",
                "refresh_token": f"rft.{i:010d}{'r' * 62}",
                "refresh_expires_in": 31536000,
                "scope": _SCOPES,
                "token_type": "Bearer",
            },
            now=now,
        ).to_dict()
        for i in range(start, start + n)
    ]


def makers(saved: list[dict[str, Any]]) -> dict[str, Callable[[int], Any]]:
    """``make(i)`` per kind: the object for account ``i`` (its saved token is ``saved[i]``)."""
    import httpx

    import pytok_sm

    token_from_dict = pytok_sm.Token.from_dict
    login_kit = pytok_sm.LoginKit  # the lazy import happens here, outside every measurement

    def old_way(i: int) -> Any:
        return login_kit(CLIENT_KEY, CLIENT_SECRET, token=saved[i], http_client=httpx.Client(follow_redirects=False))

    return {
        "token": lambda i: token_from_dict(saved[i]),
        "kit": lambda i: login_kit(CLIENT_KEY, CLIENT_SECRET, token=saved[i]),
        "old_way": old_way,
    }


def resident_bytes() -> tuple[int, str]:
    """This process's resident set now (``/proc/self/statm``), else its peak (``ru_maxrss``)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE"), "/proc/self/statm"
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "ru_maxrss"


def main(argv: list[str]) -> int:
    kind, n, warm = argv[0], int(argv[1]), int(argv[2])
    if kind not in KINDS:
        raise SystemExit(f"unknown kind {kind!r}")
    from benchmarks._common import configure_from_env

    configure_from_env()
    saved = saved_tokens(warm + n)
    make = makers(saved)[kind]
    warmed = [make(n + i) for i in range(warm)]
    keep: list[Any] = [None] * n
    gc.collect()
    before, source = resident_bytes()
    for i in range(n):
        keep[i] = make(i)
    gc.collect()
    after, _ = resident_bytes()
    assert len(warmed) == warm and all(item is not None for item in keep)
    print(json.dumps({"kind": kind, "n": n, "growth": after - before, "source": source}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
