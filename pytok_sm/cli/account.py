"""``pytok refresh``, ``revoke``, ``whoami`` and ``token``: the commands that use a stored token.

Each works on the current account of the client key (``--open-id`` picks another) through a
**store-backed kit** (``LoginKit(..., store=..., open_id=...)``): the store (``--store``:
the token file, SQLite or Redis) is the source of truth, and a refresh follows the library's
protocol across processes: the account's lease is taken before anything is sent, the
account is read again under it (another ``pytok`` may have rotated it: its token is taken,
nothing more is sent), and the new token is written with compare-and-set before it is used.
So two ``pytok refresh`` at once both succeed with one rotation at TikTok. A rotated token
the store cannot take (the file locked too long by another process, a full disk, Redis
gone) is written to a rescue file (:mod:`.rescue`) that ``pytok token --import FILE``
restores. ``pytok token`` shows the token masked; ``pytok token --json`` is the one place
pytok prints secrets, because a script asked for them.

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
import os
import shlex
import time
from collections.abc import Callable, Iterator

from .. import _contract as contract
from .. import _tiktok as tiktok
from .._errors import AccessTokenInvalid, ReauthorizationRequired, ScopeError, TikTokError, TokenStoreError
from .._kit import LoginKit
from .._token import Token, mask
from ..stores import Account
from .exits import CheckFailed, ExitCode, UsageError, printable
from .progress import clock_text
from .rescue import TokenRescued, read_import, restore_advice
from .session import Command, Session
from .store_choice import CliStore

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
    parser.add_argument(
        "--import", dest="import_file", metavar="FILE",
        help="store the token of FILE: a rescue file (removed once stored) or what --json printed",
    )


def _token(args: argparse.Namespace, session: Session) -> int:
    client_key = session.client_key()
    if args.import_file:
        if args.json:
            raise UsageError("--import and --json do not go together")
        return _import(args.import_file, session, client_key)
    store = session.store()
    token = store.usable(client_key, args.open_id).token
    if args.json:
        session.print(json.dumps(token.to_dict(), indent=2, sort_keys=True))
        return ExitCode.OK
    session.print(f"client key:     {client_key}")
    session.print(f"open_id:        {token.open_id or '-'}")
    for line in describe_token(token):
        session.print(line)
    session.print(f"token file:     {store.where}" if store.file is not None else f"store:          {store.where}")
    return ExitCode.OK


def _import(path: str, session: Session, client_key: str) -> int:
    found = read_import(path)
    if found.client_key is not None and found.client_key != client_key:
        raise UsageError(f"{shlex.quote(path)} holds a token of client key {found.client_key}, not {client_key}: "
                         f"pass --client-key {found.client_key}")
    store, token = session.store(), found.token
    assert token.open_id is not None  # read_import refuses a token without one
    held = store.raw.get(client_key, token.open_id)
    if (found.rescued_at is not None and held is not None and held.active and held.updated_at > found.rescued_at
            and held.token.refresh_token != token.refresh_token):
        raise CheckFailed(
            f"{store.describe} holds a newer token of open_id {token.open_id} (written "
            f"{_day(held.updated_at)}, after this rescue of {_day(found.rescued_at)}); nothing was imported: "
            f"remove {shlex.quote(path)} if it is no longer needed"
        )
    store.save(client_key, token, rescue=False)
    session.print(f"Imported the token of open_id {token.open_id} into {store.describe}.")
    for line in describe_token(token):
        session.print(line)
    if found.rescued_at is not None:
        with contextlib.suppress(OSError):
            os.unlink(path)
            session.print(f"Removed the rescue file {path}.")
    return ExitCode.OK


def _day(moment: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(moment))


TOKEN = Command(
    name="token",
    help="show the stored token (masked; --json prints it whole for scripts; --import FILE stores one)",
    description="Show the stored token with its secrets masked, or whole as JSON with --json; --import FILE "
    "puts back a token a failed write left in a rescue file (or one --json printed).",
    add_arguments=_token_arguments,
    run=_token,
)


# ---------------------------------------------------------------------------- a kit bound to the stored account
@contextlib.contextmanager
def _kit_for(
    session: Session, store: CliStore, account: Account, on_token: Callable[[Token | None], None]
) -> Iterator[LoginKit]:
    """A store-backed kit of ``account``: every token it gets is in the store (compare-and-set)
    before it is used, or in a rescue file when the store cannot take it."""
    client_key = account.client_key
    with session.kit(client_key, session.client_secret(), store=store.store, open_id=account.open_id,
                     on_token=on_token) as kit:
        try:
            yield kit
        except (ReauthorizationRequired, AccessTokenInvalid) as refused:
            # TikTok no longer takes this token (revoked elsewhere, expired for good): the account
            # is marked, so the next command says "log in again" without asking TikTok.
            code = refused.error if isinstance(refused, ReauthorizationRequired) else refused.code
            with contextlib.suppress(TikTokError):
                store.raw.mark(client_key, account.open_id, "reauth_required", code)
            raise
        except TokenStoreError as error:
            if not isinstance(getattr(error, "token", None), Token):
                raise
            raise unsaved(store, account.open_id) from None


def unsaved(store: CliStore, open_id: str) -> TokenRescued:
    """The error of a rotation the store could not take: where its token went, or that it is lost."""
    path, reason = store.store.rescued.get(open_id, (None, "the write failed"))
    problem = reason.split("; ")[0]  # the problem, without the store's advice (it would say "try again")
    start = f"TikTok rotated the token of open_id {open_id}, but it could not be saved in {store.describe} ({problem})"
    if path is None:
        return TokenRescued(f"{start}, nor could a rescue file be written: log in again with pytok login")
    return TokenRescued(f"{start}; the new token was written to {path}, readable only by you: {restore_advice(path)}")


# ---------------------------------------------------------------------------- refresh
def _refresh(args: argparse.Namespace, session: Session) -> int:
    client_key, _ = session.client_key(), session.client_secret()  # a missing secret is said first
    store = session.store()
    account = store.usable(client_key, args.open_id)
    rotated: list[Token | None] = []
    with _kit_for(session, store, account, rotated.append) as kit:
        new = kit.refresh_access_token()
    session.print(f"Refreshed the token of open_id {new.open_id or '-'}.")
    if not rotated:
        session.print("Another process rotated it at the same moment: its token was taken, nothing more was sent.")
    for line in describe_token(new):
        session.print(line)
    session.print(f"Saved to {store.where}.")
    return ExitCode.OK


REFRESH = Command(
    name="refresh",
    help="refresh the stored token now (the rotated refresh token is saved at once)",
    description="Refresh the stored access token. The account's lease is taken first, so two pytok refresh at "
    "once make one rotation at TikTok and both succeed; the new refresh token is saved (compare-and-set) before "
    "anything else, or, if the store cannot take it, written to a rescue file that pytok token --import restores.",
    add_arguments=_open_id_option,
    run=_refresh,
)


# ---------------------------------------------------------------------------- revoke
def _revoke(args: argparse.Namespace, session: Session) -> int:
    client_key, _ = session.client_key(), session.client_secret()
    store = session.store()
    account = store.account(client_key, args.open_id)
    if not account.active:  # TikTok refused it already, or an app removed it: nothing to revoke
        store.raw.delete(client_key, account.open_id)
        session.print(f"The token of open_id {account.open_id} was {account.state.replace('_', ' ')} "
                      f"({account.reason or '-'}); removed it from {store.where}.")
        return ExitCode.OK
    forgotten: list[bool] = []
    try:
        with _kit_for(session, store, account, lambda new: forgotten.append(True) if new is None else None) as kit:
            kit.revoke_access_token()
    except BaseException:
        if forgotten and store.raw.delete(client_key, account.open_id):
            session.warn(f"the token was removed from {store.where} anyway")
        raise
    store.raw.delete(client_key, account.open_id)
    session.print(f"Revoked the token of open_id {account.open_id} and removed it from {store.where}.")
    return ExitCode.OK


REVOKE = Command(
    name="revoke",
    help="revoke the stored token at TikTok and remove it from the store",
    description="Revoke the stored access token at TikTok and remove its account from the store "
    "(one TikTok refused already is only removed).",
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
    client_key, _ = session.client_key(), session.client_secret()
    store = session.store()
    account = store.usable(client_key, args.open_id)
    with _kit_for(session, store, account, lambda new: None) as kit:
        try:
            info = kit.get_user_info(fields)
        except ScopeError as error:
            raise CheckFailed(f"{error}; {scope_advice(fields, kit.granted_scopes)}") from None
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


def scope_advice(fields: list[str], granted: frozenset[str]) -> str:
    """What to run to read ``fields``: a login asking for the scopes they need.

    Example:
        >>> scope_advice(["display_name", "follower_count"], frozenset({"user.info.basic"}))
        'reading follower_count needs the scope user.info.stats: run pytok login --scopes user.info.basic,user.info.stats'
    """
    needed = {name: contract.FIELD_SCOPES[name] for name in fields if name in contract.FIELD_SCOPES}
    missing = {name: scope for name, scope in needed.items() if scope not in granted}
    if not missing:
        return "log in again granting the scopes these fields need: pytok login --scopes ..."
    scopes = ",".join(dict.fromkeys([*sorted(granted), *sorted(needed.values())]))
    what = ", ".join(f"{name}" for name in missing)
    return (f"reading {what} needs the scope{'s' if len(set(missing.values())) > 1 else ''} "
            f"{', '.join(sorted(set(missing.values())))}: run pytok login --scopes {scopes}")


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
