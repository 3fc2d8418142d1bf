"""Figure 9: uploads run at the speed of the wire, in little memory.

**Throughput.** One file (256 MiB of random bytes after an MP4 ``ftyp`` box, in a temporary
directory) is posted to the same sandbox, running in its own process, by each side of
:mod:`._upload_sides`, at the default chunk size (10,000,000) and at 64,000,000:

* ``LoginKit.post_video`` against the baseline, a bare ``httpx.Client`` PUT loop of the same
  chunks (``f.read(n)`` per chunk), with the same creator check, init and status polls;
* ``AsyncLoginKit.post_video`` against the same loop on a bare ``httpx.AsyncClient``;
* for reference, a bare ``httpx.Client`` streaming each chunk in 1 MiB pieces.

Only the upload is counted: from the first PUT handed to httpx to the last PUT's answer, read
from the same event hooks on every side. The whole post (creator_info, init, chunks, status)
is given beside it, and so is the client's CPU during the upload (``time.process_time``, every
thread). Every side posts once to warm up; then each round runs every side once, each kit
next to its baseline (the order rotated, and each pair swapped, every round). The figure is
the median over the rounds of the kit's upload rate over its baseline's in the same round
(MB/s, 10^6 bytes per second); the ratio of the medians is printed beside it.

**Memory.** Fresh interpreters (:mod:`._upload_child`) post a sparse 1 GiB file to the same
sandbox process: ``LoginKit.post_video`` and ``AsyncLoginKit.post_video`` at 64,000,000-byte
chunks (the largest: where holding a chunk would cost most). Their resident high-water mark
(``VmHWM``) is compared with a process that only imports pytok_sm and builds the kit (the
target, < 100 MiB, is for the uploading processes' own mark), and shown beside the bare loop's.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from . import _upload_sides as sides
from ._common import Figure, Settings, median
from ._sandbox import SandboxProcess
from ._upload_sides import SIDES, Clock, Target, Upload
from .waiting import child_env

RATIO_TARGET = 0.9
MEMORY_TARGET = 100 * 2**20
DEFAULT_CHUNK = 10_000_000  # pytok_sm's DEFAULT_CHUNK_SIZE
#: The sandbox: status final at once, no posting rate limits, no daily cap (about 80 posts a run).
SWITCHES: dict[str, Any] = {"processing_seconds": 0, "posting_rate_limits": False, "daily_post_cap": 1_000_000}
_ROOT = Path(__file__).resolve().parents[1]
_NAMES = {
    "kit": "LoginKit.post_video",
    "kit_async": "AsyncLoginKit.post_video",
    "bare": "bare httpx.Client PUT loop (f.read per chunk)",
    "bare_async": "bare httpx.AsyncClient PUT loop (f.read per chunk)",
    "bare_pieces": "bare httpx.Client streaming each chunk in 1 MiB pieces",
}


@dataclass(frozen=True)
class Sizes:
    """Figure 9's sizes for one run level (full, ``--quick``, ``--smoke``)."""

    file_bytes: int = 256 * 2**20
    chunk_sizes: tuple[int, ...] = (DEFAULT_CHUNK, 64_000_000)
    rounds: int = 7
    memory_bytes: int = 2**30
    memory_chunk: int = 64_000_000
    memory_kinds: tuple[str, ...] = ("idle", "kit", "kit_async", "bare")


def sizes(settings: Settings) -> Sizes:
    if settings == Settings.smoke():
        return Sizes(24 * 2**20, (DEFAULT_CHUNK,), 1, 24 * 2**20, DEFAULT_CHUNK, ("idle", "kit"))
    if settings == Settings.quick():
        return Sizes(128 * 2**20, rounds=1, memory_bytes=256 * 2**20)
    return Sizes()


