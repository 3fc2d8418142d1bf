"""``pytok login``: the browser flow (default) or the QR flow, saving the token on arrival.

The token is written to the token file from the kit's ``on_token`` hook, that is the moment
TikTok's answer is parsed, before anything is printed. Before the login starts (and before
the sandbox starts), the token file is read and a write is tried where the token will go
(:meth:`TokenStore.check_writable`): a token file that cannot take the token fails then, not
after the person approved. ``--sandbox`` (or ``$PYTOK_SANDBOX``) logs in against the
sandbox emulator (:mod:`pytok_sm.sandbox`): the running one, else one started in this
process for this command only; with its demo app's credentials unless
``--client-key``/``--client-secret`` are given (``$PYTOK_CLIENT_KEY``/``_SECRET`` are ignored
then, since the sandbox knows only its own apps), into a token file of its own;
``--approve``/``--deny`` press the button there (:mod:`pytok_sm.cli.sandbox_login`).

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="pytok login")
    >>> add_arguments(parser)
    >>> args = parser.parse_args(["--qr", "--timeout", "90", "--scopes", "user.info.basic,video.list"])
    >>> args.qr, args.timeout, args.scopes
    (True, 90.0, 'user.info.basic,video.list')
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import Any

from .._config import check_scopes, normalize_scopes
from .._errors import ConfigurationError
from .._kit import LoginKit
from .._token import Token
from ..flows import QrFlow
from .account import describe_token
from .exits import ExitCode, UsageError
from .progress import WaitProgress, is_interactive
from .sandbox_login import SandboxLogin
from .sandbox_login import add_arguments as add_sandbox_arguments
from .sandbox_login import check_arguments as check_sandbox_arguments
from .session import Command, Session

__all__ = ["COMMAND", "add_arguments", "run", "scope_list", "seconds"]


def seconds(text: str) -> float:
    """argparse type: a duration in seconds, 1..86400.

    Example:
        >>> seconds("300")
        300.0
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 1 <= value <= 86400:
        raise argparse.ArgumentTypeError(f"must be 1..86400 seconds, got {text}")
    return value


