"""Keeping secrets out of error reports and logs.

Two guards live here. :func:`hush` keeps the frames that held secrets out of tracebacks;
:class:`SecretRegistry` knows every secret value the library holds, for as long as it holds
it, so that :class:`pytok_sm.logs.Redactor` can mask them wherever they appear.

Error reporters (Sentry by default, ``traceback.TracebackException(capture_locals=True)``)
show the local variables of every frame an exception passed through. A parser holding a
token answer, a kit holding a snapshot, a configuration holding the client secret: each is a
frame whose locals are secrets. :func:`hush` wraps such a function: a
:class:`~pytok_sm.TikTokError` it raises is raised again from the wrapper alone, with the
inner frames and any exception chain (a ``JSONDecodeError`` keeps the raw body in ``.doc``)
dropped, and the wrapper's own arguments deleted first. The error's message says what went
wrong; it never needed those frames.

Example:
    >>> import traceback
    >>> from pytok_sm import ProtocolError
    >>> @hush
    ... def parse(secret: str) -> None:
    ...     body = {"access_token": secret}
    ...     raise ProtocolError("the answer is odd")
    >>> try:
    ...     parse("act." + "SECRET")
    ... except ProtocolError as error:
    ...     frames = [frame.name for frame in traceback.extract_tb(error.__traceback__)]
    >>> frames  # parse's frame, with body and secret, is not part of it
    ['<module>', 'hushed']
"""

from __future__ import annotations

import functools
import inspect
import threading
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar, cast

from ._errors import TikTokError

__all__ = ["REGISTRY", "SecretRegistry", "hush", "register_secret"]

P = ParamSpec("P")
R = TypeVar("R")


def _bare(error: TikTokError) -> TikTokError:
    error.__context__ = None
    error.__cause__ = None
    error.__suppress_context__ = False
    return error.with_traceback(None)


