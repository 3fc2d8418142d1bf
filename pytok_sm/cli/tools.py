"""``pytok sandbox`` and ``pytok diagrams``: the developer tools.

``pytok sandbox`` lives in :mod:`pytok_sm.cli.sandbox_command` (serving the emulator here or
in the background; its actions). ``pytok diagrams`` writes one Mermaid file per flow
machine; ``--check`` fails (exit 1) when the files differ from what the code would write.

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="pytok diagrams")
    >>> DIAGRAMS.add_arguments(parser)
    >>> parser.parse_args(["--check"])
    Namespace(check=True, dir='diagrams')
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .exits import CheckFailed, ExitCode
from .sandbox_command import SANDBOX
from .session import Command, Session

__all__ = ["DIAGRAMS", "SANDBOX"]


def _diagrams_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--check", action="store_true", help="only check that the files are up to date (exit 1 if not)")
    parser.add_argument("--dir", default="diagrams", metavar="DIR", help="where the files are (default: diagrams)")


def _diagrams(args: argparse.Namespace, session: Session) -> int:
    from .. import _diagrams as diagrams

    directory = Path(args.dir)
    readme = directory.resolve().parent / "README.md"  # its embedded copy of the diagrams
    if args.check:
        stale = diagrams.check(directory, readme)
        if stale:
            raise CheckFailed(
                f"diagrams out of date in {directory}: {', '.join(stale)}; "
                f"run pytok diagrams --dir {directory} and commit the result"
            )
        session.print(f"diagrams are up to date in {directory}")
        return ExitCode.OK
    for path in diagrams.write(directory, readme):
        session.print(f"wrote {path}")
    return ExitCode.OK


DIAGRAMS = Command(
    name="diagrams",
    help="write the Mermaid diagram of every flow machine (--check: fail if out of date)",
    description="Write diagrams/<flow>.md from the flow machines, or check that they are up to date.",
    add_arguments=_diagrams_arguments,
    run=_diagrams,
)
