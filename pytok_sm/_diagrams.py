"""Mermaid diagrams of the flow machines, drawn from the class-level ``transitions`` machines.

``pytok diagrams`` writes ``diagrams/<flow>.md``; ``pytok diagrams --check`` fails when a
committed file differs from what the code would write (a test runs the check).

Example:
    >>> from pytok_sm.flows import RevokeFlow
    >>> print(mermaid(RevokeFlow).splitlines()[0])
    stateDiagram-v2
    >>> "revoking --> revoked: token_revoked" in mermaid(RevokeFlow)
    True
"""

from __future__ import annotations

from pathlib import Path

from .flows import FLOWS
from .flows._base import Flow

__all__ = ["check", "document", "mermaid", "readme_section", "write"]

README_START = "<!-- diagrams:start -->"
README_END = "<!-- diagrams:end -->"


def edges(flow: type[Flow]) -> list[tuple[str, str, str]]:
    """``(source, dest, trigger)`` for every transition of the flow's machine, in table order."""
    found: list[tuple[str, str, str]] = []
    for name, event in flow.machine.events.items():
        for source, transitions in event.transitions.items():
            for transition in transitions:
                found.append((source, transition.dest or source, name))
    order = {spec.name: i for i, spec in enumerate(flow.STATES)}
    return sorted(found, key=lambda e: (order[e[0]], order[e[1]], e[2]))


def mermaid(flow: type[Flow]) -> str:
    """The flow's machine as a Mermaid ``stateDiagram-v2``."""
    machine = flow.machine
    lines = ["stateDiagram-v2", f"    [*] --> {machine.initial}"]
    lines += [f"    {source} --> {dest}: {trigger}" for source, dest, trigger in edges(flow)]
    lines += [f"    {name} --> [*]" for name, state in machine.states.items() if getattr(state, "final", False)]
    return "\n".join(lines) + "\n"


def document(flow: type[Flow]) -> str:
    """The Markdown file for one flow: title, diagram, and a table of its states."""
    rows = "\n".join(
        f"| `{spec.name}` | {'final' if spec.final else ''} | {spec.doc} |" for spec in flow.STATES
    )
    module = flow.__module__
    return (
        f"# The `{flow.KIND}` flow\n\n"
        f"Generated from `{module}.{flow.__name__}` by `pytok diagrams`; do not edit by hand.\n\n"
        f"```mermaid\n{mermaid(flow)}```\n\n"
        f"| state | | meaning |\n|---|---|---|\n{rows}\n"
    )


def readme_section() -> str:
    """The README's embedded copy of every diagram (between the diagrams markers)."""
    parts = [
        f"### `{kind}`\n\n```mermaid\n{mermaid(flow)}```\n" for kind, flow in FLOWS.items()
    ]
    return f"{README_START}\n" + "\n".join(parts) + f"{README_END}"


def _with_readme_section(text: str) -> str | None:
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        return None
    return text[:start] + readme_section() + text[end + len(README_END):]


def write(directory: Path, readme: Path | None = None) -> list[Path]:
    """Write every flow's diagram into ``directory`` (and into ``readme``'s marked section)."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, flow in FLOWS.items():
        path = directory / f"{kind}.md"
        path.write_text(document(flow), encoding="utf-8")
        written.append(path)
    if readme is not None and readme.is_file():
        updated = _with_readme_section(readme.read_text(encoding="utf-8"))
        if updated is not None:
            readme.write_text(updated, encoding="utf-8")
            written.append(readme)
    return written


def check(directory: Path, readme: Path | None = None) -> list[str]:
    """The names of files that are missing or differ from the code (empty: all good)."""
    stale = []
    for kind, flow in FLOWS.items():
        path = directory / f"{kind}.md"
        if not path.is_file() or path.read_text(encoding="utf-8") != document(flow):
            stale.append(path.name)
    if readme is not None and readme.is_file():
        text = readme.read_text(encoding="utf-8")
        if _with_readme_section(text) not in (None, text):
            stale.append(readme.name)
    return stale
