"""``pytok sandbox``: serve the emulator of TikTok, in this terminal or in the background.

``pytok sandbox [--port N] [...]`` serves on 127.0.0.1 until Ctrl+C (or SIGTERM, SIGHUP);
``pytok sandbox start`` does the same in a detached process (its own session, output in
``sandbox.log``) and returns once it serves. While it runs, a sandbox keeps a state file
(:mod:`pytok_sm.cli.sandbox_state`) by which ``pytok --sandbox <command>`` finds it; its
accounts, tokens, rotations and revocations last as long as it does. ``stop`` ends it
(SIGTERM, then SIGKILL after 10 s), ``status`` says whether one runs (exit 1 if not),
``env`` prints the ``export`` lines for scripts, and ``approve``/``deny`` decide the newest
login waiting for approval (:mod:`pytok_sm.cli.sandbox_approve`). One sandbox per user: a
second ``start`` says where the first runs.

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="pytok sandbox")
    >>> SANDBOX.add_arguments(parser)
    >>> args = parser.parse_args(["start", "--port", "18080"])
    >>> args.action, args.port
    ('start', 18080)
    >>> parser.parse_args([]).action
    'serve'
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import signal
import subprocess
import sys
import threading
import time
import warnings
from types import FrameType
from typing import Any

from . import sandbox_approve
from . import sandbox_state as state
from .exits import EXIT_CODES_TABLE, CheckFailed, ExitCode
from .progress import clock_text
from .sandbox_options import add_serve_arguments
from .sandbox_state import SandboxTarget
from .session import Command, Session

__all__ = ["SANDBOX"]

_START_TIMEOUT = 20.0
_STOP_TIMEOUT = 10.0
_ACTIONS = {
    "start": "serve in the background (a detached process) and return",
    "stop": "stop the running sandbox",
    "status": "say whether a sandbox runs, where, and what it holds (exit 1 if none)",
    "env": "print the export lines that aim scripts (and every pytok) at the running sandbox",
    "approve": "approve the newest login waiting for approval (what Authorize on its consent page does)",
    "deny": "deny the newest login waiting for approval (Cancel)",
}


def _arguments(parser: argparse.ArgumentParser) -> None:
    from . import _global_options  # the package's own, defined before any parser is built

    parser.usage = "%(prog)s [ACTION] [options]   (ACTION: start, stop, status, env, approve, deny)"
    add_serve_arguments(parser)
    actions = parser.add_subparsers(dest="action", metavar="ACTION", title="actions (default: serve here until Ctrl+C)")
    parser.set_defaults(action="serve")
    for name, text in _ACTIONS.items():
        sub = actions.add_parser(
            name, prog=f"{parser.prog} {name}", help=text, description=text[0].upper() + text[1:] + ".",
            epilog=EXIT_CODES_TABLE, formatter_class=argparse.RawDescriptionHelpFormatter,
            parents=[_global_options(in_subcommand=True)],
        )
        sub.set_defaults(usage_parser=sub)
        if name == "start":
            add_serve_arguments(sub, defaults=False)
        elif name in ("approve", "deny"):
            sandbox_approve.add_arguments(sub)


def _run(args: argparse.Namespace, session: Session) -> int:
    action = args.action or "serve"
    if action in ("approve", "deny"):
        return sandbox_approve.decide(args, session, action)
    handler = {"serve": _serve, "start": _start, "stop": _stop, "status": _status, "env": _env}[action]
    return handler(args, session)


# ---------------------------------------------------------------------------- serve (here)
def _serve(args: argparse.Namespace, session: Session) -> int:
    from ..sandbox import Sandbox
    from ..sandbox._cli import switches_from

    path = state.state_path(session.environ)
    _refuse_a_second(session)
    stop = threading.Event()
    restore = _on_signals(stop)
    try:
        try:
            sandbox = Sandbox(port=args.port, switches=switches_from(args)).start()
        except OSError as exc:
            raise CheckFailed(_cannot_serve(args.port, exc)) from None
        try:
            target = SandboxTarget(sandbox.base_url, sandbox.client_key, sandbox.client_secret,
                                   pid=os.getpid(), started_at=time.time())
            state.make_state_dir(session.environ)
            try:
                state.write_state(path, target)
            except FileExistsError:  # another one started meanwhile
                _refuse_a_second(session)
                raise
            _describe(session, sandbox, target)
            while not stop.wait(0.2):
                pass
        finally:
            restore()
            try:
                sandbox.stop()
            finally:
                state.remove_state(path, os.getpid())
    finally:
        restore()
    session.print("sandbox stopped")
    return ExitCode.OK


def _refuse_a_second(session: Session) -> None:
    running = state.running(session.environ, warn=session.warn)
    if running is not None:
        raise CheckFailed(
            f"a sandbox is already running at {running.url} (pid {running.pid}); use it (pytok login --sandbox) "
            "or stop it first (pytok sandbox stop)"
        )


def _cannot_serve(port: int, exc: OSError) -> str:
    reason = (exc.strerror or str(exc)).rstrip(".")
    reason = reason[:1].lower() + reason[1:]
    advice = "; pick another with --port, or --port 0 for any free one" if exc.errno == errno.EADDRINUSE else ""
    return f"cannot serve on 127.0.0.1:{port}: {reason}{advice}"


def _on_signals(stop: threading.Event) -> Any:
    """Ctrl+C (SIGINT), SIGTERM (pytok sandbox stop) and SIGHUP (the terminal closed) stop the
    sandbox cleanly; the returned function puts the previous handlers back (a second Ctrl+C
    while stopping then interrupts as usual)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    return lambda: [signal.signal(sig, old) for sig, old in previous.items()]


