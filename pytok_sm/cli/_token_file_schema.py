"""What a token file must hold (``schema_version`` 1), checked field by field.

:func:`parse` turns the file's bytes into its ``clients`` or raises a
:class:`~pytok_sm.TokenStoreError` with ``corrupt=True`` (so ``pytok --move-corrupt-store``
can keep the file aside and start empty). The message names the file and the entry
(client key, open_id; never a secret) and says what to do. Nothing else escapes: not a
``TypeError`` on ``"current": []``, not a ``ValueError`` on a 5000-digit number.

Every field is checked for its type, booleans are not numbers (``true`` is not 1), times are
finite, and a token must belong to the open_id it is stored under. Fields this code does not
know are kept as they are. The file is at most :data:`MAX_FILE_BYTES`.

Example:
    >>> from pathlib import Path
    >>> parse(b'{"schema_version": 1, "clients": {}}', Path("/cfg/tokens.json"))
    {}
    >>> raw = b'{"schema_version": 1, "clients": {"aw_key": {"current": [], "accounts": {}}}}'
    >>> try:
    ...     parse(raw, Path("/cfg/tokens.json"))
    ... except TokenStoreError as error:
    ...     print(str(error).split(";")[0], error.corrupt)
    the token file /cfg/tokens.json is damaged (client 'aw_key': current is a list, not an open_id) True
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from .._errors import TikTokError, TokenStoreError
from .._token import Token
from ..stores import STATES

__all__ = ["MAX_FILE_BYTES", "NO_OPEN_ID", "SCHEMA_VERSION", "parse", "size_text", "token_of", "too_large"]

#: The layout this code reads and writes.
SCHEMA_VERSION = 1
#: The largest token file read or written (thousands of accounts; a bigger one is not ours).
MAX_FILE_BYTES = 4 * 1024 * 1024
#: The open_id key of a token that came without one (client tokens; never from a login).
NO_OPEN_ID = "-"


def size_text(size: int) -> str:
    """``4 MiB`` for whole mebibytes, else ``N bytes``.

    Example:
        >>> size_text(4 * 1024 * 1024), size_text(1000)
        ('4 MiB', '1000 bytes')
    """
    mib = 1024 * 1024
    return f"{size // mib} MiB" if size and size % mib == 0 else f"{size} bytes"


def _move_hint(path: Path) -> str:
    return (
        f"it was left untouched. Repair or delete it, or run pytok again with --move-corrupt-store to keep it "
        f"as {path.name}.corrupt-<time> and start with an empty file"
    )


def too_large(path: Path) -> TokenStoreError:
    """The error for a file over :data:`MAX_FILE_BYTES` (it is not read whole)."""
    return TokenStoreError(
        f"the token file {path} is larger than {size_text(MAX_FILE_BYTES)}, more than a token file can be; "
        f"{_move_hint(path)}",
        corrupt=True,
    )


def _name(text: str) -> str:
    """A client key or open_id as shown in a message: quoted, escaped, at most 64 characters."""
    return repr(text if len(text) <= 64 else text[:64] + "…")


class _Damage(Exception):
    """One thing wrong with the document (a message without the file name)."""


def _kind(value: object) -> str:
    kinds = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "an integer", float: "a float"}
    return kinds.get(type(value), "null")


def _time(value: object, field: str, *, required: bool) -> None:
    """A time in seconds since the epoch: an int or float (not a boolean), finite."""
    if value is None:
        if required:
            raise _Damage(f"{field} is missing")
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Damage(f"{field} is {_kind(value)}, not a number of seconds")
    try:
        finite = math.isfinite(value)
    except OverflowError:  # an int too large for a float
        finite = False
    if not finite:
        raise _Damage(f"{field} is not a finite number of seconds")


def _check_token_fields(saved: object) -> None:
    """The fields of a saved token that :meth:`Token.from_dict` would read leniently."""
    if not isinstance(saved, dict):
        raise _Damage(f"its token is {_kind(saved)}, not an object")
    version = saved.get("schema_version", 1)
    if type(version) is not int or version != 1:
        raise _Damage(f"its token's schema_version is {version!r:.20} ({_kind(version)}), not 1")
    _time(saved.get("expires_at"), "expires_at", required=True)
    _time(saved.get("refresh_expires_at"), "refresh_expires_at", required=False)
    for field in ("open_id", "token_type"):
        value = saved.get(field)
        if value is not None and not isinstance(value, str):
            raise _Damage(f"its token's {field} is {_kind(value)}, not a string")


def token_of(entry: dict[str, Any], path: Path, client_key: str, open_id: str) -> Token:
    """The token of one entry, which must belong to ``open_id`` (the key it is stored under)."""
    where = f"client {_name(client_key)}, account {_name(open_id)}"
    try:
        _time(entry.get("saved_at"), "saved_at", required=False)
    except _Damage as damage:
        raise TokenStoreError(f"the token file {path} is damaged ({where}: {damage}); {_move_hint(path)}", corrupt=True) from None
    try:
        _check_token_fields(entry.get("token"))
        token = Token.from_dict(entry["token"])
    except (_Damage, TikTokError) as exc:
        reason = exc.message if isinstance(exc, TikTokError) else str(exc)
        raise TokenStoreError(
            f"the token file {path} holds an unreadable token ({where}: {reason}); {_move_hint(path)}", corrupt=True
        ) from None
    if (token.open_id or NO_OPEN_ID) != open_id:
        held = f"the token of open_id {_name(token.open_id)}" if token.open_id else "a token without an open_id"
        raise TokenStoreError(
            f"the token file {path} is damaged ({where} holds {held}); {_move_hint(path)}", corrupt=True
        )
    return token


def _check_clients(clients: object) -> None:
    if not isinstance(clients, dict):
        raise _Damage(f"clients is {_kind(clients)}, not an object")
    for client_key, client in clients.items():
        where = f"client {_name(client_key)}"
        if not isinstance(client, dict):
            raise _Damage(f"{where} is {_kind(client)}, not an object")
        if not isinstance(client.get("accounts"), dict):
            raise _Damage(f"{where} has no accounts object")
        current = client.get("current")
        if current is not None and not isinstance(current, str):
            raise _Damage(f"{where}: current is {_kind(current)}, not an open_id")
        if current is not None and current not in client["accounts"]:
            raise _Damage(f"{where} names a current account {_name(current)} it does not have")
        for open_id, entry in client["accounts"].items():
            if not isinstance(entry, dict):
                raise _Damage(f"{where}, account {_name(open_id)}: the entry is {_kind(entry)}, not an object")
            refused = entry.get("refused")
            if refused is not None and not (
                isinstance(refused, dict) and isinstance(refused.get("reason"), str)
                and isinstance(refused.get("at"), (int, float)) and not isinstance(refused.get("at"), bool)
            ):
                raise _Damage(f"{where}, account {_name(open_id)}: refused is not a reason and a time")
            _check_record(entry, f"{where}, account {_name(open_id)}")
        _check_leases(client.get("leases"), where)


def _check_record(entry: dict[str, Any], where: str) -> None:
    """The fields of the store protocol (absent in files written before them: version 1, active)."""
    version = entry.get("version")
    if version is not None and (type(version) is not int or version < 1):
        raise _Damage(f"{where}: version is {_kind(version)}, not a whole number from 1")
    state = entry.get("state")
    if state is not None and state not in STATES:
        raise _Damage(f"{where}: state is {state!r:.40}, not one of {', '.join(STATES)}")
    reason = entry.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise _Damage(f"{where}: reason is {_kind(reason)}, not text")
    try:
        _time(entry.get("updated_at"), "updated_at", required=False)
    except _Damage as damage:
        raise _Damage(f"{where}: {damage}") from None


def _check_leases(leases: object, where: str) -> None:
    """``leases``: open_id -> {"holder": text, "expires_at": seconds} (who refreshes the account now)."""
    if leases is None:
        return
    if not isinstance(leases, dict):
        raise _Damage(f"{where}: leases is {_kind(leases)}, not an object")
    for open_id, lease in leases.items():
        if not (isinstance(lease, dict) and isinstance(lease.get("holder"), str)):
            raise _Damage(f"{where}, lease of {_name(open_id)}: not a holder and a time")
        try:
            _time(lease.get("expires_at"), "expires_at", required=True)
        except _Damage as damage:
            raise _Damage(f"{where}, lease of {_name(open_id)}: {damage}") from None


def parse(raw: bytes, path: Path) -> dict[str, dict[str, Any]]:
    """The ``clients`` of a token file, every entry checked; or a corrupt :class:`TokenStoreError`."""
    if len(raw) > MAX_FILE_BYTES:
        raise too_large(path)
    what_to_do = _move_hint(path)
    try:
        document = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise TokenStoreError(f"the token file {path} is not valid JSON (not UTF-8); {what_to_do}", corrupt=True) from None
    except json.JSONDecodeError as exc:
        raise TokenStoreError(f"the token file {path} is not valid JSON (line {exc.lineno}); {what_to_do}", corrupt=True) from None
    except (ValueError, RecursionError):  # a number too long to convert, nesting too deep
        raise TokenStoreError(f"the token file {path} is not a token file; {what_to_do}", corrupt=True) from None
    if not isinstance(document, dict) or "schema_version" not in document:
        raise TokenStoreError(f"the token file {path} is not a pytok token file (no schema_version); {what_to_do}", corrupt=True)
    version = document["schema_version"]
    if type(version) is not int or version != SCHEMA_VERSION:
        shown = f"{version!r:.40}" if type(version) in (int, str) else f"{version!r:.40} ({_kind(version)})"
        raise TokenStoreError(
            f"the token file {path} has schema_version {shown} but this pytok reads {SCHEMA_VERSION}; it was left "
            "untouched. Use the pytok that wrote it, pass another --store, or run pytok again with "
            f"--move-corrupt-store to keep it as {path.name}.corrupt-<time> and start with an empty file",
            corrupt=True,
        )
    clients: dict[str, dict[str, Any]] = document.get("clients", {})
    try:
        _check_clients(clients)
    except _Damage as damage:
        raise TokenStoreError(f"the token file {path} is damaged ({damage}); {what_to_do}", corrupt=True) from None
    for client_key, client in clients.items():
        for open_id, entry in client["accounts"].items():
            token_of(entry, path, client_key, open_id)
    return clients
