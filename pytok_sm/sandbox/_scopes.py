"""Scope lists: parsing the comma-joined ``scope`` parameter and computing what is granted.

Example:
    >>> parse_scopes("user.info.basic,video.list", allowed=("user.info.basic", "video.list"))
    ('user.info.basic', 'video.list')
    >>> parse_scopes("user.info.basic video.list", allowed=("user.info.basic", "video.list")) is None
    True
    >>> granted(("user.info.profile", "video.list"), chosen=["video.list"])
    ('user.info.basic', 'video.list')
"""

from __future__ import annotations

from collections.abc import Iterable

from pytok_sm import _contract as contract

__all__ = ["granted", "join_scopes", "parse_scopes"]


def parse_scopes(raw: str | None, *, allowed: Iterable[str]) -> tuple[str, ...] | None:
    """The requested scopes, deduplicated in order; None when missing, empty or unknown.

    Scopes are joined by commas (blanks around them tolerated); a space-joined list is
    one unknown scope.
    """
    if raw is None:
        return None
    allowed_set = set(allowed)
    result: list[str] = []
    for item in raw.split(","):
        scope = item.strip()
        if not scope:
            continue
        if scope not in contract.KNOWN_SCOPES or scope not in allowed_set:
            return None
        if scope not in result:
            result.append(scope)
    return tuple(result) or None


def granted(requested: Iterable[str], chosen: Iterable[str] | None = None) -> tuple[str, ...]:
    """What the user grants: user.info.basic always, then the requested scopes still
    ticked (``chosen``; None means all of them), in request order."""
    requested = tuple(requested)
    keep = set(requested) if chosen is None else set(chosen) & set(requested)
    result = [contract.SCOPE_USER_INFO_BASIC]
    result.extend(s for s in requested if s in keep and s != contract.SCOPE_USER_INFO_BASIC)
    return tuple(result)


def join_scopes(scopes: Iterable[str]) -> str:
    """The comma-joined form TikTok sends back (``scope`` / ``scopes``)."""
    return ",".join(scopes)
