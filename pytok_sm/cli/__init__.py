"""The ``pytok`` command: log in to TikTok (Login Kit v2), keep the token, use it.

Commands::

    pytok demo [--qr]
    pytok login [--qr] [--no-browser] [--port N] [--scopes LIST] [--timeout S]
                [--redirect-uri URI] [--qr-png PATH] [--qr-svg PATH] [--approve | --deny]
    pytok refresh | revoke [--open-id ID]
    pytok whoami [--fields LIST] [--json] [--open-id ID]
    pytok token [--json | --import FILE] [--open-id ID]
    pytok accounts [--json]
    pytok refresh-due [--within DURATION] [--concurrency N] [--json]
    pytok post VIDEO|--photos URL... --privacy LEVEL [--title T] [--allow-comment] [--allow-duet]
               [--allow-stitch] [--your-brand] [--branded] [--ai-generated] [--inbox] [--no-wait]
               [--timeout DURATION] [--chunk-size SIZE] [--description T] [--cover N] [--json]
    pytok post-status PUBLISH_ID [--wait] [--timeout DURATION] [--json]
    pytok creator [--json]
    pytok sandbox [start] [--port N] [--token-lifetimes P] [--code-lifetime S] [--qr-lifetime S]
    pytok sandbox stop | status | env | approve [--wait S] | deny [--wait S]
    pytok webhooks listen [--port P] [--host H] [--path /webhooks/tiktok] [--tolerance S]
    pytok webhooks verify FILE --header 'TikTok-Signature: ...' | --signature t=...,s=...
                          [--tolerance S | --no-time-check]
    pytok diagrams [--check] [--dir DIR]

Global options (before or after the command): ``--version``, ``-v/--verbose`` (the
transition log on stderr, tracebacks of errors), ``--log-format console|json``,
``--store PATH|URL`` (the token store: a JSON token file, default
``$XDG_CONFIG_HOME/pytok/tokens.json``; a SQLite file ``*.db`` or ``sqlite:///PATH``; or
``redis://...``: see :mod:`pytok_sm.cli.store_choice`),
``--client-key``/``--client-secret`` (or ``PYTOK_CLIENT_KEY``/``PYTOK_CLIENT_SECRET``),
``--move-corrupt-store``, ``--sandbox`` (talk to the running sandbox emulator, found by its
state file, or by ``$PYTOK_SANDBOX``: its URLs, its app, a token file of its own; see
:mod:`pytok_sm.cli.sandbox_state`). Hidden, for tests: ``--authorization-url``,
``--base-api-url``.

Results go to stdout; progress, warnings and errors to stderr. An error is one line,
``pytok: error: <message>`` (TikTok's log_id included when it sent one), with a traceback
only under ``-v``. Secrets are never printed, except by ``pytok token --json``; the URL a
person must open (``--no-browser``, ``--qr``) carries the flow's one-time state/ticket.

Exit codes::

    0    success
    1    TikTok or the flow failed (the message carries TikTok's log_id), or a check failed;
         a post ended FAILED (the message says why and whether posting again may help)
    2    usage or configuration error (bad flag, missing client key, unreadable token file);
         a post TikTok's rules refuse (privacy level, media, title or interaction settings)
    3    not logged in (no stored token, or the refresh token is no longer valid)
    4    the authorization was denied
    5    timed out (nobody approved in time, or the QR code expired); a post TikTok had not
         finished processing when the wait ended (UNCONFIRMED: check later with pytok post-status)
    6    the creator cannot post now (TikTok's daily caps, spam risk, a ban): try again later
    7    a post's outcome is unknown (its init got no answer): check the creator's profile
         before posting again
    130  cancelled with Ctrl+C (a post is cancelled at TikTok where TikTok allows it)

Example:
    >>> main(["--version"])
    Traceback (most recent call last):
    ...
    SystemExit: 0
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any, NoReturn

from .._version import __version__
from . import log_setup
from .account import REFRESH, REVOKE, TOKEN, WHOAMI
from .demo import DEMO
from .exits import EXIT_CODES_TABLE, ExitCode, error_line, exit_code_for
from .keeper import ACCOUNTS, REFRESH_DUE
from .login import COMMAND as LOGIN
from .post import POST
from .post_info import CREATOR, POST_STATUS
from .progress import Terminal
from .session import ENV_CLIENT_KEY, ENV_CLIENT_SECRET, Command, Session
from .tools import DIAGRAMS, SANDBOX
from .webhooks import WEBHOOKS

__all__ = ["COMMANDS", "build_parser", "main"]

#: Every subcommand, in ``--help`` order. A new one (``demo``) is one more entry.
COMMANDS: tuple[Command, ...] = (DEMO, LOGIN, REFRESH, REVOKE, WHOAMI, TOKEN, ACCOUNTS, REFRESH_DUE, CREATOR, POST,
                                 POST_STATUS, WEBHOOKS, SANDBOX, DIAGRAMS)
#: Commands that take options we do not know and pass them on (none: every command parses
#: its own, so that its errors name it).
_PASSTHROUGH: frozenset[str] = frozenset()

_EPILOG = f"""\
{EXIT_CODES_TABLE}

