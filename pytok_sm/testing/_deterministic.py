"""A seeded stand-in for the random values of a login, so that recordings replay.

A flow draws its CSRF ``state``, PKCE verifier and QR ``client_ticket`` from a
:data:`~pytok_sm._pkce.RandomSource` (``(alphabet, length) -> str``). Recording a cassette
and replaying it later must draw the *same* values: the QR ``state`` travels in a request
body and comes back in TikTok's answer, and the ``client_ticket`` TikTok echoes must be the
flow's own. Pass ``random=DeterministicRandom(seed)`` to the kit in both runs.

Never use it outside tests: its values are predictable by construction (that is the point),
so a ``state`` drawn from it protects against nothing.

Example:
    >>> from pytok_sm import LoginKit
    >>> a, b = DeterministicRandom(7), DeterministicRandom(7)
    >>> a("abc", 8) == b("abc", 8)
    True
    >>> kit = LoginKit("aw_key", "s", random=DeterministicRandom(7))
    >>> from pytok_sm.flows import BrowserFlow
    >>> BrowserFlow(kit.config).csrf_state == BrowserFlow(LoginKit("aw_key", "s", random=DeterministicRandom(7)).config).csrf_state
    True
    >>> kit.close()
"""

from __future__ import annotations

import random
import threading

__all__ = ["DeterministicRandom"]


class DeterministicRandom:
    """A :data:`~pytok_sm._pkce.RandomSource` that draws from ``random.Random(seed)``.

    Two instances with the same seed give the same sequence of values; :meth:`reset` starts
    the sequence again. Thread-safe (flows may be created from driver threads).

    Example:
        >>> source = DeterministicRandom("cassettes")
        >>> first = source("0123456789", 6)
        >>> len(first), first.isdigit()
        (6, True)
        >>> source.reset()
        >>> source("0123456789", 6) == first
        True
    """

    def __init__(self, seed: int | str = 0) -> None:
        self.seed = seed
        self._lock = threading.Lock()
        self._rng = random.Random(seed)  # noqa: S311 - predictable on purpose (tests only)

    def __call__(self, alphabet: str, length: int) -> str:
        if not alphabet:
            raise ValueError("the alphabet is empty")
        if length < 0:
            raise ValueError("length must not be negative")
        with self._lock:
            return "".join(self._rng.choice(alphabet) for _ in range(length))

    def reset(self) -> None:
        """Start the sequence from the beginning again."""
        with self._lock:
            self._rng = random.Random(self.seed)  # noqa: S311

    def __repr__(self) -> str:
        return f"DeterministicRandom({self.seed!r})"
