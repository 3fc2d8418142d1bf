"""``python -m pytok_sm.sandbox``: serve the sandbox until Ctrl+C.

Prints where it listens and the demo app's credentials (fixed sandbox values, not real
secrets), one ``name: value`` per line, then waits. Ctrl+C (or SIGTERM) stops it cleanly
with exit status 0. ``pytok sandbox`` serves the same way with the same options
(:func:`add_serve_arguments`), and adds the state file other ``pytok`` commands find it by.

Example:
    >>> main(["--help"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    SystemExit: 0
"""

from __future__ import annotations

import argparse
import math
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType
from typing import TextIO

from ._sandbox import Sandbox
from ._switches import TOKEN_LIFETIME_PRESETS, Switches

__all__ = ["add_serve_arguments", "describe", "main", "port_number", "positive_seconds", "switches_from"]


def port_number(text: str) -> int:
    """argparse type: a TCP port, 0..65535 (0: any free port).

    Example:
        >>> port_number("8080")
        8080
        >>> port_number("99999")
        Traceback (most recent call last):
        ...
        argparse.ArgumentTypeError: must be 0..65535, got 99999
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
        >>> positive_seconds("30")
        30.0
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if math.isnan(value) or not 0 < value <= 366 * 86400:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most a year of seconds, got {text}")
    return value


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of a serving sandbox (``pytok sandbox`` has the same, in
    ``pytok_sm.cli.sandbox_options``, so that building its parser does not load the sandbox)."""
    parser.add_argument(
        "--port", type=port_number, default=0, metavar="N", help="port to listen on (default 0: any free port)"
    )
    parser.add_argument(
        "--token-lifetimes", choices=sorted(TOKEN_LIFETIME_PRESETS), default="2026",
        help="token lifetime preset (default 2026)",
    )
    parser.add_argument(
        "--code-lifetime", type=positive_seconds, default=300.0, metavar="SECONDS",
        help="authorization code lifetime (default 300)",
    )
    parser.add_argument(
        "--qr-lifetime", type=positive_seconds, default=120.0, metavar="SECONDS",
        help="QR session lifetime (default 120)",
    )


def switches_from(args: argparse.Namespace) -> Switches:
    """The switches the options of :func:`add_serve_arguments` ask for."""
    return Switches(
        token_lifetimes=args.token_lifetimes, code_lifetime=args.code_lifetime, qr_lifetime=args.qr_lifetime
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pytok_sm.sandbox",
        description="TikTok in a box: a local emulator of TikTok's Login Kit and API v2 on 127.0.0.1.",
    )
    add_serve_arguments(parser)
    return parser


def describe(sandbox: Sandbox, out: TextIO) -> None:
    """Print the sandbox's addresses and the demo apps' credentials."""
    lines = [
        f"pytok_sm sandbox listening on {sandbox.base_url}",
        f"port: {sandbox.port}",
        f"authorization_url: {sandbox.authorization_url}",
        f"base_api_url: {sandbox.base_api_url}",
        f"client_key: {sandbox.client_key}",
        f"client_secret: {sandbox.client_secret}",
        *(f"redirect_uri: {uri}" for uri in sandbox.redirect_uris),
    ]
    web = sandbox.web_app
    if web is not None:
        lines += [f"web_client_key: {web.client_key}", f"web_client_secret: {web.client_secret}"]
        lines += [f"web_redirect_uri: {uri}" for uri in web.redirect_uris]
    lines += [
        f"pending: {sandbox.base_url}/sandbox/pending",
        f"phone: {sandbox.base_url}/sandbox/phone?url=<scan_qrcode_url>",
        "Press Ctrl+C to stop.",
    ]
    out.write("\n".join(lines) + "\n")
    out.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until interrupted; 0 on a clean stop, 2 on bad arguments (argparse)."""
    args = _parser().parse_args(argv)
    switches = switches_from(args)
    stop = threading.Event()
    previous = None
    if threading.current_thread() is threading.main_thread():

        def _on_term(signum: int, frame: FrameType | None) -> None:
            stop.set()

        previous = signal.signal(signal.SIGTERM, _on_term)
    try:
        with Sandbox(port=args.port, switches=switches) as sandbox:
            describe(sandbox, sys.stdout)
            try:
                while not stop.wait(0.2):
                    pass
            except KeyboardInterrupt:
                pass
        print("sandbox stopped", flush=True)
    except OSError as exc:
        print(f"cannot serve on 127.0.0.1:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return 0