def _describe(session: Session, sandbox: Any, target: SandboxTarget) -> None:
    url = target.url
    lines = [
        f"pytok sandbox: TikTok in a box, listening on {url} (pid {target.pid})",
        f"  client key      {target.client_key}",
        f"  client secret   {target.client_secret}",
        f"  redirect URIs   {' '.join(sandbox.redirect_uris)}",
    ]
    if sandbox.web_app is not None:
        lines.append(f"  web app         {sandbox.web_client_key} / {sandbox.web_client_secret}")
    lines += [
        f"  pending logins  {url}/sandbox/pending",
        f"  QR phone        {url}/sandbox/phone?url=<scan_qrcode_url>",
        f"  state file      {state.state_path(session.environ)}",
        "",
        "In another terminal: pytok login --sandbox --approve, then pytok whoami --sandbox",
        "For scripts:",
        *(f"  {line}" for line in target.exports()),
        "Press Ctrl+C to stop.",
    ]
    for line in lines:
        session.print(line)


# ---------------------------------------------------------------------------- start (in the background)
def _start(args: argparse.Namespace, session: Session) -> int:
    running = state.running(session.environ, warn=session.warn)
    if running is not None:
        if args.port and args.port != running.port:
            raise CheckFailed(
                f"a sandbox is already running at {running.url} (pid {running.pid}); stop it first "
                f"(pytok sandbox stop) to serve on port {args.port}"
            )
        session.print(f"A sandbox is already running at {running.url} (pid {running.pid}).")
        _summary(session, running)
        return ExitCode.OK
    state.make_state_dir(session.environ)
    log = state.log_path(session.environ)
    argv = [sys.executable, "-m", "pytok_sm.cli", "sandbox", "--port", str(args.port),
            "--token-lifetimes", args.token_lifetimes, "--code-lifetime", repr(args.code_lifetime),
            "--qr-lifetime", repr(args.qr_lifetime)]
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "wb") as out:
        child = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            close_fds=True, env={**session.environ, "PYTHONUNBUFFERED": "1"},
        )
    target = _wait_until_serving(child, session, log)
    with warnings.catch_warnings():  # detached on purpose: it outlives this command
        warnings.simplefilter("ignore", ResourceWarning)
        del child
    session.print(f"Started the sandbox in the background at {target.url} (pid {target.pid}).")
    _summary(session, target)
    return ExitCode.OK


