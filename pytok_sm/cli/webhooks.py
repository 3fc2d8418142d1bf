"""``pytok webhooks``: receive TikTok's webhooks on this machine, or check a saved delivery.

``pytok webhooks listen [--port P] [--host H] [--path /webhooks/tiktok]`` serves a receiver
(:class:`pytok_sm.webhooks.WebhookApp` on ``wsgiref``) for a developer pointing TikTok's
portal at a tunnel (or the sandbox at it: ``sandbox.set_webhook_url``). Every delivery is
verified with the client secret of this configuration, passed on once (de-duplicated in the
store's file or Redis, else in memory), printed as one line on stdout and applied to the
token store of ``--store`` (:func:`pytok_sm.webhooks.apply_event`): ``authorization.removed``
marks the account removed with its reason; posting events land on the store's post board
(SQLite or Redis stores), where a waiting post finds them. Refused deliveries and
duplicates are told on stderr. Ctrl+C stops it (exit 130).

``pytok webhooks verify FILE --header 'TikTok-Signature: t=...,s=...'`` (or ``--signature
t=...,s=...``) checks a saved delivery's raw body: exit 0 and the event when it is genuine,
exit 1 naming the failed check otherwise; ``--no-time-check`` skips the timestamp check (an
old delivery), ``--tolerance S`` widens it.

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="pytok webhooks")
    >>> WEBHOOKS.add_arguments(parser)
    >>> args = parser.parse_args(["listen", "--port", "0"])
    >>> args.action, args.port, args.host, args.path
    ('listen', 0, '127.0.0.1', '/webhooks/tiktok')
    >>> signature_value("TikTok-Signature: t=1,s=ab")
    't=1,s=ab'
"""

from __future__ import annotations

import argparse
import errno
import signal
import sys
import threading
import time
from collections.abc import Iterable, MutableMapping
from types import FrameType
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from ..stores import RedisStore, SQLiteStore
from ..webhooks import (
    DEFAULT_TOLERANCE,
    SIGNATURE_HEADER,
    Applied,
    AuthorizationRemoved,
    Deduplicator,
    MemorySingleUse,
    Outcome,
    PostPublicContent,
    PostPublishEvent,
    PostPublishFailed,
    RedisPostBoard,
    RedisSingleUse,
    SQLitePostBoard,
    SQLiteSingleUse,
    WebhookApp,
    WebhookError,
    WebhookEvent,
    apply_event,
    parse_event,
    verify,
)
from ..webhooks._verify import parse_header
from .exits import EXIT_CODES_TABLE, CheckFailed, ExitCode, UsageError, printable
from .session import Command, Session

__all__ = ["WEBHOOKS", "event_line", "signature_value"]

_ACTIONS = {
    "listen": "serve a receiver here: verify, print and apply each delivery to the token store (Ctrl+C stops)",
    "verify": "check a saved delivery (its raw body in FILE) against its TikTok-Signature",
}


def _port(text: str) -> int:
    value = int(text) if text.isdigit() else -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be 0..65535, got {printable(text)}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 86400:
        raise argparse.ArgumentTypeError(f"must be 0..86400 seconds, got {printable(text)}")
    return value


def _path(text: str) -> str:
    if not text.startswith("/") or not text.isprintable() or " " in text or "?" in text:
        raise argparse.ArgumentTypeError(f"must be a URL path such as /webhooks/tiktok, got {printable(text)!r}")
    return text


def _arguments(parser: argparse.ArgumentParser) -> None:
    from . import _global_options  # the package's own, defined before any parser is built

    actions = parser.add_subparsers(dest="action", metavar="ACTION", title="actions", required=True)
    for name, text in _ACTIONS.items():
        sub = actions.add_parser(
            name, prog=f"{parser.prog} {name}", help=text, description=text[0].upper() + text[1:] + ".",
            epilog=EXIT_CODES_TABLE, formatter_class=argparse.RawDescriptionHelpFormatter,
            parents=[_global_options(in_subcommand=True)],
        )
        sub.set_defaults(usage_parser=sub)
        if name == "listen":
            sub.add_argument("--port", type=_port, default=8765, help="the port to listen on (default 8765; 0: any)")
            sub.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)")
            sub.add_argument("--path", type=_path, default="/webhooks/tiktok",
                             help="the path TikTok posts to (default /webhooks/tiktok)")
            sub.add_argument("--tolerance", type=_seconds, default=DEFAULT_TOLERANCE, metavar="S",
                             help="how far a signature's time may be from this clock (default 300 s)")
        else:
            sub.add_argument("file", metavar="FILE", help="the delivery's raw body, byte for byte (- for stdin)")
            given = sub.add_mutually_exclusive_group(required=True)
            given.add_argument("--header", metavar="'TikTok-Signature: t=...,s=...'", help="the signature header")
            given.add_argument("--signature", metavar="t=...,s=...", help="the signature header's value")
            when = sub.add_mutually_exclusive_group()
            when.add_argument("--tolerance", type=_seconds, default=DEFAULT_TOLERANCE, metavar="S",
                              help="how far the signature's time may be from now (default 300 s)")
            when.add_argument("--no-time-check", action="store_true",
                              help="check the signature only, however old (a delivery saved earlier)")


