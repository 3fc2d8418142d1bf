"""``pytok creator`` and ``pytok post-status``, and what the posting commands share: a kit
of the stored account, the advice when the login lacks a posting scope, option types.

``pytok creator`` shows what TikTok says of the logged-in creator (creator_info): nickname,
username, the privacy levels they may choose, the interactions they switched off, the
longest video they may post. ``pytok post-status PUBLISH_ID`` shows a post's status now, or
with ``--wait`` once TikTok ends it (exit 0 published or in the inbox or still processing
without ``--wait``, 1 FAILED, 5 still processing when ``--wait`` ended).

Example:
    >>> byte_size("5MiB"), byte_size("10MB"), byte_size("6000000")
    (5242880, 10000000, 6000000)
    >>> follow_command("v_pub_file~v2-1.7", ["--sandbox"])
    'pytok post-status v_pub_file~v2-1.7 --sandbox'
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import shlex
from collections.abc import Iterator, Sequence

from .. import _contract as contract
from .._errors import ScopeError
from .._kit import LoginKit
from .._posting_errors import PostFailed, PostingError
from ..flows._post import DEFAULT_WAIT
from ..stores import Account
from .account import _kit_for
from .exits import CheckFailed, ExitCode, printable
from .keeper import duration
from .post_view import cli_words, creator_lines, status_lines
from .progress import clock_text
from .session import Command, Session

__all__ = ["CREATOR", "POST_STATUS", "byte_size", "follow_command", "posting_kit", "wait_seconds"]

_SIZE_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "kib": 1024, "m": 1_000_000, "mb": 1_000_000,
               "mib": 1024**2, "g": 1_000_000_000, "gb": 1_000_000_000, "gib": 1024**3}
_MAX_WAIT = 7 * 86400.0


def byte_size(text: str) -> int:
    """argparse type: a size in bytes, ``6000000``, ``10MB`` (decimal) or ``5MiB`` (binary)."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*", text.lower())
    if found is None or found.group(2) not in _SIZE_UNITS:
        raise argparse.ArgumentTypeError(f"invalid size {printable(text)!r}: use bytes, or 10MB, or 5MiB")
    return int(float(found.group(1)) * _SIZE_UNITS[found.group(2)])


def wait_seconds(text: str) -> float:
    """argparse type: how long to follow a post, ``90s``, ``30m``, ``2h`` (at most 7 days).

    Example:
        >>> wait_seconds("30m")
        1800.0
    """
    seconds = duration(text)
    if seconds > _MAX_WAIT:
        raise argparse.ArgumentTypeError(f"invalid duration {printable(text)!r}: at most 7d")
    return seconds


def add_wait_option(parser: argparse.ArgumentParser, what: str) -> None:
    """``--timeout DURATION`` (default 30m)."""
    parser.add_argument(
        "--timeout", type=wait_seconds, default=DEFAULT_WAIT, metavar="DURATION",
        help=f"how long to follow {what} (90s, 30m, 2h; default 30m, at most 7d); TikTok may take longer: the "
        "status is then UNCONFIRMED (exit 5), check it later with pytok post-status",
    )


