"""Figure 9's resident-memory measurement, in a fresh interpreter.

``python -m benchmarks._upload_child KIND PATH CHUNK_SIZE`` reads the sandbox's address,
credentials and a grant as one JSON line on stdin (the sandbox runs in another process, so
its memory is not counted here), does KIND, and prints one JSON line: the process's resident
high-water mark (``VmHWM`` of ``/proc/self/status``; ``ru_maxrss`` where there is no /proc)
just before the post (``before``: after a first API call, ``creator_info``, so httpx's
imports and the connection pool are in) and at the end (``hwm``), the final ``VmRSS``, and
the seconds of the post (from ``post_video`` to its result). KIND is one of

* ``idle``: ``import pytok_sm`` and build the ``LoginKit`` (the baseline: nothing uploaded);
* ``kit``: that, then ``kit.post_video(PATH, privacy_level="SELF_ONLY", chunk_size=CHUNK_SIZE)``
  on the process's shared pool, as a program would;
* ``kit_async``: the same with ``AsyncLoginKit``;
* ``bare``: the bare ``httpx.Client`` loop of figure 9's throughput rows (``f.read(n)`` per
  chunk), for comparison: it holds whole chunks.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import resource
import sys
import time
from typing import Any

KINDS = ("idle", "kit", "kit_async", "bare")


def resident() -> tuple[int, int, str]:
    """(high-water mark, current) resident bytes of this process, and where they were read."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            fields = dict(line.split(":", 1) for line in status if ":" in line)
        return int(fields["VmHWM"].split()[0]) * 1024, int(fields["VmRSS"].split()[0]) * 1024, "VmHWM"
    except (OSError, KeyError, ValueError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peak *= 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB elsewhere
        return peak, peak, "ru_maxrss"


def _kit_upload(kind: str, target: dict[str, Any], path: str, chunk_size: int) -> tuple[int, str, float]:
    """Build the kit; unless ``idle``, make a first API call (creator_info: the imports and the
    connection pool it brings), read the high-water mark, and post: (mark, status, seconds)."""
    options = {"base_api_url": target["base_api_url"], "token": target["token"]}
    if kind == "kit_async":
        from pytok_sm import AsyncLoginKit

        async def run() -> tuple[int, str, float]:
            async_kit = AsyncLoginKit(target["client_key"], target["client_secret"], **options)
            await async_kit.creator_info()
            before, started = resident()[0], time.perf_counter()
            status = str((await async_kit.post_video(path, privacy_level="SELF_ONLY", chunk_size=chunk_size)).status)
            return before, status, time.perf_counter() - started

        return asyncio.run(run())
    from pytok_sm import LoginKit

    kit = LoginKit(target["client_key"], target["client_secret"], **options)
    if kind == "idle":
        return resident()[0], "not posted", 0.0
    kit.creator_info()
    before, started = resident()[0], time.perf_counter()
    status = str(kit.post_video(path, privacy_level="SELF_ONLY", chunk_size=chunk_size).status)
    return before, status, time.perf_counter() - started


def _bare_upload(target: dict[str, Any], path: str, chunk_size: int) -> tuple[int, str, float]:
    import httpx

    from ._upload_sides import Clock, Target, bare, creator_info

    clock, posting = Clock(), Target(**target)
    with httpx.Client(event_hooks=clock.hooks()) as client:
        creator_info(posting, client)
        before = resident()[0]
        seconds = bare(posting, client, clock, path, chunk_size).total
    return before, "PUBLISH_COMPLETE", seconds


def main(argv: list[str]) -> int:
    kind, path, chunk_size = argv[0], argv[1], int(argv[2])
    if kind not in KINDS:
        raise SystemExit(f"KIND must be one of {', '.join(KINDS)}")
    target = json.loads(sys.stdin.readline())
    from ._common import configure_from_env

    configure_from_env()
    upload = _bare_upload if kind == "bare" else functools.partial(_kit_upload, kind)
    before, status, seconds = upload(target, path, chunk_size)
    hwm, rss, source = resident()
    answer = {"kind": kind, "before": before, "hwm": hwm, "rss": rss, "source": source, "status": status}
    print(json.dumps({**answer, "seconds": seconds, "size": os.path.getsize(path)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
