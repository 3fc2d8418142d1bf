"""The options of a serving sandbox, for ``pytok sandbox`` and ``pytok sandbox start``.

They mirror :func:`pytok_sm.sandbox._cli.add_serve_arguments` (``python -m pytok_sm.sandbox``)
without importing the sandbox: building ``pytok``'s parser (``pytok --version``) must not load
it. ``tests/cli/test_cli_sandbox_options.py`` keeps the two the same.

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="pytok sandbox")
    >>> add_serve_arguments(parser)
    >>> args = parser.parse_args(["--port", "18080", "--qr-lifetime", "30"])
    >>> args.port, args.qr_lifetime, args.token_lifetimes
    (18080, 30.0, '2026')
"""

from __future__ import annotations

import argparse
import math

__all__ = ["TOKEN_LIFETIME_CHOICES", "add_serve_arguments", "port_number", "positive_seconds"]

#: The sandbox's token lifetime presets (``pytok_sm.sandbox._switches.TOKEN_LIFETIME_PRESETS``).
TOKEN_LIFETIME_CHOICES = ("2026", "classic")


def port_number(text: str) -> int:
    """argparse type: a TCP port, 0..65535 (0: any free port).

    Example:
        >>> port_number("0"), port_number("65535")
        (0, 65535)
    """
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be 0..65535, got {text}")
    return value


def positive_seconds(text: str) -> float:
    """argparse type: a lifetime in seconds, more than 0 and at most a year.

    Example:
        >>> positive_seconds("0.5")
        0.5
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if math.isnan(value) or not 0 < value <= 366 * 86400:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most a year of seconds, got {text}")
    return value


def add_serve_arguments(parser: argparse.ArgumentParser, *, defaults: bool = True) -> None:
    """``--port``, ``--token-lifetimes``, ``--code-lifetime``, ``--qr-lifetime``; ``defaults=False``
    for ``start``, whose parent parser has them already (``pytok sandbox --port 1 start``)."""

    def default(value: object) -> object:
        return value if defaults else argparse.SUPPRESS

    parser.add_argument(
        "--port", type=port_number, default=default(0), metavar="N", help="port to listen on (default 0: any free port)"
    )
    parser.add_argument(
        "--token-lifetimes", choices=TOKEN_LIFETIME_CHOICES, default=default("2026"),
        help="token lifetime preset (default 2026)",
    )
    parser.add_argument(
        "--code-lifetime", type=positive_seconds, default=default(300.0), metavar="SECONDS",
        help="authorization code lifetime (default 300)",
    )
    parser.add_argument(
        "--qr-lifetime", type=positive_seconds, default=default(120.0), metavar="SECONDS",
        help="QR session lifetime (default 120)",
    )
