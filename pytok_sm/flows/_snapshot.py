"""Flow snapshots between processes: versioned, sealed, and checked field by field on resume.

A snapshot holds a flow's secrets and decides what its callback is checked against (the
CSRF state, the PKCE verifier, the deadline). Whoever can write where an app keeps its
snapshots must not be able to choose those, so every snapshot carries a **seal**: an
HMAC-SHA256 over its canonical JSON, with a key the app controls (by default one derived
from the client secret, so another app's snapshots never open). On resume the seal is
checked first (in constant time), then every field's type and range; anything wrong is one
:class:`~pytok_sm.SnapshotRejected` saying which check failed.

Example:
    >>> from pytok_sm import Config
    >>> config = Config("aw_key", "s3cret")
    >>> sealed = seal({"flow": "revoke", "version": VERSION, "data": {}}, seal_key(config, None))
    >>> sorted(sealed)
    ['data', 'flow', 'seal', 'version']
    >>> open_sealed(sealed, seal_key(config, None))["flow"]
    'revoke'
    >>> open_sealed({**sealed, "flow": "browser"}, seal_key(config, None))
    Traceback (most recent call last):
    ...
    pytok_sm.SnapshotRejected: the flow snapshot is damaged or forged (its seal does not match); start the flow again
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from .. import _contract as contract
from .._config import Config
from .._errors import ConfigurationError, SnapshotRejected

__all__ = ["VERSION", "Check", "open_sealed", "optional", "seal", "seal_key", "seconds", "text"]

VERSION = 2
#: A snapshot larger than this is not one of ours (a browser flow's is about 700 bytes).
MAX_BYTES = 64 * 1024
_SEAL_RE = re.compile(r"[0-9a-f]{64}")
_DERIVATION = b"pytok_sm flow snapshot seal v2"

#: Checks one data field: returns the value to set, raises ValueError(why) otherwise.
Check = Callable[[Any], Any]


def seal_key(config: Config, key: bytes | str | None) -> bytes:
    """The sealing key: ``key`` as given (at least 16 bytes), else derived from the client secret.

    Example:
        >>> len(seal_key(Config("aw_key", "s3cret"), None))
        32
    """
    if key is None:
        return hmac.new(config.client_secret.encode("utf-8"), _DERIVATION, hashlib.sha256).digest()
    raw = key.encode("utf-8") if isinstance(key, str) else key
    if not isinstance(raw, bytes) or len(raw) < 16:
        raise ConfigurationError("snapshot_key", "must be at least 16 bytes (bytes or str), e.g. secrets.token_bytes(32)")
    return raw


def _canonical(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode()


def seal(body: dict[str, Any], key: bytes) -> dict[str, Any]:
    """``body`` with its ``seal`` added."""
    return {**body, "seal": hmac.new(key, _canonical(body), hashlib.sha256).hexdigest()}


def open_sealed(snapshot: object, key: bytes) -> dict[str, Any]:
    """The snapshot's body once its seal is verified; :class:`SnapshotRejected` otherwise."""
    if not isinstance(snapshot, Mapping):
        raise SnapshotRejected(f"a snapshot is a JSON object, not a {type(snapshot).__name__}")
    body = {k: v for k, v in snapshot.items() if k != "seal"}
    given = snapshot.get("seal")
    if not isinstance(given, str) or not _SEAL_RE.fullmatch(given):
        raise SnapshotRejected("it has no seal")
    try:
        canonical = _canonical(body)
    except (TypeError, ValueError, RecursionError):
        raise SnapshotRejected("it is not plain JSON data") from None
    if len(canonical) > MAX_BYTES:
        raise SnapshotRejected("it is too large")
    expected = hmac.new(key, canonical, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(given, expected):
        raise SnapshotRejected("its seal does not match")
    return body


# --------------------------------------------------------------------------- field checks


def text(*, min_len: int = 1, max_len: int, alphabet: str | None = None) -> Check:
    """A string of ``min_len..max_len`` printable characters without spaces (from ``alphabet``).

    Example:
        >>> text(max_len=4)("abc")
        'abc'
        >>> text(max_len=4)("a b")
        Traceback (most recent call last):
        ...
        ValueError: not a single printable word
    """
    allowed = frozenset(alphabet) if alphabet else None

    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"a {type(value).__name__}, not a string")
        if not min_len <= len(value) <= max_len:
            raise ValueError(f"{len(value)} characters, not {min_len}..{max_len}")
        if not value.isprintable() or " " in value:
            raise ValueError("not a single printable word")
        if allowed is not None and not set(value) <= allowed:
            raise ValueError("characters outside its alphabet")
        return value

    return check