class Uploaders:
    """Every side's own client (with its :class:`Clock` hooks); the async ones on one event loop."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.clocks = {side: Clock() for side in SIDES}
        self.clients = {
            side: httpx.Client(follow_redirects=False, event_hooks=self.clocks[side].hooks())
            for side in SIDES
            if not side.endswith("_async")
        }
        self._loop = asyncio.Runner()
        self.async_clients: dict[str, httpx.AsyncClient] = self._loop.run(self._async_clients())

    async def _async_clients(self) -> dict[str, httpx.AsyncClient]:
        return {
            side: httpx.AsyncClient(follow_redirects=False, event_hooks=self.clocks[side].async_hooks())
            for side in SIDES
            if side.endswith("_async")
        }

    def upload(self, side: str, path: str, chunk_size: int) -> Upload:
        post = getattr(sides, side)
        if side.endswith("_async"):
            coroutine = post(self.target, self.async_clients[side], self.clocks[side], path, chunk_size)
            done: Upload = self._loop.run(coroutine)
        else:
            done = post(self.target, self.clients[side], self.clocks[side], path, chunk_size)
        expected = len(sides.plan(done.size, chunk_size))
        if done.puts != expected:
            raise RuntimeError(f"{side}: {done.puts} PUTs for a plan of {expected} chunks")
        return done

    def close(self) -> None:
        for client in self.clients.values():
            client.close()

        async def close_async() -> None:
            for client in self.async_clients.values():
                await client.aclose()

        self._loop.run(close_async())
        self._loop.close()


#: Each kit next to its baseline in every round; the bare streamed reference between the pairs.
_GROUPS = (("kit", "bare"), ("bare_pieces",), ("kit_async", "bare_async"))


def order(turn: int) -> list[str]:
    """The sides of round ``turn``: the groups rotated by one each round, each pair's two
    sides swapped every other round (A B, then B A)."""
    shift = turn % len(_GROUPS)
    groups = _GROUPS[shift:] + _GROUPS[:shift]
    return [side for group in groups for side in (group if turn % 2 == 0 else group[::-1])]


def interleaved(uploaders: Uploaders, path: str, chunk_size: int, rounds: int) -> dict[str, list[Upload]]:
    """Every side once per round, in :func:`order`."""
    results: dict[str, list[Upload]] = {side: [] for side in SIDES}
    for turn in range(rounds):
        for side in order(turn):
            results[side].append(uploaders.upload(side, path, chunk_size))
    return results


def _rate(uploads: list[Upload]) -> float:
    return median([u.rate for u in uploads])


def _ratios(kit: list[Upload], bare: list[Upload]) -> list[float]:
    """Per round: the kit's upload rate over its baseline's in that round."""
    return [k.rate / b.rate for k, b in zip(kit, bare, strict=True)]


def _side(name: str, uploads: list[Upload]) -> str:
    first = uploads[0]
    return (
        f"{_NAMES[name]}: {_rate(uploads):,.0f} MB/s (upload {median([u.upload for u in uploads]):.3f} s for "
        f"{first.size:,} bytes in {first.puts} PUTs, client CPU {median([u.cpu for u in uploads]):.3f} s; "
        f"whole post {median([u.total for u in uploads]):.3f} s)"
    )


def _spread(ratios: list[float]) -> str:
    low, high = min(ratios), max(ratios)
    return f"{low:.2f}x" if len(ratios) == 1 else f"{low:.2f} to {high:.2f}x"


def throughput(results: dict[str, list[Upload]], chunk_size: int, mode: str, rounds: int) -> list[Figure]:
    """The sync and the async row for one chunk size: the median of the per-round ratios."""
    figures = []
    raw = {side: [asdict(u) for u in uploads] for side, uploads in results.items()}
    for kit, bare, kind in (("kit", "bare", "sync"), ("kit_async", "bare_async", "async")):
        ratios = _ratios(results[kit], results[bare])
        ratio = median(ratios)
        whole = median([b.total / k.total for k, b in zip(results[kit], results[bare], strict=True)])
        if kind == "sync":
            aside = (
                f"reference, {_side('bare_pieces', results['bare_pieces'])}: kit/that "
                f"{median(_ratios(results[kit], results['bare_pieces'])):.3f}x"
            )
        else:
            aside = f"vs the sync {_NAMES['bare']}: {median(_ratios(results[kit], results['bare'])):.3f}x"
        figures.append(
            Figure(
                "9",
                f"upload throughput: {kind}, {chunk_size:,}-byte chunks",
                mode,
                ratio,
                f">= {RATIO_TARGET}",
                ratio >= RATIO_TARGET,
                f"{_side(kit, results[kit])} vs {_side(bare, results[bare])}; {rounds} interleaved round(s): "
                f"per-round ratios {_spread(ratios)}, ratio of the medians "
                f"{_rate(results[kit]) / _rate(results[bare]):.3f}x; whole post (creator_info, init, chunks, "
                f"status) {whole:.3f}x; {aside}",
                {"chunk_size": chunk_size, "rounds": rounds, "ratios": ratios, "uploads": raw},
            )
        )
    return figures


# --------------------------------------------------------------------------- memory
def child_memory(kind: str, path: str, chunk_size: int, target: Target, mode: str) -> dict[str, Any]:
    """One fresh process of :mod:`._upload_child`: its resident high-water mark and more."""
    run = subprocess.run(  # noqa: S603 - this interpreter, our own module
        [sys.executable, "-m", "benchmarks._upload_child", kind, path, str(chunk_size)],
        input=json.dumps(asdict(target)) + "\n",
        capture_output=True,
        text=True,
        env=child_env(mode),
        cwd=_ROOT,
        timeout=900,
        check=False,
    )
    if run.returncode != 0:
        raise RuntimeError(f"the {kind} upload child failed:\n{run.stderr[-3000:]}")
    answer: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    if kind != "idle" and answer["status"] != "PUBLISH_COMPLETE":
        raise RuntimeError(f"the {kind} upload child's post ended {answer['status']}")
    return answer


def _mib(value: float) -> str:
    return f"{value / 2**20:,.1f} MiB"


def _size(value: int) -> str:
    return f"{value // 2**30} GiB" if value % 2**30 == 0 else f"{value / 2**20:g} MiB"


def memory(target: Target, directory: str, size: Sizes, mode: str) -> Figure:
    path = sides.make_video(os.path.join(directory, "sparse.mp4"), size.memory_bytes, sparse=True)
    got = {kind: child_memory(kind, path, size.memory_chunk, target, mode) for kind in size.memory_kinds}
    idle = got["idle"]["hwm"]
    kits = [kind for kind in ("kit", "kit_async") if kind in got]
    met = all(got[kind]["hwm"] < MEMORY_TARGET for kind in kits)

    def line(kind: str) -> str:
        child = got[kind]
        rate = child["size"] / child["seconds"] / 1e6
        return (
            f"{_NAMES[kind]}: {_mib(child['hwm'])} ({'OK' if child['hwm'] < MEMORY_TARGET else 'MISS'}), "
            f"+{_mib(child['hwm'] - idle)} over the idle process, +{_mib(child['hwm'] - child['before'])} over its "
            f"own mark after a first API call (creator_info); whole post at {rate:,.0f} MB/s"
        )

    bare = got.get("bare")
    aside = (
        f"; for comparison, the {_NAMES['bare']}: {_mib(bare['hwm'])}, +{_mib(bare['hwm'] - bare['before'])} after "
        f"its first call (it holds whole chunks, and httpx keeps each Response in a reference cycle with its "
        f"stream, so each chunk's bytes live until the cyclic GC runs)"
        if bare is not None
        else ""
    )
    return Figure(
        "9",
        f"upload memory: resident peak posting a sparse {_size(size.memory_bytes)} file",
        mode,
        got["kit"]["hwm"] / idle,
        "< 100 MiB",
        met,
        f"{got['kit']['source']} of a fresh process ({size.memory_chunk:,}-byte chunks, sandbox in another "
        f"process); idle (import pytok_sm, build the LoginKit): {_mib(idle)}; "
        + "; ".join(line(kind) for kind in kits)
        + aside,
        {"children": got, "file_bytes": size.memory_bytes, "chunk_size": size.memory_chunk},
    )


# --------------------------------------------------------------------------- the figure
def run(settings: Settings, mode: str) -> list[Figure]:
    size = sizes(settings)
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="pytok-bench-upload-") as directory, SandboxProcess(**SWITCHES) as sb:
        target = Target(sb.base_api_url, sb.client_key, sb.client_secret, sb.issue_tokens()[0])
        path = sides.make_video(os.path.join(directory, "video.mp4"), size.file_bytes)
        warm = sides.make_video(os.path.join(directory, "warm.mp4"), 2 * DEFAULT_CHUNK + 12_345)
        uploaders = Uploaders(target)
        try:
            for side in SIDES:
                uploaders.upload(side, warm, DEFAULT_CHUNK)
            for chunk_size in size.chunk_sizes:
                results = interleaved(uploaders, path, chunk_size, size.rounds)
                figures += throughput(results, chunk_size, mode, size.rounds)
        finally:
            uploaders.close()
        figures.append(memory(target, directory, size, mode))
        errors = sb.errors()
        if errors:
            raise RuntimeError(f"the sandbox recorded errors: {errors[:5]}")
    return figures
