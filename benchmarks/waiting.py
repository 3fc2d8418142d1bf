"""Figure 6: waiting costs nothing.

A QR flow waiting for the phone (polling check_qrcode at its interval) and a browser flow
waiting for the redirect, each in its own fresh process; the figure is the CPU that
process used over the wait, as a share of one core, against the budget of 1% of a core.
Bare equivalents (an httpx poller with time.sleep, a stdlib http.server listener) run at
the same time, for comparison. The sandbox serves from yet another process, so none of
its work is counted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from ._common import Figure, Settings, median
from ._sandbox import SandboxProcess

BUDGET = 0.01  # of one core
_ROOT = Path(__file__).resolve().parents[1]


def child_env(mode: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_ROOT), env.get("PYTHONPATH", "")) if p)
    env["PYTOK_BENCH_LOG_MODE"] = mode
    return env


def _scenarios(sb: SandboxProcess, settings: Settings, mode: str) -> dict[str, dict[str, Any]]:
    info = json.dumps(sb.info)
    names = ("qr", "browser", "bare_poll", "bare_listen")
    procs = {
        name: subprocess.Popen(  # noqa: S603 - this interpreter, our own module
            [
                sys.executable,
                "-m",
                "benchmarks._wait_child",
                name,
                str(settings.wait_seconds),
                str(settings.poll_interval),
                info,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env(mode),
            cwd=_ROOT,
        )
        for name in names
    }
    results = {}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=settings.wait_seconds + 60)
        if proc.returncode != 0:
            raise RuntimeError(f"the {name} waiting scenario failed:\n{err}")
        results[name] = json.loads(out.strip().splitlines()[-1])
    return results


def run(settings: Settings, mode: str) -> list[Figure]:
    with SandboxProcess(qr_lifetime=max(600.0, settings.wait_seconds * 10)) as sb:
        results = _scenarios(sb, settings, mode)
    figures = []
    share = {name: r["cpu"] / r["wall"] for name, r in results.items()}
    for name, bare, what in (
        ("qr", "bare_poll", "QR flow polling"),
        ("browser", "bare_listen", "browser flow awaiting the callback"),
    ):
        r = results[name]
        gaps = r["gaps"]
        polling = (
            f"; {r['polls']} polls, median interval {median(gaps):.3f} s (asked {settings.poll_interval:g} s)"
            if gaps
            else ""
        )
        detail = (
            f"{what} for {r['wall']:.1f} s: {r['cpu'] * 1e3:.1f} ms CPU = {share[name] * 100:.3f}% of a core"
            f"{polling}; {r['outcome']}. Side by side, {bare}: {results[bare]['cpu'] * 1e3:.1f} ms = "
            f"{share[bare] * 100:.3f}% of a core"
        )
        figures.append(
            Figure(
                "6",
                f"waiting: {name}",
                mode,
                share[name] / BUDGET,
                "<= 1 (under 1% of a core)",
                share[name] < BUDGET,
                detail,
                {
                    "cpu_s": r["cpu"],
                    "wall_s": r["wall"],
                    "polls": r["polls"],
                    "baseline_cpu_s": results[bare]["cpu"],
                    "baseline": bare,
                },
            )
        )
    return figures
