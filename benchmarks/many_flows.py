"""Figure 3: thousands of live flows -- creation time and memory per flow.

Every kind of flow is built and started (so it holds its first pending effect: a request
to send, a port to listen on) N times, all kept alive. The baseline is the same flow class
with a ``transitions`` Machine built per object (``model=self``, the same states,
transitions and callbacks), the design pytok_sm avoids (DESIGN.md principle 3); the flow
logic, data and effects are identical, so the difference is the machine alone.

Time is measured without tracemalloc (median of rounds); memory in a second pass under
tracemalloc, net of a warm-up (see :func:`bytes_per_flow`).
"""

from __future__ import annotations

import gc
import logging
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from ._common import Figure, Settings, fmt_time, median

KINDS = ("browser", "qr", "refresh", "revoke", "user_info")
TIME_TARGET = 20e-6
MEMORY_TARGET = 2048


def _classes() -> dict[str, type[Any]]:
    from pytok_sm.flows import FLOWS

    return {kind: FLOWS[kind] for kind in KINDS}


def per_instance_class(flow_cls: type[Any]) -> type[Any]:
    """``flow_cls`` with its own Machine per object (the baseline)."""
    from transitions import Machine

    states = [
        {"name": s.name, "final": s.final, **({"on_enter": [s.enter]} if s.enter else {})} for s in flow_cls.STATES
    ]
    rows = [{"trigger": r.trigger, "source": list(r.source), "dest": r.dest} for r in flow_cls.TRANSITIONS]

    class PerInstanceMachine(flow_cls):  # type: ignore[misc]  # no __slots__: transitions needs a __dict__
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            Machine(
                model=self,
                states=states,
                transitions=rows,
                initial=flow_cls.INITIAL,
                auto_transitions=False,
                send_event=True,
                after_state_change="_log_transition",
                name=flow_cls.KIND,
            )

        def _fire(self, trigger: str, **fields: Any) -> None:
            if trigger != "retry":
                self.attempt = 1
            self.trigger(trigger, **fields)

    PerInstanceMachine.__name__ = f"PerInstance{flow_cls.__name__}"
    return PerInstanceMachine


def makers(classes: dict[str, type[Any]], n: int) -> dict[str, Callable[[int], Any]]:
    """One ``make(i)`` per kind: construct flow ``i`` and start it."""
    from pytok_sm._config import Config

    config = Config("aw_benchmark_key", "benchmark_secret")
    # The accounts' tokens exist before their flows do: made outside the measurement.
    access = [f"act.{i:08d}{'x' * 60}" for i in range(n)]
    refresh = [f"rft.{i:08d}{'y' * 60}" for i in range(n)]

    def started(flow: Any) -> Any:
        flow.start()
        return flow

    return {
        "browser": lambda i: started(classes["browser"](config)),
        "qr": lambda i: started(classes["qr"](config)),
        "refresh": lambda i: started(classes["refresh"](config, refresh_token=refresh[i])),
        "revoke": lambda i: started(classes["revoke"](config, access_token=access[i])),
        "user_info": lambda i: started(classes["user_info"](config, access_token=access[i])),
    }


def time_per_flow(make: Callable[[int], Any], n: int, rounds: int = 3) -> float:
    results = []
    for _ in range(rounds):
        keep: list[Any] = [None] * n
        gc.collect()
        start = time.perf_counter()
        for i in range(n):
            keep[i] = make(i)
        results.append((time.perf_counter() - start) / n)
        del keep
    return median(results)


def bytes_per_flow(make: Callable[[int], Any], n: int) -> float:
    """Net bytes allocated per live flow. Warm-up flows made under tracing stay alive, so the
    bounded secret registry (4096 values, shared) is full before and after: its churn nets
    out and the secrets it drops stay owned by those flows; the container list is excluded."""
    keep: list[Any] = [None] * n
    gc.collect()
    tracemalloc.start()
    try:
        warm = [make(i) for i in range(min(n, 5000))]
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        for i in range(n):
            keep[i] = make(i)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert all(flow.effect is not None for flow in keep) and warm
    return (after - before) / n


def emit_cost(n: int = 2000) -> float:
    """Seconds one ``transition`` event costs in the current logging mode (start() emits one)."""
    from pytok_sm import logs

    fields = {
        "flow": "refresh",
        "flow_id": "0123456789ab",
        "trigger": "start",
        "source": "created",
        "dest": "refreshing",
    }
    results = []
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(n):
            logs.emit("transition", **fields)
        results.append((time.perf_counter() - start) / n)
    return median(results)


def run(settings: Settings, mode: str) -> list[Figure]:
    classes = _classes()
    baseline_classes = {kind: per_instance_class(cls) for kind, cls in classes.items()}
    n, nb = settings.flows, settings.baseline_flows
    ours = makers(classes, n)
    theirs = makers(baseline_classes, nb)
    # Binding trigger methods onto a model that already has start()/cancel() makes transitions
    # log a warning per object; both sides run with the same (quieter) transitions logger.
    quiet = logging.getLogger("transitions")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    figures = []
    event = emit_cost()
    try:
        for kind in KINDS:
            t_ours = time_per_flow(ours[kind], n, rounds=5)
            t_theirs = time_per_flow(theirs[kind], nb, rounds=3)
            m_ours = bytes_per_flow(ours[kind], n)
            m_theirs = bytes_per_flow(theirs[kind], nb)
            met = t_ours <= TIME_TARGET and m_ours <= MEMORY_TARGET
            detail = (
                f"{n:,} live {kind} flows (built + started): {fmt_time(t_ours)} and {m_ours:,.0f} B per flow "
                f"vs Machine-per-object baseline ({nb:,}): {fmt_time(t_theirs)} and {m_theirs:,.0f} B; "
                f"memory ratio {m_ours / m_theirs:.3f}x; start() logs one transition event, which costs "
                f"{fmt_time(event)} in this logging mode"
            )
            figures.append(
                Figure(
                    "3",
                    f"many flows: {kind}",
                    mode,
                    t_ours / t_theirs,
                    "<= 20 us and <= 2 KiB per flow",
                    met,
                    detail,
                    {
                        "time_s": t_ours,
                        "bytes": m_ours,
                        "event_s": event,
                        "baseline_time_s": t_theirs,
                        "baseline_bytes": m_theirs,
                        "n": n,
                        "baseline_n": nb,
                    },
                )
            )
    finally:
        quiet.setLevel(level)
    return figures
