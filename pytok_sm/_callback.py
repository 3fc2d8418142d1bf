"""The query of a request to the redirect URI (the browser's callback), read strictly,
and the :class:`Verdict` the browser flow gives it.

Used by the loopback server (:mod:`pytok_sm.drivers`) and by web apps finishing a login
(:meth:`pytok_sm.LoginKit.complete_browser_login`); the browser flow judges the result.
"""

from __future__ import annotations

import enum
import urllib.parse
from dataclasses import dataclass, field

__all__ = ["Callback", "Verdict", "parse_callback_query"]


class Verdict(enum.Enum):
    """What the loopback server should answer to a request on the redirect path."""

    ACCEPT = "accept"  # right state and a code: exchange it
    DENY = "deny"  # right state and error=...: the person declined
    REJECT = "reject"  # anything else: 400 page, keep waiting


@dataclass(frozen=True, slots=True)
class Callback:
    """The query of a request to the redirect URI, checked for shape (not yet for state)."""

    state: str | None = field(repr=False)
    code: str | None = field(repr=False, default=None)
    scopes: str | None = None
    error: str | None = None
    error_description: str | None = None
    problem: str | None = None  # why the query itself is unusable (duplicates, control chars)


_MAX_QUERY = 8192


def parse_callback_query(query: str) -> Callback:
    """Read the redirect's query strictly: duplicates and control characters are problems.

    ``code`` is percent-decoded (TikTok's codes contain ``*`` and ``!``).

    Example:
        >>> parse_callback_query("code=ab%2A%21&scopes=user.info.basic&state=xyz").code
        'ab*!'
        >>> parse_callback_query("code=a&code=b&state=s").problem
        'duplicate code parameter'
    """
    if len(query) > _MAX_QUERY:
        return Callback(None, problem="query too long")
    try:
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True, strict_parsing=False, errors="strict")
    except (UnicodeDecodeError, ValueError):
        return Callback(None, problem="query is not valid UTF-8")
    values: dict[str, str] = {}
    for name, value in pairs:
        if name in values and name in ("state", "code", "error", "scopes"):
            return Callback(None, problem=f"duplicate {name} parameter")
        if any(not ch.isprintable() for ch in value):
            return Callback(None, problem=f"control characters in {name}")
        values.setdefault(name, value)
    return Callback(
        state=values.get("state"),
        code=values.get("code") or None,
        scopes=values.get("scopes"),
        error=values.get("error") or None,
        error_description=values.get("error_description"),
    )