def hush(function: Callable[P, R]) -> Callable[P, R]:
    """Raise the TikTokErrors of ``function`` without its frames, its arguments or a chain."""
    if inspect.iscoroutinefunction(function):
        coroutine = cast(Callable[P, Awaitable[Any]], function)

        @functools.wraps(function)
        async def hushed_async(*args: P.args, **kwargs: P.kwargs) -> Any:
            try:
                return await coroutine(*args, **kwargs)
            except TikTokError as error:
                failure = error
            del args, kwargs
            raise _bare(failure)

        return cast(Callable[P, R], hushed_async)

    @functools.wraps(function)
    def hushed(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except TikTokError as error:
            failure = error
        del args, kwargs
        raise _bare(failure)

    return hushed


#: Registered values shorter than this are ignored (too likely to occur by chance).
_KEY = 6


class SecretRegistry:
    """The secret values :class:`pytok_sm.logs.Redactor` masks.

    A value registered with an ``owner`` (the Token, flow or Config holding it) is masked for
    as long as its owner is alive, whatever else is registered meanwhile, and forgotten when
    the owner goes: memory follows what the program holds. A value registered without one
    is kept among the ``capacity`` most recent such values.

    Masking must not cost more as more secrets are registered, so values are also indexed by
    their first :data:`_KEY` characters with the lengths registered under each: a string is
    masked with one dict lookup per position, plus a set lookup where a prefix matches.

    Example:
        >>> registry = SecretRegistry()
        >>> class Holder: pass
        >>> holder = Holder()
        >>> registry.add("rft.secret-value", owner=holder)
        >>> registry.mask("token rft.secret-value!", "[x]")
        'token [x]!'
        >>> del holder
        >>> registry.mask("token rft.secret-value!", "[x]"), len(registry)
        ('token rft.secret-value!', 0)
    """

    def __init__(self, capacity: int = 4096) -> None:
        #: value -> how many registrations hold it (owners, plus one while in the recent list)
        self._counts: dict[str, int] = {}
        self._recent: OrderedDict[str, None] = OrderedDict()
        #: id(owner) -> (a weak reference to it, the values it holds)
        self._owners: dict[int, tuple[weakref.ref[Any], list[str]]] = {}
        #: first _KEY characters -> {length: how many registered values have both}
        self._by_key: dict[str, dict[int, int]] = {}
        self._capacity = capacity
        self._lock = threading.RLock()  # a weakref callback may run in a thread that holds it

    def __len__(self) -> int:
        return len(self._counts)

    def add(self, value: str | None, *, owner: object = None) -> None:
        if not isinstance(value, str) or len(value) < _KEY:
            return
        with self._lock:
            if owner is None:
                if value in self._recent:
                    self._recent.move_to_end(value)
                    return
                self._recent[value] = None
                self._hold(value)
                while len(self._recent) > self._capacity:
                    self._release(self._recent.popitem(last=False)[0])
                return
            entry = self._owners.get(id(owner))
            if entry is None or entry[0]() is not owner:
                key = id(owner)
                entry = (weakref.ref(owner, lambda _, key=key: self._owner_gone(key)), [])  # type: ignore[misc]
                self._owners[key] = entry
            entry[1].append(value)
            self._hold(value)

    def add_all(self, values: tuple[str | None, ...], owner: object) -> None:
        """Register several values of one owner at once (one lock, one weak reference: a new
        Token registers its two secrets for about half the cost of two :meth:`add` calls)."""
        kept = [value for value in values if isinstance(value, str) and len(value) >= _KEY]
        if not kept:
            return
        key = id(owner)
        with self._lock:
            entry = self._owners.get(key)
            if entry is None or entry[0]() is not owner:
                entry = (weakref.ref(owner, functools.partial(_gone, weakref.ref(self), key)), [])
                self._owners[key] = entry
            entry[1].extend(kept)
            for value in kept:
                self._hold(value)

    def _owner_gone(self, key: int) -> None:
        with self._lock:
            entry = self._owners.pop(key, None)
            for value in entry[1] if entry else ():
                self._release(value)

    def _hold(self, value: str) -> None:
        count = self._counts.get(value, 0)
        self._counts[value] = count + 1
        if not count:
            lengths = self._by_key.setdefault(value[:_KEY], {})
            lengths[len(value)] = lengths.get(len(value), 0) + 1

    def _release(self, value: str) -> None:
        count = self._counts.get(value, 0)
        if count > 1:
            self._counts[value] = count - 1
            return
        self._counts.pop(value, None)
        key, size = value[:_KEY], len(value)
        lengths = self._by_key.get(key, {})
        if lengths.get(size, 0) > 1:
            lengths[size] -= 1
            return
        lengths.pop(size, None)
        if not lengths:
            self._by_key.pop(key, None)

    def snapshot(self) -> list[str]:
        with self._lock:
            return sorted(self._counts, key=len, reverse=True)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where registered values occur in ``text``: (start, end) pairs, merged where they overlap."""
        index, values, size = self._by_key, self._counts, len(text)
        if not index or size < _KEY:
            return []
        found: list[tuple[int, int]] = []
        for i in [i for i in range(size - _KEY + 1) if text[i : i + _KEY] in index]:
            lengths = list(index.get(text[i : i + _KEY], ()))  # list(): a snapshot, taken atomically
            end = max((i + n for n in lengths if i + n <= size and text[i : i + n] in values), default=0)
            if not end:
                continue
            if found and i < found[-1][1]:
                found[-1] = (found[-1][0], max(found[-1][1], end))
            else:
                found.append((i, end))
        return found

    def mask(self, text: str, placeholder: str) -> str:
        """``text`` with every occurrence of a registered value replaced by ``placeholder``.

        Overlapping occurrences (a secret and its own prefix, two secrets sharing characters)
        are masked as one span, so no character of any of them survives.
        """
        found = self.spans(text)
        if not found:
            return text
        parts: list[str] = []
        done = 0
        for start, end in found:
            parts += (text[done:start], placeholder)
            done = end
        parts.append(text[done:])
        return "".join(parts)


def _gone(registry: weakref.ref[SecretRegistry], key: int, _: object) -> None:
    alive = registry()
    if alive is not None:
        alive._owner_gone(key)


#: The registry every pytok_sm object registers its secrets in.
REGISTRY = SecretRegistry()


def register_secret(value: str | None, *, owner: object = None) -> None:
    """Let :class:`pytok_sm.logs.Redactor` mask this value wherever it appears in an event:
    for as long as ``owner`` is alive, or (without one) among the 4,096 latest such values.

    pytok_sm registers every secret it holds itself (tokens, the client secret, a flow's
    state, verifier, code, QR token and ticket); call this for secrets of your own.
    """
    REGISTRY.add(value, owner=owner)
