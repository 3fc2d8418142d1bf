"""``pytok refresh``, ``revoke``, ``whoami`` and ``token``: the commands that use a stored token.

Each works on the current account of the client key (``--open-id`` picks another). Every
token the kit receives is written to the token file from its ``on_token`` hook, at once: a
refresh rotates the refresh token and the old one stops working, so the new one is saved
before anything else happens. ``pytok token`` shows the token masked; ``pytok token --json``
is the one place pytok prints secrets, because a script asked for them.

Example:
    >>> from pytok_sm._token import Token
    >>> token = Token(access_token="act.secret", expires_at=1000.0 + 7200, open_id="u1",
    ...               refresh_token="rft.secret", refresh_expires_at=1000.0 + 86400 * 180,
    ...               scopes=frozenset({"user.info.basic"}))
    >>> for line in describe_token(token, now=1000.0):
    ...     print(line)
    scopes:         user.info.basic
    access token:   act.… (expires in 2:00:00)
    refresh token:  rft.… (expires in 180 days)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import time
from collections.abc import Callable, Iterator

from .. import _tiktok as tiktok
from .._kit import LoginKit
from .._token import Token, mask
from .exits import ExitCode, UsageError, printable
from .progress import clock_text
from .session import Command, Session
from .token_file import TokenStore

__all__ = ["REFRESH", "REVOKE", "TOKEN", "WHOAMI", "describe_token", "expiry_text"]


def expiry_text(expires_at: float | None, now: float) -> str:
    """``expires in 1:59:30``, ``expires in 179 days``, ``expired``, or ``no expiry known``.

    Example:
        >>> expiry_text(100.0, 200.0), expiry_text(None, 0.0), expiry_text(3 * 86400.0, 0.0)
        ('expired', 'no expiry known', 'expires in 3 days')
    """
    if expires_at is None:
        return "no expiry known"
    left = expires_at - now
    if left <= 0:
        return "expired"
    if left >= 2 * 86400:
        return f"expires in {int(left // 86400)} days"
    return f"expires in {clock_text(left)}"


def describe_token(token: Token, now: float | None = None) -> Iterator[str]:
    """Lines describing ``token`` with its secrets masked (``act.…``)."""
    moment = time.time() if now is None else now
    yield f"scopes:         {','.join(sorted(token.scopes)) or '-'}"
    yield f"access token:   {mask(token.access_token)} ({expiry_text(token.expires_at, moment)})"
    if token.refresh_token is not None:
        refresh = expiry_text(token.refresh_expires_at, moment)
        yield f"refresh token:  {mask(token.refresh_token)} ({refresh})"


def _open_id_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--open-id", metavar="ID", help="the stored account to use (default: the current one)")


# ---------------------------------------------------------------------------- token
def _token_arguments(parser: argparse.ArgumentParser) -> None:
    _open_id_option(parser)
    parser.add_argument(
        "--json", action="store_true",
        help="print the whole token as JSON, secrets included (for scripts; LoginKit.load_token reads it)",
    )


def _token(args: argparse.Namespace, session: Session) -> int:
    client_key = session.client_key()
    token = session.stored_token(client_key)
    if args.json:
        session.print(json.dumps(token.to_dict(), indent=2, sort_keys=True))
        return ExitCode.OK
    session.print(f"client key:     {client_key}")
    session.print(f"open_id:        {token.open_id or '-'}")
    for line in describe_token(token):
        session.print(line)
    session.print(f"token file:     {session.store().path}")
    return ExitCode.OK


TOKEN = Command(
    name="token",
    help="show the stored token (masked; --json prints it whole for scripts)",
    description="Show the stored token with its secrets masked, or whole as JSON with --json.",
    add_arguments=_token_arguments,
    run=_token,
)


# ---------------------------------------------------------------------------- a kit on the stored token
@contextlib.contextmanager
def _kit_on(
    session: Session, client_key: str, client_secret: str, token: Token, on_token: Callable[[Token | None], None]
) -> Iterator[LoginKit]:
    """A kit holding the stored ``token`` that reports every later change to ``on_token``."""
    with session.kit(client_key, client_secret, token=token, on_token=on_token) as kit:
        yield kit


def _save_rotations(store: TokenStore, client_key: str) -> Callable[[Token | None], None]:
    """Save a new token the moment the kit has it: the old refresh token is dead from the
    moment TikTok answered, before refresh_access_token() even returns."""
    return lambda new: store.save(client_key, new, make_current=False) if new is not None else None


# ---------------------------------------------------------------------------- refresh
def _refresh(args: argparse.Namespace, session: Session) -> int:
    client_key, client_secret = session.client_key(), session.client_secret()
    store = session.store()
    token = session.stored_token(client_key)
    with _kit_on(session, client_key, client_secret, token, _save_rotations(store, client_key)) as kit:
        new = kit.refresh_access_token()
    session.print(f"Refreshed the token of open_id {new.open_id or '-'}.")
    for line in describe_token(new):
        session.print(line)
    session.print(f"Saved to {store.path}.")
    return ExitCode.OK


REFRESH = Command(
    name="refresh",
    help="refresh the stored token now (the rotated refresh token is saved at once)",
    description="Refresh the stored access token; the new refresh token is saved before anything else.",
    add_arguments=_open_id_option,
    run=_refresh,
)


# ---------------------------------------------------------------------------- revoke
def _revoke(args: argparse.Namespace, session: Session) -> int:
    client_key, client_secret = session.client_key(), session.client_secret()
    store = session.store()
    token = session.stored_token(client_key)
    removed: list[bool] = []

    def forget(new: Token | None) -> None:
        if new is None:
            removed.append(store.remove(client_key, token.open_id))

    with _kit_on(session, client_key, client_secret, token, forget) as kit:
        try:
            kit.revoke_access_token()
        except BaseException:
            if removed:
                session.warn(f"the token was removed from {store.path} anyway")
            raise
    session.print(f"Revoked the token of open_id {token.open_id or '-'} and removed it from {store.path}.")
    return ExitCode.OK


REVOKE = Command(
    name="revoke",
    help="revoke the stored token at TikTok and remove it from the token file",
    description="Revoke the stored access token at TikTok and remove its entry from the token file.",
    add_arguments=_open_id_option,
    run=_revoke,
)


# ---------------------------------------------------------------------------- whoami
def _whoami_arguments(parser: argparse.ArgumentParser) -> None:
    _open_id_option(parser)
    parser.add_argument(
        "--fields", metavar="LIST", default=",".join(tiktok.DEFAULT_USER_FIELDS),
        help=f"comma-separated user info fields (default: {','.join(tiktok.DEFAULT_USER_FIELDS)})",
    )
    parser.add_argument("--json", action="store_true", help="print the profile as JSON")


def _whoami(args: argparse.Namespace, session: Session) -> int:
    fields = [name.strip() for name in args.fields.split(",") if name.strip()]
    if not fields:
        raise UsageError("--fields needs at least one field name, e.g. display_name")
    client_key, client_secret = session.client_key(), session.client_secret()
    store = session.store()
    token = session.stored_token(client_key)
    with _kit_on(session, client_key, client_secret, token, _save_rotations(store, client_key)) as kit:
        info = kit.get_user_info(fields)
    if args.json:
        session.print(json.dumps(info, indent=2, sort_keys=True, ensure_ascii=False))
        return ExitCode.OK
    width = max((len(name) for name in info), default=0) + 2
    for name in fields:
        if name in info:
            session.print(f"{name + ':':<{width}}{_plain(info[name])}")
    for name in sorted(set(info) - set(fields)):
        session.print(f"{name + ':':<{width}}{_plain(info[name])}")
    return ExitCode.OK


def _plain(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "-" if value is None else printable(str(value))


WHOAMI = Command(
    name="whoami",
    help="show the logged-in person's profile (user info)",
    description="Show the profile of the stored account (GET /v2/user/info/); refreshes an expired token first.",
    add_arguments=_whoami_arguments,
    run=_whoami,
)
