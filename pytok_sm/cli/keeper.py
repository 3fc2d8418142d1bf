"""``pytok accounts`` and ``pytok refresh-due``: many accounts of one client key in one store.

``pytok accounts`` lists every stored account of the client key with its state
(``active``, ``reauth_required`` with the reason, ``removed``), when its access and refresh
tokens expire, and which one is current; ``--json`` for scripts (never a secret).

``pytok refresh-due --within 2h`` is the keeper to run from cron: it refreshes every active
account whose access or refresh token expires within that time, through
:meth:`pytok_sm.TikTokApp.refresh_due` (the store's lease per account: keepers started side
by side refresh each account once), and prints one line per account, then the summary::

    refreshed acct-1
    unchanged acct-2
    reauth_required acct-3: invalid_grant: the refresh token is no longer valid; log in again (log_id …)
    failed acct-4: <what went wrong>
    1 refreshed, 1 unchanged, 1 need a new login, 1 failed

Exit codes: 0 when nothing failed (accounts that need a new login are listed, they do not
fail the run: one person revoking the app must not make every run fail), 1 when an account
failed (a retry may help), 3 when no account is usable: every stored account needs a new
login, or there is none.

Example:
    >>> duration("90s"), duration("30m"), duration("2h"), duration("1d"), duration("1h30m"), duration("45")
    (90.0, 1800.0, 7200.0, 86400.0, 5400.0, 45.0)
"""

from __future__ import annotations

import argparse
import json
import re
import time
from typing import Any

from .._app import RefreshReport, TikTokApp
from ..stores import Account
from .account import expiry_text, unsaved
from .exits import ExitCode, StoredTokenMissing, printable
from .session import Command, Session

__all__ = ["ACCOUNTS", "REFRESH_DUE", "duration"]

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_MAX_WITHIN = 400 * 86400.0
_HOW = "use 90s, 30m, 2h or 1d (or 1h30m; a bare number is seconds)"


def duration(text: str) -> float:
    """Seconds from ``90s``, ``30m``, ``2h``, ``1d``, ``1h30m`` or a bare number (seconds)."""
    value = text.strip().lower()
    if re.fullmatch(r"\d+(?:\.\d+)?", value):
        seconds = float(value)
    elif re.fullmatch(r"(?:\d+(?:\.\d+)?[smhd])+", value):
        seconds = sum(float(n) * _UNITS[unit] for n, unit in re.findall(r"(\d+(?:\.\d+)?)([smhd])", value))
    else:
        raise argparse.ArgumentTypeError(f"invalid duration {printable(text)!r}: {_HOW}")
    if seconds > _MAX_WITHIN:
        raise argparse.ArgumentTypeError(f"invalid duration {printable(text)!r}: at most 400d; {_HOW}")
    return seconds


# ---------------------------------------------------------------------------- accounts
def _accounts_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the accounts as JSON (no secret)")


def _state(account: Account) -> str:
    if account.active:
        return "active"
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(account.updated_at))
    return f"{account.state} ({printable(account.reason or '-')}, {when})"


def _accounts(args: argparse.Namespace, session: Session) -> int:
    client_key = session.client_key()
    store = session.store()
    accounts = store.raw.accounts(client_key)
    current = store.current(client_key)
    if args.json:
        session.print(json.dumps({"client_key": client_key, "store": store.where, "accounts": [
            {"open_id": a.open_id, "current": a.open_id == current, "state": a.state, "reason": a.reason,
             "version": a.version, "updated_at": a.updated_at, "access_expires_at": a.token.expires_at,
             "refresh_expires_at": a.token.refresh_expires_at, "scopes": sorted(a.token.scopes)}
            for a in accounts]}, indent=2, sort_keys=True))
        return ExitCode.OK
    if not accounts:
        session.print(f"No accounts are stored for client key {client_key} in {store.describe}.")
        return ExitCode.OK
    now = time.time()
    rows = [("", "OPEN_ID", "ACCESS TOKEN", "REFRESH TOKEN", "STATE")] + [
        ("*" if a.open_id == current else "", printable(a.open_id), expiry_text(a.token.expires_at, now),
         expiry_text(a.token.refresh_expires_at, now) if a.token.refresh_token else "none", _state(a))
        for a in accounts
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    for row in rows:
        session.print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[4])
    marker = "" if current is None else "; * marks the current account (used without --open-id)"
    session.print(f"{len(accounts)} account{'s' if len(accounts) != 1 else ''} of client key {client_key} in "
                  f"{store.describe}{marker}")
    return ExitCode.OK


