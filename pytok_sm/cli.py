"""The ``pytok`` command (being built; see issue 6)."""

from __future__ import annotations

import argparse
import sys

from ._version import __version__


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pytok", description="TikTok Login Kit from the command line.")
    parser.add_argument("--version", action="version", version=f"pytok {__version__}")
    parser.parse_args(argv)
    parser.print_help(sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