def scope_list(text: str) -> str:
    """argparse type: comma-separated scopes, each documented by TikTok or declared with ``+``.

    Checked while the command line is read, so a typo stops ``pytok login`` before a
    sandbox, a browser or a QR code (TikTok would refuse it with ``invalid_scope``).

    Example:
        >>> scope_list("user.info.basic,+brand.new.scope")
        'user.info.basic,+brand.new.scope'
        >>> scope_list("user.info.basci")
        Traceback (most recent call last):
        ...
        argparse.ArgumentTypeError: unknown scope 'user.info.basci'; did you mean 'user.info.basic'? ...
    """
    try:
        check_scopes(normalize_scopes(text))
    except ConfigurationError as error:
        raise argparse.ArgumentTypeError(str(error).removeprefix(f"{error.field}: ")) from None
    return text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``pytok login``."""
    parser.add_argument("--qr", action="store_true", help="log in by scanning a QR code with the TikTok app")
    parser.add_argument(
        "--no-browser", action="store_true", help="do not open a browser; print the URL to open instead"
    )
    parser.add_argument(
        "--port", type=int, metavar="N",
        help="loopback port for the redirect (default 3456; 0 = any free port, needs a registered "
        "http://127.0.0.1:*/callback/; with --sandbox the default is 0)",
    )
    parser.add_argument(
        "--scopes", type=scope_list, default="user.info.basic", metavar="LIST",
        help="comma-separated scopes to ask for (default: user.info.basic), each one TikTok documents; "
        "+name asks for a scope newer than pytok's list, e.g. user.info.basic,+new.scope",
    )
    parser.add_argument(
        "--timeout", type=seconds, default=300.0, metavar="SECONDS",
        help="how long to wait for the approval (default 300)",
    )
    parser.add_argument(
        "--redirect-uri", metavar="URI", help="the registered redirect URI (default http://127.0.0.1:PORT/callback/)"
    )
    parser.add_argument("--qr-png", metavar="PATH", help="with --qr: also write the QR code as a PNG file")
    parser.add_argument("--qr-svg", metavar="PATH", help="with --qr: also write the QR code as an SVG file")
    add_sandbox_arguments(parser)  # --approve | --deny (the global --sandbox aims at the emulator)


def run(args: argparse.Namespace, session: Session) -> int:
    """Log in and save the token; returns the exit code (errors are raised)."""
    if (args.qr_png or args.qr_svg) and not args.qr:
        raise UsageError("--qr-png and --qr-svg go with --qr")
    if args.qr_png:  # said now, not after TikTok handed out a QR code that could then not be written
        _require_png()
    check_sandbox_arguments(args, session)
    sandbox_mode = session.sandbox_requested()
    # A missing client key or secret is said first (the sandbox brings its own).
    credentials = None if sandbox_mode else (session.client_key(), session.client_secret())
    # The token must be storable before anyone approves anything: a broken or unwritable token
    # file fails now (it would fail only after the approval, losing the fresh token).
    store = session.store()
    store.check_writable()
    with contextlib.ExitStack() as stack:
        config: dict[str, Any] = {"scopes": args.scopes, "redirect_uri": args.redirect_uri}
        sandbox = None
        if sandbox_mode:
            sandbox = SandboxLogin.enter(session, args, stack)  # the running one, or one of its own
            client_key, client_secret = session.client_key(), session.client_secret()
            config["port"] = 0 if args.port is None else args.port
        else:
            assert credentials is not None
            client_key, client_secret = credentials
            if args.port is not None:
                config["port"] = args.port
        opener = False if args.no_browser else _open_browser(session)
        kit = stack.enter_context(
            session.kit(
                client_key, client_secret, open_browser=sandbox.opener(opener) if sandbox else opener,
                on_token=lambda token: store.save(client_key, token) if token is not None else None, **config,
            )
        )
        progress = WaitProgress(session.terminal)
        qr_flow = QrFlow(kit.config, timeout=args.timeout) if args.qr else None
        try:
            if qr_flow is not None:
                token = _qr_login(kit, qr_flow, args, session, progress, sandbox=sandbox)
            else:
                on_tick = sandbox.watch(progress.on_tick) if sandbox else progress.on_tick
                token = kit.oauth_server(timeout=args.timeout, on_tick=on_tick, stderr=session.terminal)
        finally:
            progress.finish(confirmed=qr_flow is not None and qr_flow.code is not None)
    _report(session, client_key, token, sandbox=sandbox_mode)
    return ExitCode.OK


def _qr_login(
    kit: LoginKit, flow: QrFlow, args: argparse.Namespace, session: Session, progress: WaitProgress, *,
    sandbox: SandboxLogin | None,
) -> Token:
    """One QR flow from get_qrcode to the token, shown through the driver's ``show_qr`` hook.

    One flow rather than ``generate_qr_code()`` + ``oauth_qrcode()``: the second makes a new
    flow with a new CSRF state, which refuses TikTok's confirmation carrying the first one's.
    """
    from .. import qr

    def show(url: str) -> None:
        color = is_interactive(session.out) and "NO_COLOR" not in session.environ
        session.print("Scan this QR code with the TikTok app on your phone:")
        session.print(qr.render_terminal(url, color=color).rstrip("\n"))
        session.print(f"QR code URL: {url}")
        if args.qr_png:
            session.terminal.say(f"QR code written to {qr.write_png(url, args.qr_png)}")
        if args.qr_svg:
            session.terminal.say(f"QR code written to {qr.write_svg(url, args.qr_svg)}")
        if sandbox is not None:
            sandbox.qr_shown(url)  # the sandbox's phone, or its decision (--approve, --deny)

    progress.flow = flow
    token: Token = kit.run(flow, show_qr=show, on_tick=progress.on_tick, stderr=session.terminal)
    kit.load_token(token)  # keeps it, and on_token saves it
    return token


def _require_png() -> None:
    from .. import qr

    try:
        qr.require_png()
    except ConfigurationError:
        raise UsageError(
            f"--qr-png needs Pillow, which is not installed: {qr.PILLOW_INSTALL}; or use --qr-svg, "
            "which needs nothing more"
        ) from None


def _open_browser(session: Session) -> Any:
    """``webbrowser.open``, but never a console browser taking over this terminal.

    On Linux without a display (SSH, containers) and without ``$BROWSER``, :mod:`webbrowser`
    would start lynx or w3m in the foreground; there we print the URL instead.
    """
    env = session.environ
    if sys.platform.startswith("linux") and not any(env.get(v) for v in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER")):
        return False

    def open_url(url: str) -> bool:
        import webbrowser

        opened = bool(webbrowser.open(url))
        if opened:
            session.terminal.say("Opened TikTok's authorize page in your browser (use --no-browser to get the URL).")
        return opened

    return open_url


def _report(session: Session, client_key: str, token: Token, *, sandbox: bool) -> None:
    session.print(f"Logged in as open_id {token.open_id or '-'}.")
    for line in describe_token(token):
        session.print(line)
    session.print(f"Saved to {session.store().path} (client key {client_key}).")
    if sandbox:
        session.print("This is a sandbox token: it works only while that sandbox runs.")


COMMAND = Command(
    name="login",
    help="log in (browser by default, or --qr) and save the token",
    description="Log in to TikTok with Login Kit and save the token in the token file.",
    add_arguments=add_arguments,
    run=run,
)
