"""The benchmarks of issue 8 still run: every one at a tiny size, in both logging modes.

Only that each benchmark runs and prints its figures is checked, never a timing or a
ratio: timings belong to ``python -m benchmarks`` on a quiet machine (benchmarks/README.md).
Figure 8 runs on its own (it spawns 16 worker processes per logging mode); its
"exactly once" checks are asserted from what it prints. Figure 9 (uploads) runs on its own
too, on a 24 MiB file (a few seconds).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIGURE = re.compile(r"^\[(?P<number>\d)\] (?P<title>.+) \((?P<mode>[^()]+)\): ratio (?P<ratio>\S+)x", re.M)


def test_every_benchmark_runs_and_prints_its_figures() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--smoke", "--only", "1,2,3,4,5,6,7"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-4000:]
    figures = [m.groupdict() for m in FIGURE.finditer(run.stdout)]
    seen = {(f["number"], f["mode"]) for f in figures}
    for number in ("1", "3", "4", "6", "7") + (("2",) if importlib.util.find_spec("authlib") else ()):
        for mode in ("default", "logging"):
            assert (number, mode) in seen, (number, mode, run.stdout)
    assert ("5", "any logging mode") in seen, run.stdout
    assert {f["title"].split(": ")[-1] for f in figures if f["number"] == "3"} >= {
        "browser",
        "qr",
        "refresh",
        "revoke",
        "user_info",
    }
    # Figure 7 (accounts cost nothing): its four lines in both modes, and its connection
    # counter at work: one bare httpx.Client in sequence over a kept-alive connection is one.
    for mode in ("default", "logging"):
        assert {f["title"].split(": ")[-1] for f in figures if f["number"] == "7" and f["mode"] == mode} == {
            "build and hold",
            "resident set",
            "refreshes in sequence",
            "refreshes on 4 threads",
        }, run.stdout
    assert len(re.findall(r"one bare httpx\.Client in sequence: 1 TCP connection,", run.stdout)) == 2, run.stdout
    assert re.search(r"^machine: cpu .+; cores \d+; python ", run.stdout, re.M)
    assert "figures in" in run.stdout


ONCE = re.compile(
    r"^\[8\] many accounts in a store: (?P<store>\w+), 4 processes \((?P<mode>[^()]+)\): ratio \S+x.*\n"
    r"\s+exactly once: refreshed (?P<refreshed>[\d,]+) = (?P<accounts>[\d,]+) accounts \((?P<parts>[\d + ]+)\), "
    r"sandbox token requests (?P<requests>[\d,]+), failed 0, every account at version 2;",
    re.M,
)


def test_figure_8_refreshes_every_account_exactly_once() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--smoke", "--only", "8"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-4000:]
    redis = importlib.util.find_spec("redis") is not None and bool(
        os.environ.get("PYTOK_REDIS_SERVER") or shutil.which("redis-server")
    )
    stores = ("SQLite", "Redis") if redis else ("SQLite",)
    once = {(m["store"], m["mode"]): m.groupdict() for m in ONCE.finditer(run.stdout)}
    titles = {
        (f["title"], f["mode"]) for f in (m.groupdict() for m in FIGURE.finditer(run.stdout)) if f["number"] == "8"
    }
    for mode in ("default", "logging"):
        for store in stores:
            found = once.get((store, mode))
            assert found is not None, (store, mode, run.stdout)
            refreshed, accounts, requests = (
                int(found[k].replace(",", "")) for k in ("refreshed", "accounts", "requests")
            )
            assert refreshed == accounts == requests == 40, found  # --smoke: 40 accounts per store
            assert sum(int(part) for part in found["parts"].split(" + ")) == 40, found  # the 4 keepers' reports
            assert (f"many accounts in a store: {store} store cost", mode) in titles, run.stdout
        if not redis:
            assert ("many accounts in a store: Redis, 4 processes", mode) in titles, run.stdout  # printed as skipped


def test_figure_9_uploads_print_their_rows() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--smoke", "--only", "9"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-4000:]
    titles = {
        (f["title"], f["mode"]) for f in (m.groupdict() for m in FIGURE.finditer(run.stdout)) if f["number"] == "9"
    }
    for mode in ("default", "logging"):
        for kind in ("sync", "async"):  # --smoke: the default chunk size only
            assert (f"upload throughput: {kind}, 10,000,000-byte chunks", mode) in titles, run.stdout
        assert ("upload memory: resident peak posting a sparse 24 MiB file", mode) in titles, run.stdout
    # The kits' rows (sync and async, two modes) name their bytes and PUTs; the memory rows their peak.
    uploaded = re.compile(r"LoginKit\.post_video: [\d,]+ MB/s \(upload [\d.]+ s for 25,165,824 bytes in 2 PUTs")
    assert len(uploaded.findall(run.stdout)) == 4, run.stdout
    assert len(re.findall(r"LoginKit\.post_video: [\d.]+ MiB \((OK|MISS)\)", run.stdout)) == 2, run.stdout
