"""Scope names: parsed as an ordered set, and checked against TikTok's documented list.

A misspelt scope is refused when the :class:`~pytok_sm.Config` (or the kit) is made, with
the closest documented name, instead of TikTok's ``invalid_scope`` in the browser while the
program waits. A scope newer than :data:`~pytok_sm._contract.DOCUMENTED_SCOPES` is asked
for with a leading ``+`` (``"user.info.basic,+new.scope"``); the ``+`` is never sent.

Example:
    >>> check_scopes(normalize_scopes("user.info.basic, video.list,+brand.new.scope"))
    ('user.info.basic', 'video.list', 'brand.new.scope')
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

from . import _contract as contract
from ._errors import ConfigurationError

__all__ = ["check_scopes", "normalize_scopes"]

_SCOPE_RE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)+")  # fullmatch
#: How alike (difflib's ratio) a documented scope must be to be offered as "did you mean".
_CLOSE_ENOUGH = 0.75


class _DeclaredScope(str):
    """A scope name given with a leading ``+``: asked for although not documented (yet).

    It is a plain ``str`` everywhere (joined into the ``scope`` parameter, compared, shown),
    and stays declared through :meth:`Config.replace`, ``copy`` and ``pickle``.
    """

    __slots__ = ()


def normalize_scopes(scopes: str | Iterable[str], *, field_name: str = "scopes") -> tuple[str, ...]:
    """Scopes as an ordered set: comma string or iterable in, unique names in first-seen order.

    A leading ``+`` declares a scope that :func:`check_scopes` should let through although
    it is not in TikTok's documented list; the ``+`` itself is dropped (never sent).

    Example:
        >>> normalize_scopes("user.info.basic, video.list,user.info.basic")
        ('user.info.basic', 'video.list')
        >>> normalize_scopes("user.info.basic,+brand.new.scope")
        ('user.info.basic', 'brand.new.scope')
        >>> normalize_scopes("user.info.basic user.info.stats")
        Traceback (most recent call last):
        ...
        pytok_sm.ConfigurationError: scopes: ... separate scopes with commas: 'user.info.basic,user.info.stats'
    """
    if isinstance(scopes, str):
        items: list[Any] = scopes.split(",")
    else:
        try:
            items = list(scopes)
        except TypeError:
            raise ConfigurationError(field_name, "must be a comma-separated string or a list of scope names") from None
    names: dict[str, None] = {}
    declared: set[str] = set()
    for item in items:
        if not isinstance(item, str):
            raise ConfigurationError(field_name, f"scope names are strings, got {type(item).__name__}")
        name = str(item).strip()
        if isinstance(item, _DeclaredScope) or name.startswith("+"):
            name = name.removeprefix("+").strip()
            declared.add(name)
        elif not name:
            continue
        if not _SCOPE_RE.fullmatch(name):
            raise ConfigurationError(field_name, _malformed(name))
        names.setdefault(name, None)
    if not names:
        raise ConfigurationError(field_name, "ask for at least one scope, e.g. 'user.info.basic'")
    return tuple(_DeclaredScope(name) if name in declared else name for name in names)


def _malformed(name: str) -> str:
    """Why ``name`` is no scope name, with the fix when it can be guessed."""
    problem = f"{name!r} is not a scope name"
    parts = re.split(r"[\s;|]+", name.strip())
    if len(parts) > 1 and all(_SCOPE_RE.fullmatch(part.lower()) for part in parts):
        return f"{problem}; separate scopes with commas: {','.join(parts)!r}"
    if _SCOPE_RE.fullmatch(name.lower()):
        return f"{problem}; scope names are lower-case: did you mean {name.lower()!r}?"
    return f"{problem} (dotted lower-case words such as 'user.info.basic')"


def check_scopes(
    scopes: tuple[str, ...], *, field_name: str = "scopes", known: Iterable[str] = contract.DOCUMENTED_SCOPES
) -> tuple[str, ...]:
    """``scopes`` (from :func:`normalize_scopes`) if each is documented or declared with ``+``.

    An unknown name is most often a typo that TikTok would refuse with ``invalid_scope`` on
    the authorize page, after the person was sent there; the error names the closest
    documented scope, or lists them all, and says how to ask for a newer scope.

    Example:
        >>> check_scopes(normalize_scopes("user.info.basic,+brand.new.scope"))
        ('user.info.basic', 'brand.new.scope')
        >>> check_scopes(("user.info.basci",))
        Traceback (most recent call last):
        ...
        pytok_sm.ConfigurationError: scopes: unknown scope 'user.info.basci'; did you mean 'user.info.basic'? ...
    """
    documented = tuple(known)
    unknown = [name for name in scopes if not isinstance(name, _DeclaredScope) and name not in documented]
    if not unknown:
        return scopes
    sentences: list[str] = []
    for name in unknown:
        close = _closest(name, documented)
        sentences.append(f"unknown scope {name!r}; did you mean {close!r}?" if close else f"unknown scope {name!r}.")
    if any(sentence.endswith(".") for sentence in sentences):
        sentences.append(f"TikTok documents {', '.join(documented)}.")
    it, they = ("it", "it") if len(unknown) == 1 else ("them", "they")
    raise ConfigurationError(
        field_name,
        f"{' '.join(sentences)} TikTok would refuse {it} on the authorize page (invalid_scope). If {they} came "
        f"after this list, ask with a leading '+': {', '.join(repr(f'+{name}') for name in unknown)}",
    )


def _closest(name: str, documented: tuple[str, ...]) -> str | None:
    """The documented scope most like ``name`` (the first listed on a tie), if one is close."""
    best, score = None, _CLOSE_ENOUGH
    for candidate in documented:
        ratio = difflib.SequenceMatcher(None, name, candidate).ratio()
        if ratio > score or (best is None and ratio == score):
            best, score = candidate, ratio
    return best
