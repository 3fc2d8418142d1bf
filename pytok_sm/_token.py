"""The :class:`Token` model: what TikTok's token endpoint grants, with absolute expiry times.

Times are seconds since the epoch, computed at receipt from an injectable clock. Secrets
(access and refresh token) never appear in ``repr``. Odd field values follow
docs/ROBUSTNESS.md: a wrong type is a :class:`~pytok_sm.ProtocolError`, a negative
lifetime counts as already expired, a huge one is clamped to ten years.

Example:
    >>> answer = {"access_token": "act.example", "expires_in": 86400, "open_id": "u1",
    ...           "refresh_token": "rft.example", "refresh_expires_in": 31536000,
    ...           "scope": "user.info.basic,video.list", "token_type": "Bearer"}
    >>> tok = Token.from_response(answer, now=1000.0)
    >>> tok.expires_at, sorted(tok.scopes)
    (87400.0, ['user.info.basic', 'video.list'])
    >>> tok
    Token(open_id='u1', scopes=['user.info.basic', 'video.list'], expires_at=87400.0, access_token='act.…', refresh_token='rft.…')
    >>> Token.from_dict(tok.to_dict()) == tok
    True
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._errors import ProtocolError
from ._secrets import REGISTRY, hush

__all__ = ["Token", "mask"]

#: Lifetimes beyond this many seconds are clamped (ten years).
MAX_LIFETIME = 10 * 365 * 24 * 3600
_MAX_TOKEN_CHARS = 4096
_SCHEMA = 1


def mask(secret: str | None) -> str:
    """A token shown safely: its kind prefix and an ellipsis (``act.…``), or ``-``.

    Example:
        >>> mask("act.1234567890abcdef"), mask("opaque-token"), mask(None)
        ('act.…', '…', '-')
    """
    if not secret:
        return "-"
    head, dot, _ = secret.partition(".")
    return f"{head}.…" if dot and len(head) <= 4 else "…"


def _token_string(body: Mapping[str, Any], name: str, *, required: bool) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise ProtocolError(f"the token answer has no {name}")
        return None
    if not isinstance(value, str):
        raise ProtocolError(f"the token answer's {name} is a {type(value).__name__}, not a string")
    # str.isprintable() is False for every white space but " " (Unicode Zs, Zl, Zp, Cc): one C pass.
    if len(value) > _MAX_TOKEN_CHARS or not value.isprintable() or " " in value:
        raise ProtocolError(f"the token answer's {name} is not a usable token")
    return value


def _lifetime(body: Mapping[str, Any], name: str, *, required: bool) -> float | None:
    """``expires_in``-like fields: int, float or digit string; clamped to 0..MAX_LIFETIME."""
    value = body.get(name)
    if value is None:
        if required:
            raise ProtocolError(f"the token answer has no {name}")
        return None
    if isinstance(value, bool):
        raise ProtocolError(f"the token answer's {name} is a boolean, not a number of seconds")
    if isinstance(value, str):
        text = value.strip()
        try:
            value = float(text) if len(text) <= 32 else math.nan
        except ValueError:
            raise ProtocolError(f"the token answer's {name} is not a number of seconds") from None
    if not isinstance(value, (int, float)):
        raise ProtocolError(f"the token answer's {name} is a {type(value).__name__}, not a number of seconds")
    try:
        seconds = float(value)
    except OverflowError:
        seconds = math.inf
    if math.isnan(seconds):
        raise ProtocolError(f"the token answer's {name} is not a number of seconds")
    return min(max(seconds, 0.0), float(MAX_LIFETIME))


def _scopes(value: object) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return frozenset(s.strip() for s in value.split(",") if s.strip())
    if isinstance(value, (list, tuple, set, frozenset)) and all(isinstance(s, str) for s in value):
        return frozenset(s.strip() for s in value if s.strip())
    raise ProtocolError(f"the token answer's scope is a {type(value).__name__}, not a comma list")


@dataclass(frozen=True, slots=True, weakref_slot=True)
class Token:
    """A user (or client) access token with its refresh token and absolute expiry times."""

    access_token: str = field(repr=False)
    expires_at: float
    open_id: str | None = None
    refresh_token: str | None = field(default=None, repr=False)
    refresh_expires_at: float | None = None
    scopes: frozenset[str] = frozenset()
    token_type: str = "Bearer"

    def __post_init__(self) -> None:
        # Masked in logs for as long as this token is alive, however many come after it.
        REGISTRY.add_all((self.access_token, self.refresh_token), self)

    def __repr__(self) -> str:
        return (
            f"Token(open_id={self.open_id!r}, scopes={sorted(self.scopes)!r}, expires_at={self.expires_at!r}, "
            f"access_token={mask(self.access_token)!r}, refresh_token={mask(self.refresh_token)!r})"
        )

    @classmethod
    @hush
    def from_response(cls, body: Mapping[str, Any], *, now: float, previous: Token | None = None) -> Token:
        """Build a token from the token endpoint's flat JSON answer received at ``now``.

        On a refresh, ``previous`` fills what the answer leaves out: a missing
        ``refresh_token`` keeps the old one (docs/ROBUSTNESS.md), likewise open_id and scopes.
        """
        if not isinstance(body, Mapping):
            raise ProtocolError("the token answer is not a JSON object")
        access = _token_string(body, "access_token", required=True)
        assert access is not None
        expires_in = _lifetime(body, "expires_in", required=True)
        assert expires_in is not None
        refresh = _token_string(body, "refresh_token", required=False)
        refresh_in = _lifetime(body, "refresh_expires_in", required=False)
        open_id = body.get("open_id")
        if open_id is not None and not isinstance(open_id, str):
            raise ProtocolError(f"the token answer's open_id is a {type(open_id).__name__}, not a string")
        scopes = _scopes(body.get("scope", body.get("scopes")))
        token_type = body.get("token_type") or "Bearer"
        if not isinstance(token_type, str):
            raise ProtocolError("the token answer's token_type is not a string")
        refresh_expires_at = now + refresh_in if refresh_in is not None else None
        if refresh is None and previous is not None:
            refresh, refresh_expires_at = previous.refresh_token, previous.refresh_expires_at
        elif refresh is not None and refresh_expires_at is None and previous is not None:
            refresh_expires_at = previous.refresh_expires_at
        if previous is not None:
            open_id = open_id or previous.open_id
            scopes = previous.scopes if scopes is None else scopes
        return cls(
            access_token=access,
            expires_at=now + expires_in,
            open_id=open_id or None,
            refresh_token=refresh,
            refresh_expires_at=refresh_expires_at,
            scopes=scopes or frozenset(),
            token_type=token_type,
        )

    def is_expired(self, now: float, *, leeway: float = 60.0) -> bool:
        """True when the access token expires within ``leeway`` seconds of ``now``."""
        return now + leeway >= self.expires_at

    def refresh_is_expired(self, now: float) -> bool:
        """True when there is no refresh token or it has expired."""
        if self.refresh_token is None:
            return True
        return self.refresh_expires_at is not None and now >= self.refresh_expires_at

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict holding the secrets; store it like a password."""
        return {
            "schema_version": _SCHEMA,
            "access_token": self.access_token,
            "expires_at": self.expires_at,
            "open_id": self.open_id,
            "refresh_token": self.refresh_token,
            "refresh_expires_at": self.refresh_expires_at,
            "scope": ",".join(sorted(self.scopes)),
            "token_type": self.token_type,
        }

    @classmethod
    @hush
    def from_dict(cls, data: Mapping[str, Any], *, now: float | None = None) -> Token:
        """Restore from :meth:`to_dict` or from the token endpoint's own JSON answer.

        The endpoint's JSON has relative ``expires_in``; ``now`` (default: the current time)
        turns it into absolute times.
        """
        if not isinstance(data, Mapping):
            raise ProtocolError("a saved token must be a JSON object")
        if "expires_at" not in data:
            import time

            return cls.from_response(data, now=time.time() if now is None else now)
        body = dict(data)
        try:
            expires_at = float(body["expires_at"])
            refresh_at = body.get("refresh_expires_at")
            refresh_expires_at = None if refresh_at is None else float(refresh_at)
        except (TypeError, ValueError, OverflowError):
            raise ProtocolError("a saved token's expires_at is not a number") from None
        if math.isnan(expires_at) or (refresh_expires_at is not None and math.isnan(refresh_expires_at)):
            raise ProtocolError("a saved token's expires_at is not a number")
        base = cls.from_response({**body, "expires_in": 0, "refresh_expires_in": None}, now=0.0)
        return cls(
            access_token=base.access_token,
            expires_at=expires_at,
            open_id=base.open_id,
            refresh_token=base.refresh_token,
            refresh_expires_at=refresh_expires_at,
            scopes=base.scopes,
            token_type=base.token_type,
        )