ACCOUNTS = Command(
    name="accounts",
    help="list the stored accounts of the client key: state, expiries, the current one",
    description="List every stored account of the client key: its state (active, reauth_required with the "
    "reason, removed), when its access and refresh tokens expire, and the current one (*). --json for scripts.",
    add_arguments=_accounts_arguments,
    run=_accounts,
)


# ---------------------------------------------------------------------------- refresh-due
_REFRESH_DUE_HELP = """\
Refresh every active account of the client key whose access or refresh token expires within
--within (default 1h), once each even when several keepers run at the same time (the store's
lease per account). Meant for cron: no terminal tricks, one stable line per account, then the
summary:

  refreshed ID | unchanged ID | reauth_required ID: REASON | failed ID: REASON
  N refreshed, N unchanged, N need a new login, N failed

Exit 0 when nothing failed (accounts that need a new login are listed but do not fail the
run), 1 when an account failed (a retry may help; a token the store could not save is in a
rescue file the reason names), 3 when no account is usable (every stored account needs a new
login, or there is none). Removed accounts are skipped."""


def _refresh_due_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--within", type=duration, default=3600.0, metavar="DURATION",
                        help="refresh what expires within this: 90s, 30m, 2h, 1d (default 1h)")
    parser.add_argument("--concurrency", type=_concurrency, default=4, metavar="N",
                        help="accounts refreshed at the same time (1..256, default 4)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def _concurrency(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 256:
        raise argparse.ArgumentTypeError(f"invalid --concurrency {printable(text)!r}: a whole number 1..256")
    return int(text)


def _refresh_due(args: argparse.Namespace, session: Session) -> int:
    client_key, client_secret = session.client_key(), session.client_secret()
    store = session.store()
    if not any(a.state != "removed" for a in store.raw.accounts(client_key)):
        raise StoredTokenMissing(f"no accounts are stored for client key {client_key} in {store.where}")
    with session.kit(client_key, client_secret) as kit:  # the configuration: URLs, sandbox
        report = TikTokApp(config=kit.config, store=store.store).refresh_due(
            within=args.within, concurrency=args.concurrency)
    reasons = {a.open_id: a.reason or a.state for a in store.raw.accounts(client_key)}
    failed = {open_id: (str(unsaved(store, open_id)) if open_id in store.store.rescued else why)
              for open_id, why in report.failed.items()}
    if args.json:
        session.print(json.dumps(_as_json(report, reasons, failed, args.within), indent=2, sort_keys=True))
    else:
        for line in _lines(report, reasons, failed):
            session.print(line)
    if report.failed:
        return ExitCode.FAILED
    return ExitCode.OK if report.refreshed or report.unchanged else ExitCode.NOT_LOGGED_IN


def _lines(report: RefreshReport, reasons: dict[str, str | None], failed: dict[str, str]) -> list[str]:
    lines = [f"refreshed {open_id}" for open_id in sorted(report.refreshed)]
    lines += [f"unchanged {open_id}" for open_id in sorted(report.unchanged)]
    lines += [f"reauth_required {open_id}: {printable(reasons.get(open_id) or '-')}"
              for open_id in sorted(report.reauth_required)]
    lines += [f"failed {open_id}: {printable(failed[open_id])}" for open_id in sorted(failed)]
    return [*lines, str(report)]


def _as_json(report: RefreshReport, reasons: dict[str, str | None], failed: dict[str, str],
             within: float) -> dict[str, Any]:
    return {
        "within": within, "refreshed": sorted(report.refreshed), "unchanged": sorted(report.unchanged),
        "reauth_required": {open_id: reasons.get(open_id) for open_id in sorted(report.reauth_required)},
        "failed": failed, "summary": str(report),
    }


REFRESH_DUE = Command(
    name="refresh-due",
    help="refresh every account about to expire (for cron; --within 2h)",
    description=_REFRESH_DUE_HELP,
    add_arguments=_refresh_due_arguments,
    run=_refresh_due,
)