def _run(args: argparse.Namespace, session: Session) -> int:
    return _listen(args, session) if args.action == "listen" else _verify(args, session)


# ---------------------------------------------------------------------------- what is printed
def event_line(event: WebhookEvent, applied: Applied | None = None) -> str:
    """One line for an event, and what was done with it.

    Example:
        >>> event_line(AuthorizationRemoved(client_key="k", event="authorization.removed", create_time=1,
        ...                                 user_openid="u1", reason=1))
        'authorization.removed open_id=u1 reason=1 (the user disconnected the app from TikTok)'
    """
    words = [event.event]
    if isinstance(event, AuthorizationRemoved):
        words += [f"open_id={event.user_openid}", f"reason={event.reason} ({event.reason_text})"]
    elif isinstance(event, PostPublishEvent):
        words.append(f"publish_id={event.publish_id}")
        if isinstance(event, PostPublishFailed):
            words.append(f"reason={event.reason}")
        if isinstance(event, PostPublicContent) and event.post_id:
            words.append(f"post_id={event.post_id}")
        words.append(f"open_id={event.user_openid}")
    else:
        words.append(f"open_id={event.user_openid}")
    if applied is not None:
        words.append(f"-> {_done(applied)}")
    return printable(" ".join(words))


def _done(applied: Applied) -> str:
    if applied.action == "account_removed":
        return f"account removed ({applied.account.reason})" if applied.account is not None else "account removed"
    if applied.action == "post_recorded" and applied.entry is not None:
        return f"post {applied.entry.status.status}"
    return {"account_unknown": "no such account in the store", "account_newer": "the stored account is newer: "
            "left as it is", "ignored": "nothing to apply"}.get(applied.action, applied.action)


# ---------------------------------------------------------------------------- listen
class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        pass


class _Receiver(WebhookApp):
    """The package's WSGI receiver on one path, telling each outcome."""

    def __init__(self, secret: str, session: Session, path: str, store: Any, board: Any, dedupe: Deduplicator,
                 tolerance: float) -> None:
        super().__init__(secret, self._on_event, dedupe=dedupe, tolerance=tolerance)
        self._session, self._path, self._store, self._board = session, path, store, board

    def __call__(self, environ: MutableMapping[str, Any], start_response: Any) -> Iterable[bytes]:
        if str(environ.get("PATH_INFO", "")).rstrip("/") != self._path.rstrip("/"):
            body = b'{"ok": false, "reason": "not_found"}'
            start_response("404 Not Found", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        return super().__call__(environ, start_response)

    def _on_event(self, event: WebhookEvent) -> None:
        applied = apply_event(event, store=self._store, board=self._board)
        line = event_line(event, applied)
        if self._board is None and isinstance(event, PostPublishEvent):
            line = event_line(event) + " -> not recorded: a token file keeps no posts (a SQLite or Redis --store does)"
        self._session.print(line)

    def _receive(self, environ: MutableMapping[str, Any]) -> Outcome:
        outcome = super()._receive(environ)
        if outcome.reason == "duplicate" and outcome.event is not None:
            self._session.terminal.say(f"pytok: duplicate delivery (applied before): {event_line(outcome.event)}")
        elif outcome.status != 200:
            cause = f", {type(outcome.error).__name__}" if outcome.status == 500 and outcome.error else ""
            self._session.terminal.say(f"pytok: refused a delivery: {outcome.status} {outcome.reason}{cause}")
        return outcome


def _backings(raw: Any) -> tuple[Any, Deduplicator]:
    """The post board and the de-duplication the store allows: its file or its Redis, else none and memory."""
    if isinstance(raw, SQLiteStore):
        return SQLitePostBoard(raw), Deduplicator(SQLiteSingleUse(raw))
    if isinstance(raw, RedisStore):
        return RedisPostBoard(raw), Deduplicator(RedisSingleUse(raw))
    return None, Deduplicator(MemorySingleUse())


def _listen(args: argparse.Namespace, session: Session) -> int:
    secret = session.client_secret()
    store = session.store()
    board, dedupe = _backings(store.raw)
    app = _Receiver(secret, session, args.path, store.raw, board, dedupe, args.tolerance)
    try:
        server: WSGIServer = make_server(args.host, args.port, app, handler_class=_QuietHandler)
    except OSError as exc:
        reason = (exc.strerror or str(exc)).rstrip(".")
        advice = "; pick another with --port (0: any free one)" if exc.errno == errno.EADDRINUSE else ""
        raise CheckFailed(f"cannot listen on {args.host}:{args.port}: {reason[:1].lower()}{reason[1:]}{advice}") from None
    host = f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{host}:{server.server_port}{args.path}"
    posts = f"; posting events on {board.where}" if board is not None else ""
    session.terminal.say(f"pytok: listening on {url} (Ctrl+C to stop); events are applied to {store.describe}{posts}")
    stopped = threading.Event()
    caught: list[int] = []
    restore = _on_signals(stopped, caught)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True,
                              name="pytok-webhooks")
    thread.start()
    try:
        while not stopped.wait(0.2):
            if not thread.is_alive():
                raise CheckFailed("the receiver stopped unexpectedly; run again with -v")
    except KeyboardInterrupt:  # no handler could be installed (not the main thread)
        caught.append(signal.SIGINT)
    finally:
        restore()
        server.shutdown()  # the delivery being applied, if any, finishes first
        server.server_close()
        if board is not None:
            board.close()
    session.terminal.say("pytok: stopped listening")
    return ExitCode.INTERRUPTED if not caught or caught[0] == signal.SIGINT else ExitCode.OK