def _wait_until_serving(child: subprocess.Popen[bytes], session: Session, log: Any) -> SandboxTarget:
    path = state.state_path(session.environ)
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise CheckFailed(_why_it_ended(log))
        with contextlib.suppress(OSError, ValueError):
            target = state.read_state(path)
            if target.pid == child.pid:
                return target
        time.sleep(0.05)
    child.kill()
    child.wait(5)
    raise CheckFailed(f"the sandbox did not start within {_START_TIMEOUT:g} s; see {log}")


def _why_it_ended(log: Any) -> str:
    with contextlib.suppress(OSError):
        for line in reversed(open(log, encoding="utf-8", errors="replace").read().splitlines()):  # noqa: SIM115
            if line.startswith("pytok: error: "):
                return line.removeprefix("pytok: error: ")
    return f"the sandbox ended as it started; see {log}"


def _summary(session: Session, target: SandboxTarget) -> None:
    session.print(f"  client key     {target.client_key}")
    session.print(f"  client secret  {target.client_secret}")
    session.print(f"  state file     {state.state_path(session.environ)}")
    session.print(f"  log file       {state.log_path(session.environ)}")
    session.print("Use it with --sandbox:  pytok login --sandbox --approve, then pytok whoami --sandbox")
    session.print("Stop it with:          pytok sandbox stop")
    session.print('For scripts:           eval "$(pytok sandbox env)"')


# ---------------------------------------------------------------------------- stop, status, env
def _stop(args: argparse.Namespace, session: Session) -> int:
    target = state.running(session.environ, warn=session.warn)
    if target is None:
        session.print("No sandbox is running; nothing to stop.")
        return ExitCode.OK
    assert target.pid is not None
    with contextlib.suppress(ProcessLookupError):
        os.kill(target.pid, signal.SIGTERM)
    deadline = time.monotonic() + _STOP_TIMEOUT
    while state.pid_alive(target.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if state.pid_alive(target.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(target.pid, signal.SIGKILL)
        session.warn(f"the sandbox did not stop within {_STOP_TIMEOUT:g} s after SIGTERM; killed it")
    state.remove_state(state.state_path(session.environ), target.pid)
    session.print(f"Stopped the sandbox at {target.url} (pid {target.pid}).")
    return ExitCode.OK


def _status(args: argparse.Namespace, session: Session) -> int:
    target = state.running(session.environ, warn=session.warn)
    live = state.probe(target.url) if target is not None else None
    if target is None or live is None:
        session.print("No sandbox is running (start one with pytok sandbox start).")
        return ExitCode.FAILED
    up = f", up {clock_text(time.time() - target.started_at)}" if target.started_at else ""
    session.print(f"Sandbox running at {target.url} (pid {target.pid}{up}).")
    session.print(f"  client key      {target.client_key}")
    session.print(f"  pending logins  {live.get('pending', '?')} ({target.url}/sandbox/pending)")
    session.print(f"  live tokens     {live.get('live_tokens', '?')}")
    session.print(f"  state file      {state.state_path(session.environ)}")
    session.print(f"  token file      {state.token_path(session.environ)} (where pytok --sandbox keeps tokens)")
    return ExitCode.OK


def _env(args: argparse.Namespace, session: Session) -> int:
    target = session.sandbox()
    for line in target.exports():
        session.print(line)
    return ExitCode.OK


SANDBOX = Command(
    name="sandbox",
    help="serve the sandbox emulator of TikTok on 127.0.0.1 (here, or start/stop it in the background)",
    description=(
        "Serve TikTok in a box on 127.0.0.1: here until Ctrl+C, or in the background (start, stop, "
        "status). While it runs, every command reaches it with --sandbox (or $PYTOK_SANDBOX, which "
        "env prints); approve and deny decide a login waiting for approval."
    ),
    add_arguments=_arguments,
    run=_run,
)