def add_account_options(parser: argparse.ArgumentParser) -> None:
    """``--open-id`` and ``--json``."""
    parser.add_argument("--open-id", metavar="ID", help="the stored account to use (default: the current one)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def follow_command(publish_id: str, flags: Sequence[str]) -> str:
    """The command that shows a post's status later, with the flags that found its account."""
    plain = re.fullmatch(r"[A-Za-z0-9_.\-][A-Za-z0-9_.~\-]*", publish_id) is not None  # TikTok's ids need no quotes
    return " ".join(["pytok post-status", publish_id if plain else shlex.quote(publish_id), *flags])


def account_flags(args: argparse.Namespace) -> list[str]:
    """The flags of this run that ``pytok post-status`` needs too (sandbox, store, account)."""
    flags = ["--sandbox"] if getattr(args, "sandbox", False) else []
    if getattr(args, "store", None):
        flags += ["--store", shlex.quote(args.store)]
    if getattr(args, "open_id", None):
        flags += ["--open-id", shlex.quote(args.open_id)]
    return flags


def scope_advice(needed: str, granted: frozenset[str]) -> str:
    """What to run when the login lacks a posting scope.

    Example:
        >>> scope_advice("video.publish", frozenset({"user.info.basic"}))
        'posting needs the scope video.publish: log in again with pytok login --scopes user.info.basic,video.publish'
    """
    scopes = ",".join(dict.fromkeys([*sorted(granted or {contract.SCOPE_USER_INFO_BASIC}), needed]))
    return f"posting needs the scope {needed}: log in again with pytok login --scopes {scopes}"


@contextlib.contextmanager
def posting_kit(session: Session, open_id: str | None, *, scope: str) -> Iterator[tuple[LoginKit, Account]]:
    """A kit of the stored account (the store-backed kit of ``pytok whoami``) and the account; a missing
    posting ``scope`` becomes a check failure saying which login to run, and the kit's
    parameter names in posting errors become ``pytok post``'s flags."""
    client_key, _ = session.client_key(), session.client_secret()  # a missing secret is said first
    store = session.store()
    account = store.usable(client_key, open_id)
    with _kit_for(session, store, account, lambda new: None) as kit:
        try:
            yield kit, account
        except ScopeError as error:
            raise CheckFailed(f"{error}; {scope_advice(scope, kit.granted_scopes)}") from None
        except PostingError as error:
            error.args = (cli_words(str(error)),)
            raise


# ---------------------------------------------------------------------------- creator
def _creator(args: argparse.Namespace, session: Session) -> int:
    with posting_kit(session, args.open_id, scope=contract.SCOPE_VIDEO_PUBLISH) as (kit, _):
        creator = kit.creator_info()
    if args.json:
        session.print(json.dumps(creator.to_dict(), indent=2, sort_keys=True, ensure_ascii=False))
        return ExitCode.OK
    for line in creator_lines(creator):
        session.print(line)
    return ExitCode.OK


CREATOR = Command(
    name="creator",
    help="show what TikTok says of the logged-in creator before posting (creator_info)",
    description="Show the creator's nickname and username, the privacy levels they may choose (pytok post "
    "--privacy takes one of them), the interactions they switched off and the longest video they may post. "
    "Exit 6 when TikTok says this creator cannot post now (daily caps, spam risk, a ban).",
    add_arguments=add_account_options,
    run=_creator,
)


# ---------------------------------------------------------------------------- post-status
def _status_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("publish_id", metavar="PUBLISH_ID", help="the publish_id pytok post printed")
    parser.add_argument("--wait", action="store_true", help="wait until TikTok ends the post (see --timeout)")
    add_wait_option(parser, "the post with --wait")
    add_account_options(parser)


def _post_status(args: argparse.Namespace, session: Session) -> int:
    follow = follow_command(args.publish_id, account_flags(args))
    with posting_kit(session, args.open_id, scope=contract.SCOPE_VIDEO_UPLOAD) as (kit, _):
        if args.wait:
            session.terminal.say(f"Waiting for TikTok to end the post (up to {clock_text(args.timeout)}); Ctrl+C to stop "
                                 "waiting (the post goes on)")
        status = kit.publish_status(args.publish_id, wait=args.wait, timeout=args.timeout)
    if args.json:
        session.print(json.dumps({
            "publish_id": status.publish_id, "status": status.status, "fail_reason": status.fail_reason,
            "post_ids": list(status.post_ids), "uploaded_bytes": status.uploaded_bytes,
            "downloaded_bytes": status.downloaded_bytes, "terminal": status.terminal,
        }, indent=2, sort_keys=True))
    else:
        for line in status_lines(status, follow=follow, waited=args.timeout if args.wait else None):
            session.print(line)
    if status.failed:
        raise PostFailed(status.publish_id, status.fail_reason or "")
    if args.wait and not status.terminal:
        return ExitCode.TIMED_OUT
    return ExitCode.OK


POST_STATUS = Command(
    name="post-status",
    help="show a post's status (publish_id from pytok post); --wait until TikTok ends it",
    description="Show the status TikTok reports for a post: PROCESSING_UPLOAD or PROCESSING_DOWNLOAD (TikTok is "
    "still at it), PUBLISH_COMPLETE (with the post ids of a public post), SEND_TO_USER_INBOX, or FAILED with "
    "its fail_reason (exit 1). With --wait, follow it until TikTok ends it; still processing when --timeout "
    "ends is UNCONFIRMED (exit 5).",
    add_arguments=_status_arguments,
    run=_post_status,
)