def _on_signals(stop: threading.Event, caught: list[int]) -> Any:
    """Ctrl+C, SIGTERM and SIGHUP stop the receiver after the delivery in hand; the returned
    function puts the previous handlers back."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum: int, frame: FrameType | None) -> None:
        caught.append(signum)
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    return lambda: [signal.signal(sig, old) for sig, old in previous.items()]


# ---------------------------------------------------------------------------- verify
def signature_value(text: str) -> str:
    """The value of ``TikTok-Signature: value`` (a bare value is taken as it is)."""
    name, colon, value = text.partition(":")
    if colon and "=" not in name:
        if name.strip().lower() != SIGNATURE_HEADER.lower():
            raise UsageError(f"--header names {printable(name.strip())!r}, not {SIGNATURE_HEADER}")
        return value.strip()
    return text.strip()


def _read(file: str) -> bytes:
    try:
        if file == "-":
            return sys.stdin.buffer.read()
        with open(file, "rb") as f:
            return f.read()
    except OSError as exc:
        raise UsageError(f"cannot read {printable(file)}: {exc.strerror or type(exc).__name__}") from None


def _verify(args: argparse.Namespace, session: Session) -> int:
    secret = session.client_secret()
    header = signature_value(args.header) if args.header is not None else args.signature.strip()
    body = _read(args.file)
    try:
        signed_at = int(parse_header(header)[0])
        now = float(signed_at) if args.no_time_check else time.time()
        verify(body, header, client_secret=secret, tolerance=args.tolerance, now=now)
        event = parse_event(body)
    except WebhookError as error:
        advice = str(error).replace("raise tolerance=", "pass --tolerance S (or --no-time-check for a saved delivery)")
        raise CheckFailed(f"{error.check}: {advice}") from None
    moment = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(signed_at))
    when = "time not checked" if args.no_time_check else f"{time.time() - signed_at:.0f} s ago"
    session.print(f"signature: valid (signed at {moment}, {when})")
    session.print(f"event: {event_line(event)}")
    session.print(f"delivery_id: {event.delivery_id}")
    return ExitCode.OK


WEBHOOKS = Command(
    name="webhooks",
    help="receive TikTok's webhooks here (listen), or check a saved delivery (verify)",
    description="listen: serve a webhook receiver (for TikTok's portal through a tunnel, or the sandbox): each "
    "delivery is verified with the client secret, printed, and applied to the token store (authorization.removed "
    "marks the account removed). verify: check a saved delivery's signature (exit 1 names the failed check).",
    add_arguments=_arguments,
    run=_run,
)
