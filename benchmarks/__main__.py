"""``python -m benchmarks [--quick | --smoke] [--only 1,3] [--modes default,logging] [--json FILE]``

Runs the nine benchmarks (issue 8's six, 7: accounts cost nothing, 8: many accounts in a store, 9: uploads)
and prints every figure as a ratio against its named baseline, in both logging modes. See
benchmarks/README.md for what each one measures.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

from ._common import LOG_MODE_DOC, LOG_MODES, Figure, Settings, log_mode, machine, report


def _benchmarks() -> dict[str, tuple[str, Callable[[Settings, str], Any], bool]]:
    """number -> (title, run(settings, mode), runs in this process under log_mode)."""
    from . import accounts, fanout, many_flows, refresh, startup, store_accounts, upload, waiting

    return {
        "1": ("refresh overhead", refresh.run_overhead, True),
        "2": ("against a peer (Authlib)", refresh.run_peer, True),
        "3": ("many flows", many_flows.run, True),
        "4": ("async fan-out", fanout.run, True),
        "5": ("start-up", startup.run, False),
        "6": ("waiting costs nothing", waiting.run, False),
        "7": ("accounts cost nothing", accounts.run, True),
        "8": ("many accounts in a store", store_accounts.run, False),
        "9": ("uploads", upload.run, True),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[2].strip())
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="tiny sizes (about 25 s)")
    size.add_argument("--smoke", action="store_true", help="tinier still: proves each benchmark runs (seconds)")
    parser.add_argument("--only", default="1,2,3,4,5,6,7,8,9", help="comma-separated figure numbers (default: all)")
    parser.add_argument("--modes", default=",".join(LOG_MODES), help="logging modes: default,logging")
    parser.add_argument("--json", metavar="FILE", help="also write every figure (with its raw numbers) here")
    args = parser.parse_args(argv)

    settings = Settings.smoke() if args.smoke else Settings.quick() if args.quick else Settings()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    for mode in modes:
        if mode not in LOG_MODES:
            parser.error(f"unknown logging mode {mode!r} (choose from {', '.join(LOG_MODES)})")
    wanted = [n.strip() for n in args.only.split(",") if n.strip()]
    benchmarks = _benchmarks()
    for number in wanted:
        if number not in benchmarks:
            parser.error(f"no benchmark {number!r} (choose from 1-9)")

    info = machine()
    print("pytok_sm benchmarks:", " ".join(sys.argv[1:]) or "(full size)")
    print("machine: " + "; ".join(f"{k} {v}" for k, v in info.items()))
    for mode in modes:
        print(f"logging mode {mode!r}: {LOG_MODE_DOC[mode]}")
    print(flush=True)

    figures: list[Figure] = []
    started = time.perf_counter()
    for number in wanted:
        title, run, in_process = benchmarks[number]
        if number == "5":  # nothing is logged while importing: one measurement serves both modes
            results = run(settings, "any logging mode")
        else:
            results = []
            for mode in modes:
                if in_process:
                    with log_mode(mode) as sink:
                        before = sink.lines if sink is not None else 0
                        got = run(settings, mode)
                        skipped = all(math.isnan(f.ratio) for f in (got if isinstance(got, list) else [got]))
                        if sink is not None and sink.lines == before and not skipped:
                            raise RuntimeError(f"benchmark {number}: transition logging was on but nothing was logged")
                else:
                    got = run(settings, mode)
                results += got if isinstance(got, list) else [got]
        for figure in results if isinstance(results, list) else [results]:
            figures.append(report(figure))
    print()
    missed = [f for f in figures if f.met is False]
    print(
        f"{len(figures)} figures in {time.perf_counter() - started:.0f} s; "
        f"{len(missed)} missed their target"
        + (": " + ", ".join(f"[{f.number}] {f.title} ({f.mode})" for f in missed) if missed else "")
    )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(
                {"machine": info, "settings": asdict(settings), "figures": [asdict(f) for f in figures]}, out, indent=2
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
