"""What every benchmark shares: the run settings, the two logging modes, timing statistics
and the one-line report of a figure (always a ratio against a named baseline)."""

from __future__ import annotations

import contextlib
import logging
import os
import platform
import statistics
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

#: The two logging modes every figure is measured in.
LOG_MODES = ("default", "logging")

LOG_MODE_DOC = {
    "default": "library default: structlog not configured, stdlib 'pytok_sm' logger silent",
    "logging": "transition logging on: structlog configured with pytok_sm.logs.processors(json=True) "
    "(redaction + JSON) rendering every event into a null sink",
}


@dataclass
class Settings:
    """Sizes of one run; ``quick()`` gives tiny ones (seconds, for a smoke test)."""

    refreshes: int = 2000
    peer_refreshes: int = 2000
    flows: int = 10_000
    baseline_flows: int = 2_000
    fanout_accounts: int = 1000
    fanout_rounds: int = 9
    fanout_connections: int = 1000
    startup_runs: int = 40
    wait_seconds: float = 30.0
    poll_interval: float = 1.0
    warmup: int = 50

    @classmethod
    def smoke(cls) -> Settings:
        """Just enough to prove every benchmark still runs (the test suite's smoke test)."""
        return cls(
            refreshes=8,
            peer_refreshes=8,
            flows=200,
            baseline_flows=20,
            fanout_accounts=20,
            fanout_rounds=1,
            fanout_connections=20,
            startup_runs=2,
            wait_seconds=1.5,
            poll_interval=0.5,
            warmup=2,
        )

    @classmethod
    def quick(cls) -> Settings:
        return cls(
            refreshes=60,
            peer_refreshes=60,
            flows=500,
            baseline_flows=100,
            fanout_accounts=100,
            fanout_rounds=3,
            fanout_connections=100,
            startup_runs=5,
            wait_seconds=3.0,
            poll_interval=1.0,
            warmup=5,
        )


@dataclass
class Figure:
    """One printed figure: ``value`` of pytok_sm against ``baseline_value`` of a named baseline."""

    number: str
    title: str
    mode: str
    ratio: float
    target: str
    met: bool | None
    detail: str
    extra: dict[str, Any] = field(default_factory=dict)

    def line(self) -> str:
        verdict = "n/a" if self.met is None else ("OK" if self.met else "MISS")
        head = f"[{self.number}] {self.title} ({self.mode}): ratio {self.ratio:.3f}x (target {self.target}) {verdict}"
        return f"{head}\n      {self.detail}"


def report(figure: Figure, out: TextIO | None = None) -> Figure:
    stream = out or sys.stdout
    stream.write(figure.line() + "\n")
    stream.flush()
    return figure


# --------------------------------------------------------------------------- statistics
def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def quartiles(values: Sequence[float]) -> tuple[float, float]:
    if len(values) < 4:
        return min(values), max(values)
    q = statistics.quantiles(values, n=4)
    return q[0], q[2]


def fmt_time(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.3f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3f} ms"
    return f"{seconds * 1e6:.2f} us"


# --------------------------------------------------------------------------- logging modes
class NullSink:
    """A file that throws its text away but counts the lines (rendered events)."""

    def __init__(self) -> None:
        self.lines = 0

    def write(self, text: str) -> int:
        self.lines += text.count("\n")
        return len(text)

    def flush(self) -> None:
        pass


SINK = NullSink()


@contextlib.contextmanager
def log_mode(mode: str) -> Iterator[NullSink | None]:
    """Run the block with the library's default logging or with transition logging on."""
    import structlog

    if mode not in LOG_MODES:
        raise ValueError(f"unknown logging mode {mode!r}")
    structlog.reset_defaults()
    logger = logging.getLogger("pytok_sm")
    logger.setLevel(logging.NOTSET)
    if mode == "default":
        yield None
        return
    from pytok_sm import logs

    structlog.configure(
        processors=logs.processors(json=True),
        logger_factory=structlog.WriteLoggerFactory(file=SINK),  # type: ignore[arg-type]
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        cache_logger_on_first_use=True,
    )
    try:
        yield SINK
    finally:
        structlog.reset_defaults()


_KEPT: list[contextlib.AbstractContextManager[NullSink | None]] = []


def configure_from_env() -> None:
    """For child processes: apply the mode named in ``PYTOK_BENCH_LOG_MODE`` for good."""
    mode = os.environ.get("PYTOK_BENCH_LOG_MODE", "default")
    if mode == "logging":
        context = log_mode(mode)
        context.__enter__()
        # Kept for the life of the child process: a context dropped here would be collected at
        # once, and closing its generator runs its ``finally`` (structlog.reset_defaults()).
        _KEPT.append(context)


# --------------------------------------------------------------------------- the machine
def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    from importlib.metadata import PackageNotFoundError, version

    def installed(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": f"{platform.system()} {platform.release()}",
        **{name: installed(name) for name in ("httpx", "structlog", "transitions", "authlib")},
    }