environment:
  {ENV_CLIENT_KEY}, {ENV_CLIENT_SECRET}   the app's credentials (instead of the flags)
  XDG_CONFIG_HOME                         the token file is $XDG_CONFIG_HOME/pytok/tokens.json
                                          (default ~/.config/pytok/tokens.json)
  PYTOK_SANDBOX                           the sandbox's URL: every command talks to it, as with
                                          --sandbox (pytok sandbox env prints it)
  XDG_RUNTIME_DIR, XDG_STATE_HOME         where the running sandbox's state file is
                                          (pytok/sandbox.json; default ~/.local/state/pytok/)"""


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error: ``pytok: error: <message> (see pytok login --help)``."""

    def error(self, message: str) -> NoReturn:
        self.exit(ExitCode.USAGE, f"pytok: error: {message} (see {self.prog} --help)\n")


def _global_options(*, in_subcommand: bool) -> _Parser:
    """Options accepted before and after the command (defaults only at the top level)."""

    def default(value: Any) -> Any:
        return argparse.SUPPRESS if in_subcommand else value

    options = _Parser(add_help=False)
    group = options.add_argument_group("global options")
    group.add_argument(
        "-v", "--verbose", action="count", default=default(0),
        help="show the transition log on stderr, and tracebacks of errors (-vv: debug events)",
    )
    group.add_argument(
        "--log-format", choices=("console", "json"), default=default(None),
        help="log format on stderr (giving it turns the log on); default console",
    )
    group.add_argument(
        "--store", metavar="PATH|URL", default=default(None),
        help="the token store: a JSON token file (default $XDG_CONFIG_HOME/pytok/tokens.json), a SQLite file "
        "(PATH.db, or sqlite:///rel.db, sqlite:////abs.db) or redis://[:PASSWORD@]HOST[:PORT]/DB[?prefix=NAME]",
    )
    group.add_argument("--client-key", metavar="KEY", default=default(None), help=f"the app's client key (or ${ENV_CLIENT_KEY})")
    group.add_argument(
        "--client-secret", metavar="SECRET", default=default(None),
        help=f"the app's client secret; prefer ${ENV_CLIENT_SECRET} (flags show in the process list)",
    )
    group.add_argument(
        "--move-corrupt-store", action="store_true", default=default(False),
        help="if the token file cannot be read, keep it as <file>.corrupt-<time> and start empty",
    )
    group.add_argument(
        "--sandbox", action="store_true", default=default(False),
        help="talk to the running sandbox emulator (pytok sandbox start), with its app and a token file of its "
        "own; pytok login --sandbox runs one for itself when none runs",
    )
    # Hidden: aim at another TikTok (the sandbox, a test server).
    group.add_argument("--authorization-url", default=default(None), help=argparse.SUPPRESS)
    group.add_argument("--base-api-url", default=default(None), help=argparse.SUPPRESS)
    return options


def build_parser() -> argparse.ArgumentParser:
    """The ``pytok`` argument parser with every command of :data:`COMMANDS`.

    Example:
        >>> args = build_parser().parse_args(["token", "--json", "-v"])
        >>> args.command, args.json, args.verbose
        ('token', True, 1)
    """
    parser = _Parser(
        prog="pytok",
        description="Sign in to TikTok (Login Kit v2) from the command line, keep the token, use it.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[_global_options(in_subcommand=False)],
    )
    parser.add_argument("--version", action="version", version=f"pytok {__version__}")
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    shared = _global_options(in_subcommand=True)
    for command in COMMANDS:
        sub = subcommands.add_parser(
            command.name,
            help=command.help,
            description=command.description or command.help,
            epilog=EXIT_CODES_TABLE,
            formatter_class=argparse.RawDescriptionHelpFormatter,
            parents=[shared],
        )
        sub.set_defaults(usage_parser=sub)  # usage errors name the command (a nested one sets its own)
        command.add_arguments(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``pytok`` with ``argv`` (default: the process's); returns the exit code.

    Example (the error line goes to stderr):
        >>> main(["token", "--client-key", "aw_key", "--store", "/nonexistent/pytok/tokens.json"])
        3
    """
    parser = build_parser()
    args, extra = parser.parse_known_args(list(sys.argv[1:] if argv is None else argv))
    if extra and args.command not in _PASSTHROUGH:
        getattr(args, "usage_parser", parser).error(f"unrecognized arguments: {' '.join(extra)}")
    args.passthrough = extra
    if args.command is None:
        parser.print_usage(sys.stderr)
        sys.stderr.write("pytok: error: a command is required (see pytok --help)\n")
        return ExitCode.USAGE
    terminal = Terminal(sys.stderr)
    logging_on = log_setup.configure(verbose=args.verbose, log_format=args.log_format, stream=terminal)
    session = Session(args, out=sys.stdout, terminal=terminal, environ=os.environ)
    command = next(c for c in COMMANDS if c.name == args.command)
    try:
        return int(command.run(args, session))
    except KeyboardInterrupt as interrupt:
        return _fail(terminal, interrupt, verbose=False)
    except Exception as error:  # noqa: BLE001 - every error becomes one line and an exit code
        return _fail(terminal, error, verbose=args.verbose > 0)
    finally:
        terminal.clear()
        session.close()
        if logging_on:
            log_setup.reset()


def _fail(terminal: Terminal, error: BaseException, *, verbose: bool) -> int:
    terminal.clear()
    if verbose:
        # The stdlib traceback shows no local variables (and so no secrets held in them).
        terminal.write("".join(traceback.format_exception(error)))
    terminal.say(error_line(error))
    return int(exit_code_for(error))
