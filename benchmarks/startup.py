"""Figure 5: start-up, in fresh interpreters.

Each statement runs in a new ``python -c`` process that times the statement alone
(``time.perf_counter`` around it, interpreter start excluded); rounds interleave the
statements in rotating order, figures are medians. Bytecode is compiled first into a
private cache (``PYTHONPYCACHEPREFIX``), as after ``pip install``; without it pytok_sm
would be compiled from source on every run (this environment sets PYTHONDONTWRITEBYTECODE)
while its dependencies load from their installed ``.pyc`` files.

* baseline: ``import httpx, structlog, transitions`` (the runtime dependencies the kit uses);
* ``import pytok_sm``: the figure the target applies to;
* ``import pytok_sm; pytok_sm.LoginKit``: import plus first use of the kit, which loads
  the flows, the drivers and those dependencies.

Each child also reports whether qrcode, the sandbox, the CLI or QR rendering got loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from ._common import Figure, Settings, fmt_time, median

_ROOT = Path(__file__).resolve().parents[1]
LAZY = ("qrcode", "pytok_sm.sandbox", "pytok_sm.cli", "pytok_sm.qr", "pytok_sm.testing", "PIL")

STATEMENTS = {
    "deps": "import httpx, structlog, transitions",
    "import": "import pytok_sm",
    "first_use": "import pytok_sm; pytok_sm.LoginKit",
}

_PROBE = (
    "import time, sys, json\n"
    "t0 = time.perf_counter()\n"
    "{statement}\n"
    "t1 = time.perf_counter()\n"
    "print(json.dumps({{'seconds': t1 - t0, 'loaded': [m for m in {lazy!r} if m in sys.modules]}}))\n"
)


def _env(cache: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = cache
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def _once(statement: str, env: dict[str, str], cwd: str) -> dict[str, Any]:
    code = _PROBE.format(statement=statement, lazy=LAZY)
    command = [sys.executable, "-c", code]
    run = subprocess.run(  # noqa: S603 - this interpreter, our own probe
        command, capture_output=True, text=True, env=env, cwd=cwd, check=True, timeout=60
    )
    result: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    return result


def run(settings: Settings, mode: str) -> list[Figure]:
    times: dict[str, list[float]] = {name: [] for name in STATEMENTS}
    loaded: set[str] = set()
    with tempfile.TemporaryDirectory(prefix="pytok-bench-pyc-") as cache:
        env = _env(cache)
        names = list(STATEMENTS)
        for name in names:  # compile and cache bytecode, warm the file cache
            _once(STATEMENTS[name], env, cache)
        for r in range(settings.startup_runs):
            order = names[r % len(names) :] + names[: r % len(names)]
            for name in order:
                result = _once(STATEMENTS[name], env, cache)
                times[name].append(float(result["seconds"]))
                loaded |= set(result["loaded"])
    if loaded:
        raise AssertionError(f"import pytok_sm loaded what should load only when used: {sorted(loaded)}")
    deps, plain, first = (median(times[n]) for n in ("deps", "import", "first_use"))
    detail_lazy = f"not loaded by either: {', '.join(LAZY)}"
    return [
        Figure(
            "5",
            "start-up: import pytok_sm",
            mode,
            plain / deps,
            "<= 1.15",
            plain / deps <= 1.15,
            f"import pytok_sm {fmt_time(plain)} vs import httpx, structlog, transitions {fmt_time(deps)} "
            f"(medians of {settings.startup_runs} fresh interpreters, interleaved); {detail_lazy}",
            {"import_s": plain, "deps_s": deps, "runs": settings.startup_runs},
        ),
        Figure(
            "5",
            "start-up: import pytok_sm + first use of LoginKit",
            mode,
            first / deps,
            "<= 1.15 if held to the same target",
            first / deps <= 1.15,
            f"import pytok_sm; pytok_sm.LoginKit {fmt_time(first)} vs import httpx, structlog, transitions "
            f"{fmt_time(deps)}: pytok_sm's own modules add {fmt_time(first - deps)}",
            {"first_use_s": first, "deps_s": deps},
        ),
    ]
