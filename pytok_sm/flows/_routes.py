"""The plain edges of a flow class's machine, compiled into a route table.

``transitions``' general dispatch costs about 12 us per trigger, more than the rest of a
flow's start together (benchmarks/README.md, figure 3). An edge that does nothing but change
state, run the destination's ``on_enter`` and log the transition is followed directly
through this table by :meth:`pytok_sm.flows.Flow._fire`; every other trigger, an invalid one
included, still goes through the machine (a test pins that both tell the same story).
"""

from __future__ import annotations

from transitions import Machine

__all__ = ["plain_routes"]


def plain_routes(machine: Machine) -> dict[tuple[str, str], tuple[str, tuple[str, ...]]]:
    """The machine's edges that do nothing but change state, run the destination's
    ``on_enter`` (named methods) and then ``_log_transition``: (trigger, source) -> (dest, on_enter).

    An edge with conditions, prepare/before/after or exit callbacks, or one of several
    candidates, and a machine with any other hook, is left out: it keeps the machine's path.
    """
    hooks = (
        machine.prepare_event,
        machine.before_state_change,
        machine.finalize_event,
        machine.on_exception,
        machine.on_final,
    )
    if any(hooks) or list(machine.after_state_change) != ["_log_transition"]:
        return {}
    routes: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {}
    for name, event in machine.events.items():
        for source, candidates in event.transitions.items():
            if len(candidates) != 1:
                continue
            edge = candidates[0]
            if edge.dest is None or edge.conditions or edge.prepare or edge.before or edge.after:
                continue
            if machine.states[source].on_exit:
                continue
            enter = [callback for callback in machine.states[edge.dest].on_enter if isinstance(callback, str)]
            if len(enter) == len(machine.states[edge.dest].on_enter):
                routes[(name, source)] = (edge.dest, tuple(enter))
    return routes