def optional(check: Check) -> Check:
    """``None``, or what ``check`` accepts."""
    return lambda value: None if value is None else check(value)


def seconds(low: float, high: float) -> Check:
    """A finite number of seconds in ``low..high`` (not a bool)."""

    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError("not a finite number")
        if not low <= value <= high:
            raise ValueError(f"not within {low:g}..{high:g}")
        return float(value)

    return check


def nothing(value: Any) -> None:
    """Only ``None`` (a field that is always empty in a resumable state)."""
    if value is not None:
        raise ValueError("must be empty in a resumable state")


STATE = text(min_len=22, max_len=512, alphabet=contract.VERIFIER_ALPHABET)
VERIFIER = text(min_len=contract.VERIFIER_MIN_LENGTH, max_len=contract.VERIFIER_MAX_LENGTH,
                alphabet=contract.VERIFIER_ALPHABET)
TOKEN = text(max_len=4096)
TIMEOUT = seconds(0.1, 86_400)
_FLOW_ID = re.compile(r"[0-9a-f]{12}")


def check_envelope(body: Mapping[str, Any], *, kind: str, config: Config, resumable: tuple[str, ...],
                   fields: Mapping[str, Check], timed: tuple[str, ...]) -> dict[str, Any]:
    """Every field of a verified snapshot body, checked; returns what to set on the flow."""
    if body.get("flow") != kind:
        raise SnapshotRejected(f"it is not a snapshot of a {kind} flow")
    version = body.get("version")
    if isinstance(version, bool) or version != VERSION:
        raise SnapshotRejected("it was written by another pytok_sm version")
    if body.get("client_key") != config.client_key:
        raise SnapshotRejected("it belongs to another client_key")
    flow_id = body.get("flow_id")
    if not isinstance(flow_id, str) or not _FLOW_ID.fullmatch(flow_id):
        raise SnapshotRejected("its flow_id is not 12 hex digits")
    state = body.get("state")
    if not isinstance(state, str) or state not in resumable:
        raise SnapshotRejected(f"a {kind} flow cannot be resumed in state {state!r} (only in: "
                               f"{', '.join(resumable) or 'none'})")
    attempt = body.get("attempt")
    if isinstance(attempt, bool) or not isinstance(attempt, int) or not 1 <= attempt <= config.retry.max_attempts:
        raise SnapshotRejected("its attempt is not a whole number within the retry policy")
    deadline = body.get("deadline")
    try:
        deadline = optional(seconds(0, 1e11))(deadline)
    except ValueError:
        raise SnapshotRejected("its deadline is not a finite time") from None
    if deadline is None and state in timed:
        raise SnapshotRejected(f"it has no deadline in state {state}")
    data = body.get("data")
    if not isinstance(data, Mapping) or set(data) != set(fields):
        raise SnapshotRejected("its data does not have the flow's fields")
    values = {}
    for name, check in fields.items():
        try:
            values[name] = check(data[name])
        except ValueError as why:
            raise SnapshotRejected(f"its {name} is {why}") from None
    return {"flow_id": flow_id, "state": state, "attempt": attempt, "deadline": deadline, "data": values}
