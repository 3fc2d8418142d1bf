"""``python -m pytok_sm.sandbox``: serve the sandbox until Ctrl+C.

Prints where it listens and the demo app's credentials (fixed sandbox values, not real
secrets), one ``name: value`` per line, then waits. Ctrl+C (or SIGTERM) stops it cleanly
with exit status 0.

Example:
    >>> main(["--help"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    SystemExit: 0
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType
from typing import TextIO

from ._sandbox import Sandbox
from ._switches import TOKEN_LIFETIME_PRESETS, Switches

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pytok_sm.sandbox",
        description="TikTok in a box: a local emulator of TikTok's Login Kit and API v2 on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default 0: any free port)")
    parser.add_argument(
        "--token-lifetimes", choices=sorted(TOKEN_LIFETIME_PRESETS), default="2026", help="token lifetime preset"
    )
    parser.add_argument("--code-lifetime", type=float, default=300.0, help="authorization code lifetime, seconds")
    parser.add_argument("--qr-lifetime", type=float, default=120.0, help="QR session lifetime, seconds")
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
    lines += [f"phone: {sandbox.base_url}/sandbox/phone?url=<scan_qrcode_url>", "Press Ctrl+C to stop."]
    out.write("\n".join(lines) + "\n")
    out.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until interrupted; 0 on a clean stop, 2 on bad arguments (argparse)."""
    args = _parser().parse_args(argv)
    switches = Switches(
        token_lifetimes=args.token_lifetimes, code_lifetime=args.code_lifetime, qr_lifetime=args.qr_lifetime
    )
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
